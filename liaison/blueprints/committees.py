"""A committee's home (/<slug>/): its purpose and its members for a fiscal year."""
from __future__ import annotations

from flask import g, render_template, request
from flask_login import current_user

from ..dates import current_fiscal_year
from ..domain import meetings as meeting_rules
from ..domain.memberships import seats
from .scoping import committee_blueprint

bp = committee_blueprint("committees", __name__)


@bp.get("/")
def show():
    committee = g.committee
    fiscal_year = request.args.get("fy", type=int) or current_fiscal_year()
    if not 2000 <= fiscal_year <= 2100:
        fiscal_year = current_fiscal_year()
    members = seats(committee, fiscal_year)
    return render_template(
        "committees/show.html",
        committee=committee,
        fiscal_year=fiscal_year,
        members=members,
        years=range(current_fiscal_year() + 1, 2023, -1),
        upcoming_meetings=meeting_rules.upcoming_in(committee, current_user),
    )
