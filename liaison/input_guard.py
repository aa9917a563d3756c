"""Bad input is refused at the door with a Japanese 400 (or 404), never a 500 — one place for every route.

- URL ids: the `int` converter is bounded to PostgreSQL's integer, so /meetings/99999999999 is a 404.
- A NUL byte anywhere in the path, the query string or a form (keys, values, file names): 400, on
  PostgreSQL (which refuses NUL in text) as on SQLite.
- An integer in the query string, or in a form field that carries an id, beyond a 32-bit integer: 400.
Text fields' own rules (one line, no control characters, no bidi overrides, sane dates) are the forms'
(liaison.forms.guards).
"""
from __future__ import annotations

import re

from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

INT_MAX = 2**31 - 1
INTEGER = re.compile(r"^\s*[+-]?\d+\s*$")
# Free text where a long number is a legitimate value (a search for a phone number), never parsed as an id.
FREE_TEXT_ARGS = {"q", "actor"}
# Form fields parsed with int() by views outside WTForms (lists of ids, seat-<id> keys).
ID_FORM_KEYS = re.compile(r"^(present|seat-\d+|.*_id|id|ids|from_year|position)$")


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` that matches 1 … 2^31-1 only: a larger id is simply not a page (404), not a database error."""

    def __init__(self, map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002 (werkzeug's names)
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=INT_MAX if max is None else max, signed=signed)


class InputRefused(BadRequest):
    """A 400 whose description is shown to the user (already translated)."""


def _too_large(value: str) -> bool:
    if not INTEGER.match(value):
        return False
    return abs(int(value)) > INT_MAX


def check_request() -> None:
    if "\x00" in request.path or "\x00" in request.query_string.decode("latin-1") or "%00" in request.query_string.decode("latin-1"):
        raise InputRefused(_("入力に使えない文字(NUL)が含まれています。"))
    for key, value in request.args.items(multi=True):
        if "\x00" in key or "\x00" in value:
            raise InputRefused(_("入力に使えない文字(NUL)が含まれています。"))
        if key not in FREE_TEXT_ARGS and _too_large(value):
            raise InputRefused(_("数値が大きすぎます。"))
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        for key, value in request.form.items(multi=True):
            if "\x00" in key or "\x00" in value:
                raise InputRefused(_("入力に使えない文字(NUL)が含まれています。"))
            if ID_FORM_KEYS.match(key) and _too_large(value):
                raise InputRefused(_("数値が大きすぎます。"))
            if key.startswith("seat-") and _too_large(key.removeprefix("seat-")):
                raise InputRefused(_("数値が大きすぎます。"))
        for key, storage in request.files.items(multi=True):
            if "\x00" in key or "\x00" in (storage.filename or ""):
                raise InputRefused(_("入力に使えない文字(NUL)が含まれています。"))


def install_converters(app: Flask) -> None:
    """Before the blueprints register their rules."""
    app.url_map.converters["int"] = BoundedIntConverter


def init_app(app: Flask) -> None:
    app.before_request(check_request)
