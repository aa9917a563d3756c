"""Reading proposals (提案): lists and their filters, the page's load, the history, the dashboard's
lists, the revisions' diff. `readable_condition` is `proposal_permissions.can_view` as SQL."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, exists, false, func, or_, select, true, tuple_
from sqlalchemy.orm import aliased, joinedload, selectinload

from .. import textsearch
from ..dates import current_fiscal_year
from ..extensions import db
from ..models import (
    AgendaItem, AuditEvent, Committee, Meeting, Membership, Proposal, ProposalComment, ProposalRevision, ProposalStatus, Role,
)
from ..textdiff import FieldDiff, line_diff
from . import access
from . import meetings as meeting_rules
from .proposal_permissions import SCHEDULABLE_MEETINGS, can_review, submitting_seat


def search_condition(q: str):
    """Substring search over title, summary and body (see liaison.textsearch: Japanese has no word boundaries)."""
    return textsearch.contains((Proposal.search_key,), q)


@dataclass
class ListFilters:
    status: ProposalStatus | None = None
    body_id: int | None = None
    plan_policy_id: int | None = None
    fiscal_year: int | None = None
    q: str = ""


def visible_condition(user, committee: Committee):
    """What the user may list in the committee: everything submitted, plus the drafts of their own seat."""
    seat = submitting_seat(user, committee)
    own = and_(Proposal.body_id == seat.body_id, Proposal.department == seat.department) if seat else false()
    return or_(Proposal.submitted_at.is_not(None), own)


def readable_condition(user):
    """`can_view` as a condition on Proposal, for lists across every committee (no query of its own).

    A submitted proposal is read by the secretariat and by the members of its committee this fiscal
    year; one never submitted only by the current holder of the voting seat that drafted it.
    """
    if not getattr(user, "is_authenticated", False):
        return false()
    seat = aliased(Membership)
    current = (seat.user_id == user.id, seat.fiscal_year == current_fiscal_year(), seat.ended_at.is_(None))
    member = exists().where(*current, seat.committee_id == Proposal.committee_id)
    own_seat = exists().where(
        *current, seat.committee_id == Proposal.committee_id, seat.role != Role.OBSERVER,
        seat.body_id == Proposal.body_id, seat.department == Proposal.department,
    )
    submitted = Proposal.submitted_at.is_not(None)
    return or_(and_(submitted, true() if access.is_staff(user) else member), and_(~submitted, own_seat))


def list_query(committee: Committee, user, filters: ListFilters):
    query = (
        select(Proposal)
        .options(joinedload(Proposal.submitting_body), joinedload(Proposal.plan_policy))
        .where(Proposal.committee_id == committee.id, visible_condition(user, committee))
        .order_by(Proposal.updated_at.desc(), Proposal.id.desc())
    )
    if filters.status is not None:
        query = query.where(Proposal.status == filters.status)
    if filters.body_id:
        query = query.where(Proposal.body_id == filters.body_id)
    if filters.plan_policy_id:
        query = query.where(Proposal.plan_policy_id == filters.plan_policy_id)
    if filters.fiscal_year:
        query = query.where(Proposal.fiscal_year == filters.fiscal_year)
    if filters.q.strip():
        query = query.where(search_condition(filters.q.strip()))
    return query


def load_for_page(proposal_id: int) -> Proposal | None:
    """A proposal with everything its page shows, in a fixed number of queries (four).

    The attachments (a few) come joined to the proposal's row; the longer collections by SELECT … IN.
    """
    return db.session.scalar(
        select(Proposal)
        .options(
            joinedload(Proposal.committee), joinedload(Proposal.submitting_body), joinedload(Proposal.plan_policy),
            joinedload(Proposal.submitted_by), joinedload(Proposal.desired_meeting).joinedload(Meeting.committee),
            selectinload(Proposal.revisions).options(
                joinedload(ProposalRevision.author), joinedload(ProposalRevision.plan_policy)
            ),
            selectinload(Proposal.comments).joinedload(ProposalComment.author),
            selectinload(Proposal.agenda_items).joinedload(AgendaItem.meeting).joinedload(Meeting.committee),
            joinedload(Proposal.attachments),
        )
        .where(Proposal.id == proposal_id)
    )


def history(proposal: Proposal) -> list[AuditEvent]:
    """Every step of the proposal (audit rows), oldest first."""
    return list(
        db.session.scalars(
            select(AuditEvent).options(joinedload(AuditEvent.actor))
            .where(AuditEvent.object_type == Proposal.__tablename__, AuditEvent.object_id == proposal.id)
            .order_by(AuditEvent.at, AuditEvent.id)
        )
    )


def my_seat_proposals(seats: list[Membership], limit: int = 10) -> list[Proposal]:
    """The proposals of these seats (the user's, this year, every committee), most recently changed first."""
    keys = [(m.committee_id, m.body_id, m.department) for m in seats if m.has_vote]
    if not keys:
        return []
    return list(
        db.session.scalars(
            select(Proposal)
            .options(joinedload(Proposal.committee))
            .where(tuple_(Proposal.committee_id, Proposal.body_id, Proposal.department).in_(keys))
            .order_by(Proposal.updated_at.desc(), Proposal.id.desc())
            .limit(limit)
        )
    )


def awaiting_review(user, limit: int = 20) -> list[Proposal]:
    """For the secretariat: submitted proposals, oldest first."""
    if not can_review(user):
        return []
    return list(
        db.session.scalars(
            select(Proposal)
            .options(joinedload(Proposal.committee), joinedload(Proposal.submitting_body))
            .where(Proposal.status == ProposalStatus.SUBMITTED)
            .order_by(Proposal.submitted_at, Proposal.id)
            .limit(limit)
        )
    )


def schedulable_meetings(committee: Committee, user) -> list[Meeting]:
    """Draft and convened meetings of the committee that the user may open (meetings.can_view), soonest first.

    A member is never offered a draft meeting that would answer 403; the secretariat sees them all.
    """
    meetings = db.session.scalars(
        select(Meeting).options(joinedload(Meeting.committee))
        .where(Meeting.committee_id == committee.id, Meeting.status.in_(SCHEDULABLE_MEETINGS))
        .order_by(Meeting.starts_at)
    )
    return [meeting for meeting in meetings if meeting_rules.can_view(user, meeting)]


def proposal_years() -> list[int]:
    """The fiscal years offered in filters: from the first proposal's year (or this year) to next year."""
    first = db.session.scalar(select(func.min(Proposal.fiscal_year))) or current_fiscal_year()
    return list(range(current_fiscal_year() + 1, min(first, current_fiscal_year()) - 1, -1))



def diff_revisions(old: ProposalRevision, new: ProposalRevision) -> list[FieldDiff]:
    """A readable diff of title, summary and body: lines, and characters within a changed line.

    Returns plain text pieces; the template escapes them, so a diff never injects markup.
    """
    def policy(revision: ProposalRevision) -> str:
        return f"{revision.plan_policy.code} {revision.plan_policy.title}" if revision.plan_policy else ""

    diffs = [FieldDiff("plan_policy", _("施策"), line_diff(policy(old), policy(new)))]
    return diffs + [
        FieldDiff(name, label, line_diff(getattr(old, name) or "", getattr(new, name) or ""))
        for name, label in (("title", _("件名")), ("summary", _("概要")), ("body", _("本文")))
    ]
