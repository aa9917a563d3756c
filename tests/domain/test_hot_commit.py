"""liaison.hot_commit: the commit's last round trip must follow every hook that queues into it."""
from __future__ import annotations

from liaison import hot_commit
from liaison.domain import audit_chain, live
from liaison.extensions import db
from liaison.pages import versions


def test_the_hot_statements_are_sent_after_every_hook_that_queues_them(ctx):
    hooks = list(db.session().dispatch.before_commit)
    assert hooks[-1] is hot_commit.run, hooks  # a statement queued after it would never be sent
    for queuing in (live._raise_versions, audit_chain.seal, versions._before_commit):
        assert queuing in hooks and hooks.index(queuing) < hooks.index(hot_commit.run)
    # the page counters count the live version's UPDATE: the live hook queues before the counters' hook reads
    assert hooks.index(live._raise_versions) < hooks.index(versions._before_commit)
    assert hooks[0] is audit_chain.read_ahead  # the own audit rows are read before any hot lock


def _sent_queries(monkeypatch) -> list[str]:
    import psycopg

    sent: list[str] = []
    execute = psycopg.Cursor.execute

    def recorded(cursor, query, *args, **kwargs):
        sent.append(" ".join(str(query).split()))
        return execute(cursor, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", recorded)
    return sent


def _stored_audit(app, action: str):
    from sqlalchemy import select

    from liaison.models import AuditEvent

    with db.engine.connect() as other:  # another connection: what is committed
        return other.execute(select(AuditEvent.seq, AuditEvent.row_hash).where(AuditEvent.action == action)).first()


def test_the_hot_query_ends_with_the_commit_itself(ctx, app, monkeypatch):
    """PostgreSQL: the locks every writer waits for (the meeting, the chain) are released by the same round trip
    that took them; SQLAlchemy then finds the connection idle and psycopg sends no second COMMIT."""
    import pytest
    from sqlalchemy import select

    from liaison.domain import audit
    from liaison.models import Committee

    if not hot_commit.batched(ctx):
        pytest.skip("SQLite runs the hooks' statements one by one")
    committee = ctx.scalar(select(Committee).order_by(Committee.id))
    audit.record(None, "test.hot_commit", committee)
    sent = _sent_queries(monkeypatch)
    raw = ctx.connection().connection.driver_connection
    notices: list[str] = []
    raw.add_notice_handler(lambda diagnostic: notices.append(diagnostic.message_primary))
    ctx.commit()
    assert sent and sent[-1].startswith("SELECT pg_advisory_xact_lock(") and sent[-1].endswith("; COMMIT"), sent
    assert raw.info.transaction_status.name == "IDLE"
    assert notices == []  # a second COMMIT would have drawn "there is no transaction in progress"
    stored = _stored_audit(app, "test.hot_commit")
    assert stored is not None and stored.seq is not None and stored.row_hash  # committed, sealed
    assert audit_chain.verify(ctx).ok


def test_a_savepoint_sends_its_hot_statements_without_committing(ctx, app, monkeypatch):
    import pytest
    from sqlalchemy import select

    from liaison.domain import audit
    from liaison.models import Committee

    if not hot_commit.batched(ctx):
        pytest.skip("SQLite runs the hooks' statements one by one")
    committee = ctx.scalar(select(Committee).order_by(Committee.id))
    sent = _sent_queries(monkeypatch)
    with ctx.begin_nested():
        audit.record(None, "test.hot_savepoint", committee)
    assert any("pg_advisory_xact_lock" in query for query in sent)  # the savepoint's hooks ran and sent theirs
    assert not any(query.endswith("COMMIT") for query in sent), sent
    ctx.rollback()  # the outer transaction: nothing of it was committed
    assert _stored_audit(app, "test.hot_savepoint") is None


def test_a_failing_hot_statement_commits_nothing(ctx, app):
    """The COMMIT at the end of the query is never reached when a statement before it fails."""
    import pytest
    from sqlalchemy import select
    from sqlalchemy.exc import DBAPIError

    from liaison.domain import audit
    from liaison.models import Committee

    if not hot_commit.batched(ctx):
        pytest.skip("SQLite runs the hooks' statements one by one")
    committee = ctx.scalar(select(Committee).order_by(Committee.id))
    audit.record(None, "test.hot_failing", committee)
    hot_commit.queue(ctx, hot_commit.PAGE_COUNTERS + 1, "SELECT 1 / 0")
    with pytest.raises(DBAPIError):
        ctx.commit()
    ctx.rollback()
    assert _stored_audit(app, "test.hot_failing") is None
    audit.record(None, "test.hot_after", committee)  # the session works on after the failure
    ctx.commit()
    assert _stored_audit(app, "test.hot_after") is not None
