"""One pass of the sender: take the lock, retry stuck rows, claim each due row once, deliver, record.

A row is claimed by a conditional UPDATE (pending → sending) whose returned ids say which rows
were ours, committed before the mail goes out, then marked sent. A crash between the two leaves it
in "sending"; after NOTIFY_SENDING_TIMEOUT_MINUTES a later pass puts it back to pending. The stable
Message-ID lets mail clients recognise the rare resend of a mail whose "sent" mark was lost.

Rows are claimed, checked and built a chunk (CLAIM_CHUNK) at a time in one transaction, committed
before the chunk's first mail: what a mail says, and whether it is still wanted, is as of its
chunk's claim, a fraction of a second before it goes out. Each "sent" mark is its own commit.
"""
from __future__ import annotations

import contextlib
import enum
import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from email.message import EmailMessage
from time import monotonic

from flask import current_app
from sqlalchemy import Connection, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload

from ..dates import TOKYO, to_tokyo, utcnow
from ..extensions import db
from ..models import (
    Attendance, AttendanceResponse, Ballot, Delivery, Meeting, Membership, Minutes, MinutesReview, MinutesStatus,
    MinutesVersion, Notification, NotificationKind, NotificationPreference, NotificationState, User, Vote, VoteState,
)
from ..urls import internal_path
from . import content, outbox
from .locks import sender_lock
from .mail import Mailer, PermanentFailure, ServerUnavailable, build_message
from .producers import ANNOUNCED, REMINDER_KINDS, REVIEW_KINDS

log = logging.getLogger(__name__)
DIGEST_TIME = time(8, 0)  # 08:00 Asia/Tokyo
CLAIM_CHUNK = 25  # rows claimed and prepared per transaction; each is marked sent in its own, right after its mail
PASS_BUDGET = timedelta(seconds=50)  # a pass starts no further batch after this (the scheduler runs every minute)


class Outcome(enum.Enum):
    SENT = "sent"
    IN_APP = "in_app"
    DIGESTED = "digested"
    VOIDED = "voided"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"  # another sender had claimed it


@dataclass
class PassResult:
    locked: bool = True
    recovered: int = 0
    outcomes: dict[Outcome, int] = field(default_factory=dict)
    server_down: bool = False

    def count(self, outcome: Outcome) -> int:
        return self.outcomes.get(outcome, 0)

    def add(self, outcome: Outcome, n: int = 1) -> None:
        if n:
            self.outcomes[outcome] = self.count(outcome) + n

    def summary(self) -> str:
        if not self.locked:
            return "another scheduler is sending; nothing done"
        parts = [f"{outcome.value} {n}" for outcome, n in self.outcomes.items() if n]
        if self.recovered:
            parts.append(f"recovered {self.recovered}")
        if self.server_down:
            parts.append("SMTP server unavailable, the rest waits for the next pass")
        return ", ".join(parts) or "nothing due"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:100]


def run_pass(now: datetime | None = None, *, holder: str | None = None, batch: int = 500,
             budget: timedelta = PASS_BUDGET) -> PassResult:
    """Deliver what is due at `now` (default: the current time); the scheduler's job every minute.

    Takes `batch` rows at a time, and another batch while rows are left and `budget` has not run
    out, so a burst (a convocation to every seat) goes out at full speed, not one batch a minute.
    """
    holder = holder or worker_name()
    with sender_lock(holder) as lock:
        if not lock.held:
            return PassResult(locked=False)
        now = now or utcnow()
        stop_at = monotonic() + budget.total_seconds()
        result = PassResult(recovered=recover_stuck(now))
        result.add(Outcome.VOIDED, void_expired(now))
        mailer = Mailer(current_app.config)
        try:
            with contextlib.closing(Marks()) as marks:
                while True:
                    due = due_ids(now, batch)
                    for start in range(0, len(due), CLAIM_CHUNK):
                        if not lock.renew():
                            log.warning("sender lock lost; stopping this pass")
                            return result
                        if not deliver_chunk(due[start:start + CLAIM_CHUNK], now, holder, mailer, marks, result):
                            return result  # the SMTP server is unavailable
                    if len(due) < batch or monotonic() >= stop_at:
                        break
        finally:
            mailer.close()
    return result


def deliver_chunk(ids: list[int], now: datetime, holder: str, mailer: Mailer, marks: Marks,
                  result: PassResult) -> bool:
    """Claim the rows, prepare them, send their mails; False when the server was unavailable."""
    mine = claim_all(ids, now, holder)
    result.add(Outcome.SKIPPED, len(ids) - len(mine))
    mails = []
    for item in prepare_claimed(mine, now):
        if isinstance(item, Outcome):
            result.add(item)
        else:
            mails.append(item)
    for position, mail in enumerate(mails):
        try:
            outcome = send_prepared(mail, now, mailer, marks)
        except ServerUnavailable:
            result.add(Outcome.RETRY)
            result.server_down = True
            _release([later.notification_id for later in mails[position + 1:]])
            return False
        except Exception as error:  # e.g. the database failed marking it; retried like a failed mail
            log.exception("notification %s could not be delivered", mail.notification_id)
            db.session.rollback()
            outcome = _retry_later(mail.notification_id, mail.attempts, now, f"{type(error).__name__}: {error}")
        result.add(outcome)
    return True


def recover_stuck(now: datetime) -> int:
    """Rows left in "sending" by a sender that died go back to pending (or fail after the last attempt)."""
    config = current_app.config
    stuck = (Notification.state == NotificationState.SENDING,
             Notification.claimed_at < now - timedelta(minutes=config["NOTIFY_SENDING_TIMEOUT_MINUTES"]))
    interrupted = "interrupted while sending (the scheduler stopped or crashed)"
    db.session.execute(
        update(Notification).where(*stuck, Notification.attempts >= config["NOTIFY_MAX_ATTEMPTS"])
        .values(state=NotificationState.FAILED, last_error=interrupted)
        .execution_options(synchronize_session=False)
    )
    recovered = db.session.execute(
        update(Notification).where(*stuck)
        .values(state=NotificationState.PENDING, next_attempt_at=None, last_error=interrupted)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return recovered


def due_ids(now: datetime, batch: int) -> list[int]:
    ids = list(
        db.session.scalars(
            select(Notification.id)
            .where(
                Notification.state == NotificationState.PENDING,
                Notification.due_at <= now,
                (Notification.next_attempt_at.is_(None)) | (Notification.next_attempt_at <= now),
            )
            .order_by(Notification.due_at, Notification.id)
            .limit(batch)
        )
    )
    db.session.commit()
    return ids


def claim(notification_id: int, now: datetime, holder: str) -> bool:
    """pending → sending for exactly one sender: the UPDATE's row count says whether it was us."""
    claimed = db.session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.state == NotificationState.PENDING)
        .values(state=NotificationState.SENDING, claimed_at=now, claimed_by=holder,
                attempts=Notification.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    return claimed == 1


def claim_all(ids: list[int], now: datetime, holder: str) -> list[int]:
    """Claim the rows still pending in one conditional UPDATE (RETURNING says which were ours); commit."""
    if not ids:
        return []
    claimed = set(
        db.session.execute(
            update(Notification)
            .where(Notification.id.in_(ids), Notification.state == NotificationState.PENDING)
            .values(state=NotificationState.SENDING, claimed_at=now, claimed_by=holder,
                    attempts=Notification.attempts + 1)
            .returning(Notification.id)
            .execution_options(synchronize_session=False)
        ).scalars()
    )
    db.session.commit()
    return [notification_id for notification_id in ids if notification_id in claimed]


def _release(ids: list[int]) -> None:
    """Claimed rows this pass will not get to go back to pending, their attempt not counted."""
    if ids:
        db.session.execute(
            update(Notification)
            .where(Notification.id.in_(ids), Notification.state == NotificationState.SENDING)
            .values(state=NotificationState.PENDING, attempts=Notification.attempts - 1)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()


def void_expired(now: datetime) -> int:
    """After downtime: what is past its time (a reminder for a meeting that has begun) is not sent."""
    voided = db.session.execute(
        update(Notification)
        .where(Notification.state == NotificationState.PENDING, Notification.expires_at <= now)
        .values(state=NotificationState.VOID, last_error="too late: expired")
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return voided


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
        return _retry_later(notification_id, _attempts(notification_id), now, f"{type(error).__name__}: {error}")


def prepare(notification: Notification, now: datetime, preference: NotificationPreference,
            shared: dict) -> Outcome | Outgoing:
    """Void a claimed row, keep it in-app, put it in a digest (recorded, not committed), or build its mail."""
    notification_id = notification.id
    reason = void_reason(notification, now)
    if reason:
        _set_state(notification_id, NotificationState.VOID, last_error=reason)
        return Outcome.VOIDED
    if notification.kind is NotificationKind.DIGEST:
        if not _fill_digest(notification):
            _set_state(notification_id, NotificationState.VOID, last_error="empty digest")
            return Outcome.VOIDED
    elif not preference.wants_email(notification.kind):
        _set_state(notification_id, NotificationState.SENT, delivery=Delivery.IN_APP, sent_at=now)
        return Outcome.IN_APP
    elif preference.daily_digest:
        digest_id = _digest_for(notification.recipient_id, now)
        _set_state(notification_id, NotificationState.SENT, delivery=Delivery.DIGEST, sent_at=now,
                   digest_id=digest_id)
        return Outcome.DIGESTED
    message = build_message(notification, notification.body, shared=shared)
    return Outgoing(notification_id, notification.attempts, notification.recipient.email, message)


def send_prepared(mail: Outgoing, now: datetime, mailer: Mailer, marks: Marks | None = None) -> Outcome:
    """Send one built mail, then mark its row sent (or failed, or pending for a retry), committed at once."""
    try:
        mailer.send(mail.message, mail.address)
    except PermanentFailure as error:
        _finish(mail.notification_id, NotificationState.FAILED, marks, last_error=str(error)[:2000])
        return Outcome.FAILED
    except Exception as error:
        outcome = _retry_later(mail.notification_id, mail.attempts, now, f"{type(error).__name__}: {error}", marks)
        if isinstance(error, ServerUnavailable):
            raise
        return outcome
    _finish(mail.notification_id, NotificationState.SENT, marks, delivery=Delivery.EMAIL, sent_at=now, last_error="")
    return Outcome.SENT


def _set_state(notification_id: int, state: NotificationState, **values) -> None:
    db.session.execute(
        update(Notification).where(Notification.id == notification_id).values(state=state, **values)
        .execution_options(synchronize_session=False)
    )


class Marks:
    """Records each mail's outcome as it happens: one autocommit UPDATE on a connection kept for the pass.

    Through the session a mark cost four round trips to PostgreSQL (the pool's pre-ping on checkout,
    BEGIN, UPDATE, COMMIT). Should the connection fail, the marks go through the session.
    """

    def __init__(self):
        self.connection: Connection | None = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")

    def record(self, statement) -> None:
        if self.connection is not None:
            try:
                self.connection.execute(statement)
                return
            except SQLAlchemyError:
                log.warning("the sender's connection for marks failed; marking through the session", exc_info=True)
                self.close()
        db.session.execute(statement.execution_options(synchronize_session=False))
        db.session.commit()

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except SQLAlchemyError:  # gone either way
                pass
            self.connection = None


def _finish(notification_id: int, state: NotificationState, marks: Marks | None = None, **values) -> None:
    """Record a row's final (or next) state and commit it."""
    if marks is not None:
        marks.record(update(Notification).where(Notification.id == notification_id).values(state=state, **values))
        return
    _set_state(notification_id, state, **values)
    db.session.commit()


def _attempts(notification_id: int) -> int:
    return db.session.scalar(select(Notification.attempts).where(Notification.id == notification_id)) or 0


def _retry_later(notification_id: int, attempts: int, now: datetime, error: str,
                 marks: Marks | None = None) -> Outcome:
    """Exponential backoff (1, 2, 4 … minutes, at most 6 hours); after the last attempt: failed."""
    config = current_app.config
    if attempts >= config["NOTIFY_MAX_ATTEMPTS"]:
        _finish(notification_id, NotificationState.FAILED, marks, last_error=error[:2000])
        return Outcome.FAILED
    delay = min(config["NOTIFY_RETRY_BASE_SECONDS"] * 2 ** (attempts - 1), 6 * 3600)
    _finish(notification_id, NotificationState.PENDING, marks, last_error=error[:2000],
            next_attempt_at=now + timedelta(seconds=delay))
    return Outcome.RETRY


def void_reason(notification: Notification, now: datetime) -> str:
    """Why the row should not go out any more ("" when it should)."""
    if not notification.recipient.active:
        return "recipient deactivated"
    if notification.expires_at is not None and now >= notification.expires_at:
        return "too late: expired"
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
    if kind is NotificationKind.ATTENDANCE_DEADLINE and has_answered(meeting, notification.recipient_id):
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
    if has_voted(vote, notification.recipient_id):
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
    if has_reviewed(minutes, notification.recipient_id):
        return "minutes reviewed"
    return ""


def has_voted(vote: Vote, user_id: int) -> bool:
    """The user's seat in the vote has a ballot (cast by the member, or recorded by the secretariat)."""
    return db.session.scalar(
        select(Ballot.id).join(Membership, Membership.id == Ballot.membership_id)
        .where(Ballot.vote_id == vote.id, Membership.user_id == user_id).limit(1)
    ) is not None


def has_reviewed(minutes: Minutes, user_id: int) -> bool:
    """The user's seat gave 異議なし on the version now under review (the latest one)."""
    latest = (select(MinutesVersion.id).where(MinutesVersion.minutes_id == minutes.id)
              .order_by(MinutesVersion.number.desc()).limit(1).scalar_subquery())
    return db.session.scalar(
        select(MinutesReview.id).join(Membership, Membership.id == MinutesReview.membership_id)
        .where(MinutesReview.version_id == latest, Membership.user_id == user_id).limit(1)
    ) is not None


def has_answered(meeting: Meeting, user_id: int) -> bool:
    return db.session.scalar(
        select(Attendance.id)
        .join(Attendance.membership)
        .where(
            Attendance.meeting_id == meeting.id,
            Membership.user_id == user_id,
            Attendance.response != AttendanceResponse.UNDECIDED,
        )
        .limit(1)
    ) is not None


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
