"""What puts rows in the outbox: listeners on the domain's events, run in the transaction of the change.

Meeting notices go to every seat holder of the meeting's committee and year. Reminders are kept in
step with the meeting: each event recomputes the wanted reminders, voids pending ones that no longer
fit (another time, sequence or deadline) and adds the missing ones; keys make that idempotent.

Proposals, votes and minutes: decision_notices.py; what every row is made of: notice_rows.py. The
listeners are registered by register() (liaison.notify.init_app), never by an import.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from .. import events
from ..events import Event
from ..dates import to_tokyo, utcnow
from ..models import Meeting, NotificationKind
from ..domain.meetings import ANNOUNCED
from ..domain.notifications import parse_days
from . import content, outbox
from . import decision_notices as decisions
from .notice_rows import MEETINGS, entry, local_time_on, object_key

NOTICE_KINDS = (NotificationKind.CONVOCATION, NotificationKind.MEETING_CHANGED, NotificationKind.MEETING_CANCELLED)
REMINDER_KINDS = (NotificationKind.MEETING_REMINDER, NotificationKind.ATTENDANCE_DEADLINE,
                  NotificationKind.PROPOSAL_DEADLINE)

# Deadline reminders come Committee.proposal_reminder_days before a meeting's proposal deadline (at the
# committee's reminder time), Committee.vote_reminder_days before a written vote's deadline and
# Committee.review_reminder_days before a minutes review deadline (09:00 Tokyo).


def reminder_days(meeting: Meeting) -> list[int]:
    if not meeting.reminders_enabled:
        return []
    return parse_days(meeting.reminder_days if meeting.reminder_days is not None else meeting.committee.reminder_days)


def _row(kind: NotificationKind, meeting: Meeting, recipient_id: int, key: str, subject: str, body: str,
         due_at: datetime, expires_at: datetime | None) -> dict:
    return entry(kind, MEETINGS, meeting.id, recipient_id, key, subject, body, content.meeting_path(meeting),
                  due_at, expires_at)


def _key(kind: NotificationKind, meeting: Meeting, recipient_id: int, *parts) -> str:
    return object_key(kind, MEETINGS, meeting.id, recipient_id, "seq", meeting.sequence, *parts)


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
    Event.PROPOSAL_RETURNED: decisions.proposal_returned,
    Event.PROPOSAL_ACCEPTED: decisions.proposal_accepted,
    Event.PROPOSAL_SCHEDULED: decisions.proposal_scheduled,
    Event.VOTE_OPENED: decisions.vote_opened,
    Event.VOTE_CANCELLED: decisions.vote_cancelled,
    Event.VOTE_CLOSED: decisions.vote_closed,
    Event.MINUTES_REVIEW_OPENED: decisions.minutes_review_opened,
    Event.MINUTES_APPROVED: decisions.minutes_approved,
    Event.MINUTES_PUBLISHED: decisions.minutes_published,
    Event.ACCOUNT_LINK_ISSUED: account_link_issued,
}


def register() -> None:
    """Listen to the domain's events (called once by liaison.notify.init_app; registering again is a no-op)."""
    for event, listener in LISTENERS.items():
        events.listen(event)(listener)
