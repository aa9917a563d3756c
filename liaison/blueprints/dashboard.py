"""The dashboard (/): my committees and my role in each; the header's やること badge on every page."""
from __future__ import annotations

import time

from flask import Blueprint, render_template, session
from flask_login import current_user, login_required, user_logged_in
from werkzeug.local import LocalProxy

from ..dates import current_fiscal_year
from ..domain import access
from ..domain import meetings as meeting_rules
from ..domain import proposal_queries
from ..domain import tasks as task_rules
from ..domain import tenure
from ..domain import votes as vote_rules

bp = Blueprint("dashboard", __name__)
# The badge kept in the session: [the audit mark it was counted at, when (epoch seconds), the count].
TASK_BADGE = "task_badge"
# Tasks that appear or go with the clock alone (a deadline passing, a draft meeting coming within 30 days, a
# failed mail) write no audit row: the badge is counted again at least this often.
BADGE_SECONDS = 300


def task_count() -> int:
    """The やること count for the header, live: counted again when anything changed since it was counted (the
    audit mark loaded in the user's own query: no query while nothing changed), else kept in the session."""
    if not getattr(current_user, "is_authenticated", False):
        return 0
    mark, kept, now = task_rules.known_mark(current_user), session.get(TASK_BADGE), time.time()
    if kept and (mark is None or kept[0] == mark) and now - kept[1] < BADGE_SECONDS:
        return kept[2]
    count = task_rules.count(current_user)
    session[TASK_BADGE] = [mark, now, count]
    return count


@user_logged_in.connect
def _count_at_login(_app, user, **_extra) -> None:
    """Counted when the session starts (the login's POST), so the first page after logging in costs nothing.
    A session renewed with the badge in it (a password change: `login_user(current_user)`) keeps its count."""
    if TASK_BADGE in session or type(user) is LocalProxy:  # type(): isinstance would resolve the proxy
        return
    session[TASK_BADGE] = [task_rules.current_mark(), time.time(), task_rules.count(user)]


@bp.app_context_processor
def _task_badge():
    return {"task_count": task_count}


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
    tasks = task_rules.my_tasks(current_user, memberships=memberships, owed_answers=owed_answers, next_meetings=next_meetings,
                                pending_votes=pending_votes, proposals_to_review=proposals_to_review)
    session[TASK_BADGE] = [task_rules.known_mark(current_user), time.time(), len(tasks)]  # the header's badge
    return render_template(
        "dashboard/index.html", memberships=memberships, committees=committees, fiscal_year=fiscal_year,
        next_meetings=next_meetings, owed_answers=owed_answers, pending_votes=pending_votes,
        my_proposals=proposal_queries.my_seat_proposals(memberships), proposals_to_review=proposals_to_review,
        tasks=tasks, future_tenures=tenure.future_tenures(current_user), ended_seats=tenure.ended_seats(current_user),
    )
