"""Only one sender at a time: a PostgreSQL advisory lock, or a short lease row on SQLite; and a fencing epoch.

Every time a sender takes the lock it raises the epoch of the "sender" row of scheduler_leases (both
databases) and carries the new value as its fencing token: its claims are refused by the database once
a newer holder has raised the epoch (see claims.claim_all), and the new holder puts the rows an older
epoch left "sending" back to pending at once.

The lock is checked before every chunk (`renew`, a query on the lock's own connection or the lease
row) and, cheaply, before every mail (`check`: on PostgreSQL whether the lock's connection has been
closed by the server, which shows as a readable socket; on SQLite whether the lease needs renewing).
A process that dies loses the lock (PostgreSQL closes its session, the SQLite lease of
NOTIFY_LEASE_SECONDS runs out), so a standby scheduler takes over on its next pass.
"""
from __future__ import annotations

import contextlib
import logging
import select as select_module
from collections.abc import Iterator
from datetime import timedelta
from time import monotonic

from sqlalchemy import Connection, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from ..dates import utcnow
from ..extensions import db
from ..models import SchedulerLease

log = logging.getLogger(__name__)

# Any fixed 64-bit number, the same in every process of this application.
ADVISORY_LOCK_KEY = 7_202_405_001
LEASE_NAME = "sender"
DEFAULT_LEASE = timedelta(seconds=15)


class Lock:
    """What a sender holds: `held`, its fencing `epoch`; `renew()` before a chunk, `check()` before a mail."""

    def __init__(self, held: bool, epoch: int | None = None, renew=None, check=None, every: timedelta | None = None):
        self.held = held
        self.epoch = epoch
        self._renew = renew
        self._check = check
        self._every = every.total_seconds() if every is not None else None
        self._renewed = monotonic()

    def renew(self) -> bool:
        """Ask the database whether the lock is still ours (extending a lease); False when it was lost."""
        if not self.held or self._renew is None:
            return self.held
        try:
            self.held = bool(self._renew())
        except SQLAlchemyError:
            log.warning("the sender lock could not be confirmed; taken as lost", exc_info=True)
            self.held = False
        self._renewed = monotonic()
        return self.held

    def check(self) -> bool:
        """Before each mail: without a round trip when the lock cannot have been lost since the last renewal."""
        if not self.held:
            return False
        if self._check is not None and not self._check():
            self.held = False
            return False
        if self._every is not None and monotonic() - self._renewed >= self._every:
            return self.renew()
        return True


def _lease_row() -> dict:
    return {"name": LEASE_NAME, "holder": "", "expires_at": None, "epoch": 0, "smtp_error": ""}


def _socket_closed(connection: Connection) -> bool:
    """True when the server has closed (or written an error on) the idle lock connection: it is lost.

    An idle session receives nothing unless it is terminated (pg_terminate_backend, a server restart):
    a readable socket means the FATAL message and the end of the connection are waiting.
    """
    try:
        fd = connection.connection.dbapi_connection.fileno()
        readable, _, _ = select_module.select([fd], [], [], 0)
    except (OSError, ValueError, AttributeError, SQLAlchemyError):
        return True
    return bool(readable)


@contextlib.contextmanager
def sender_lock(holder: str, lease: timedelta | None = None) -> Iterator[Lock]:
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            held = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}).scalar())
            epoch = None
            if held:
                connection.execute(postgresql.insert(SchedulerLease).values(**_lease_row()).on_conflict_do_nothing())
                epoch = connection.execute(
                    update(SchedulerLease).where(SchedulerLease.name == LEASE_NAME)
                    .values(epoch=SchedulerLease.epoch + 1, holder=holder).returning(SchedulerLease.epoch)
                ).scalar_one()
            connection.commit()

            def still_ours() -> bool:
                current = connection.execute(
                    text("SELECT epoch FROM scheduler_leases WHERE name = :name"), {"name": LEASE_NAME}
                ).scalar()
                connection.commit()
                return current == epoch

            lock = Lock(held, epoch, renew=still_ours if held else None,
                        check=(lambda: not _socket_closed(connection)) if held else None)
            try:
                yield lock
            finally:
                if held:
                    with contextlib.suppress(SQLAlchemyError):  # a lost connection has released it already
                        connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK_KEY})
                        connection.commit()
        return

    from flask import current_app

    lease = lease or timedelta(seconds=current_app.config.get("NOTIFY_LEASE_SECONDS", DEFAULT_LEASE.seconds))

    def take() -> int | None:
        """Take the lease (free, expired or ours) and raise the epoch; the new epoch, or None."""
        now = utcnow()
        with engine.begin() as connection:
            connection.execute(sqlite.insert(SchedulerLease).values(**_lease_row()).on_conflict_do_nothing())
            return connection.execute(
                update(SchedulerLease)
                .where(SchedulerLease.name == LEASE_NAME)
                .where(
                    (SchedulerLease.holder == "")
                    | (SchedulerLease.holder == holder)
                    | SchedulerLease.expires_at.is_(None)
                    | (SchedulerLease.expires_at < now)
                )
                .values(holder=holder, expires_at=now + lease, epoch=SchedulerLease.epoch + 1)
                .returning(SchedulerLease.epoch)
            ).scalar()

    epoch = take()
    held = epoch is not None

    def extend() -> bool:
        now = utcnow()
        with engine.begin() as connection:
            return connection.execute(
                update(SchedulerLease)
                .where(SchedulerLease.name == LEASE_NAME, SchedulerLease.holder == holder,
                       SchedulerLease.epoch == epoch, SchedulerLease.expires_at >= now)
                .values(expires_at=now + lease)
            ).rowcount == 1

    try:
        # Renewed when a fifth of the lease has passed: a lease never runs out under a live sender.
        yield Lock(held, epoch, renew=extend if held else None, every=lease / 5)
    finally:
        if held:
            with contextlib.suppress(SQLAlchemyError), engine.begin() as connection:
                connection.execute(
                    update(SchedulerLease)
                    .where(SchedulerLease.name == LEASE_NAME, SchedulerLease.holder == holder,
                           SchedulerLease.epoch == epoch)
                    .values(holder="", expires_at=None)
                )
