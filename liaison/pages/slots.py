"""The personal parts of a shared page (issue 22): slots filled per request.

A template marks a part that depends on the viewer (the header's name and badges, their own attendance
answer, ballot or review, the links on their own comments) with `page_slot(name, **args)`. On a request the
page cache may serve (liaison/pages/cache.py calls `hold()`), the call leaves a marker in the HTML instead of
rendering the part: the page is stored with its markers and shared by every viewer of the same view kind;
`fill` then renders each marker with its registered filler for this request's viewer, on a hit and on the
miss that stored it alike (one code path). On any other page the call renders the part at once: the
`{% call page_slot(...) %}` block's body (with the view's own data, e.g. a form with its errors), else the
filler.

A filler takes the marker's arguments (plain JSON values: ids, never a viewer's data) and returns HTML. It
reads what it needs itself, in a query or two, and never the view's data loading.

A slot with an `owner` (a user id: a comment's author) is the owner's alone: `fill` renders only the viewer's
own markers and drops the others in one pass of the regular expression engine, so a page with many such
markers (a long comment thread) costs no Python call per marker that is not the viewer's.
"""
from __future__ import annotations

import json
import re
from typing import Callable

from flask import current_app, g
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from ..dates import utcnow

# Shared with pages/cache.py and pages/header.py: the app extension holding the stores, the CSRF token's marker.
EXTENSION = "liaison_page_cache"
CSRF_MARK = "\x00csrf-token\x00"
_FILLERS: dict[str, Callable[..., str]] = {}
_HOLDING = "_liaison_page_slots_held"
_ANY = re.compile("\x00slot:([a-z_]+):(\\d*):([^\x00]*)\x00")
_FILL = re.compile("\x00(?:slot:([a-z_]+):(\\d*):([^\x00]*)|csrf-token)\x00")  # a slot's marker or CSRF_MARK
_PARTS = "_liaison_page_key_parts"


def filler(name: str):
    """Register the function that renders the slot `name` for the current viewer."""
    def register(function):
        _FILLERS[name] = function
        return function
    return register


def hold() -> None:
    """This request's page may be stored: slots leave markers (liaison/pages/cache.py)."""
    setattr(g, _HOLDING, True)


def holding() -> bool:
    return bool(g.get(_HOLDING))


def _viewer() -> int | None:
    user = current_user._get_current_object()
    return user.id if getattr(user, "is_authenticated", False) else None


def page_slot(name: str, caller=None, owner: int | None = None, **args) -> Markup:
    """The template global: a marker on a page the cache may store, else the part itself."""
    if name not in _FILLERS:
        raise KeyError(f"no filler for the page slot {name!r}")
    if holding():
        owned = "" if owner is None else str(int(owner))
        return Markup(f"\x00slot:{name}:{owned}:{json.dumps(args, sort_keys=True, separators=(',', ':'))}\x00")
    if owner is not None and owner != _viewer():
        return Markup("")
    return Markup(caller() if caller is not None else _FILLERS[name](**args))


def key_parts() -> tuple:
    """What every key of this request's page and slots shares: the deployment, the locale and the minute (read
    once per request; pages/cache.py, pages/header.py)."""
    parts = g.get(_PARTS)
    if parts is None:
        parts = (current_app.extensions[EXTENSION]["deployment"], str(get_locale()), utcnow().strftime("%Y%m%d%H%M"))
        setattr(g, _PARTS, parts)
    return parts


def fill(body: str, kept=None, csrf=None) -> str:
    """Every marker of a stored page rendered for this request's viewer (owned markers: only the viewer's).
    `kept(name, args, render)`: where the cache keeps a viewer's rendered slot (liaison/pages/cache.py);
    `csrf()`: the token for CSRF_MARK, in the page and in the slots' HTML (one pass over the page for both)."""
    if "\x00" not in body:
        return body
    viewer = _viewer()
    own = "" if viewer is None else str(viewer)
    if csrf is not None:
        made = csrf
        token: list[str] = []

        def csrf() -> str:  # asked once per page (Flask-WTF's generate_csrf reads its config on every call)
            if not token:
                token.append(made())
            return token[0]

    def render(match) -> str:
        name, owner, args = match.groups()
        if name is None:  # CSRF_MARK
            return match.group(0) if csrf is None else csrf()
        if owner and owner != own:
            return ""
        if kept is not None:
            html = kept(name, args, lambda: str(_FILLERS[name](**json.loads(args))))
        else:
            html = str(_FILLERS[name](**json.loads(args)))
        return html.replace(CSRF_MARK, csrf()) if csrf is not None and CSRF_MARK in html else html

    return _FILL.sub(render, body)  # one pass over the page: another viewer's owned marker costs one call, no render


def names_in(body: str) -> list[str]:
    """The slots a stored page holds (tests)."""
    return [match.group(1) for match in _ANY.finditer(body)]
