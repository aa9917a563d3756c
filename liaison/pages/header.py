"""The header's personal part (templates/_header.html) as a page slot: the viewer's name, the やること and
お知らせ badges (their counts come with the user's query, web.load_user, and the session), the committees of
their navigation (access.py's seats, kept for the request) and the log-out form with their CSRF token.

On a page the cache serves, the rendered header is kept too, per process (it is one viewer's), under
everything it shows: the viewer, both counts, the locale, the page's committee and the menu entry it marks as current, and the table
versions the page's key was made with (a new seat or a renamed committee is a new header). Its CSRF token is
a marker, as in a stored page.
"""
from __future__ import annotations

import hashlib

from flask import current_app, g, render_template, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ..blueprints.dashboard import task_count
from ..domain import notifications as notification_rules
from . import slots
from .slots import CSRF_MARK, EXTENSION


# What templates/_header.html marks as the current page (aria-current), besides the committee.
_MARKED = ("dashboard.index", "reports", "minutes_archive", "admin")


def _marked() -> str | None:
    here = (request.endpoint, request.blueprint)  # read once: each is a lookup through Flask's request proxy
    return next((name for name in _MARKED if name in here), None)


def _key(current: str | None) -> str | None:
    version = g.get("liaison_page_version")
    user = current_user._get_current_object()  # once: each use of the proxy asks Flask-Login again
    if version is None or not getattr(user, "is_authenticated", False):
        return None
    deployment, locale, _ = slots.key_parts()
    parts = (deployment, user.get_id(), task_count(), notification_rules.unread_count(user), locale, current,
             _marked(), version)
    return "liaison:header:" + hashlib.sha1(repr(parts).encode("utf-8")).hexdigest()


@slots.filler("header")
def header() -> str:
    current = g.committee.slug if "committee" in g else None  # the page's (blueprints/scoping.py; cache.py on a hit)
    key = _key(current)
    kept = current_app.extensions[EXTENSION]["headers"]
    html = kept.get(key) if key else None
    if html is None:
        html = render_template("_header.html", current_slug=current)
        if key:
            kept.put(key, html.replace(generate_csrf(), CSRF_MARK))
            return html
    return html.replace(CSRF_MARK, generate_csrf())
