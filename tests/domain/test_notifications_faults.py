"""The sender under faults, in-process (issue 16): marks retried not resent, fencing, recovery, the breaker.

The same faults against the real `scheduler run` process are in tests/faults/.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from liaison.dates import utcnow
from liaison.extensions import db
from liaison.models import Notification, NotificationKind, NotificationState, SchedulerLease
from liaison.notify import claims, sender
from liaison.notify.locks import LEASE_NAME, sender_lock

from ..notify_support import (  # noqa: F401  (fixtures)
    Mailbox, convene, free_port, mailbox, make_meeting, rows, smtp_config,
)

BODIES = ("川越市", "熊谷市", "川口市")


@pytest.fixture()
def members(ctx, factory):
    return [factory.member("planning", body) for body in BODIES]


class DeadConnection:
    """What the sender's connection for marks is after its backend was terminated."""

    def execute(self, statement, *args, **kwargs):
        raise OperationalError(str(statement), {}, Exception("server closed the connection unexpectedly"))

    def close(self):
        pass


def marks_connections(monkeypatch, dead: int | None):
    """The first `dead` connections the sender opens for marks fail (all of them when None)."""
    real_open = sender.Marks._open
    opened = {"n": 0}

    def open_():
        opened["n"] += 1
        return DeadConnection() if dead is None or opened["n"] <= dead else real_open()

    monkeypatch.setattr(sender.Marks, "_open", staticmethod(open_))
    return opened


def test_a_mark_that_fails_after_the_servers_250_is_retried_never_resent(members, mailbox, monkeypatch):
    failures = {"left": 0}
    opened = marks_connections(monkeypatch, 3)
    convene(make_meeting(starts_in=timedelta(days=10)))
    result = sender.run_pass()
    monkeypatch.undo()
    assert opened["n"] == 4 and failures["left"] == 0  # three dead connections, the fourth recorded the marks
    assert result.count(sender.Outcome.SENT) == len(members) and result.count(sender.Outcome.RETRY) == 0
    assert mailbox.recipients() == sorted(m.email for m in members)  # once each
    assert all(n.state is NotificationState.SENT and n.attempts == 1 for n in rows(NotificationKind.CONVOCATION))
    assert sender.run_pass().outcomes == {} and len(mailbox.envelopes) == len(members)


def test_a_mark_that_cannot_be_recorded_is_kept_and_recorded_by_the_next_pass(members, mailbox, monkeypatch, smtp_config):
    smtp_config(mailbox.port, NOTIFY_MARK_RETRY_SECONDS=0.2)
    marks_connections(monkeypatch, None)
    convene(make_meeting(starts_in=timedelta(days=10)))
    result = sender.run_pass(budget=timedelta(0))
    monkeypatch.undo()
    assert result.database_down and len(mailbox.envelopes) == 1  # the first mail went out, its mark did not
    assert len(claims._unrecorded) == 1
    again = sender.run_pass()
    assert claims._unrecorded == []
    assert again.count(sender.Outcome.SENT) == len(members) - 1
    assert mailbox.recipients() == sorted(m.email for m in members)  # the first was not sent again
    assert all(n.state is NotificationState.SENT for n in rows(NotificationKind.CONVOCATION))


def test_a_claim_under_a_stale_epoch_is_refused_by_the_database(members):
    convene(make_meeting(starts_in=timedelta(days=10)))
    ids = [n.id for n in rows(NotificationKind.CONVOCATION)]
    with sender_lock("first") as first:
        stale = first.epoch
    with sender_lock("second") as second:
        assert second.epoch == stale + 1
        assert sender.claim_all(ids, utcnow(), "first", stale) == []
        assert sender.claim_all(ids, utcnow(), "second", second.epoch) == ids
    assert {n.claim_epoch for n in rows(NotificationKind.CONVOCATION)} == {stale + 1}


def test_rows_left_sending_under_an_older_epoch_go_back_at_once(members, mailbox):
    convene(make_meeting(starts_in=timedelta(days=10)))
    crashed = rows(NotificationKind.CONVOCATION)[0]
    with sender_lock("crashed") as lock:
        assert claims.claim(crashed.id, utcnow(), "crashed", lock.epoch)
        db.session.commit()
    result = sender.run_pass()  # seconds later, no 10-minute wait
    assert result.recovered == 1 and result.count(sender.Outcome.SENT) == len(members)
    assert mailbox.recipients() == sorted(m.email for m in members)
    # the interrupted claim did not spend an attempt: a sender killed again and again fails no row
    assert all(n.attempts == 1 for n in rows(NotificationKind.CONVOCATION))


def test_a_stale_holders_mark_does_not_overwrite_a_newer_claim(members, mailbox):
    convene(make_meeting(starts_in=timedelta(days=10)))
    row = rows(NotificationKind.CONVOCATION)[0]
    with sender_lock("old") as old:
        assert claims.claim(row.id, utcnow(), "old", old.epoch)
        db.session.commit()
    with sender_lock("new") as new:
        sender.recover_stuck(utcnow(), new.epoch)
        assert claims.claim(row.id, utcnow(), "new", new.epoch)
        db.session.commit()
    marks = sender.Marks()
    marks.epoch = old.epoch
    claims.finish(row.id, NotificationState.FAILED, marks, last_error="stale")
    marks.close()
    again = rows(NotificationKind.CONVOCATION)[0]
    assert again.state is NotificationState.SENDING and again.claim_epoch == new.epoch


def test_sending_stops_before_the_next_mail_when_the_lock_is_lost(members, mailbox, monkeypatch):
    from liaison.notify import locks

    checks = {"n": 0}
    real_check = locks.Lock.check

    def lost_after_one(self):
        checks["n"] += 1
        if checks["n"] > 1:
            self.held = False
            return False
        return real_check(self)

    monkeypatch.setattr(locks.Lock, "check", lost_after_one)
    convene(make_meeting(starts_in=timedelta(days=10)))
    result = sender.run_pass(budget=timedelta(0))
    monkeypatch.undo()
    assert result.lock_lost and result.count(sender.Outcome.SENT) == 1 and len(mailbox.envelopes) == 1
    left = [n for n in rows(NotificationKind.CONVOCATION) if n.state is not NotificationState.SENT]
    assert len(left) == len(members) - 1
    assert all(n.state is NotificationState.PENDING and n.attempts == 0 for n in left)


class ClosingMailbox(Mailbox):
    """Answers 421 (service closing) to every recipient: an outage, not the recipient's failure."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "421 4.3.2 Service shutting down"


class CuttingMailbox(Mailbox):
    """Cuts the connection at the DATA of every third message; accepts the others."""

    def __init__(self, port):
        super().__init__(port)
        self.datas = 0

    async def handle_DATA(self, server, session, envelope):
        self.datas += 1
        if self.datas % 3 == 2:
            server.transport.close()
            return "421 gone"
        return await super().handle_DATA(server, session, envelope)


def test_421_pauses_sending_and_spends_no_attempt(members, smtp_config):
    box = ClosingMailbox(free_port())
    box.start()
    try:
        smtp_config(box.port)
        convene(make_meeting(starts_in=timedelta(days=10)))
        result = sender.run_pass()
    finally:
        box.stop()
    assert result.server_down and "421" in result.smtp_error
    assert all(n.state is NotificationState.PENDING and n.attempts == 0 for n in rows(NotificationKind.CONVOCATION))
    state = db.session.scalar(select(SchedulerLease).where(SchedulerLease.name == LEASE_NAME))
    assert state.smtp_down_since is not None and state.smtp_retry_at > state.smtp_down_since


def test_a_connection_cut_mid_data_reconnects_and_the_pass_goes_on(members, smtp_config):
    box = CuttingMailbox(free_port())
    box.start()
    try:
        smtp_config(box.port)
        convene(make_meeting(starts_in=timedelta(days=10)))
        result = sender.run_pass()
    finally:
        box.stop()
    assert not result.server_down and result.count(sender.Outcome.SENT) == len(members)
    assert box.recipients() == sorted(m.email for m in members)
    assert all(n.state is NotificationState.SENT and n.attempts == 1 for n in rows(NotificationKind.CONVOCATION))


def test_a_database_failure_mid_pass_releases_the_claims_and_the_pass_goes_on(members, mailbox, monkeypatch):
    real = sender.prepare_claimed
    calls = {"n": 0}

    def failing_once(ids, now):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("SELECT", {}, Exception("terminating connection due to administrator command"))
        return real(ids, now)

    monkeypatch.setattr(sender, "prepare_claimed", failing_once)
    convene(make_meeting(starts_in=timedelta(days=10)))
    result = sender.run_pass()
    assert calls["n"] >= 2 and result.count(sender.Outcome.SENT) == len(members)
    assert mailbox.recipients() == sorted(m.email for m in members)
    assert all(n.attempts == 1 for n in rows(NotificationKind.CONVOCATION))


def test_the_sqlite_lease_is_short_and_a_lapsed_holder_is_fenced(members, app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the lease is SQLite's lock")
    with sender_lock("first") as first:
        assert first.held
        lease = db.session.get(SchedulerLease, LEASE_NAME)
        db.session.refresh(lease)
        assert lease.expires_at - utcnow() <= timedelta(seconds=app.config["NOTIFY_LEASE_SECONDS"])
        db.session.execute(update(SchedulerLease).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session.commit()  # the holder stalled past its lease
        with sender_lock("second") as second:
            assert second.held and second.epoch == first.epoch + 1
            assert first.renew() is False  # the stalled holder finds out before its next chunk
