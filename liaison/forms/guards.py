"""Rules every form field follows, attached by field type in liaison.forms.FlaskForm (not field by field).

- Single-line text (titles, names, places, e-mail): bidi overrides stripped; line breaks, tabs and
  other control characters refused with a message (a CR/LF in a title would break the notice mail).
- Multi-line text: control characters other than tab and line breaks refused (they break the Word
  and PDF exports and the mail).
- Dates and date-times: 1900–2200, as a 400 with a message rather than an overflow further down.
- Integers: within a 32-bit integer, the database's column.
"""
from __future__ import annotations

import unicodedata
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from wtforms.validators import StopValidation, ValidationError

YEAR_MIN, YEAR_MAX = 1900, 2200
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
# Bidirectional embeddings, overrides and isolates, and the invisible direction marks.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"))


def strip_bidi(value):
    """Filter: remove bidi overrides (U+202E makes 'fdp.exe' read as 'exe.pdf'), as file names already are."""
    return value.translate(BIDI_CONTROLS) if isinstance(value, str) else value


def _control_characters(value: str, allowed: str = "") -> bool:
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in value)


class SingleLine:
    """One line of text: no CR, LF, tab or other control character."""

    def __init__(self, message=None):
        self.message = message or _l("改行や制御文字は入力できません。1行で入力してください。")

    def __call__(self, form, field):
        if isinstance(field.data, str) and _control_characters(field.data):
            raise StopValidation(self.message)


class PlainText:
    """Several lines of text: line breaks and tabs, but no other control character."""

    def __init__(self, message=None):
        self.message = message or _l("入力に使えない制御文字が含まれています。")

    def __call__(self, form, field):
        if isinstance(field.data, str) and _control_characters(field.data, "\t\r\n"):
            raise StopValidation(self.message)


class SaneDate:
    """A date or date-time between 1900 and 2200."""

    def __call__(self, form, field):
        value = field.data
        if isinstance(value, (date, datetime)) and not YEAR_MIN <= value.year <= YEAR_MAX:
            raise StopValidation(_l("%(min)d年から%(max)d年までの日付を入力してください。", min=YEAR_MIN, max=YEAR_MAX))


class IntegerBounds:
    """An integer the database can store."""

    def __call__(self, form, field):
        if isinstance(field.data, int) and not INT_MIN <= field.data <= INT_MAX:
            raise ValidationError(_l("数値が大きすぎます。"))


def sane_year(value: int | None) -> bool:
    return value is not None and YEAR_MIN <= value <= YEAR_MAX


def sane_day(value: date | None) -> bool:
    return value is not None and YEAR_MIN <= value.year <= YEAR_MAX
