"""The outbox rows' states as the sender moves them: claimed (pending → sending, fenced by the lock's
epoch), released, recovered after a dead sender, voided when expired, and marked sent, failed or pending
for a retry. A mail the server has answered is marked on a kept autocommit connection (Marks), and a mark
that cannot be recorded is kept for the next pass (record_unrecorded), never put back to pending."""
from __future__ import annotations

import contextlib
import enum
import logging
import os
import socket
import threading
from datetime import datetime, timedelta
from time import monotonic, sleep

from flask import current_app
from sqlalchemy import Connection, select, update
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import Notification, NotificationState, SchedulerLease
from .locks import LEASE_NAME


log = logging.getLogger(__name__)


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


def release(ids: list[int], epoch: int | None = None) -> None:
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


def release_mine(epoch: int | None) -> None:
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


def set_state(notification_id: int, state: NotificationState, **values) -> None:
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


def finish(notification_id: int, state: NotificationState, marks: Marks | None = None, **values) -> None:
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
    set_state(notification_id, state, **values)
    db.session.commit()


def attempts_of(notification_id: int) -> int:
    return db.session.scalar(select(Notification.attempts).where(Notification.id == notification_id)) or 0


def retry_later(notification_id: int, attempts: int, now: datetime, error: str,
                 marks: Marks | None = None) -> Outcome:
    """Exponential backoff (1, 2, 4 … minutes, at most 6 hours); after the last attempt: failed."""
    config = current_app.config
    if attempts >= config["NOTIFY_MAX_ATTEMPTS"]:
        finish(notification_id, NotificationState.FAILED, marks, last_error=error[:2000])
        return Outcome.FAILED
    delay = min(config["NOTIFY_RETRY_BASE_SECONDS"] * 2 ** (attempts - 1), 6 * 3600)
    finish(notification_id, NotificationState.PENDING, marks, last_error=error[:2000],
            next_attempt_at=now + timedelta(seconds=delay))
    return Outcome.RETRY
