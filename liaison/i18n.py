"""Translation helpers shared by the domain and the web layer: the current locale and one gettext memo."""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from flask_babel import get_locale, get_translations

# (locale, message) → translated text. The catalogues never change while the process runs, and a page
# or a feed asks the same few hundred messages again and again (Flask-Babel finds the catalogue anew on
# every call, about 10 µs each). This is the process's only gettext memo: templates' _(), the labels of
# liaison.labels and the calendar all go through `translate`.
_TRANSLATED: dict[tuple[str, str], str] = {}
# The locale a block of work is pinned to (see `pinned_locale`), else None: ask Flask-Babel.
_PINNED: ContextVar[str | None] = ContextVar("liaison_pinned_locale", default=None)


def locale() -> str:
    """The current locale ("ja" outside an app context, or as `force_locale` set it)."""
    pinned = _PINNED.get()
    return pinned if pinned is not None else str(get_locale() or "ja")


@contextmanager
def pinned_locale():
    """Within the block, `locale()` is the current locale read once: building a feed asks it a few
    thousand times, and finding it costs Flask-Babel a few µs each. Do not switch locales inside."""
    token = _PINNED.set(locale())
    try:
        yield
    finally:
        _PINNED.reset(token)


def pin():
    """Pin the current locale (read once) until `unpin(token)`: the web layer pins it for each template's
    rendering, so a page's few hundred labels and messages are one dict lookup each."""
    return _PINNED.set(locale())


def unpin(token=None) -> None:
    """Undo `pin` (or, without a token, drop any pin: the end of a request or app context)."""
    if token is None:
        _PINNED.set(None)
    else:
        _PINNED.reset(token)


def translate(message: str) -> str:
    """gettext without placeholders, looked up once per locale and message."""
    key = (locale(), message)
    try:
        return _TRANSLATED[key]
    except KeyError:
        value = _TRANSLATED[key] = get_translations().ugettext(message)
        return value


def gettext(message: str, **variables) -> str:
    """Flask-Babel's gettext (%-placeholders filled when variables are given), through the memo."""
    # `translate` inlined: a feed calls this some 8,000 times.
    pinned = _PINNED.get()
    text = _TRANSLATED.get((pinned if pinned is not None else str(get_locale() or "ja"), message))
    if text is None:
        text = translate(message)
    return text % variables if variables else text
