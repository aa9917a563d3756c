"""The header's personal part (templates/_header.html) as a page slot: the viewer's name, the やること and
お知らせ badges (their counts come with the user's query, web.load_user), the committees of their
navigation (access.py's seats, kept for the request) and the log-out form with their CSRF token."""
from __future__ import annotations

from flask import g, render_template

from . import slots


@slots.filler("header")
def header() -> str:
    current = g.committee.slug if "committee" in g else None  # the page's (blueprints/scoping.py; cache.py on a hit)
    return render_template("_header.html", current_slug=current)
