"""Reports for every logged-in user: /reports/plan, the 第6次広域計画 report per fiscal year (and as CSV)."""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_login import login_required

from ..dates import current_fiscal_year
from ..domain import reports as rules

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.before_request
@login_required
def _logged_in():
    """Every logged-in user: the report counts proposals, it shows no private drafts."""


def _fiscal_year() -> int:
    year = request.args.get("fy", type=int) or rules.default_year(current_fiscal_year())
    if year not in rules.PLAN_YEARS:
        abort(404)
    return year


@bp.get("/plan")
def plan():
    report = rules.plan_report(_fiscal_year())
    return render_template(
        "reports/plan.html", report=report, years=rules.PLAN_YEARS, 
        decision_meeting=rules.decision_meeting, meeting_label=rules.meeting_label,
    )


@bp.get("/plan.csv")
def plan_csv():
    year = _fiscal_year()
    body = rules.plan_report_csv(rules.plan_report(year))
    return Response(
        body.encode("utf-8"), mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f"attachment; filename=\"plan-report-{year}.csv\"",
        },
    )
