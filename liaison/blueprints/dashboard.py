"""The dashboard (/): my committees and my role in each."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..dates import current_fiscal_year
from ..domain import access
from ..domain import votes as vote_rules
from ..domain import meetings as meeting_rules
from ..extensions import db
from ..models import Committee, Membership

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@login_required
def index():
    fiscal_year = current_fiscal_year()
    memberships = list(
        db.session.scalars(
            select(Membership)
            .options(joinedload(Membership.committee), joinedload(Membership.body))
            .where(
                Membership.user_id == current_user.id,
                Membership.fiscal_year == fiscal_year,
                Membership.ended_at.is_(None),
            )
        )
    )
    memberships.sort(key=lambda m: m.committee.position)
    committees = []
    if access.is_staff(current_user):
        committees = list(db.session.scalars(select(Committee).order_by(Committee.position)))
    next_meetings, owed_answers = meeting_rules.my_upcoming(current_user, memberships)
    return render_template(
        "dashboard/index.html", memberships=memberships, committees=committees, fiscal_year=fiscal_year,
        next_meetings=next_meetings, owed_answers=owed_answers,
        pending_votes=vote_rules.pending_written_votes(current_user),
    )
