"""Japanese substring search with LIKE, shared by the proposals list, the minutes and the union-wide search.

Japanese has no spaces between words, so word-based full-text search (PostgreSQL's to_tsvector,
SQLite's FTS5 default tokenizer) would not find 「デジタル人材」 inside 「…におけるデジタル人材の育成…」.
LIKE/ILIKE with escaped wildcards finds any substring, works the same on SQLite and PostgreSQL,
and is fast enough for the few thousand proposals and minutes a union writes in a decade.
"""
from __future__ import annotations

import re

from sqlalchemy import or_

ESCAPE = "\\"
_SPACES = re.compile(r"[\s\u3000]+")  # ASCII and ideographic (全角) spaces


def like_pattern(text: str) -> str:
    """%text% with LIKE's wildcards (and the escape character) taken literally."""
    escaped = text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")
    return f"%{escaped}%"


def contains(columns, text: str):
    """Any of the columns contains text (case-insensitive for Latin letters)."""
    pattern = like_pattern(text)
    return or_(*(column.ilike(pattern, escape=ESCAPE) for column in columns))


def terms(q: str | None) -> list[str]:
    """The words of a query, split at ASCII and full-width spaces."""
    return [term for term in _SPACES.split(q or "") if term]


def snippet(text: str, q: str, width: int = 40) -> str:
    """The text around the first match of a term of q, for search results; the start when nothing matches."""
    text = _SPACES.sub(" ", text or "").strip()
    lowered = text.lower()
    for term in terms(q):
        index = lowered.find(term.lower())
        if index >= 0:
            start = max(0, index - width)
            end = index + len(term) + width
            return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
    return text[: width * 2] + ("…" if len(text) > width * 2 else "")
