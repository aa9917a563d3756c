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
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from time import monotonic, sleep

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from ..dates import utcnow
from ..extensions import db
from ..models import Delivery, NotificationState, SchedulerLease
from .claims import (
    DatabaseUnavailable, Marks, Outcome, claim_all, due_ids, finish, recover_stuck, release, release_mine,
    record_unrecorded, retry_later, void_expired, worker_name,
)
from .locks import LEASE_NAME, Lock, sender_lock
from .mail import Mailer, PermanentFailure, ServerUnavailable
from .preparing import Outgoing, prepare_claimed
from .preparing import void_reason  # noqa: F401 (seed/demo.py imports it from here; preparing.py is its home)

log = logging.getLogger(__name__)
CLAIM_CHUNK = 25  # rows claimed and prepared per transaction; each is marked sent in its own, right after its mail
PASS_BUDGET = timedelta(seconds=50)  # a pass starts no further batch after this (the scheduler runs every minute)
HOLDINGS_PER_PASS = 4  # a pass whose lock connection died takes the lock again (a new epoch) this many times at most


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
                release_mine(lock.epoch)
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
            release([later.notification_id for later in mails[position:]], lock.epoch)
            return False
        try:
            outcome = send_prepared(mail, now, mailer, marks)
        except ServerUnavailable as error:
            result.server_down = True
            result.smtp_error = str(error)[:2000]
            release([later.notification_id for later in mails[position:]], lock.epoch)
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
        finish(mail.notification_id, NotificationState.FAILED, marks, last_error=str(error)[:2000])
        return Outcome.FAILED
    except Exception as error:  # a 4xx about this mail or recipient: this row's attempt
        return retry_later(mail.notification_id, mail.attempts, now, f"{type(error).__name__}: {error}", marks)
    finish(mail.notification_id, NotificationState.SENT, marks, delivery=Delivery.EMAIL, sent_at=now, last_error="")
    return Outcome.SENT
