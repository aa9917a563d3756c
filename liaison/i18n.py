"""Translation helpers shared by the domain and the web layer."""
from __future__ import annotations

import functools

from flask import has_app_context
from flask_babel import get_locale


def per_locale(function):
    """Memoise a label function per (locale, arguments).

    The label functions build a dict of every translated label and pick one; a page showing 64 seats
    would otherwise call gettext hundreds of times. Arguments must be hashable values (enums, strings).
    """
    cache: dict = {}

    @functools.wraps(function)
    def wrapper(*args):
        key = (str(get_locale()) if has_app_context() else "", *args)
        try:
            return cache[key]
        except KeyError:
            value = cache[key] = function(*args)
            return value

    return wrapper
