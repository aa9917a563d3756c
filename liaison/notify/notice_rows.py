"""What every notice row is made of: its dict for outbox.add, its idempotency key, when a notice about a
change stops being news, and the deadline reminders' time of day."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from ..dates import TOKYO
from ..extensions import db
from ..models import Meeting, Minutes, NotificationKind, Proposal, User, Vote

MEETINGS = Meeting.__tablename__
PROPOSALS = Proposal.__tablename__
VOTES = Vote.__tablename__
MINUTES = Minutes.__tablename__

# A notice about a change recorded longer ago than this is not sent (nor is it after this long in the outbox).
NOTICE_LIFETIME = timedelta(days=7)
# Deadline reminders: at this time of day (Asia/Tokyo), so many days before the deadline's day.
DEADLINE_REMINDER_TIME = time(9, 0)


def local_time_on(day: date, at: time) -> datetime:
    """`at` o'clock in Tokyo on `day`, as aware UTC."""
    return datetime.combine(day, at, tzinfo=TOKYO).astimezone(timezone.utc)


def entry(kind: NotificationKind, object_type: str, object_id: int, recipient_id: int, key: str, subject: str,
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


def object_key(kind: NotificationKind, object_type: str, object_id: int, recipient_id: int, *parts) -> str:
    return ":".join(str(p) for p in (kind.value, object_type, object_id, "user", recipient_id, *parts))


def still_news(happened_at: datetime | None, now: datetime) -> datetime | None:
    """When a notice about a change at `happened_at` stops being worth sending (None: it already has)."""
    expires = (happened_at or now) + NOTICE_LIFETIME
    return expires if expires > now else None


def active(user_ids) -> list[int]:
    """The given users whose accounts are active, in id order."""
    ids = {user_id for user_id in user_ids if user_id is not None}
    if not ids:
        return []
    return list(db.session.scalars(select(User.id).where(User.id.in_(ids), User.active.is_(True)).order_by(User.id)))
