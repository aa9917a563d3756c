"""The page cache's version counters: each commit that wrote a table raises that table's row in page_versions.

Session events collect the tables a transaction writes (objects flushed, and INSERT/UPDATE/DELETE statements
run through the session), and `before_commit` raises their counters in the same transaction, in name order, in one statement
(no deadlock between two commits; the hot rows are locked for the commit's last round trip only). A page read takes the counters' sum (`VERSION`) *before* it reads its
data, in the same query as the logged-in user (web.load_user), so a page is never stored under a key newer
than its data. Writes on a bare connection (the sender's `engine.begin()` bookkeeping of sent mails) are not
seen: no cached page shows them.
"""
from __future__ import annotations

from flask import g
from sqlalchemy import event, func, literal_column, or_, select
from sqlalchemy.orm import Session

from .. import hot_commit
from ..extensions import db
from ..models import PageVersion

WRITTEN = _WRITTEN = "liaison_page_tables"  # session.info: the tables this transaction wrote
TABLE = PageVersion.__tablename__


def _note(session: Session, names) -> None:
    names = {name for name in names if name and name != TABLE}
    if names:
        session.info.setdefault(_WRITTEN, set()).update(names)


def _after_flush(session: Session, flush_context) -> None:
    written = [*session.new, *session.deleted,
               *(obj for obj in session.dirty if session.is_modified(obj, include_collections=False))]
    _note(session, (getattr(getattr(obj, "__table__", None), "name", None) for obj in written))


def _do_orm_execute(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        _note(state.session, [getattr(table, "name", None)])


def _before_commit(session: Session) -> None:
    session.flush()  # what commit would flush after this hook: its tables count too
    names = session.info.pop(_WRITTEN, None) or set()
    names |= hot_commit.written(session)  # the live version's UPDATE, queued for the commit's last round trip
    if not names:
        return
    if hot_commit.batched(session):  # with the commit's other hot statements (liaison.hot_commit)
        values = ", ".join("(%s, 1)" for _ in names)
        hot_commit.queue(session, hot_commit.PAGE_COUNTERS, f"INSERT INTO {TABLE} (name, counter) VALUES {values} ON CONFLICT (name) "
                                   f"DO UPDATE SET counter = {TABLE}.counter + 1", tuple(map(str, sorted(names))))
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    # One statement for all the tables: its rows are upserted (and locked) in the order of VALUES, name order.
    statement = insert(PageVersion.__table__).values([{"name": name, "counter": 1} for name in sorted(names)])
    connection.execute(statement.on_conflict_do_update(
        index_elements=["name"], set_={"counter": PageVersion.__table__.c.counter + 1}))


def _forget(session: Session, previous_transaction) -> None:
    """The outermost transaction rolled back: nothing it wrote remains (a savepoint's rollback keeps the list)."""
    if previous_transaction.parent is None and not previous_transaction.nested:
        session.info.pop(_WRITTEN, None)


def install() -> None:
    """Listen to every session (once)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _do_orm_execute)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_soft_rollback", _forget)


# The page key's version: the sum of every table's counter. Counters only grow (a commit adds one per table it
# wrote), so the sum grows with every committed write, like the counters themselves.
VERSION = select(func.coalesce(func.sum(PageVersion.counter), literal_column("0"))).scalar_subquery()
_CURRENT = select(VERSION)


def of_tables(*names: str):
    """The sum of these tables' counters, as a column (it grows with every commit that wrote one of them)."""
    assert all(name.isidentifier() for name in names)  # table names, written into the statement (not bound)
    return select(func.coalesce(func.sum(PageVersion.counter), literal_column("0"))).where(
        or_(*(PageVersion.name == literal_column(f"'{name}'") for name in names))).scalar_subquery()
_KNOWN = "_liaison_page_version"


def keep(values) -> None:
    """The version loaded in the logged-in user's query (web.load_user: `VERSION` as one of its columns)."""
    setattr(g, _KNOWN, values[0])


def forget() -> None:
    g.pop(_KNOWN, None)


def current() -> int:
    """The version for this request's page key: the one loaded with the user, else one query. Taken once: the
    next caller asks again."""
    known = g.pop(_KNOWN, None)
    return int(known if known is not None else db.session.connection().execute(_CURRENT).scalar_one())
