"""A claimed row decided and built: voided (why it should not go out any more), kept in-app, put in the
day's digest, or built as a mail (Outgoing) — a chunk at a time, with each meeting and its .ics once."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..dates import TOKYO, to_tokyo
from ..extensions import db
from ..domain import meetings as meeting_rules
from ..domain import minutes as minutes_rules
from ..domain import votes as vote_rules
from ..models import AccountToken
from ..models import (
    Delivery, Meeting, Minutes, MinutesStatus, Notification, NotificationKind, NotificationPreference,
    NotificationState, User, Vote, VoteState,
)
from ..urls import internal_path
from ..domain import accounts
from . import content, outbox
from .claims import Outcome, attempts_of, retry_later, set_state
from .mail import build_message
from .decision_notices import REVIEW_KINDS
from .producers import ANNOUNCED, REMINDER_KINDS


log = logging.getLogger(__name__)
DIGEST_TIME = time(8, 0)  # 08:00 Asia/Tokyo


@dataclass
class Outgoing:
    """A claimed row's mail, built and ready to go; no transaction is open while it goes out."""
    notification_id: int
    attempts: int
    address: str
    message: EmailMessage


def prepare_claimed(ids: list[int], now: datetime) -> list[Outcome | Outgoing]:
    """Decide and build the claimed rows of a chunk, committed before any of their mails goes out.

    Together: one transaction, the rows and their recipients in one query, the preferences in
    another, each meeting and its .ics once. If any row fails, the chunk is redone row by row, so
    only the faulty row waits for a retry.
    """
    if not ids:
        return []
    try:
        return _prepare_together(ids, now)
    except Exception:
        log.info("a claimed row could not be prepared; preparing the chunk row by row", exc_info=True)
        db.session.rollback()
    return [_prepare_alone(notification_id, now) for notification_id in ids]


def _prepare_together(ids: list[int], now: datetime) -> list[Outcome | Outgoing]:
    notifications = {
        notification.id: notification
        for notification in db.session.scalars(
            select(Notification).where(Notification.id.in_(ids)).options(joinedload(Notification.recipient))
            .execution_options(populate_existing=True)
        )
    }
    recipient_ids = {notification.recipient_id for notification in notifications.values()}
    preferences = {
        preference.user_id: preference
        for preference in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id.in_(recipient_ids))
        )
    }
    held = _load_objects(notifications.values())  # noqa: F841  (the session keeps objects weakly)
    shared: dict = {}  # what mails of the chunk have in common (see build_message)
    prepared = []
    for notification_id in ids:
        notification = notifications[notification_id]
        preference = preferences.get(notification.recipient_id) or default_preferences(notification.recipient_id)
        prepared.append(prepare(notification, now, preference, shared))
    db.session.commit()  # nothing is held open while talking to the server
    return prepared


OBJECT_MODELS = {model.__tablename__: model for model in (Meeting, Vote, Minutes)}


def _load_objects(notifications) -> list:
    """The meetings, votes and minutes the rows are about, one query per type.

    Returned to be held by the caller: the session's identity map references objects weakly, so
    only while they are held does each row's db.session.get() find them without a query.
    """
    wanted: dict[str, set[int]] = {}
    for notification in notifications:
        if notification.object_type in OBJECT_MODELS:
            wanted.setdefault(notification.object_type, set()).add(notification.object_id)
    return [
        obj
        for object_type, ids in wanted.items()
        for obj in db.session.scalars(select(OBJECT_MODELS[object_type]).where(OBJECT_MODELS[object_type].id.in_(ids)))
    ]


def _prepare_alone(notification_id: int, now: datetime) -> Outcome | Outgoing:
    try:
        notification = db.session.get(Notification, notification_id, populate_existing=True)
        prepared = prepare(notification, now, preferences_of(notification.recipient_id), {})
        db.session.commit()
        return prepared
    except Exception as error:  # bad data or a bug in one row must not hold up the others
        log.exception("notification %s could not be delivered", notification_id)
        db.session.rollback()
        return retry_later(notification_id, attempts_of(notification_id), now, f"{type(error).__name__}: {error}")


def prepare(notification: Notification, now: datetime, preference: NotificationPreference,
            shared: dict) -> Outcome | Outgoing:
    """Void a claimed row, keep it in-app, put it in a digest (recorded, not committed), or build its mail."""
    notification_id = notification.id
    reason = void_reason(notification, now)
    if reason:
        set_state(notification_id, NotificationState.VOID, last_error=reason)
        return Outcome.VOIDED
    if notification.kind.is_account_mail:  # a personal link: always its own mail, whatever the preferences
        message = build_message(notification, accounts.mail_body(notification), shared=None)
        address = accounts.mail_address(notification)
        if address != notification.recipient.email:
            message.replace_header("To", address)
        return Outgoing(notification_id, notification.attempts, address, message)
    if notification.kind is NotificationKind.DIGEST:
        if not _fill_digest(notification):
            set_state(notification_id, NotificationState.VOID, last_error="empty digest")
            return Outcome.VOIDED
    elif not preference.wants_email(notification.kind):
        set_state(notification_id, NotificationState.SENT, delivery=Delivery.IN_APP, sent_at=now)
        return Outcome.IN_APP
    elif preference.daily_digest:
        digest_id = _digest_for(notification.recipient_id, now)
        set_state(notification_id, NotificationState.SENT, delivery=Delivery.DIGEST, sent_at=now,
                   digest_id=digest_id)
        return Outcome.DIGESTED
    message = build_message(notification, notification.body, shared=shared)
    return Outgoing(notification_id, notification.attempts, notification.recipient.email, message)


def void_reason(notification: Notification, now: datetime) -> str:
    """Why the row should not go out any more ("" when it should)."""
    if not notification.recipient.active:
        return "recipient deactivated"
    if notification.expires_at is not None and now >= notification.expires_at:
        return "too late: expired"
    if notification.object_type == AccountToken.__tablename__:
        return accounts.void_reason(notification, now)
    if notification.object_type == Vote.__tablename__:
        return _vote_void_reason(notification)
    if notification.object_type == Minutes.__tablename__:
        return _minutes_void_reason(notification)
    if notification.object_type != Meeting.__tablename__:
        return ""
    meeting = db.session.get(Meeting, notification.object_id)
    if meeting is None:
        return "meeting deleted"
    kind = notification.kind
    if kind is not NotificationKind.MEETING_CANCELLED and meeting.status not in ANNOUNCED:
        return f"meeting is {meeting.status.value}"
    if kind in REMINDER_KINDS and meeting.starts_at <= now:
        return "meeting has started"
    if kind is NotificationKind.ATTENDANCE_DEADLINE and meeting_rules.has_answered(meeting, notification.recipient_id):
        return "attendance answered"
    return ""


def _vote_void_reason(notification: Notification) -> str:
    """A written-vote reminder is pointless once the vote is over or the recipient's seat has voted."""
    if notification.kind is not NotificationKind.VOTE_DEADLINE:
        return ""
    vote = db.session.get(Vote, notification.object_id)
    if vote is None:
        return "vote deleted"
    if vote.state is not VoteState.OPEN:
        return f"vote is {vote.state.value}"
    if vote_rules.has_voted(vote, notification.recipient_id):
        return "ballot cast"
    return ""


def _minutes_void_reason(notification: Notification) -> str:
    """A review request or reminder is pointless once the review is over or the recipient has reviewed."""
    if notification.kind not in REVIEW_KINDS:
        return ""
    minutes = db.session.get(Minutes, notification.object_id)
    if minutes is None:
        return "minutes deleted"
    if minutes.status is not MinutesStatus.IN_REVIEW:
        return f"minutes are {minutes.status.value}"
    if minutes_rules.has_reviewed(minutes, notification.recipient_id):
        return "minutes reviewed"
    return ""


def preferences_of(user_id: int) -> NotificationPreference:
    """The user's stored choices, or the defaults (every kind by mail, no digest)."""
    return db.session.get(NotificationPreference, user_id) or default_preferences(user_id)


def default_preferences(user_id: int) -> NotificationPreference:
    return NotificationPreference(user_id=user_id, daily_digest=False, email_off=[])


def next_digest_time(now: datetime) -> datetime:
    """The first 08:00 in Tokyo after `now`."""
    local = to_tokyo(now)
    at = datetime.combine(local.date(), DIGEST_TIME, tzinfo=TOKYO)
    if at <= local:
        at += timedelta(days=1)
    return at.astimezone(timezone.utc)


def _digest_for(user_id: int, now: datetime) -> int:
    """The user's next digest row (made on first need; its key makes it one per user and day)."""
    due = next_digest_time(now)
    key = f"digest:users:{user_id}:{to_tokyo(due).date().isoformat()}"
    subject, body = content.digest(due, [])
    outbox.add([{
        "recipient_id": user_id, "kind": NotificationKind.DIGEST, "object_type": User.__tablename__,
        "object_id": user_id, "idempotency_key": key, "subject": subject, "body": body,
        "link": internal_path("notifications.index"), "due_at": due,
    }])
    return db.session.scalar(select(Notification.id).where(Notification.idempotency_key == key))


def _fill_digest(digest: Notification) -> bool:
    items = list(
        db.session.scalars(
            select(Notification).where(Notification.digest_id == digest.id).order_by(Notification.due_at, Notification.id)
        )
    )
    if not items:
        return False
    digest.subject, digest.body = content.digest(digest.due_at, items)
    db.session.flush()
    return True
