"""Reports for every logged-in user: /reports/plan, the 第6次広域計画 report per fiscal year (and as CSV)."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from ..dates import current_fiscal_year
from ..domain import reports as rules
from .csv_export import csv_response

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.before_request
@login_required
def _logged_in():
    """Every logged-in user: the report counts the proposals that user may open (proposal_permissions.can_view)."""


def _fiscal_year() -> int:
    year = request.args.get("fy", type=int) or rules.default_year(current_fiscal_year())
    if year not in rules.PLAN_YEARS:
        abort(404)
    return year


@bp.get("/plan")
def plan():
    report = rules.plan_report(_fiscal_year(), current_user)
    return render_template(
        "reports/plan.html", report=report, years=rules.PLAN_YEARS, 
        decision_meeting=rules.decision_meeting, meeting_label=rules.meeting_label,
    )


@bp.get("/plan.csv")
def plan_csv():
    year = _fiscal_year()
    return csv_response(*rules.plan_report_table(rules.plan_report(year, current_user)), f"plan-report-{year}.csv")
