"""One pagination helper for every list page (two queries: count and page)."""
from __future__ import annotations

from flask import current_app, request

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
