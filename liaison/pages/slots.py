"""The personal parts of a shared page (issue 22): slots filled per request.

A template marks a part that depends on the viewer (the header's name and badges, their own attendance
answer, ballot or review, the links on their own comments) with `page_slot(name, **args)`. On a request the
page cache may serve (liaison/pages/cache.py sets `holding()`), the call leaves a marker in the HTML
instead of rendering the part: the page is stored with its markers and shared by every viewer of the same
view kind; `fill` then renders each marker with its registered filler for this request's viewer, on a hit
and on the miss that stored it alike (one code path). On any other page the call renders the part at once.

A filler takes the marker's arguments (plain JSON values: ids, never a viewer's data) and returns HTML. It
reads what it needs itself, in a query or two, and never the view's data loading.
"""
from __future__ import annotations

import json
import re
from typing import Callable

from flask import g
from markupsafe import Markup

_FILLERS: dict[str, Callable[..., str]] = {}
_HOLDING = "_liaison_page_slots_held"
_MARK = re.compile("\x00slot:([a-z_]+):([^\x00]*)\x00")


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


def page_slot(name: str, caller=None, **args) -> Markup:
    """The template global: a marker on a page the cache may store, else the part itself — the call block's
    body when used as `{% call page_slot(...) %}…{% endcall %}` (rendered with the view's own data, e.g. a form
    with its errors), else the filler's."""
    if name not in _FILLERS:
        raise KeyError(f"no filler for the page slot {name!r}")
    if holding():
        return Markup(f"\x00slot:{name}:{json.dumps(args, sort_keys=True, separators=(',', ':'))}\x00")
    return Markup(caller() if caller is not None else _FILLERS[name](**args))


def fill(body: str) -> str:
    """Every marker of a stored page rendered for this request's viewer."""
    if "\x00slot:" not in body:
        return body
    return _MARK.sub(lambda match: str(_FILLERS[match.group(1)](**json.loads(match.group(2)))), body)


def names_in(body: str) -> list[str]:
    """The slots a stored page holds (tests)."""
    return [match.group(1) for match in _MARK.finditer(body)]
