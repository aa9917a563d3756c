"""The audit trail's hash chain: each row carries the SHA-256 of its content and of the previous row's hash.

Canonical form (version 1) of a row, the bytes that are hashed: the UTF-8 of

    json.dumps({"v": 1, "id", "seq", "prev", "at", "actor_id", "action", "object_type", "object_id",
                "object_label", "committee_id", "data"}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

with `at` in UTC as `YYYY-MM-DDTHH:MM:SS.ffffffZ` and `prev` the previous row's `row_hash` (64 zeros for the
first row, the genesis). Rows are chained in `seq` order (1, 2, 3 …, unique).

Sealing happens when the transaction that wrote the rows commits (a `before_commit` hook): under a lock
(PostgreSQL: `pg_advisory_xact_lock`, held to the end of the transaction; SQLite: the transaction already
holds the database's single write lock), the chain's tail is read and the new rows are numbered and
hashed from their values as their INSERT (or a later UPDATE) wrote them — kept by mapper events, so nothing is
read back; a row inserted otherwise is read before the lock. The lock is taken last, just before the commit, so it
is held for milliseconds and never before another row lock (no deadlock with the domain's own `FOR UPDATE`s). On
PostgreSQL the lock and the seals go in the commit's last round trip (liaison.hot_commit): each row's canonical
text up to its "prev" is built here, and its UPDATE completes it from the tail it reads after the lock and hashes
it in the database (`sha256`), so the lock is held for one round trip, not four; the bytes hashed are the same.
A row recorded with `audit.record_at_commit` (a ballot) is written by that round trip too, by one INSERT that
takes its id from the sequence and its seq, link and hash from the tail (`queue_sealed_row`).

`verify()` walks the chain and returns the first row that was altered, deleted or slipped in. Its limit:
without an outside copy of the head hash, removing the *last* rows cannot be told from never having
written them — `flask audit verify` prints the head (position and hash) for the operator to keep.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import bindparam, event, select, text, update
from sqlalchemy.orm import Session, object_session

from .. import hot_commit
from ..models import AuditEvent

GENESIS = "0" * 64
VERSION = 1
# pg_advisory_xact_lock key for appending to the chain (any constant; the scheduler's lease is a row, not a key).
LOCK_KEY = 0x6C69_6175_6469  # "liaudi"
_PENDING = "liaison.audit_unsealed"
_READ = "liaison.audit_read_ahead"  # row id → its content as written (or read back)

_table = AuditEvent.__table__
CONTENT_COLUMNS = ("id", "at", "actor_id", "action", "object_type", "object_id", "object_label", "committee_id", "data")


def _utc_text(value: datetime) -> str:
    if value.tzinfo is None:  # a UTCDateTime read through plain SQL on SQLite
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(row, seq: int, prev_hash: str) -> bytes:
    """The bytes hashed for a row (a mapping or a Row with the CONTENT_COLUMNS)."""
    get = row.__getitem__ if isinstance(row, dict) else row._mapping.__getitem__
    at = get("at")
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    content = {
        "v": VERSION, "id": get("id"), "seq": seq, "prev": prev_hash, "at": _utc_text(at),
        "actor_id": get("actor_id"), "action": get("action"), "object_type": get("object_type"),
        "object_id": get("object_id"), "object_label": get("object_label") or "", "committee_id": get("committee_id"),
        # Through JSON once, as the database stores it: tuples become lists, keys strings.
        "data": json.loads(json.dumps(get("data") or {}, ensure_ascii=False)),
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def row_hash(row, seq: int, prev_hash: str) -> str:
    return hashlib.sha256(canonical(row, seq, prev_hash)).hexdigest()


def chain(rows, *, after_seq: int = 0, after_hash: str = GENESIS) -> list[dict]:
    """Number and hash these rows (in the given order) after the tail (after_seq, after_hash): the values to store."""
    sealed = []
    for row in rows:
        after_seq += 1
        digest = row_hash(row, after_seq, after_hash)
        sealed.append({"seq": after_seq, "prev_hash": after_hash, "row_hash": digest})
        after_hash = digest
    return sealed


# ---------------------------------------------------------------------------------------------- sealing

def lock(session_or_connection) -> None:
    """Serialise appends to the chain until the end of the transaction (PostgreSQL; SQLite writes are serial)."""
    if session_or_connection.get_bind().dialect.name == "postgresql":
        session_or_connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


def tail(session_or_connection) -> tuple[int, str]:
    """(seq, row_hash) of the chain's last row, or (0, GENESIS)."""
    last = session_or_connection.execute(
        select(_table.c.seq, _table.c.row_hash).where(_table.c.seq.is_not(None)).order_by(_table.c.seq.desc()).limit(1)
    ).first()
    return (last.seq, last.row_hash) if last else (0, GENESIS)


_UNSEALED = (select(*(_table.c[name] for name in CONTENT_COLUMNS))  # built once: every audited commit reads it
             .where(_table.c.id.in_(bindparam("ids", expanding=True)), _table.c.seq.is_(None)).order_by(_table.c.id))


def _unsealed_rows(session: Session, ids) -> list:
    return session.execute(_UNSEALED, {"ids": list(ids)}).all()


class _Written(dict):
    """A row's content columns as its INSERT (or UPDATE) wrote them: read by canonical() like a row."""

    @property
    def id(self) -> int:
        return self["id"]


def _snapshot(mapper, connection, target: AuditEvent) -> None:
    """after_insert / after_update of an audit row: keep the values just written (the Python defaults filled in,
    the id returned), so the seal hashes them without reading the row back. `data` is kept as JSON gives it back
    (a later in-place change of the dict, which the ORM would not write, cannot change what is hashed). A row
    whose values cannot be taken so (an attribute not loaded, data JSON does not take) is read back as before."""
    session = object_session(target)
    if session is None:
        return
    loaded = target.__dict__
    written = session.info.setdefault(_READ, {})
    try:
        values = _Written((name, loaded[name]) for name in CONTENT_COLUMNS)
        values["data"] = json.loads(json.dumps(values["data"] or {}, ensure_ascii=False))
    except (KeyError, TypeError, ValueError):
        written.pop(loaded.get("id"), None)
        return
    written[values.id] = values


def _unwritten(mapper, connection, target: AuditEvent) -> None:
    session = object_session(target)
    if session is not None:
        (session.info.get(_READ) or {}).pop(target.__dict__.get("id"), None)


def read_ahead(session: Session) -> None:
    """The first `before_commit` hook: read the transaction's own audit rows that were not kept as written (no
    other transaction sees or seals them) before any hook takes a hot lock (the meeting's live version, the
    chain's lock, the page counters). Rows the ORM inserted are kept by `_snapshot`: nothing to read."""
    if session.in_nested_transaction():
        return
    if not session.info.get(_PENDING) and not any(isinstance(obj, AuditEvent) for obj in session.new):
        return
    session.flush()
    read = session.info.setdefault(_READ, {})
    ids = sorted({event.id for event in session.info.get(_PENDING) or () if event.id is not None} - set(read))
    if ids:
        read.update((row.id, row) for row in _unsealed_rows(session, ids))


def seal(session: Session) -> int:
    """Chain the audit rows this session wrote and has not sealed yet; returns how many."""
    if not session.info.get(_PENDING) and not any(isinstance(obj, AuditEvent) for obj in session.new):
        session.info.pop(_READ, None)
        return 0
    session.flush()  # collects the rows still unflushed into the pending list
    pending = session.info.pop(_PENDING, None) or []
    read = session.info.pop(_READ, None) or {}
    ids = sorted({event.id for event in pending if event.id is not None})
    if not ids:
        return 0
    unread = [row_id for row_id in ids if row_id not in read]  # written by a hook after the read-ahead
    if unread:
        read.update((row.id, row) for row in _unsealed_rows(session, unread))
    rows = [read[row_id] for row_id in ids if row_id in read]
    if not rows:
        return 0
    for item in pending:
        if item in session:
            session.expire(item, ["seq", "prev_hash", "row_hash"])
    if hot_commit.batched(session):  # the lock and the seals with the commit's other hot statements
        _queue_lock(session)
        for statement, params in sealing_statements(rows):
            hot_commit.queue(session, hot_commit.AUDIT_CHAIN, statement, params)
        return len(rows)
    lock(session)
    last_seq, last_hash = tail(session)  # a statement after the lock: its snapshot shows the last holder's rows
    values = _seal_values(rows, last_seq, last_hash)
    session.execute(
        update(_table).where(_table.c.id == bindparam("row_id"))
        .values(seq=bindparam("seq"), prev_hash=bindparam("prev_hash"), row_hash=bindparam("row_hash")),
        values, execution_options={"synchronize_session": False},
    )
    return len(values)


def _seal_values(rows, last_seq: int, last_hash: str) -> list[dict]:
    return [dict(v, row_id=row.id) for row, v in zip(rows, chain(rows, after_seq=last_seq, after_hash=last_hash))]


# ------------------------------------------------------------------------- sealing in one round trip

# The canonical form's keys are sorted, so "prev", "seq" and "v" are its last three: everything before them is
# known before the lock. PostgreSQL completes each row's bytes from the chain's tail and hashes them (sha256 of
# the UTF-8 text, hex: what hashlib's hexdigest gives); verify() recomputes every hash in Python.
_MARK_PREV, _MARK_SEQ = "liaison-prev-marker", -918273645
_SUFFIX = f'"prev":"{_MARK_PREV}","seq":{_MARK_SEQ},"v":{VERSION}}}'
# The chain's tail as a statement run after the lock sees it (the genesis when the chain is empty).
_TAIL = ("(SELECT seq, row_hash FROM (SELECT seq, row_hash FROM audit_events WHERE seq IS NOT NULL "
         "ORDER BY seq DESC LIMIT 1) AS last UNION ALL SELECT 0, %(genesis)s ORDER BY seq DESC LIMIT 1) AS tail")
_SEAL_FROM_TAIL = (
    "UPDATE audit_events SET seq = tail.seq + 1, prev_hash = tail.row_hash, "
    "row_hash = encode(sha256(convert_to(%(prefix)s || '\"prev\":\"' || tail.row_hash || '\",\"seq\":' "
    f"|| (tail.seq + 1) || ',\"v\":{VERSION}}}', 'UTF8')), 'hex') "
    f"FROM {_TAIL} WHERE audit_events.id = %(row_id)s"
)


def canonical_prefix(row) -> str | None:
    """The canonical text of a row up to its "prev" (None if the form ever stops ending with prev, seq, v)."""
    text = canonical(row, _MARK_SEQ, _MARK_PREV).decode("utf-8")
    return text[: -len(_SUFFIX)] if text.endswith(_SUFFIX) and text.count(_MARK_PREV) == 1 else None


def sealing_statements(rows) -> list[tuple[str, dict]]:
    """One UPDATE per row, in order, each numbering and hashing its row after the chain's tail as the statement
    sees it (run after the advisory lock: the last holder's rows and this transaction's earlier seals)."""
    statements = []
    for row in rows:
        prefix = canonical_prefix(row)
        if prefix is None:  # pragma: no cover - a change of the canonical form must change this too
            raise RuntimeError("audit chain: the canonical form no longer ends with prev, seq, v")
        statements.append((_SEAL_FROM_TAIL, {"prefix": prefix, "genesis": GENESIS, "row_id": row.id}))
    return statements


def _queue_lock(session: Session) -> None:
    hot_commit.queue_once(session, hot_commit.AUDIT_CHAIN, "SELECT pg_advisory_xact_lock(%(key)s)", {"key": LOCK_KEY})


_ID_MARK = -918273646
_INSERT_SEALED = (
    "INSERT INTO audit_events (id, at, actor_id, action, object_type, object_id, object_label, data, committee_id, "
    "seq, prev_hash, row_hash) "
    "SELECT new.id, %(at)s, %(actor_id)s, %(action)s, %(object_type)s, %(object_id)s, %(object_label)s, "
    "%(data)s::json, %(committee_id)s, tail.seq + 1, tail.row_hash, "
    "encode(sha256(convert_to(%(head)s || new.id || %(middle)s || '\"prev\":\"' || tail.row_hash || '\",\"seq\":' "
    f"|| (tail.seq + 1) || ',\"v\":{VERSION}}}', 'UTF8')), 'hex') "
    f"FROM (SELECT nextval(pg_get_serial_sequence('audit_events', 'id')) AS id) AS new, {_TAIL}"
)


def queue_sealed_row(session: Session, values: dict) -> bool:
    """Write an audit row (the content columns but `id`) in the commit's last round trip, numbered, linked and
    hashed there, after the chain's lock (PostgreSQL, hot_commit batched, not inside a savepoint — a savepoint's
    rollback could not take a queued row back). The canonical text is built here with a marker for the id, which
    the sequence gives in the statement. False: not possible here (the caller writes the row through the ORM)."""
    if not hot_commit.batched(session) or session.in_nested_transaction():
        return False
    prefix = canonical_prefix({**values, "id": _ID_MARK})
    if prefix is None or prefix.count(str(_ID_MARK)) != 1:
        return False
    head, _, rest = prefix.partition(f'"id":{_ID_MARK},')
    params = {name: values[name] for name in CONTENT_COLUMNS if name != "id"}
    params.update(data=json.dumps(values["data"] or {}, ensure_ascii=False), head=head + '"id":', middle="," + rest,
                  genesis=GENESIS)
    _queue_lock(session)
    hot_commit.queue(session, hot_commit.AUDIT_CHAIN + 1, _INSERT_SEALED, params, writes="audit_events")
    return True


def _collect(session: Session, flush_context, instances) -> None:
    new = [obj for obj in session.new if isinstance(obj, AuditEvent)]
    if new:
        session.info.setdefault(_PENDING, []).extend(new)


def _forget(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)
    # the rows kept as written are gone too, or (a savepoint rolled back) what it wrote of others is undone: read again
    session.info.pop(_READ, None)


def init_app(app=None) -> None:
    """Install the sealing hooks on every SQLAlchemy session (idempotent)."""
    for name, function in (("before_flush", _collect), ("before_commit", seal),
                           ("after_soft_rollback", _forget)):
        if not event.contains(Session, name, function):
            event.listen(Session, name, function)
    for name, function in (("after_insert", _snapshot), ("after_update", _snapshot), ("after_delete", _unwritten)):
        if not event.contains(AuditEvent, name, function):
            event.listen(AuditEvent, name, function)
    if not event.contains(Session, "before_commit", read_ahead):
        event.listen(Session, "before_commit", read_ahead, insert=True)  # before every other commit hook


# --------------------------------------------------------------------------------------------- verifying

@dataclass
class Verdict:
    ok: bool
    rows: int  # rows checked
    head_seq: int = 0
    head_hash: str = GENESIS
    row_id: int | None = None  # the first row found altered, or the row after a deleted one
    problem: str = ""


def verify(session_or_connection, batch: int = 5000) -> Verdict:
    """Walk the chain in order; stop at the first row whose content, link or position does not hold."""
    expected_seq, prev = 1, GENESIS
    checked = 0
    columns = [_table.c[name] for name in CONTENT_COLUMNS] + [_table.c.seq, _table.c.prev_hash, _table.c.row_hash]
    result = session_or_connection.execute(
        select(*columns).where(_table.c.seq.is_not(None)).order_by(_table.c.seq)
        .execution_options(yield_per=batch)
    )
    try:
        for row in result:
            if row.seq != expected_seq:
                missing = (f"#{expected_seq}" if row.seq == expected_seq + 1 else f"#{expected_seq}–#{row.seq - 1}")
                return Verdict(False, checked, expected_seq - 1, prev, row.id,
                               f"row {row.id}: the row(s) at chain position {missing} before it were deleted")
            if row.prev_hash != prev:
                return Verdict(False, checked, expected_seq - 1, prev, row.id,
                               f"row {row.id}: its link does not match the previous row's hash "
                               "(the previous row was replaced or deleted)")
            if row_hash(row, row.seq, row.prev_hash) != row.row_hash:
                return Verdict(False, checked, expected_seq - 1, prev, row.id,
                               f"row {row.id}: its content was altered after it was written")
            prev = row.row_hash
            expected_seq += 1
            checked += 1
    finally:
        result.close()
    stray = session_or_connection.execute(
        select(_table.c.id).where(_table.c.seq.is_(None)).order_by(_table.c.id).limit(1)
    ).scalar()
    if stray is not None:
        return Verdict(False, checked, expected_seq - 1, prev, stray,
                       f"row {stray}: not part of the chain (inserted outside the application)")
    return Verdict(True, checked, expected_seq - 1, prev)
