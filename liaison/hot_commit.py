"""The statements a commit runs last, on the rows and locks every writer shares, sent in one round trip.

Three commit hooks write what every meeting-day action shares: the meeting's live version (liaison.domain.live,
the meeting's row), the audit chain's seal (liaison.domain.audit_chain, an advisory lock and the chain's tail)
and the page counters (liaison.pages.versions, their rows). From the first of these locks to COMMIT every other
writer of the same meeting waits; when 64 tablets cast at once, each statement in that window costs a round trip
*and* the wait for a busy process's interpreter before the next one is sent (the lock holder queues for the GIL
behind the threads that queue for its lock).

On PostgreSQL the hooks therefore queue their statements here instead of running them, and the last
`before_commit` hook (`run`, installed after the others) sends them as ONE query of several statements, in lock
order: the meetings' UPDATE … RETURNING with its NOTIFY, the audit chain's advisory lock, each new audit row's
seal (numbered and hashed by PostgreSQL from the chain's tail, read by that statement after the lock — see
audit_chain.sealing_statements), the page counters. The server runs them one after the other, each with its own
snapshot, as if sent one by one; the process waits once. When the outermost transaction commits and nothing is
left to flush, the query ends with COMMIT itself: the locks it took are released by the same round trip, not by a
second one that would wait for this process's interpreter first (SQLAlchemy then finds the connection idle, and
psycopg's commit() sends nothing). Parameters are bound on the client (psycopg's ClientCursor quoting), as a
multi-statement query requires; a failure is raised as SQLAlchemy's DBAPIError, as any statement's would be.
SQLite (one writer at a time, no round trips) runs the hooks' statements one by one as before.

Every statement is reported to the engine's `before_cursor_execute` listeners as its own (query counts).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

_KEY = "liaison.hot_commit"

# Lock order (the order the hooks always took them in: no deadlock between two commits).
MEETINGS, AUDIT_CHAIN, PAGE_COUNTERS = 10, 20, 30

_installed = False


@dataclass
class _Batch:
    statements: list = field(default_factory=list)  # (rank, n, sql, params)
    tables: set = field(default_factory=set)  # the tables the queued statements write (the page counters count them)


def batched(session: Session) -> bool:
    """True when this session's commit sends the hot statements together (PostgreSQL with psycopg, `run`
    installed); otherwise the hooks run their statements themselves."""
    if not _installed:
        return False
    bind = session.get_bind()
    return bind.dialect.name == "postgresql" and bind.dialect.driver == "psycopg"


def queue(session: Session, rank: int, sql: str, params=None, *, writes: str | None = None) -> None:
    """Queue a statement (psycopg's %(name)s / %s parameters) for the commit's last round trip; `writes`: the
    table it changes, for the hooks that count written tables (liaison.pages.versions: `written`)."""
    batch = session.info.get(_KEY)
    if batch is None:
        batch = session.info[_KEY] = _Batch()
    batch.statements.append((rank, len(batch.statements), sql, params))
    if writes:
        batch.tables.add(writes)


def queue_once(session: Session, rank: int, sql: str, params=None) -> None:
    """`queue`, unless the same statement with the same parameters is queued already (a lock two hooks need)."""
    batch = session.info.get(_KEY)
    if batch is not None and any(entry[0] == rank and entry[2] == sql and entry[3] == params
                                 for entry in batch.statements):
        return
    queue(session, rank, sql, params)


def written(session: Session) -> set:
    """The tables written by the statements queued so far (a statement sent through the ORM is seen by its events)."""
    batch = session.info.get(_KEY)
    return set(batch.tables) if batch is not None else set()


def run(session: Session) -> None:
    """The last before_commit hook: send what the hooks queued as one query, with the COMMIT (`_may_commit`). A
    savepoint's commit sends what its hooks queued too (the audit seal and the counters ran there, as they always
    did), without COMMIT."""
    batch = session.info.pop(_KEY, None)
    if batch is None or not batch.statements:
        return
    import psycopg

    connection = session.connection()
    raw = connection.connection.driver_connection
    quoting = psycopg.ClientCursor(raw)
    texts = []
    for _rank, _n, sql, params in sorted(batch.statements, key=lambda entry: entry[:2]):
        text = quoting.mogrify(sql, params) if params is not None else sql
        for listener in connection.dispatch.before_cursor_execute:
            listener(connection, quoting, text, None, None, False)
        texts.append(text)
    quoting.close()
    if _may_commit(session) and raw.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS:
        texts.append("COMMIT")  # the locks taken above go with this same round trip (see _may_commit)
    query = ";\n".join(texts)
    try:
        with raw.cursor() as cursor:
            cursor.execute(query, prepare=False)  # no parameters: one simple query, one round trip
    except psycopg.Error as error:  # as SQLAlchemy reports a statement's failure (the web layer's 409/503 see it)
        lost = connection.dialect.is_disconnect(error, raw, None)
        if lost:
            connection.invalidate(error)
        raise DBAPIError.instance(query, None, error, psycopg.Error, connection_invalidated=lost,
                                  dialect=connection.dialect) from error


def _may_commit(session: Session) -> bool:
    """True when the query may end with COMMIT itself: the outermost transaction's commit (not a savepoint's) with
    nothing left for the ORM to flush (and, checked by `run`, a transaction open on the connection: never on one in
    autocommit). SQLAlchemy then finds the connection idle: psycopg's commit() sends nothing.
    The locks every writer waits for (the meeting's row, the audit chain) are then held for the server's time only,
    not also for the round trip that would bring this process's COMMIT after its thread got the interpreter back."""
    if session.in_nested_transaction():
        return False
    return not (session.new or session.deleted or session.identity_map.check_modified())


def _forget(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction rolled back: nothing queued is sent
        session.info.pop(_KEY, None)


def install() -> None:
    """Listen to every session's commit, after every hook that queues (create_app calls it after the others)."""
    global _installed
    if not event.contains(Session, "before_commit", run):
        event.listen(Session, "before_commit", run)
        event.listen(Session, "after_soft_rollback", _forget)
    _installed = True
