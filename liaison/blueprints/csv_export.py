"""Every CSV export goes through here: UTF-8 with a BOM for Excel, and no cell that a spreadsheet runs.

OWASP's rule against CSV (formula) injection: a text cell starting with = + - @, a tab or a carriage
return is prefixed with a single quote, so Excel and LibreOffice show it as text instead of
evaluating `=HYPERLINK(...)` or `@SUM(...)`. Numbers stay numbers (a negative count is not a formula).
The domain gives the header and rows; this module writes them and makes the download response.
"""
from __future__ import annotations

import csv
import io
from typing import Iterable, Sequence
from urllib.parse import quote

from flask import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str | int | float:
    """The cell as written: numbers as they are, text with a leading ' when a spreadsheet would run it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence, rows: Iterable[Sequence]) -> str:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in header])
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return buffer.getvalue()


def csv_response(header: Sequence, rows: Iterable[Sequence], filename: str) -> Response:
    """A download named filename (ASCII fallback plus RFC 6266 filename* for anything else)."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "")
    return Response(
        csv_text(header, rows).encode("utf-8"), mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
        },
    )
