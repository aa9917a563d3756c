"""The audit trail's hash chain: sealed at commit, never forked, and `audit verify` finds what was changed."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest
from flask_migrate import upgrade
from sqlalchemy import delete, func, insert, select, text, update

from liaison.domain import audit, audit_chain, audit_labels
from liaison.domain import users as user_rules
from liaison.extensions import db
from liaison.models import AuditEvent, Committee, User
from liaison.seed.demo import seed_demo
from bench.scale import Scale, generate

from ..conftest import make_app
from ..dbs import temporary_database


def _write_events(n: int) -> list[int]:
    """n users created through the domain (one audit row each), committed; their audit rows' ids."""
    for _ in range(n):
        number = db.session.scalar(select(func.count()).select_from(User)) + 1
        user_rules.create_user(actor=None, email=f"chain{number}@example.jp", name=f"鎖 {number}", password="a-long-password")
    db.session.commit()
    return list(db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.seq)))


def _rows():
    return db.session.execute(select(AuditEvent.id, AuditEvent.seq, AuditEvent.prev_hash, AuditEvent.row_hash)
                              .order_by(AuditEvent.seq)).all()


def test_rows_are_sealed_at_commit_in_one_unbroken_chain(ctx):
    ids = _write_events(3)
    rows = _rows()
    assert [r.seq for r in rows] == [1, 2, 3] and [r.id for r in rows] == ids
    assert rows[0].prev_hash == audit_chain.GENESIS
    assert [r.prev_hash for r in rows[1:]] == [r.row_hash for r in rows[:-1]]
    assert len({r.row_hash for r in rows}) == 3 and all(len(r.row_hash) == 64 for r in rows)
    verdict = audit_chain.verify(db.session)
    assert (verdict.ok, verdict.rows, verdict.head_seq, verdict.head_hash) == (True, 3, 3, rows[-1].row_hash)


def test_a_rolled_back_transaction_leaves_no_hole(ctx):
    _write_events(1)
    user_rules.create_user(actor=None, email="gone@example.jp", name="消える 人", password="a-long-password")
    db.session.flush()
    db.session.rollback()
    _write_events(1)
    assert [r.seq for r in _rows()] == [1, 2]
    assert audit_chain.verify(db.session).ok


def test_an_unflushed_row_is_sealed_too_and_the_object_reads_its_hash(ctx):
    user = user_rules.create_user(actor=None, email="late@example.jp", name="遅い 人", password="a-long-password")
    event = audit.record(None, "user.password_reset", user)  # still pending when commit starts
    db.session.commit()
    assert event.seq == 2 and event.prev_hash == db.session.scalar(select(AuditEvent.row_hash).where(AuditEvent.seq == 1))


@pytest.mark.parametrize("change", [
    {"object_label": "書き換えた名前"},
    {"data": {"email": "forged@example.jp"}},
    {"action": "user.deactivated"},
    {"actor_id": None, "object_id": 999},
    {"at": datetime(2020, 1, 1, tzinfo=timezone.utc)},
])
def test_verify_finds_the_row_altered_with_sql(ctx, change):
    ids = _write_events(4)
    db.session.execute(update(AuditEvent).where(AuditEvent.id == ids[2]).values(**change))
    db.session.commit()
    verdict = audit_chain.verify(db.session)
    assert not verdict.ok and verdict.row_id == ids[2] and "altered" in verdict.problem
    assert verdict.rows == 2


def test_verify_finds_a_row_altered_and_rehashed_by_its_successor_link(ctx):
    ids = _write_events(4)
    row = db.session.execute(select(*(AuditEvent.__table__.c[n] for n in audit_chain.CONTENT_COLUMNS),
                                    AuditEvent.seq, AuditEvent.prev_hash).where(AuditEvent.id == ids[1])).one()
    forged = dict(row._mapping, object_label="書き換えた名前")
    db.session.execute(update(AuditEvent).where(AuditEvent.id == ids[1]).values(
        object_label="書き換えた名前", row_hash=audit_chain.row_hash(forged, row.seq, row.prev_hash)))
    db.session.commit()
    verdict = audit_chain.verify(db.session)
    assert not verdict.ok and verdict.row_id == ids[2] and "link" in verdict.problem


@pytest.mark.parametrize("deleted", [0, 2])
def test_verify_finds_a_deleted_row(ctx, deleted):
    ids = _write_events(4)
    db.session.execute(delete(AuditEvent).where(AuditEvent.id == ids[deleted]))
    db.session.commit()
    verdict = audit_chain.verify(db.session)
    assert not verdict.ok and verdict.row_id == ids[deleted + 1] and "deleted" in verdict.problem


def test_verify_finds_a_row_slipped_in_with_sql(ctx):
    _write_events(2)
    stray = db.session.execute(insert(AuditEvent).values(
        at=datetime.now(timezone.utc), action="user.created", object_type="users", object_id=1, object_label="",
        data={}).returning(AuditEvent.id)).scalar()
    db.session.commit()
    verdict = audit_chain.verify(db.session)
    assert not verdict.ok and verdict.row_id == stray and "not part of the chain" in verdict.problem


def test_the_cli_exits_1_with_the_row_id(app):
    runner = app.test_cli_runner()
    with app.app_context():
        ids = _write_events(3)
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "OK, 3 rows" in result.output
    with app.app_context():
        db.session.execute(text("UPDATE audit_events SET object_label = 'x' WHERE id = :id"), {"id": ids[1]})
        db.session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1 and f"first bad row id {ids[1]}" in result.output


def test_the_committee_of_each_row_is_recorded(ctx, factory):
    factory.member("planning")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "membership.appointed"))
    assert event.committee_id == factory.committee("planning").id
    assert db.session.scalar(select(AuditEvent.committee_id).where(AuditEvent.action == "user.created")) is None


def test_verify_passes_on_the_demo(ctx):
    seed_demo()
    db.session.commit()
    verdict = audit_chain.verify(db.session)
    assert verdict.ok and verdict.rows == db.session.scalar(select(func.count()).select_from(AuditEvent)) > 100
    with_committee = db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.committee_id.is_not(None)))
    assert with_committee > verdict.rows / 2
    assert set(db.session.scalars(select(AuditEvent.action).distinct())) <= audit_labels.known_actions()


def test_verify_passes_on_the_scale_data_set_and_finds_an_altered_row(ctx):
    generate(Scale.small())
    db.session.commit()
    verdict = audit_chain.verify(db.session)
    count = db.session.scalar(select(func.count()).select_from(AuditEvent))
    assert verdict.ok and verdict.rows == count > 50
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.committee_id.is_(None))) == 0
    later = _write_events(1)[-1]  # the application appends after the bulk-written rows
    assert audit_chain.verify(db.session).rows == count + 1
    victim = db.session.scalar(select(AuditEvent.id).where(AuditEvent.seq == count // 2))
    db.session.execute(update(AuditEvent).where(AuditEvent.id == victim).values(data={"number": "企画-R1-999"}))
    db.session.commit()
    assert audit_chain.verify(db.session).row_id == victim != later


def test_eight_writers_at_once_never_fork_the_chain(app, backend):
    """Each writer holds its transaction open until all eight have written, then they commit together."""
    if backend == "sqlite":
        pytest.skip("SQLite has one writer at a time; the race is PostgreSQL's")
    with app.app_context():
        _write_events(1)
    barrier = threading.Barrier(8, timeout=10)
    errors = []

    def write(n):
        with app.app_context():
            try:
                council = db.session.scalar(select(Committee).where(Committee.slug == "council"))
                for k in range(3):
                    audit.record(None, "committee.reminders", council, before={"n": n}, after={"n": k})
                db.session.flush()
                barrier.wait()
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                db.session.rollback()
                errors.append(repr(error))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        assert [r.seq for r in _rows()] == list(range(1, 26))
        verdict = audit_chain.verify(db.session)
        assert verdict.ok and verdict.rows == 25


def test_the_migration_chains_the_rows_written_before_it(backend, tmp_path):
    with temporary_database(backend, tmp_path) as url:
        app = make_app(url, tmp_path)
        with app.app_context():
            upgrade(revision="0009")
            table = AuditEvent.__table__
            # Written as the app of that time wrote them: on a connection, before page_versions existed (0024).
            with db.engine.begin() as connection:
                for day in range(1, 6):  # only the columns the old schema has
                    connection.execute(insert(table).values(
                        at=datetime(2026, 4, day, 1, 2, 3, 456789, tzinfo=timezone.utc), actor_id=None,
                        action="user.created", object_type="users", object_id=day, object_label=f"利用者{day}",
                        data={"email": f"u{day}@example.jp", "nested": {"b": [1, 2], "a": None}}))
            upgrade()
            assert [r.seq for r in _rows()] == [1, 2, 3, 4, 5]
            verdict = audit_chain.verify(db.session)
            assert verdict.ok and verdict.rows == 5
            _write_events(1)
            assert audit_chain.verify(db.session).rows == 6
            db.session.remove()
            db.engine.dispose()


def test_the_hashes_postgresql_computes_in_the_commit_equal_pythons_for_any_text(ctx, factory):
    """On PostgreSQL the seal is computed by the commit's one query (liaison.hot_commit): its bytes and hashes must be
    exactly canonical()'s, whatever a label or the data hold (quotes, backslashes, %, newlines, control characters, 旧字体, emoji)."""
    user = user_rules.create_user(actor=None, email="text@example.jp", name="髙橋 﨑", password="a-long-password")
    awkward = ['"quoted" \\ back\\slash', "100% 'single' %s %(x)s", "改行\n\tタブ\r", "ctrl\x01char\x7f", "😀 𠮷野家 ｶﾀｶﾅ",
               f'"id":{audit_chain._ID_MARK},']  # the id's marker in the text: written through the ORM instead
    # Through the ORM (sealed by UPDATEs) and written in the commit's query (record_at_commit: INSERT … sealed),
    # interleaved in one commit: one chain, in the order the statements ran.
    for n, label in enumerate(awkward * 2):
        write = audit.record if n % 2 else audit.record_at_commit
        write(None, "user.password_reset", user, label=label, data={"note": label, "list": [1, "二", None], "n": n})
    db.session.commit()
    rows = db.session.execute(select(*(AuditEvent.__table__.c[name] for name in audit_chain.CONTENT_COLUMNS),
                                     AuditEvent.seq, AuditEvent.prev_hash, AuditEvent.row_hash)
                              .order_by(AuditEvent.seq)).all()
    assert [row.seq for row in rows] == list(range(1, len(rows) + 1)) and len(rows) >= 2 * len(awkward) + 1
    for row in rows:
        assert row.row_hash == audit_chain.row_hash(row, row.seq, row.prev_hash), row.object_label
    assert audit_chain.verify(db.session).ok


def test_the_seal_hashes_what_the_insert_wrote_not_later_changes_of_the_object(ctx, count_queries):
    """The seal takes a row's values as its INSERT wrote them (no read back): a change of the data dict in place
    after the flush, which the ORM does not write, must not reach the hash; a change the ORM writes must."""
    committee = db.session.scalar(select(Committee).order_by(Committee.id))
    in_place = audit.record(None, "test.in_place", committee, note="書いたまま")
    relabelled = audit.record(None, "test.relabelled", committee)
    db.session.flush()
    in_place.data["note"] = "後から変えた"  # not written: a plain JSON column does not see it
    relabelled.object_label = "後から付けた名前"  # written by the next flush (an UPDATE)
    with count_queries() as counter:
        db.session.commit()
    assert not any(statement.startswith("SELECT audit_events.id") for statement in counter.statements)
    stored = {row.action: row for row in db.session.execute(select(AuditEvent.action, AuditEvent.data,
                                                                   AuditEvent.object_label))}
    assert stored["test.in_place"].data["note"] == "書いたまま"
    assert stored["test.relabelled"].object_label == "後から付けた名前"
    assert audit_chain.verify(db.session).ok


def test_rows_of_a_rolled_back_savepoint_or_deleted_before_commit_leave_no_hole(ctx):
    committee = db.session.scalar(select(Committee).order_by(Committee.id))
    audit.record(None, "test.kept_before", committee)
    db.session.flush()
    savepoint = db.session.begin_nested()
    audit.record(None, "test.undone", committee)
    audit.record_at_commit(None, "test.undone_at_commit", committee)  # in a savepoint: through the ORM, undone with it
    db.session.flush()
    savepoint.rollback()
    deleted = audit.record(None, "test.deleted", committee)
    db.session.flush()
    db.session.delete(deleted)
    audit.record(None, "test.kept_after", committee)
    db.session.commit()
    rows = db.session.execute(select(AuditEvent.action, AuditEvent.seq).order_by(AuditEvent.seq)).all()
    assert [(row.action, row.seq) for row in rows] == [("test.kept_before", 1), ("test.kept_after", 2)]
    assert audit_chain.verify(db.session).ok
