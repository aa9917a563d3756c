"""Japanese substring search with LIKE, shared by the proposals list, the minutes and the union-wide search.

Japanese has no spaces between words, so word-based full-text search (PostgreSQL's to_tsvector,
SQLite's FTS5 default tokenizer) would not find 「デジタル人材」 inside 「…におけるデジタル人材の育成…」.
LIKE/ILIKE with escaped wildcards finds any substring, works the same on SQLite and PostgreSQL,
and is fast enough for the few thousand proposals and minutes a union writes in a decade.

What people type and what was written differ in width and case: 「ＤＸ」 and 「DX」, 「ｶﾅ」 and 「カナ」,
「Ｗｅｂ」 and 「web」. `normalise` (NFKC, then case folding) is the one rule for both sides: every
searchable row keeps its text normalised in a `search_key` column (set by `keep_search_key` whenever the
row is written), and every query term is normalised the same way before `contains` compares them with a
plain LIKE. On PostgreSQL the `search_key` columns carry a pg_trgm GIN index, which serves `LIKE '%…%'`.
"""
from __future__ import annotations

import re
import unicodedata

from sqlalchemy import event, or_

ESCAPE = "\\"
_SPACES = re.compile(r"[\s\u3000]+")  # ASCII and ideographic (全角) spaces


def normalise(text: str | None) -> str:
    """NFKC (全角英数字 → 半角, 半角カナ → 全角カナ, ㈱ → (株)) and case folding: the text search compares these."""
    return unicodedata.normalize("NFKC", text or "").casefold()


def key_default(*columns: str):
    """A column default making search_key from the row's other values: it fills bulk INSERTs too."""

    def default(context) -> str:
        values = context.get_current_parameters()
        return normalise("\n".join(values.get(column) or "" for column in columns))

    return default


def keep_search_key(model, *columns: str) -> None:
    """Keep model.search_key the normalised text of the columns (joined by newlines) on every ORM insert and update.

    Bulk INSERTs (the scale data, tests) skip mapper events: the column's `key_default` fills theirs.
    """

    def refresh(_mapper, _connection, target) -> None:
        key = normalise("\n".join(getattr(target, column) or "" for column in columns))
        if target.search_key != key:  # an unchanged row (an approval stamp) stays unchanged
            target.search_key = key

    event.listen(model, "before_insert", refresh)
    event.listen(model, "before_update", refresh)


def like_pattern(text: str) -> str:
    """%text% with LIKE's wildcards (and the escape character) taken literally."""
    escaped = text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")
    return f"%{escaped}%"


def contains(columns, text: str):
    """Any of the columns (already normalised: `search_key`) contains the normalised text."""
    pattern = like_pattern(normalise(text))
    return or_(*(column.like(pattern, escape=ESCAPE) for column in columns))


def terms(q: str | None) -> list[str]:
    """The words of a query, split at ASCII and full-width spaces."""
    return [term for term in _SPACES.split(q or "") if term]


def snippet(text: str, q: str, width: int = 40) -> str:
    """The text around the first match of a term of q, for search results; the start when nothing matches."""
    text = _SPACES.sub(" ", text or "").strip()
    # The normalised text character by character, with where each normalised character came from.
    folded, origin = [], []
    for position, character in enumerate(text):
        for piece in normalise(character):
            folded.append(piece)
            origin.append(position)
    folded = "".join(folded)
    for term in terms(q):
        term = normalise(term)
        index = folded.find(term) if term else -1
        if index >= 0:
            first, last = origin[index], origin[index + len(term) - 1]
            start = max(0, first - width)
            end = last + 1 + width
            return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
    return text[: width * 2] + ("…" if len(text) > width * 2 else "")
