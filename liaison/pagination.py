"""One pagination helper for every list page (two queries: count and page), on the public `db.paginate`.

`db.paginate` gives a page of the select's first column; a list of several kinds (the search page's
UNION) selects one key column and loads the page's objects afterwards (domain/search.py).
"""
from __future__ import annotations

from flask import current_app, request

from .extensions import db


def _requested_page() -> int:
    """?page= as a page number: below 1 is the first page (liaison.input_guard refuses beyond 2^31)."""
    return max(request.args.get("page", 1, type=int), 1)


def paginate(query, per_page: int | None = None):
    """Paginate a select() by ?page=; a page past the end shows the last page, never an error."""
    per_page = per_page or current_app.config["PER_PAGE"]
    pagination = db.paginate(query, page=_requested_page(), per_page=per_page, error_out=False)
    if pagination.page > 1 and pagination.page > pagination.pages:
        pagination = db.paginate(query, page=max(pagination.pages, 1), per_page=per_page, error_out=False)
    return pagination
