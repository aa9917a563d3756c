"""やること: what a person still has to do, per role, soonest deadline first, in a fixed number of queries.

Each kind asks the area's own rule (votes.pending_written_votes, minutes.can_review, minutes.can_approve,
votes.casting_seat_among, proposals.awaiting_review…) rather than restating it; the queries here only
gather the candidates, one per kind, whatever the size of the data.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import exists, func, select, tuple_
from sqlalchemy.orm import contains_eager, joinedload

from ..dates import current_fiscal_year, utcnow
from ..extensions import db
from ..models import (
    AuditEvent, Meeting, MeetingStatus, Membership, Minutes, MinutesReview, MinutesStatus, MinutesVersion, Notification,
    NotificationState, Proposal, ProposalStatus, Role, Vote, VoteSeat, VoteState,
)
from . import access, memo
from . import meetings as meeting_rules
from . import minutes as minutes_rules
from . import proposal_queries
from . import votes as vote_rules

# A draft meeting this close to its date should be convened (招集) now.
CONVENE_WITHIN = timedelta(days=30)
LIMIT = 50  # per kind: a dashboard list, not an archive


class TaskKind(enum.Enum):
    ATTENDANCE = "attendance"  # 出欠の回答
    WRITTEN_VOTE = "written_vote"  # 書面表決
    MINUTES_REVIEW = "minutes_review"  # 議事録の確認
    IN_SESSION = "in_session"  # 開会中の会議
    PROPOSAL_RETURNED = "proposal_returned"  # 差し戻された提案の修正
    CASTING_VOTE = "casting_vote"  # 可否同数の裁決
    MINUTES_APPROVAL = "minutes_approval"  # 議事録の承認
    PROPOSAL_REVIEW = "proposal_review"  # 提案の受理・差戻し
    CONVENE = "convene"  # 招集
    MINUTES_DRAFT = "minutes_draft"  # 議事録の作成
    MINUTES_OPEN_REVIEW = "minutes_open_review"  # 議事録の確認依頼
    MINUTES_PUBLISH = "minutes_publish"  # 議事録の公開
    FAILED_NOTIFICATIONS = "failed_notifications"  # 送信できなかった通知
    EMPTY_SEATS = "empty_seats"  # 委員が未登録の議席


def kind_label(kind: TaskKind) -> str:
    return {
        TaskKind.ATTENDANCE: _("出欠の回答"),
        TaskKind.WRITTEN_VOTE: _("書面表決への回答"),
        TaskKind.MINUTES_REVIEW: _("議事録の確認"),
        TaskKind.IN_SESSION: _("開会中の会議"),
        TaskKind.PROPOSAL_RETURNED: _("差し戻された提案の修正"),
        TaskKind.CASTING_VOTE: _("可否同数の裁決"),
        TaskKind.MINUTES_APPROVAL: _("議事録の承認"),
        TaskKind.PROPOSAL_REVIEW: _("提案の受理・差戻し"),
        TaskKind.CONVENE: _("会議の招集"),
        TaskKind.MINUTES_DRAFT: _("議事録の作成"),
        TaskKind.MINUTES_OPEN_REVIEW: _("議事録の確認依頼"),
        TaskKind.MINUTES_PUBLISH: _("議事録の公開"),
        TaskKind.FAILED_NOTIFICATIONS: _("送信できなかった通知"),
        TaskKind.EMPTY_SEATS: _("委員が未登録の議席"),
    }[kind]


@dataclass(frozen=True)
class Task:
    kind: TaskKind
    title: str
    url: str
    deadline: datetime | None = None

    @property
    def label(self) -> str:
        return kind_label(self.kind)

    @property
    def overdue(self) -> bool:
        return self.deadline is not None and self.deadline < utcnow()


def _sorted(tasks: list[Task]) -> list[Task]:
    """Soonest deadline first; tasks without a deadline after them, in the order found."""
    dated = sorted((t for t in tasks if t.deadline is not None), key=lambda t: t.deadline)
    return dated + [t for t in tasks if t.deadline is None]


def meeting_url(meeting: Meeting, suffix: str = "") -> str:
    return f"/{meeting.committee.slug}/meetings/{meeting.id}{suffix}"


# --- member --------------------------------------------------------------------------------------

def _minutes_to_review(user) -> list[Minutes]:
    """Minutes in review whose latest version the user's seat (of the meeting's year) has not marked."""
    seats = [s for s in access.all_seats(user) if s.has_vote]
    if not seats:
        return []
    latest = (select(MinutesVersion.minutes_id, func.max(MinutesVersion.id).label("version_id"))
              .group_by(MinutesVersion.minutes_id).subquery())
    reviewed = exists().where(MinutesReview.version_id == latest.c.version_id,
                              MinutesReview.membership_id.in_([s.id for s in seats]))
    rows = db.session.scalars(
        select(Minutes).join(Minutes.meeting).join(latest, latest.c.minutes_id == Minutes.id)
        .options(contains_eager(Minutes.meeting).joinedload(Meeting.committee))
        .where(Minutes.status == MinutesStatus.IN_REVIEW,
               tuple_(Meeting.committee_id, Meeting.fiscal_year).in_([(s.committee_id, s.fiscal_year) for s in seats]),
               ~reviewed)
        .order_by(Minutes.review_deadline).limit(LIMIT)
    )
    return [minutes for minutes in rows if minutes_rules.can_review(user, minutes)]


def _returned_proposals(memberships: list[Membership]) -> list[Proposal]:
    keys = [(m.committee_id, m.body_id, m.department) for m in memberships if m.has_vote]
    if not keys:
        return []
    return list(db.session.scalars(
        select(Proposal).options(joinedload(Proposal.committee))
        .where(Proposal.status == ProposalStatus.RETURNED,
               tuple_(Proposal.committee_id, Proposal.body_id, Proposal.department).in_(keys))
        .order_by(Proposal.updated_at).limit(LIMIT)
    ))


def _in_session(memberships: list[Membership], next_meetings) -> list[Meeting]:
    """The meetings of the user's seats whose sitting is open now (from the meetings the dashboard loaded)."""
    seated = {(m.committee_id, m.fiscal_year) for m in memberships}
    return [meeting for meeting in next_meetings
            if meeting.status is MeetingStatus.IN_SESSION and (meeting.committee_id, meeting.fiscal_year) in seated]


def member_tasks(user, memberships, owed_answers, pending_votes, next_meetings=()) -> list[Task]:
    # A sitting open now: the member's live page (the current item, its 資料, the vote buttons), due by the meeting's end.
    tasks = [
        Task(TaskKind.IN_SESSION, meeting_rules.meeting_name(meeting), meeting_url(meeting, "/live"), meeting.ends_at)
        for meeting in _in_session(memberships, next_meetings)
    ]
    tasks += [
        Task(TaskKind.ATTENDANCE, meeting_rules.meeting_name(meeting), meeting_url(meeting),
             meeting_rules.answer_deadline_of(meeting))
        for meeting, _seat in owed_answers
    ]
    tasks += [
        Task(TaskKind.WRITTEN_VOTE, f"{vote.committee.name} {vote.agenda_item.title}",
             f"/{vote.committee.slug}/votes/{vote.id}", vote.closes_at)
        for vote, _seat in pending_votes
    ]
    tasks += [
        Task(TaskKind.MINUTES_REVIEW, meeting_rules.meeting_name(minutes.meeting), meeting_url(minutes.meeting, "/minutes"),
             minutes.review_deadline)
        for minutes in _minutes_to_review(user)
    ]
    tasks += [
        Task(TaskKind.PROPOSAL_RETURNED, f"{proposal.committee.name} {proposal.title}",
             f"/{proposal.committee.slug}/proposals/{proposal.id}/edit")
        for proposal in _returned_proposals(memberships)
    ]
    return tasks


# --- chair ---------------------------------------------------------------------------------------

def chair_tasks(user) -> list[Task]:
    chaired = {s.committee_id for s in access.all_seats(user) if s.role in (Role.CHAIR, Role.VICE_CHAIR)}
    if not chaired:
        return []
    tasks = []
    seats = db.session.scalars(
        select(VoteSeat).join(VoteSeat.membership).join(Vote, Vote.id == VoteSeat.vote_id)
        .options(contains_eager(VoteSeat.membership),
                 joinedload(VoteSeat.vote).joinedload(Vote.agenda_item), joinedload(VoteSeat.vote).joinedload(Vote.committee))
        .where(Vote.state == VoteState.TIED, Vote.committee_id.in_(chaired),
               Membership.role.in_([Role.CHAIR, Role.VICE_CHAIR]))
        .order_by(Vote.closed_at, Vote.id)
    ).all()
    by_vote: dict[int, list[VoteSeat]] = {}
    for seat in seats:
        by_vote.setdefault(seat.vote_id, []).append(seat)
    for chair_seats in by_vote.values():
        vote = chair_seats[0].vote
        if not vote.chair_votes and vote_rules.casting_seat_among(user, vote, chair_seats) is not None:
            tasks.append(Task(TaskKind.CASTING_VOTE, f"{vote.committee.name} {vote.agenda_item.title}",
                              f"/{vote.committee.slug}/votes/{vote.id}", vote.closed_at))
    in_review = db.session.scalars(
        select(Minutes).join(Minutes.meeting)
        .options(contains_eager(Minutes.meeting).joinedload(Meeting.committee))
        .where(Minutes.status == MinutesStatus.IN_REVIEW, Meeting.committee_id.in_(chaired))
        .order_by(Minutes.review_deadline).limit(LIMIT)
    )
    tasks += [
        Task(TaskKind.MINUTES_APPROVAL, meeting_rules.meeting_name(minutes.meeting),
             meeting_url(minutes.meeting, "/minutes"), minutes.review_deadline)
        for minutes in in_review if minutes_rules.can_approve(user, minutes)
    ]
    return tasks


# --- secretariat ---------------------------------------------------------------------------------

def secretariat_tasks(user, proposals_to_review, now: datetime) -> list[Task]:
    if not access.is_staff(user):
        return []
    tasks = [
        Task(TaskKind.PROPOSAL_REVIEW, f"{proposal.committee.name} {proposal.title}",
             f"/{proposal.committee.slug}/proposals/{proposal.id}")
        for proposal in proposals_to_review
    ]
    drafts = db.session.scalars(
        select(Meeting).options(joinedload(Meeting.committee))
        .where(Meeting.status == MeetingStatus.DRAFT, Meeting.starts_at >= now, Meeting.starts_at <= now + CONVENE_WITHIN)
        .order_by(Meeting.starts_at).limit(LIMIT)
    )
    tasks += [Task(TaskKind.CONVENE, meeting_rules.meeting_name(m), meeting_url(m), m.starts_at) for m in drafts]
    held = db.session.execute(
        select(Meeting, Minutes.status).join(Minutes, Minutes.meeting_id == Meeting.id, isouter=True)
        .options(joinedload(Meeting.committee))
        .where(Meeting.status == MeetingStatus.HELD, Meeting.fiscal_year >= current_fiscal_year() - 1,
               (Minutes.id.is_(None)) | Minutes.status.in_([MinutesStatus.DRAFT, MinutesStatus.APPROVED]))
        .order_by(Meeting.starts_at).limit(LIMIT)
    ).all()
    for meeting, status in held:
        if status is None:
            tasks.append(Task(TaskKind.MINUTES_DRAFT, meeting_rules.meeting_name(meeting), meeting_url(meeting, "/minutes")))
        elif status is MinutesStatus.DRAFT:
            tasks.append(Task(TaskKind.MINUTES_OPEN_REVIEW, meeting_rules.meeting_name(meeting),
                              meeting_url(meeting, "/minutes")))
        else:
            tasks.append(Task(TaskKind.MINUTES_PUBLISH, meeting_rules.meeting_name(meeting),
                              meeting_url(meeting, "/minutes")))
    if user.is_admin:  # the outbox and the rosters are administrators' pages
        failed = db.session.scalar(select(func.count()).select_from(Notification)
                                   .where(Notification.state == NotificationState.FAILED))
        if failed:
            tasks.append(Task(TaskKind.FAILED_NOTIFICATIONS, _("%(n)d件", n=failed), "/admin/notifications/?state=failed"))
        for committee, count in empty_seats(current_fiscal_year()):
            tasks.append(Task(TaskKind.EMPTY_SEATS, _("%(committee)s: %(n)d議席", committee=committee.name, n=count),
                              f"/admin/memberships?committee={committee.slug}"))
    return tasks


def empty_seats(fiscal_year: int) -> list[tuple]:
    """Per committee, the seats (body and department) held last year with no holder this year (one query)."""
    this_year = Membership.__table__.alias("this_year")
    held_now = exists().where(
        this_year.c.committee_id == Membership.committee_id, this_year.c.body_id == Membership.body_id,
        this_year.c.department == Membership.department, this_year.c.fiscal_year == fiscal_year,
        this_year.c.ended_at.is_(None),
    )
    rows = db.session.execute(
        select(Membership.committee_id, Membership.body_id, Membership.department).distinct()
        .where(Membership.fiscal_year == fiscal_year - 1, Membership.role != Role.OBSERVER, ~held_now)
    ).all()
    counts: dict[int, int] = {}
    for committee_id, _body_id, _department in rows:
        counts[committee_id] = counts.get(committee_id, 0) + 1
    return [(committee, counts[committee.id]) for committee in access.all_committees() if counts.get(committee.id)]


def my_tasks(user, *, memberships, owed_answers, pending_votes, proposals_to_review, next_meetings=(),
             now: datetime | None = None) -> list[Task]:
    """Everything the user has to do, soonest deadline first (what the dashboard already loaded is passed in)."""
    if not getattr(user, "is_authenticated", False):
        return []
    now = now or utcnow()
    tasks = member_tasks(user, memberships, owed_answers, pending_votes, next_meetings)
    tasks += chair_tasks(user)
    tasks += secretariat_tasks(user, proposals_to_review, now)
    return _sorted(tasks)


# --- the header badge -----------------------------------------------------------------------------

# The audit trail's last position (`seq`, given in commit order) when the user was loaded: every change the
# domain makes writes an audit row, so a badge counted at this mark is still right while the mark is the same.
_mark = memo.keep("task_mark", (AuditEvent,))


def change_mark():
    """A column for the user's query: the audit trail's last position (0 when empty); an index lookup."""
    return select(func.coalesce(func.max(AuditEvent.seq), 0)).scalar_subquery()


def current_mark() -> int:
    """The mark now (one query), where the user was not loaded with it (logging in)."""
    return db.session.scalar(select(change_mark()))


def keep_mark(user_id: int, mark: int) -> None:
    _mark.put(user_id, mark)


def known_mark(user) -> int | None:
    """The mark loaded with the user for this request, or None (not loaded: a POST, or outside a request)."""
    return _mark.known().get(user.id)


def count(user) -> int:
    """How many tasks the user has (the header badge): the dashboard's own loads and rules, a fixed number of
    queries (memberships, meetings, attendance, written votes, minutes, proposals; the secretariat's kinds)."""
    memberships = access.active_memberships(user, current_fiscal_year())
    next_meetings, owed_answers = meeting_rules.my_upcoming(user, memberships)
    return len(my_tasks(user, memberships=memberships, owed_answers=owed_answers, next_meetings=next_meetings,
                        pending_votes=vote_rules.pending_written_votes(user),
                        proposals_to_review=proposal_queries.awaiting_review(user)))
