"""The dashboard (/): my committees and my role in each."""
from __future__ import annotations

from flask import Blueprint, render_template, session
from flask_login import current_user, login_required

from ..dates import current_fiscal_year
from ..domain import access
from ..domain import meetings as meeting_rules
from ..domain import proposal_queries
from ..domain import tasks as task_rules
from ..domain import tenure
from ..domain import votes as vote_rules

bp = Blueprint("dashboard", __name__)
TASK_COUNT = "task_count"


@bp.get("/")
@login_required
def index():
    fiscal_year = current_fiscal_year()
    memberships = access.active_memberships(current_user, fiscal_year)  # the navigation's seats, loaded once
    memberships.sort(key=lambda m: m.committee.position)
    committees = []
    if access.is_staff(current_user):
        committees = list(access.all_committees())
    next_meetings, owed_answers = meeting_rules.my_upcoming(current_user, memberships)
    pending_votes = vote_rules.pending_written_votes(current_user)
    proposals_to_review = proposal_queries.awaiting_review(current_user)
    tasks = task_rules.my_tasks(current_user, memberships=memberships, owed_answers=owed_answers,
                                pending_votes=pending_votes, proposals_to_review=proposals_to_review)
    # The header's やること badge shows the count of the last dashboard visit (no task queries on other pages).
    session[TASK_COUNT] = len(tasks)
    return render_template(
        "dashboard/index.html", memberships=memberships, committees=committees, fiscal_year=fiscal_year,
        next_meetings=next_meetings, owed_answers=owed_answers, pending_votes=pending_votes,
        my_proposals=proposal_queries.my_seat_proposals(memberships), proposals_to_review=proposals_to_review,
        tasks=tasks, future_tenures=tenure.future_tenures(current_user), ended_seats=tenure.ended_seats(current_user),
    )
