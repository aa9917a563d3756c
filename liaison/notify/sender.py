"""One pass of the sender: take the lock, recover what an earlier holder left, claim each due row once, deliver, record.

A row is claimed by a conditional UPDATE (pending → sending) whose returned ids say which rows
were ours, committed before the mail goes out, then marked sent. Every claim carries the sender lock's
fencing epoch and is refused by the database once a newer holder has raised it (locks.py); a row left
"sending" under an older epoch goes back to pending as soon as a new holder takes the lock (a row
claimed without an epoch, by an older version of the sender, after NOTIFY_SENDING_TIMEOUT_MINUTES).

Once the SMTP server has accepted a mail, its outcome is kept: if the database fails while marking
it, the mark is retried on a new connection with backoff (NOTIFY_MARK_RETRY_SECONDS), then kept in
memory and recorded first thing in the next pass; the row is never put back to pending. What remains
is a process killed between the server's 250 and the mark (one autocommit UPDATE on a connection kept
open): the row is sent again by the next holder, with the same stable Message-ID.

An unreachable or refusing server (connection refused, timeout, 421, a cut connection after one
immediate reconnection) is an outage, not a failure of a row: the pass stops, the rows go back to
pending with their attempt not counted, and sending pauses (a circuit breaker, NOTIFY_BREAKER_*_SECONDS,
its state in the "sender" row of scheduler_leases). Only an answer about a mail or a recipient (5xx;
4xx for it) counts against that row.

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
from time import monotonic, sleep

from flask import current_app
from sqlalchemy import Connection, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload

from ..dates import TOKYO, to_tokyo, utcnow
from ..extensions import db
from ..domain import meetings as meeting_rules
from ..domain import minutes as minutes_rules
from ..domain import votes as vote_rules
from ..models import AccountToken
from ..models import (
    Delivery, Meeting, Minutes, MinutesStatus, Notification, NotificationKind, NotificationPreference, NotificationState,
    SchedulerLease, User, Vote, VoteState,
)
from ..urls import internal_path
from ..domain import accounts
from . import content, outbox
from .locks import LEASE_NAME, Lock, sender_lock
from .mail import Mailer, PermanentFailure, ServerUnavailable, build_message
from .producers import ANNOUNCED, REMINDER_KINDS, REVIEW_KINDS

log = logging.getLogger(__name__)
DIGEST_TIME = time(8, 0)  # 08:00 Asia/Tokyo
CLAIM_CHUNK = 25  # rows claimed and prepared per transaction; each is marked sent in its own, right after its mail
PASS_BUDGET = timedelta(seconds=50)  # a pass starts no further batch after this (the scheduler runs every minute)
HOLDINGS_PER_PASS = 4  # a pass whose lock connection died takes the lock again (a new epoch) this many times at most


class Outcome(enum.Enum):
    SENT = "sent"
    IN_APP = "in_app"
    DIGESTED = "digested"
    VOIDED = "voided"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"  # another sender had claimed it


class DatabaseUnavailable(Exception):
    """The outcome of a mail could not be recorded within NOTIFY_MARK_RETRY_SECONDS: the pass stops."""


@dataclass
class PassResult:
    locked: bool = True
    recovered: int = 0
    outcomes: dict[Outcome, int] = field(default_factory=dict)
    server_down: bool = False
    paused: bool = False  # the circuit breaker was open: no mail was tried
    server_reached: bool = False  # the SMTP server answered about at least one mail
    smtp_error: str = ""
    lock_lost: bool = False
    database_down: bool = False

    def count(self, outcome: Outcome) -> int:
        return self.outcomes.get(outcome, 0)

    def add(self, outcome: Outcome, n: int = 1) -> None:
        if n:
            self.outcomes[outcome] = self.count(outcome) + n

    def merge(self, other: PassResult) -> None:
        self.recovered += other.recovered
        for outcome, n in other.outcomes.items():
            self.add(outcome, n)
        self.server_down = self.server_down or other.server_down
        self.paused = self.paused or other.paused
        self.server_reached = self.server_reached or other.server_reached
        self.smtp_error = other.smtp_error or self.smtp_error
        self.lock_lost = other.lock_lost
        self.database_down = other.database_down

    def summary(self) -> str:
        if not self.locked:
            return "another scheduler is sending; nothing done"
        parts = [f"{outcome.value} {n}" for outcome, n in self.outcomes.items() if n]
        if self.recovered:
            parts.append(f"recovered {self.recovered}")
        if self.paused:
            parts.append("SMTP server unavailable, sending paused (circuit breaker)")
        elif self.server_down:
            parts.append("SMTP server unavailable, the rest waits for the next pass")
        if self.lock_lost:
            parts.append("sender lock lost, stopped")
        if self.database_down:
            parts.append("database unavailable, stopped")
        return ", ".join(parts) or "nothing due"


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:100]


# Marks (statements) of mails the server has answered that could not be recorded yet: recorded first
# thing in the next pass of this process, before anything else is claimed or sent.
_unrecorded: list = []
_unrecorded_guard = threading.Lock()


def record_unrecorded() -> bool:
    """Record the marks a failed database left over; False while the database still fails."""
    with _unrecorded_guard:
        while _unrecorded:
            try:
                with db.engine.begin() as connection:
                    connection.execute(_unrecorded[0])
            except SQLAlchemyError:
                log.warning("%d mail outcome(s) still cannot be recorded", len(_unrecorded), exc_info=True)
                return False
            _unrecorded.pop(0)
    return True


def run_pass(now: datetime | None = None, *, holder: str | None = None, batch: int = 500,
             budget: timedelta = PASS_BUDGET) -> PassResult:
    """Deliver what is due at `now` (default: the current time); the scheduler's job every minute.

    Takes `batch` rows at a time, and another batch while rows are left and `budget` has not run
    out, so a burst (a convocation to every seat) goes out at full speed, not one batch a minute.
    When the lock's own connection dies (the lock is lost, a newer epoch is needed) or the database
    fails for a moment, the pass takes the lock again and goes on while its budget lasts.
    """
    holder = holder or worker_name()
    stop_at = monotonic() + budget.total_seconds()
    total = None
    for holding in range(HOLDINGS_PER_PASS):
        if not record_unrecorded():
            result = PassResult(database_down=True)
        else:
            try:
                result = _hold_and_send(now, holder, batch, stop_at)
            except SQLAlchemyError:  # taking the lock, recovering or recording the state failed
                log.warning("the database failed during the sender pass", exc_info=True)
                with contextlib.suppress(SQLAlchemyError):
                    db.session.rollback()
                result = PassResult(database_down=True)
        if total is None:
            total = result
        else:
            total.merge(result)
            total.locked = total.locked or result.locked
        if not result.locked or not (result.lock_lost or result.database_down) or monotonic() >= stop_at:
            break
        sleep(min(0.25 * 2 ** holding, 2.0))  # the database is back in a moment, or the pass ends
    return total


def _hold_and_send(now: datetime | None, holder: str, batch: int, stop_at: float) -> PassResult:
    with sender_lock(holder) as lock:
        if not lock.held:
            return PassResult(locked=False)
        now = now or utcnow()
        result = PassResult(recovered=recover_stuck(now, lock.epoch))
        result.add(Outcome.VOIDED, void_expired(now))
        if breaker_open(now):
            result.server_down = result.paused = True
            record_state(lock, now, result)
            return result
        mailer = Mailer(current_app.config)
        try:
            with contextlib.closing(Marks()) as marks:
                marks.epoch = lock.epoch
                _send_batches(now, batch, stop_at, lock, holder, mailer, marks, result)
        except DatabaseUnavailable:
            result.database_down = True
        except SQLAlchemyError:
            log.warning("the database failed during the sender pass", exc_info=True)
            db.session.rollback()
            result.database_down = True
            with contextlib.suppress(SQLAlchemyError):
                _release_mine(lock.epoch)
        finally:
            mailer.close()
        with contextlib.suppress(SQLAlchemyError):
            record_state(lock, now, result)
    return result


def _send_batches(now: datetime, batch: int, stop_at: float, lock: Lock, holder: str, mailer: Mailer,
                  marks: Marks, result: PassResult) -> None:
    while True:
        due = due_ids(now, batch)
        for start in range(0, len(due), CLAIM_CHUNK):
            if not lock.renew():
                log.warning("sender lock lost; stopping this pass")
                result.lock_lost = True
                return
            if not deliver_chunk(due[start:start + CLAIM_CHUNK], now, lock, mailer, marks, result, holder):
                return  # the SMTP server is unavailable, or the lock was lost
        if len(due) < batch or monotonic() >= stop_at:
            return


def deliver_chunk(ids: list[int], now: datetime, lock: Lock, mailer: Mailer, marks: Marks,
                  result: PassResult, holder: str = "") -> bool:
    """Claim the rows, prepare them, send their mails; False when the server was unavailable or the lock lost."""
    mine = claim_all(ids, now, holder, lock.epoch)
    result.add(Outcome.SKIPPED, len(ids) - len(mine))
    mails = []
    for item in prepare_claimed(mine, now):
        if isinstance(item, Outcome):
            result.add(item)
        else:
            mails.append(item)
    for position, mail in enumerate(mails):
        if not lock.check():
            log.warning("sender lock lost before a mail; the chunk's other rows go back to pending")
            result.lock_lost = True
            _release([later.notification_id for later in mails[position:]], lock.epoch)
            return False
        try:
            outcome = send_prepared(mail, now, mailer, marks)
        except ServerUnavailable as error:
            result.server_down = True
            result.smtp_error = str(error)[:2000]
            _release([later.notification_id for later in mails[position:]], lock.epoch)
            return False
        result.server_reached = True
        result.add(outcome)
    return True


def breaker_open(now: datetime) -> bool:
    """The SMTP server was unavailable and its next try is not due yet."""
    retry_at = db.session.scalar(select(SchedulerLease.smtp_retry_at).where(SchedulerLease.name == LEASE_NAME))
    db.session.commit()
    return retry_at is not None and now < retry_at


def record_state(lock: Lock, now: datetime, result: PassResult) -> None:
    """What the operator sees (/admin/notifications, /readyz): the pass, the last mail sent, the breaker."""
    if lock.epoch is None:
        return
    config = current_app.config
    clock = utcnow()
    values: dict = {"last_pass_at": clock}
    if result.count(Outcome.SENT):
        values["last_sent_at"] = clock
    if result.server_down and not result.paused:
        down_since = db.session.scalar(
            select(SchedulerLease.smtp_down_since).where(SchedulerLease.name == LEASE_NAME)) or now
        # Pause as long as the outage has lasted (so the tries thin out), within the configured bounds.
        pause = min(max((now - down_since).total_seconds(), config["NOTIFY_BREAKER_MIN_SECONDS"]),
                    config["NOTIFY_BREAKER_MAX_SECONDS"])
        values.update(smtp_down_since=down_since, smtp_retry_at=now + timedelta(seconds=pause),
                      smtp_error=result.smtp_error)
    elif result.server_reached:
        values.update(smtp_down_since=None, smtp_retry_at=None, smtp_error="")
    db.session.execute(
        update(SchedulerLease).where(SchedulerLease.name == LEASE_NAME, SchedulerLease.epoch == lock.epoch)
        .values(**values).execution_options(synchronize_session=False)
    )
    db.session.commit()


def recover_stuck(now: datetime, epoch: int | None = None) -> int:
    """Rows left in "sending" by a sender that died go back to pending.

    Under an epoch (the lock is held): every row claimed under another epoch, at once, its attempt
    given back (a killed or cut-off sender is the sender's outage, not the row's failure). A row
    claimed without one (by an older version of the sender, which no epoch fences) after the
    timeout, failed after its last attempt as before.
    """
    config = current_app.config
    timed_out = (Notification.state == NotificationState.SENDING, Notification.claim_epoch.is_(None),
                 Notification.claimed_at < now - timedelta(minutes=config["NOTIFY_SENDING_TIMEOUT_MINUTES"]))
    interrupted = "interrupted while sending (the scheduler stopped or crashed)"
    db.session.execute(
        update(Notification).where(*timed_out, Notification.attempts >= config["NOTIFY_MAX_ATTEMPTS"])
        .values(state=NotificationState.FAILED, last_error=interrupted)
        .execution_options(synchronize_session=False)
    )
    recovered = db.session.execute(
        update(Notification).where(*timed_out)
        .values(state=NotificationState.PENDING, next_attempt_at=None, last_error=interrupted)
        .execution_options(synchronize_session=False)
    ).rowcount
    if epoch is not None:
        recovered += db.session.execute(
            update(Notification)
            .where(Notification.state == NotificationState.SENDING, Notification.claim_epoch.is_not(None),
                   Notification.claim_epoch != epoch)
            .values(state=NotificationState.PENDING, next_attempt_at=None, last_error=interrupted,
                    attempts=Notification.attempts - 1)
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


def _fenced(epoch: int | None) -> tuple:
    """The claim's condition that its epoch is still the current one (none without an epoch)."""
    if epoch is None:
        return ()
    current = select(SchedulerLease.epoch).where(SchedulerLease.name == LEASE_NAME).scalar_subquery()
    return (current == epoch,)


def claim(notification_id: int, now: datetime, holder: str, epoch: int | None = None) -> bool:
    """pending → sending for exactly one sender: the UPDATE's row count says whether it was us."""
    claimed = db.session.execute(
        update(Notification)
        .where(Notification.id == notification_id, Notification.state == NotificationState.PENDING, *_fenced(epoch))
        .values(state=NotificationState.SENDING, claimed_at=now, claimed_by=holder or worker_name(),
                claim_epoch=epoch, attempts=Notification.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    return claimed == 1


def claim_all(ids: list[int], now: datetime, holder: str, epoch: int | None = None) -> list[int]:
    """Claim the rows still pending in one conditional UPDATE (RETURNING says which were ours); commit.

    With an epoch, the database refuses the claim once a newer holder has raised it (a stale sender).
    """
    if not ids:
        return []
    claimed = set(
        db.session.execute(
            update(Notification)
            .where(Notification.id.in_(ids), Notification.state == NotificationState.PENDING, *_fenced(epoch))
            .values(state=NotificationState.SENDING, claimed_at=now, claimed_by=holder or worker_name(),
                    claim_epoch=epoch, attempts=Notification.attempts + 1)
            .returning(Notification.id)
            .execution_options(synchronize_session=False)
        ).scalars()
    )
    db.session.commit()
    return [notification_id for notification_id in ids if notification_id in claimed]


def _release(ids: list[int], epoch: int | None = None) -> None:
    """Claimed rows this pass will not get to go back to pending, their attempt not counted."""
    if ids:
        mine = (Notification.claim_epoch == epoch,) if epoch is not None else ()
        try:
            db.session.execute(
                update(Notification)
                .where(Notification.id.in_(ids), Notification.state == NotificationState.SENDING, *mine)
                .values(state=NotificationState.PENDING, attempts=Notification.attempts - 1)
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
        except SQLAlchemyError:  # they stay "sending" under this epoch: the next holder puts them back
            log.warning("claimed rows could not be released", exc_info=True)
            db.session.rollback()


def _release_mine(epoch: int | None) -> None:
    """After a database failure mid-pass: this holding's claimed rows not sent (any sent one is marked or kept)."""
    if epoch is None:
        return
    db.session.execute(
        update(Notification)
        .where(Notification.state == NotificationState.SENDING, Notification.claim_epoch == epoch)
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
    if notification.kind.is_account_mail:  # a personal link: always its own mail, whatever the preferences
        message = build_message(notification, accounts.mail_body(notification), shared=None)
        address = accounts.mail_address(notification)
        if address != notification.recipient.email:
            message.replace_header("To", address)
        return Outgoing(notification_id, notification.attempts, address, message)
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
    """Send one built mail, then mark its row sent (or failed, or pending for a retry), committed at once.

    ServerUnavailable (after one immediate reconnection when an open conversation was cut) is raised
    with the row untouched: an outage is not the row's failure.
    """
    try:
        try:
            mailer.send(mail.message, mail.address)
        except ServerUnavailable as error:
            if getattr(error, "connecting", False):
                raise
            log.info("the SMTP conversation was cut; reconnecting once: %s", error)
            mailer.send(mail.message, mail.address)
    except ServerUnavailable:
        raise
    except PermanentFailure as error:
        _finish(mail.notification_id, NotificationState.FAILED, marks, last_error=str(error)[:2000])
        return Outcome.FAILED
    except Exception as error:  # a 4xx about this mail or recipient: this row's attempt
        return _retry_later(mail.notification_id, mail.attempts, now, f"{type(error).__name__}: {error}", marks)
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
    BEGIN, UPDATE, COMMIT). Should the connection fail, the mark is retried on a new connection with
    backoff for NOTIFY_MARK_RETRY_SECONDS, then kept for the next pass (DatabaseUnavailable): a mail the
    server has answered is never put back to pending.
    """

    def __init__(self):
        self.epoch: int | None = None
        self.connection: Connection | None = None
        with contextlib.suppress(SQLAlchemyError):
            self.connection = self._open()

    @staticmethod
    def _open() -> Connection:
        connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        if connection.dialect.name == "sqlite":
            # A kill between the server's 250 and the mark sends that mail again: on SQLite that window is the
            # commit itself. In WAL mode with synchronous=NORMAL a commit is an append to the log (no fsync),
            # durable against a crash of the process (not of the machine). Best effort: WAL needs a moment
            # without other connections' transactions, and it stays on for the database file once set.
            with contextlib.suppress(SQLAlchemyError):
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")
            with contextlib.suppress(SQLAlchemyError):
                connection.exec_driver_sql("PRAGMA synchronous=NORMAL")
        return connection

    def record(self, statement) -> None:
        deadline = monotonic() + current_app.config["NOTIFY_MARK_RETRY_SECONDS"]
        delay = 0.05
        while True:
            try:
                if self.connection is None:
                    self.connection = self._open()
                self.connection.execute(statement)
                return
            except SQLAlchemyError:
                log.warning("a mail's outcome could not be recorded; retrying on a new connection", exc_info=True)
                self.close()
            if monotonic() >= deadline:
                with _unrecorded_guard:
                    _unrecorded.append(statement)
                raise DatabaseUnavailable("the database did not answer; the outcome is kept for the next pass")
            sleep(delay)
            delay = min(delay * 2, 2.0)

    def close(self) -> None:
        if self.connection is not None:
            if getattr(getattr(self.connection, "dialect", None), "name", "") == "sqlite":
                with contextlib.suppress(SQLAlchemyError):  # back to the default before it returns to the pool
                    self.connection.exec_driver_sql("PRAGMA synchronous=FULL")
            try:
                self.connection.close()
            except SQLAlchemyError:  # gone either way
                pass
            self.connection = None


def _finish(notification_id: int, state: NotificationState, marks: Marks | None = None, **values) -> None:
    """Record a row's final (or next) state and commit it.

    Under an epoch only while the row is still this holding's claim: "sent" also when a newer holder
    has put it back to pending but not claimed it again (the mail did go out: no second one).
    """
    if marks is not None:
        where = [Notification.id == notification_id]
        if marks.epoch is not None:
            states = ((NotificationState.SENDING, NotificationState.PENDING) if state is NotificationState.SENT
                      else (NotificationState.SENDING,))
            where += [Notification.claim_epoch == marks.epoch, Notification.state.in_(states)]
        marks.record(update(Notification).where(*where).values(state=state, **values))
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
