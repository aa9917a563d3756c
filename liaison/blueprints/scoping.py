"""Committee-scoped blueprints: /<committee>/… loads the Committee, checks access, fills url_for."""
from __future__ import annotations

from flask import Blueprint, current_app, g, request
from flask_login import current_user, login_required
from werkzeug.exceptions import Forbidden, NotFound

from ..domain import access


def committee_blueprint(name: str, import_name: str, url_prefix: str = "") -> Blueprint:
    """A blueprint whose routes live under /<committee slug>{url_prefix}.

    Views find the committee in g.committee; members of other committees get 403, except on views
    marked @union_wide, which any logged-in user reaches and which check access themselves.
    """
    bp = Blueprint(name, import_name, url_prefix=f"/<slug:committee>{url_prefix}")

    @bp.url_value_preprocessor
    def _take_slug(endpoint, values):
        g.committee_slug = values.pop("committee", None) if values else None

    @bp.url_defaults
    def _fill_committee(endpoint, values):
        if "committee" not in values and "committee" in g:
            values["committee"] = g.committee.slug

    @bp.before_request
    def _load_committee():
        # Loaded here, after the app's before_request hooks: a page served from the page cache
        # (liaison/pages/cache.py) answers before this and needs no committee.
        slug = g.pop("committee_slug", None)
        committee = access.committee_by_slug(slug) if slug else None
        if committee is None:
            raise NotFound()
        g.committee = committee
        return _check_access()

    @login_required
    def _check_access():
        if getattr(current_app.view_functions.get(request.endpoint), "union_wide", False):
            return
        if not access.can_view_committee(current_user, g.committee):
            raise Forbidden()

    return bp


def union_wide(view):
    """Let every logged-in user of the union reach a committee-scoped view (e.g. published minutes).

    The view must decide access itself (through the domain); login is still required.
    """
    view.union_wide = True
    return view
