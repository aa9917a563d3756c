"""What puts rows in the outbox: listeners on the domain's events, run in the transaction of the change.

Meeting notices go to every seat holder of the meeting's committee and year. Reminders are kept in
step with the meeting: each event recomputes the wanted reminders, voids pending ones that no longer
fit (another time, sequence or deadline) and adds the missing ones; keys make that idempotent.

Proposals, votes and minutes: a notice about a change (差戻し, 受理, 議事掲載, a vote's result, minutes
published) goes out at once and is dropped when the change itself is older than NOTICE_LIFETIME (a
record entered after the fact, e.g. the demo's history, is not news). Deadline reminders (書面表決,
議事録の確認) are planned when the vote or the review opens, skipped at send time when the seat has
voted or reviewed since (liaison.notify.preparing.void_reason), voided when the vote or review ends.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from flask import current_app
from sqlalchemy import select

from .. import events
from ..events import Event
from ..dates import TOKYO, current_fiscal_year, to_tokyo, utcnow
from ..extensions import db
from ..models import (
    AgendaItem, Ballot, Committee, Meeting, Membership, Minutes, MinutesReview, MinutesVersion, NotificationKind,
    Proposal, Role, User, Vote, VoteMethod, VoteSeat, VoteState,
)
from ..domain.meetings import ANNOUNCED
from ..domain.notifications import parse_days, parse_deadline_days
from . import content, outbox

NOTICE_KINDS = (NotificationKind.CONVOCATION, NotificationKind.MEETING_CHANGED, NotificationKind.MEETING_CANCELLED)
REMINDER_KINDS = (NotificationKind.MEETING_REMINDER, NotificationKind.ATTENDANCE_DEADLINE,
                  NotificationKind.PROPOSAL_DEADLINE)
MEETINGS = Meeting.__tablename__
PROPOSALS = Proposal.__tablename__
VOTES = Vote.__tablename__
MINUTES = Minutes.__tablename__

# A notice about a change recorded longer ago than this is not sent (nor is it after this long in the outbox).
NOTICE_LIFETIME = timedelta(days=7)
# Deadline reminders: at this time of day (Asia/Tokyo), so many days before the deadline's day.
DEADLINE_REMINDER_TIME = time(9, 0)
# Deadline reminders come Committee.proposal_reminder_days before a meeting's proposal deadline (at the
# committee's reminder time), Committee.vote_reminder_days before a written vote's deadline and
# Committee.review_reminder_days before a minutes review deadline (09:00 Tokyo).


def reminder_days(meeting: Meeting) -> list[int]:
    if not meeting.reminders_enabled:
        return []
    return parse_days(meeting.reminder_days if meeting.reminder_days is not None else meeting.committee.reminder_days)


def local_time_on(day: date, at: time) -> datetime:
    """`at` o'clock in Tokyo on `day`, as aware UTC."""
    return datetime.combine(day, at, tzinfo=TOKYO).astimezone(timezone.utc)


def _entry(kind: NotificationKind, object_type: str, object_id: int, recipient_id: int, key: str, subject: str,
           body: str, link: str, due_at: datetime, expires_at: datetime | None) -> dict:
    """One outbox row as a dict for outbox.add."""
    return {
        "recipient_id": recipient_id,
        "kind": kind,
        "object_type": object_type,
        "object_id": object_id,
        "idempotency_key": key,
        "subject": subject[:300],
        "body": body,
        "link": link,
        "due_at": due_at,
        "expires_at": expires_at,
    }


def _object_key(kind: NotificationKind, object_type: str, object_id: int, recipient_id: int, *parts) -> str:
    return ":".join(str(p) for p in (kind.value, object_type, object_id, "user", recipient_id, *parts))


def _row(kind: NotificationKind, meeting: Meeting, recipient_id: int, key: str, subject: str, body: str,
         due_at: datetime, expires_at: datetime | None) -> dict:
    return _entry(kind, MEETINGS, meeting.id, recipient_id, key, subject, body, content.meeting_path(meeting),
                  due_at, expires_at)


def _key(kind: NotificationKind, meeting: Meeting, recipient_id: int, *parts) -> str:
    return _object_key(kind, MEETINGS, meeting.id, recipient_id, "seq", meeting.sequence, *parts)


def _deadline_rows(meeting: Meeting, now: datetime, kind: NotificationKind, deadline: datetime | None, days: int,
                   make_content, seats) -> list[dict]:
    """A reminder to each seat `days` before one of the meeting's deadlines, at the committee's reminder time
    (none when that time has passed or the deadline has); keyed by the deadline, so moving it replans it."""
    if deadline is None or deadline <= now:
        return []
    due = local_time_on(to_tokyo(deadline).date() - timedelta(days=days), meeting.committee.reminder_time)
    if not now < due < deadline:
        return []
    subject, body = make_content(meeting)
    stamp = int(deadline.timestamp())
    return [
        _row(kind, meeting, seat.user_id, _key(kind, meeting, seat.user_id, stamp), subject, body, due,
             min(deadline, meeting.starts_at))
        for seat in seats
    ]


def sync_reminders(meeting: Meeting, now: datetime | None = None) -> None:
    """Make the pending reminders of a meeting match its current time, deadline and settings."""
    now = now or utcnow()
    wanted: list[dict] = []
    if meeting.status in ANNOUNCED and meeting.starts_at > now:
        committee = meeting.committee
        holders = outbox.seat_holders(meeting.committee_id, meeting.fiscal_year)
        start_day = to_tokyo(meeting.starts_at).date()
        for days in reminder_days(meeting):
            due = local_time_on(start_day - timedelta(days=days), committee.reminder_time)
            if now < due < meeting.starts_at:
                subject, body = content.meeting_reminder(meeting, days)
                wanted += [
                    _row(NotificationKind.MEETING_REMINDER, meeting, seat.user_id,
                         _key(NotificationKind.MEETING_REMINDER, meeting, seat.user_id, f"{days}d"),
                         subject, body, due, meeting.starts_at)
                    for seat in holders
                ]
        wanted += _deadline_rows(meeting, now, NotificationKind.ATTENDANCE_DEADLINE, meeting.answer_deadline,
                                 committee.answer_reminder_days, content.attendance_reminder, holders)
        wanted += _deadline_rows(meeting, now, NotificationKind.PROPOSAL_DEADLINE, meeting.proposal_deadline,
                                 committee.proposal_reminder_days, content.proposal_deadline_reminder,
                                 [seat for seat in holders if seat.has_vote])  # only voting seats submit proposals
    outbox.void_pending(MEETINGS, meeting.id, REMINDER_KINDS, keep_keys=[row["idempotency_key"] for row in wanted])
    outbox.add(wanted)


def _notices(meeting: Meeting, kind_for, now: datetime, only: set[int] | None = None) -> None:
    """One notice per seat holder (or those in `only`); kind_for(user_id) picks its kind, the count numbers its key."""
    holders = outbox.seat_holders(meeting.committee_id, meeting.fiscal_year)
    if only is not None:
        holders = [seat for seat in holders if seat.user_id in only]
    numbers = outbox.counts_by_recipient(MEETINGS, meeting.id, NOTICE_KINDS)
    texts: dict[NotificationKind, tuple[str, str]] = {}
    delay = timedelta(minutes=current_app.config["NOTIFY_CHANGE_DELAY_MINUTES"])
    rows = []
    for seat in holders:
        kind = kind_for(seat.user_id)
        if kind not in texts:
            texts[kind] = content.meeting_notice(kind, meeting)
        subject, body = texts[kind]
        # A change notice waits a few minutes, so a burst of edits sends one mail with the final state.
        due = now + delay if kind is NotificationKind.MEETING_CHANGED else now
        key = _key(kind, meeting, seat.user_id, numbers.get(seat.user_id, 0))
        rows.append(_row(kind, meeting, seat.user_id, key, subject, body, due, meeting.ends_at))
    outbox.add(rows)


def meeting_convened(meeting: Meeting, **data) -> None:
    """招集通知 to every seat holder, and the meeting's reminders."""
    now = utcnow()
    _notices(meeting, lambda user_id: NotificationKind.CONVOCATION, now)
    sync_reminders(meeting, now)


def meeting_deadlines_changed(meeting: Meeting, **data) -> None:
    """Only the answer or proposal deadline moved: no notice, the reminders that depend on it follow."""
    sync_reminders(meeting)


def meeting_reminders_changed(meeting: Meeting, **data) -> None:
    """The meeting's or its committee's reminder settings changed: the pending reminders follow."""
    sync_reminders(meeting)


def meeting_changed(meeting: Meeting, **data) -> None:
    """A change notice (or a fresh convocation for who has not had it yet); reminders follow the new time."""
    now = utcnow()
    if meeting.convened_at is not None and meeting.status in ANNOUNCED:
        superseded = outbox.void_pending(
            MEETINGS, meeting.id, (NotificationKind.CONVOCATION, NotificationKind.MEETING_CHANGED)
        )

        def kind_for(user_id: int) -> NotificationKind:
            if NotificationKind.CONVOCATION in superseded.get(user_id, ()):
                return NotificationKind.CONVOCATION
            return NotificationKind.MEETING_CHANGED

        _notices(meeting, kind_for, now)
    sync_reminders(meeting, now)


def meeting_cancelled(meeting: Meeting, **data) -> None:
    """Void everything still pending; tell the seat holders who had been told of the meeting."""
    now = utcnow()
    outbox.void_pending(MEETINGS, meeting.id, NOTICE_KINDS[:2] + REMINDER_KINDS)
    told = outbox.recipients_told(MEETINGS, meeting.id, NOTICE_KINDS[:2])
    if told:
        _notices(meeting, lambda user_id: NotificationKind.MEETING_CANCELLED, now, only=told)


# --- proposals: 差戻し, 受理, 議事掲載 to the submitting seat ------------------------------------------

def _still_news(happened_at: datetime | None, now: datetime) -> datetime | None:
    """When a notice about a change at `happened_at` stops being worth sending (None: it already has)."""
    expires = (happened_at or now) + NOTICE_LIFETIME
    return expires if expires > now else None


def _active(user_ids) -> list[int]:
    """The given users whose accounts are active, in id order."""
    ids = {user_id for user_id in user_ids if user_id is not None}
    if not ids:
        return []
    return list(db.session.scalars(select(User.id).where(User.id.in_(ids), User.active.is_(True)).order_by(User.id)))


def submitting_seat_holders(proposal: Proposal) -> list[int]:
    """The user who submitted the proposal and whoever now holds that seat (same body and department)."""
    holders = db.session.scalars(
        select(Membership.user_id).where(
            Membership.committee_id == proposal.committee_id,
            Membership.fiscal_year == current_fiscal_year(),
            Membership.body_id == proposal.body_id,
            Membership.department == proposal.department,
            Membership.role != Role.OBSERVER,
            Membership.ended_at.is_(None),
        )
    )
    return _active([proposal.submitted_by_id, *holders])


def _proposal_notice(kind: NotificationKind, proposal: Proposal, happened_at: datetime | None, **details) -> None:
    now = utcnow()
    expires = _still_news(happened_at, now)
    if expires is None:
        return
    subject, body = content.proposal_notice(kind, proposal, **details)
    numbers = outbox.counts_by_recipient(PROPOSALS, proposal.id, (kind,))
    outbox.add([
        _entry(kind, PROPOSALS, proposal.id, user_id,
               _object_key(kind, PROPOSALS, proposal.id, user_id, numbers.get(user_id, 0)),
               subject, body, content.proposal_path(proposal), now, expires)
        for user_id in submitting_seat_holders(proposal)
    ])


def proposal_returned(proposal: Proposal, reason: str = "", **data) -> None:
    _proposal_notice(NotificationKind.PROPOSAL_RETURNED, proposal, proposal.updated_at, reason=reason)


def proposal_accepted(proposal: Proposal, **data) -> None:
    _proposal_notice(NotificationKind.PROPOSAL_ACCEPTED, proposal, proposal.accepted_at)


def proposal_scheduled(proposal: Proposal, agenda_item: AgendaItem | None = None, **data) -> None:
    _proposal_notice(NotificationKind.PROPOSAL_SCHEDULED, proposal, proposal.updated_at, item=agenda_item)


# --- votes: 書面表決 reminders to seats that have not voted, the result to the committee ------------------

def _unvoted_holders(vote: Vote) -> list[int]:
    """Users holding an entitled seat of the vote (still seated, active) that has cast no ballot."""
    return list(
        db.session.scalars(
            select(Membership.user_id)
            .join(VoteSeat, VoteSeat.membership_id == Membership.id)
            .join(User, User.id == Membership.user_id)
            .outerjoin(Ballot, (Ballot.vote_id == VoteSeat.vote_id) & (Ballot.membership_id == VoteSeat.membership_id))
            .where(VoteSeat.vote_id == vote.id, Membership.ended_at.is_(None), User.active.is_(True),
                   Ballot.id.is_(None))
            .order_by(VoteSeat.position)
        )
    )


def vote_reminder_times(vote: Vote, now: datetime) -> dict[datetime, int]:
    """{due time: days before} of a written vote's reminders: 09:00 Tokyo on the committee's days before the
    closing day (by default 2 days before and on the day).

    A reminder whose time comes before the vote opens is due when it opens; two due at once become one.
    """
    if vote.method is not VoteMethod.WRITTEN or vote.closes_at is None or vote.closes_at <= now:
        return {}
    start = max(vote.opens_at or now, now)
    closing_day = to_tokyo(vote.closes_at).date()
    times: dict[datetime, int] = {}
    committee = vote.committee or (db.session.get(Committee, vote.committee_id) if vote.committee_id else None)
    setting = committee.vote_reminder_days if committee is not None else Committee.vote_reminder_days.default.arg
    for days in parse_deadline_days(setting):  # largest first: the later reminder wins a shared time
        due = max(local_time_on(closing_day - timedelta(days=days), DEADLINE_REMINDER_TIME), start)
        if due < vote.closes_at:
            times[due] = days
    return times


def vote_opened(vote: Vote, **data) -> None:
    """A written vote's deadline reminders for every entitled seat that has not voted."""
    if vote.state is not VoteState.OPEN:
        return
    times = vote_reminder_times(vote, utcnow())
    if not times:
        return
    holders = _unvoted_holders(vote)
    stamp = int(vote.closes_at.timestamp())
    rows = []
    for due, days in times.items():
        subject, body = content.vote_deadline_reminder(vote, due)
        rows += [
            _entry(NotificationKind.VOTE_DEADLINE, VOTES, vote.id, user_id,
                   _object_key(NotificationKind.VOTE_DEADLINE, VOTES, vote.id, user_id, stamp, f"{days}d"),
                   subject, body, content.vote_path(vote), due, vote.closes_at)
            for user_id in holders
        ]
    outbox.add(rows)


def vote_cancelled(vote: Vote, **data) -> None:
    outbox.void_pending(VOTES, vote.id, (NotificationKind.VOTE_DEADLINE,))


def vote_closed(vote: Vote, **data) -> None:
    """Reminders end; the committee's seat holders get the result (a closed vote never changes: one each)."""
    outbox.void_pending(VOTES, vote.id, (NotificationKind.VOTE_DEADLINE,))
    now = utcnow()
    expires = _still_news(vote.closed_at, now)
    if expires is None:
        return
    meeting = vote.agenda_item.meeting
    subject, body = content.vote_result(vote)
    kind = NotificationKind.VOTE_RESULT
    outbox.add([
        _entry(kind, VOTES, vote.id, seat.user_id, _object_key(kind, VOTES, vote.id, seat.user_id),
               subject, body, content.vote_path(vote), now, expires)
        for seat in outbox.seat_holders(vote.committee_id, meeting.fiscal_year)
    ])


# --- minutes: 確認依頼 and its reminder to the reviewers, 公開 to the committee --------------------------

REVIEW_KINDS = (NotificationKind.MINUTES_REVIEW, NotificationKind.MINUTES_REVIEW_DEADLINE)


def _latest_version_id(minutes: Minutes) -> int | None:
    return db.session.scalar(select(MinutesVersion.id).where(MinutesVersion.minutes_id == minutes.id)
                             .order_by(MinutesVersion.number.desc()).limit(1))


def reviewers_to_ask(minutes: Minutes) -> list[int]:
    """Holders of the meeting's voting seats (its fiscal year) who have not reviewed the version under review."""
    meeting = minutes.meeting
    reviewed = set(db.session.scalars(
        select(MinutesReview.membership_id).where(MinutesReview.version_id == _latest_version_id(minutes))
    ))
    return [seat.user_id for seat in outbox.seat_holders(meeting.committee_id, meeting.fiscal_year)
            if seat.has_vote and seat.id not in reviewed]


def minutes_review_opened(minutes: Minutes, **data) -> None:
    """確認依頼 to the reviewers now, and a reminder the day before the deadline (09:00 Tokyo)."""
    now = utcnow()
    deadline = minutes.review_deadline
    outbox.void_pending(MINUTES, minutes.id, REVIEW_KINDS)  # an earlier round's, if the review was reopened
    if deadline is None or deadline <= now:
        return
    reviewers = reviewers_to_ask(minutes)
    link = content.minutes_path(minutes)
    numbers = outbox.counts_by_recipient(MINUTES, minutes.id, (NotificationKind.MINUTES_REVIEW,))
    subject, body = content.minutes_review_opened(minutes)
    kind = NotificationKind.MINUTES_REVIEW
    rows = [
        _entry(kind, MINUTES, minutes.id, user_id, _object_key(kind, MINUTES, minutes.id, user_id,
                                                               numbers.get(user_id, 0)),
               subject, body, link, now, deadline)
        for user_id in reviewers
    ]
    due = local_time_on(to_tokyo(deadline).date() - timedelta(days=minutes.meeting.committee.review_reminder_days),
                        DEADLINE_REMINDER_TIME)
    if now < due < deadline:
        subject, body = content.minutes_review_reminder(minutes, due)
        kind = NotificationKind.MINUTES_REVIEW_DEADLINE
        version = _latest_version_id(minutes)
        rows += [
            _entry(kind, MINUTES, minutes.id, user_id,
                   _object_key(kind, MINUTES, minutes.id, user_id, "version", version, int(deadline.timestamp())),
                   subject, body, link, due, deadline)
            for user_id in reviewers
        ]
    outbox.add(rows)


def minutes_approved(minutes: Minutes, **data) -> None:
    """The review is over: what is still pending of it is not sent."""
    outbox.void_pending(MINUTES, minutes.id, REVIEW_KINDS)


def minutes_published(minutes: Minutes, **data) -> None:
    """公開 to the seat holders of the meeting's year and of the current year (after April, the new ones)."""
    outbox.void_pending(MINUTES, minutes.id, REVIEW_KINDS)
    now = utcnow()
    expires = _still_news(minutes.published_at, now)
    if expires is None:
        return
    meeting = minutes.meeting
    years = {meeting.fiscal_year, current_fiscal_year()}
    recipients = sorted({seat.user_id for year in years for seat in outbox.seat_holders(meeting.committee_id, year)})
    numbers = outbox.counts_by_recipient(MINUTES, minutes.id, (NotificationKind.MINUTES_PUBLISHED,))
    subject, body = content.minutes_published(minutes)
    kind = NotificationKind.MINUTES_PUBLISHED
    outbox.add([
        _entry(kind, MINUTES, minutes.id, user_id, _object_key(kind, MINUTES, minutes.id, user_id,
                                                               numbers.get(user_id, 0)),
               subject, body, content.minutes_path(minutes), now, expires)
        for user_id in recipients
    ])


# --- the wiring -------------------------------------------------------------------------------------

def account_link_issued(token, *, recipient, kind, subject: str, body: str, due_at: datetime) -> None:
    """The mail carrying an account link (invitation, password reset, e-mail confirmation): its own mail at once.

    The row holds no link: the sender puts it in when it builds the mail (liaison.domain.accounts.mail_body)."""
    outbox.add([{
        "recipient_id": recipient.id, "kind": kind, "object_type": token.__tablename__, "object_id": token.id,
        "idempotency_key": f"{kind.value}:{token.__tablename__}:{token.id}", "subject": subject[:300], "body": body,
        "link": "", "due_at": due_at, "expires_at": token.expires_at,
    }])


LISTENERS = {
    Event.MEETING_CONVENED: meeting_convened,
    Event.MEETING_DEADLINES_CHANGED: meeting_deadlines_changed,
    Event.MEETING_CHANGED: meeting_changed,
    Event.MEETING_REMINDERS_CHANGED: meeting_reminders_changed,
    Event.MEETING_POSTPONED: meeting_changed,
    Event.MEETING_CANCELLED: meeting_cancelled,
    Event.PROPOSAL_RETURNED: proposal_returned,
    Event.PROPOSAL_ACCEPTED: proposal_accepted,
    Event.PROPOSAL_SCHEDULED: proposal_scheduled,
    Event.VOTE_OPENED: vote_opened,
    Event.VOTE_CANCELLED: vote_cancelled,
    Event.VOTE_CLOSED: vote_closed,
    Event.MINUTES_REVIEW_OPENED: minutes_review_opened,
    Event.MINUTES_APPROVED: minutes_approved,
    Event.MINUTES_PUBLISHED: minutes_published,
    Event.ACCOUNT_LINK_ISSUED: account_link_issued,
}


def register() -> None:
    """Listen to the domain's events (called once by liaison.notify.init_app; registering again is a no-op)."""
    for event, listener in LISTENERS.items():
        events.listen(event)(listener)
