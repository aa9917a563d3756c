"""Serialised events kept in the database (the calendar_events table), shared by every worker.

Each process caches the events it writes (feeds.CalendarState.events); a process that has just
started has none, and writing every event of a member's feed over 500 meetings costs tens of
milliseconds where reading them back costs a few. So feeds look here for the events they miss, and
store the ones they had to write.

A row is one event in one language for one site (`owner`); `version` is a digest of the event's
cache key (the meeting's change and sequence, the deadline's, …) and of FINGERPRINT, the files
that decide how an event is written: this package's calendar code, the date formatting, the
message catalogues and the seed files (committee and body names). A deploy that changes any of them
leaves the stored events stale: they are written and stored again when next asked for.

Storing is a best effort, in a transaction of its own: if it fails (e.g. SQLite is busy), the
events are simply written again next time. Rows not rewritten for a year are dropped when storing.
"""
from __future__ import annotations

import hashlib
import logging
from contextlib import contextmanager
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from sqlalchemy import any_, bindparam, delete, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import SQLAlchemyError

from ..dates import utcnow
from ..extensions import db
from ..models import CalendarEvent

log = logging.getLogger(__name__)

PACKAGE = Path(__file__).resolve().parent.parent
FINGERPRINT_FILES = ("calendar/*.py", "dates.py", "translations/*/LC_MESSAGES/*.mo", "seed/*.csv")
BATCH = 2000  # owners in one IN list, rows in one INSERT (3 parameters each: within SQLite's 32,766)
KEPT_FOR = timedelta(days=366)
WAIT_MS = 200


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """A digest of the files that decide an event's bytes besides its data (read once per process)."""
    digest = hashlib.sha256()
    for pattern in FINGERPRINT_FILES:
        for path in sorted(PACKAGE.glob(pattern)):
            digest.update(path.relative_to(PACKAGE).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def owner_of(key: tuple) -> str:
    """feeds' cache keys are (kind, id, …, locale, base_url): "meeting-12 ja https://liaison.example.jp"."""
    return f"{key[0]}-{key[1]} {key[-2]} {key[-1]}"


def version_of(key: tuple) -> str:
    return hashlib.sha256(f"{fingerprint()} {key!r}".encode()).hexdigest()[:32]


def one_of(column, values):
    """column IN values: on PostgreSQL as = ANY(one array parameter), cheaper than a thousand parameters."""
    values = list(values)
    if db.engine.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def fetch(keys: list[tuple]) -> dict[tuple, bytes]:
    """The stored bytes of those events whose stored version is the key's (one query per BATCH keys)."""
    wanted = {owner_of(key): key for key in keys}
    owners = list(wanted)
    found = {}
    for start in range(0, len(owners), BATCH):
        rows = db.session.execute(
            select(CalendarEvent.owner, CalendarEvent.version, CalendarEvent.body)
            .where(one_of(CalendarEvent.owner, owners[start:start + BATCH]))
        )
        for owner, version, body in rows:
            key = wanted[owner]
            if version == version_of(key):
                found[key] = bytes(body)  # PostgreSQL's driver gives a memoryview
    return found


def _upsert(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        return None
    statement = insert(CalendarEvent)
    excluded = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[CalendarEvent.owner],
        set_={"version": excluded.version, "body": excluded.body, "written_at": excluded.written_at},
    )


def _session_writes() -> bool:
    """Whether this session's SQLite connection has a write transaction open (then a second
    connection could only wait for it: SQLite has one writer at a time)."""
    if db.engine.dialect.name != "sqlite":
        return False
    return bool(db.session.connection().connection.dbapi_connection.in_transaction)


def save(events: list[tuple[tuple, bytes]]) -> bool:
    """Store newly written events (key, bytes), replacing older versions; False when it could not."""
    if not events:
        return True
    statement = _upsert(db.engine.dialect.name)
    if statement is None or _session_writes():
        return False
    now = utcnow()
    rows = sorted(
        ({"owner": owner_of(key), "version": version_of(key), "body": body, "written_at": now} for key, body in events),
        key=lambda row: row["owner"],  # one order for every writer: no deadlock between two feeds storing at once
    )
    try:
        with db.engine.begin() as connection, _impatient(connection):
            for start in range(0, len(rows), BATCH):
                connection.execute(statement, rows[start:start + BATCH])
            connection.execute(delete(CalendarEvent).where(CalendarEvent.written_at < now - KEPT_FOR))
    except SQLAlchemyError as error:  # a cache: the events are written again next time
        log.warning("calendar: could not store %d events: %s", len(rows), error)
        return False
    return True


@contextmanager
def _impatient(connection):
    """Wait at most WAIT_MS for another writer's locks: a feed request need not queue behind one
    (SQLite's connections otherwise wait 10 s; the setting is put back for the pooled connection)."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = {WAIT_MS}")  # for this transaction only
        yield
    elif connection.dialect.name == "sqlite":
        previous = int(connection.exec_driver_sql("PRAGMA busy_timeout").scalar())
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {WAIT_MS}")
        try:
            yield
        finally:
            connection.exec_driver_sql(f"PRAGMA busy_timeout = {previous}")
    else:
        yield


def clear() -> None:
    """Forget every stored event (tests; or by hand: nothing is lost)."""
    db.session.execute(delete(CalendarEvent))
    db.session.commit()
