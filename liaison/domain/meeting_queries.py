"""Meetings: lists and loads — upcoming meetings, the committee's list, the agenda as a notice lists it, 資料."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from sqlalchemy import case, or_, select
from sqlalchemy.orm import joinedload

from ..dates import utcnow
from ..extensions import db
from ..models import (
    AgendaItem, AgendaKind, AgendaOutcome, Attachment, Attendance, Body, Committee, Meeting, MeetingStatus, Membership,
    Minutes, Proposal,
)
from .meeting_permissions import ANNOUNCED, answer_deadline_of, can_manage

def meeting_attachments(meeting: Meeting) -> list[Attachment]:
    return list(
        db.session.scalars(
            select(Attachment).where(Attachment.meeting_id == meeting.id).order_by(Attachment.agenda_item_id.is_not(None), Attachment.id)
        )
    )


# ------------------------------------------------------------------------------------ lists and dashboard

def upcoming_query(committee_ids, *, include_drafts: bool, now: datetime | None = None):
    """Meetings not yet over, soonest first (a sitting still open is not over, even past its planned end);
    committee_ids None means every committee."""
    statuses = list(ANNOUNCED) + ([MeetingStatus.DRAFT] if include_drafts else [])
    query = (
        select(Meeting)
        .options(joinedload(Meeting.committee))
        .where(or_(Meeting.status == MeetingStatus.IN_SESSION,
                   Meeting.status.in_(statuses) & (Meeting.ends_at >= (now or utcnow()))))
        .order_by(Meeting.starts_at, Meeting.id)
    )
    if committee_ids is not None:
        query = query.where(Meeting.committee_id.in_(committee_ids))
    return query


def upcoming_in(committee: Committee, user, limit: int = 5) -> list[Meeting]:
    """The committee's next meetings (drafts too, for the secretariat)."""
    return list(db.session.scalars(upcoming_query([committee.id], include_drafts=can_manage(user)).limit(limit)))


def my_upcoming(user, memberships: list[Membership], limit: int = 10) -> tuple[list[Meeting], list[tuple[Meeting, Membership]]]:
    """My next meetings, and those whose attendance I still owe (two queries)."""
    staff = can_manage(user)
    committee_ids = None if staff else sorted({m.committee_id for m in memberships})
    meetings = list(db.session.scalars(upcoming_query(committee_ids, include_drafts=staff).limit(limit)))
    seat_by_key = {(m.committee_id, m.fiscal_year): m for m in memberships if m.has_vote}
    candidates = [
        (meeting, seat_by_key[(meeting.committee_id, meeting.fiscal_year)])
        for meeting in meetings
        if (meeting.committee_id, meeting.fiscal_year) in seat_by_key and utcnow() <= answer_deadline_of(meeting)
    ]
    if not candidates:
        return meetings, []
    answered = set(
        db.session.execute(
            select(Attendance.meeting_id, Attendance.membership_id).where(
                Attendance.meeting_id.in_([meeting.id for meeting, _seat in candidates]),
                Attendance.membership_id.in_([seat.id for _meeting, seat in candidates]),
                Attendance.answered_at.is_not(None),
            )
        ).all()
    )
    return meetings, [(meeting, seat) for meeting, seat in candidates if (meeting.id, seat.id) not in answered]


# ---------------------------------------------------------------------------------- convocation notice

def agenda_of(meeting: Meeting) -> list[AgendaItem]:
    """The agenda in order, presenters, proposals and 前回議事録 links loaded (one query)."""
    return list(
        db.session.scalars(
            select(AgendaItem).options(
                joinedload(AgendaItem.presenter_body), joinedload(AgendaItem.confirmed_minutes),
                joinedload(AgendaItem.proposal),
            )
            .where(AgendaItem.meeting_id == meeting.id).order_by(AgendaItem.position)
        )
    )


@dataclass(frozen=True, slots=True)
class Ref:
    """What the meeting page reads of an item's presenter (`name`), proposal (`id`, `number`) or 前回議事録
    (`meeting_id`)."""
    id: int | None = None
    name: str = ""
    number: str | None = None
    meeting_id: int | None = None


@dataclass(frozen=True, slots=True)
class AgendaRow:
    """An agenda item as the meeting page shows it, read as columns (issue 22), not the AgendaItem with its
    presenter body, proposal and 前回議事録 loaded whole."""
    id: int
    position: int
    kind: AgendaKind
    title: str
    notes: str
    outcome: AgendaOutcome | None
    minutes_allotted: int | None
    presenter_body: Ref | None
    proposal: Ref | None
    confirmed_minutes: Ref | None


def agenda_rows(meeting: Meeting) -> list[AgendaRow]:
    """agenda_of() for the meeting page: the agenda in order with what it shows of the presenters, proposals and
    前回議事録 links (one query)."""
    rows = db.session.execute(
        select(AgendaItem.id, AgendaItem.position, AgendaItem.kind, AgendaItem.title, AgendaItem.notes,
               AgendaItem.outcome, AgendaItem.minutes_allotted, Body.id, Body.name, Proposal.id, Proposal.number,
               Minutes.id, Minutes.meeting_id)
        .outerjoin(Body, Body.id == AgendaItem.presenter_body_id)
        .outerjoin(Proposal, Proposal.id == AgendaItem.proposal_id)
        .outerjoin(Minutes, Minutes.id == AgendaItem.minutes_id)
        .where(AgendaItem.meeting_id == meeting.id).order_by(AgendaItem.position)
    ).all()
    return [AgendaRow(*row[:7], None if row[7] is None else Ref(id=row[7], name=row[8]),
                      None if row[9] is None else Ref(id=row[9], number=row[10]),
                      None if row[11] is None else Ref(id=row[11], meeting_id=row[12])) for row in rows]


def agenda_by_kind(agenda: list[AgendaItem]) -> list[tuple[AgendaKind, list[AgendaItem]]]:
    """The agenda as a notice lists it, strictly in the meeting's own item order (issue 20 item 2): consecutive
    items of one kind under one heading (報告事項 ア, イ …); when the kinds alternate, a kind's heading comes again
    rather than an item moving out of its place."""
    ordered = sorted(agenda, key=lambda item: item.position)
    return [(kind, list(items)) for kind, items in groupby(ordered, key=lambda item: item.kind)]


def meetings_for_list(committee: Committee, user):
    """Upcoming first (soonest first), then past ones newest first; drafts only for staff."""
    now = utcnow()
    query = select(Meeting).where(Meeting.committee_id == committee.id)
    if not can_manage(user):
        query = query.where(Meeting.status != MeetingStatus.DRAFT)
    upcoming = Meeting.ends_at >= now
    return query.order_by(
        case((upcoming, 0), else_=1),
        case((upcoming, Meeting.starts_at), else_=None),
        Meeting.fiscal_year.desc(),
        Meeting.starts_at.desc(),
        Meeting.id,
    )
