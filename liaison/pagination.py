"""One pagination helper for every list page (two queries: count and page)."""
from __future__ import annotations

from flask import current_app, request
from flask_sqlalchemy.pagination import SelectPagination

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


class _RowPagination(SelectPagination):
    """Pages whose items are whole rows rather than the first column's objects."""

    def _query_items(self) -> list:
        query = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(query))


def paginate_rows(query, per_page: int | None = None):
    """Like paginate, for a select() of several columns (e.g. a UNION of different kinds of results)."""
    per_page = per_page or current_app.config["PER_PAGE"]
    pagination = _RowPagination(select=query, session=db.session(), page=_requested_page(), per_page=per_page,
                                error_out=False)
    if pagination.page > 1 and pagination.page > pagination.pages:
        pagination = _RowPagination(select=query, session=db.session(), page=max(pagination.pages, 1),
                                    per_page=per_page, error_out=False)
    return pagination
