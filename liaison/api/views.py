"""/api/v1: the blueprint, the reference page, me and the committees; the other resources are in
meeting_views.py, vote_views.py, proposal_views.py, minutes_views.py and task_views.py (registered on `blp` in this
order by liaison.api.init_api). Each view loads, asks the domain whether the token's user may see or do it
(404 when the object does not exist, 403 when it may not be seen), calls the same domain function as the
page, and returns a dict that the schema dumps. Writes run under `audit.via("api")` (core.authenticate)."""
from __future__ import annotations

from flask import Blueprint as PlainBlueprint
from flask import abort, current_app, render_template
from flask_smorest import Blueprint

from ..dates import current_fiscal_year
from ..domain import access
from ..domain import memberships as membership_rules
from . import core
from . import schemas as s
from .common import _committee, _committee_or_404, _seat

blp = Blueprint("api", __name__, url_prefix="/api/v1", description="liaison JSON API v1")
blp.before_request(core.authenticate)
blp.after_request(core.with_etag)
blp.teardown_request(core.leave)
core.register_problem_handlers(blp)

# The reference page and the answer for unknown /api/v1 paths (not part of the description).
pages = PlainBlueprint("api_pages", __name__, url_prefix="/api/v1")
core.register_problem_handlers(pages)


@pages.get("/")
def reference():
    """The API reference: every operation of the OpenAPI description, rendered on the server (no CDN)."""
    spec = current_app.extensions["liaison.api"].spec.to_dict()
    operations = [
        (path, method.upper(), operation)
        for path, item in spec["paths"].items() for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    return render_template("api/reference.html", spec=spec, operations=operations)


@pages.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(rest):
    abort(404)


# ------------------------------------------------------------------------------------- me, committees

@blp.get("/me")
@blp.response(200, s.MeSchema)
def me():
    """The token's user, the token, and the user's seats (every fiscal year not ended)."""
    user, token = core.user(), core.g.api_token
    seats = sorted(access.all_seats(user), key=lambda m: (-m.fiscal_year, m.committee.position))
    return {
        "id": user.id, "name": user.name, "email": user.email, "staff": access.is_staff(user),
        "token": {"id": token.id, "name": token.name, "scope": token.scope.value,
                  "expires_at": core.when(token.expires_at).isoformat()},
        "seats": [_seat(seat) for seat in seats],  # seat.user: the token's user, from the identity map
    }


@blp.get("/committees")
@blp.arguments(s.YearArgs, location="query")
@blp.response(200, s.CommitteeListSchema)
def committees(args):
    """The committees the user sees (all for the secretariat, else the seats of the fiscal year)."""
    year = args.get("fiscal_year") or current_fiscal_year()
    user = core.user()
    if access.is_staff(user):
        shown = list(access.all_committees())
    else:
        shown = sorted((seat.committee for seat in access.active_memberships(user, year)), key=lambda c: (c.position, c.id))
    return {"fiscal_year": core.fiscal_year(year), "items": [_committee(c) for c in shown]}


@blp.get("/committees/<int:committee_id>/seats")
@blp.arguments(s.YearArgs, location="query")
@blp.response(200, s.SeatListSchema)
def seats(args, committee_id):
    """The committee's seats (委員) for a fiscal year, by role then body."""
    committee = _committee_or_404(committee_id)
    year = args.get("fiscal_year") or current_fiscal_year()
    return {"committee": _committee(committee), "fiscal_year": core.fiscal_year(year),
            "items": [_seat(seat) for seat in membership_rules.seats(committee, year)]}
