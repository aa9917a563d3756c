"""What puts rows in the outbox: listeners on the domain's events, run in the transaction of the change.

Meeting notices go to every seat holder of the meeting's committee and year. Reminders are kept in
step with the meeting: each event recomputes the wanted reminders, voids pending ones that no longer
fit (another time, sequence or deadline) and adds the missing ones; keys make that idempotent.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from flask import current_app

from .. import events
from ..dates import TOKYO, to_tokyo, utcnow
from ..models import Meeting, MeetingStatus, NotificationKind
from . import content, outbox

ANNOUNCED = (MeetingStatus.CONVENED, MeetingStatus.POSTPONED)
NOTICE_KINDS = (NotificationKind.CONVOCATION, NotificationKind.MEETING_CHANGED, NotificationKind.MEETING_CANCELLED)
REMINDER_KINDS = (NotificationKind.MEETING_REMINDER, NotificationKind.ATTENDANCE_DEADLINE)
MEETINGS = Meeting.__tablename__


def parse_days(raw: str | None) -> list[int]:
    """"7,1" → [7, 1]: whole days before, largest first, duplicates and non-positive values dropped."""
    days = {int(part) for part in (raw or "").replace("、", ",").split(",") if part.strip().isdigit()}
    return sorted((d for d in days if 0 < d <= 60), reverse=True)


def reminder_days(meeting: Meeting) -> list[int]:
    if not meeting.reminders_enabled:
        return []
    return parse_days(meeting.reminder_days if meeting.reminder_days is not None else meeting.committee.reminder_days)


def local_time_on(day: date, at: time) -> datetime:
    """`at` o'clock in Tokyo on `day`, as aware UTC."""
    return datetime.combine(day, at, tzinfo=TOKYO).astimezone(timezone.utc)


def _row(kind: NotificationKind, meeting: Meeting, recipient_id: int, key: str, subject: str, body: str,
         due_at: datetime, expires_at: datetime | None) -> dict:
    return {
        "recipient_id": recipient_id,
        "kind": kind,
        "object_type": MEETINGS,
        "object_id": meeting.id,
        "idempotency_key": key,
        "subject": subject[:300],
        "body": body,
        "link": content.meeting_path(meeting),
        "due_at": due_at,
        "expires_at": expires_at,
    }


def _key(kind: NotificationKind, meeting: Meeting, recipient_id: int, *parts) -> str:
    return ":".join(str(p) for p in (kind.value, MEETINGS, meeting.id, "user", recipient_id, "seq", meeting.sequence, *parts))


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
        deadline = meeting.answer_deadline
        if deadline is not None and deadline > now:
            due = local_time_on(to_tokyo(deadline).date() - timedelta(days=committee.answer_reminder_days),
                                committee.reminder_time)
            if now < due < deadline:
                subject, body = content.attendance_reminder(meeting)
                stamp = int(deadline.timestamp())
                wanted += [
                    _row(NotificationKind.ATTENDANCE_DEADLINE, meeting, seat.user_id,
                         _key(NotificationKind.ATTENDANCE_DEADLINE, meeting, seat.user_id, stamp),
                         subject, body, due, min(deadline, meeting.starts_at))
                    for seat in holders
                ]
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


@events.listen("meeting.convened")
def meeting_convened(meeting: Meeting, **data) -> None:
    """招集通知 to every seat holder, and the meeting's reminders."""
    now = utcnow()
    _notices(meeting, lambda user_id: NotificationKind.CONVOCATION, now)
    sync_reminders(meeting, now)


@events.listen("meeting.changed")
@events.listen("meeting.postponed")
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


@events.listen("meeting.cancelled")
def meeting_cancelled(meeting: Meeting, **data) -> None:
    """Void everything still pending; tell the seat holders who had been told of the meeting."""
    now = utcnow()
    outbox.void_pending(MEETINGS, meeting.id, NOTICE_KINDS[:2] + REMINDER_KINDS)
    told = outbox.recipients_told(MEETINGS, meeting.id, NOTICE_KINDS[:2])
    if told:
        _notices(meeting, lambda user_id: NotificationKind.MEETING_CANCELLED, now, only=told)
