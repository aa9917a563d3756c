"""One pagination helper for every list page (two queries: count and page)."""
from __future__ import annotations

from flask import current_app, request
from flask_sqlalchemy.pagination import SelectPagination

from .extensions import db


def paginate(query, per_page: int | None = None):
    """Paginate a select() by ?page=; out-of-range pages give an empty page, never an error."""
    page = request.args.get("page", 1, type=int)
    return db.paginate(
        query,
        page=max(page, 1),
        per_page=per_page or current_app.config["PER_PAGE"],
        error_out=False,
    )


class _RowPagination(SelectPagination):
    """Pages whose items are whole rows rather than the first column's objects."""

    def _query_items(self) -> list:
        query = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return list(self._query_args["session"].execute(query))


def paginate_rows(query, per_page: int | None = None):
    """Like paginate, for a select() of several columns (e.g. a UNION of different kinds of results)."""
    page = request.args.get("page", 1, type=int)
    return _RowPagination(
        select=query, session=db.session(), page=max(page, 1),
        per_page=per_page or current_app.config["PER_PAGE"], error_out=False,
    )
