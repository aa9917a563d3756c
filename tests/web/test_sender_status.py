"""Issue 16 on the web side: the sender's state for administrators, /readyz, and a dropped database connection."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy.exc import OperationalError
from sqlalchemy.dialects import postgresql, sqlite

from liaison.dates import to_tokyo, utcnow
from liaison.domain import notifications as notification_rules
from liaison.extensions import db
from liaison.models import NotificationState, SchedulerLease
from liaison.notify.locks import LEASE_NAME

from .test_notifications import notify


def sender_row(app, **values):
    with app.app_context():
        insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
        row = {"name": LEASE_NAME, "holder": "", "epoch": 1, "smtp_error": "", **values}
        db.session.execute(insert(SchedulerLease).values(**row).on_conflict_do_update(
            index_elements=["name"], set_={k: v for k, v in row.items() if k != "name"}))
        db.session.commit()


def test_the_outbox_page_shows_the_senders_state_during_an_smtp_outage(app, client, login, factory):
    member = factory.member()
    notify(app, member, 7, state=NotificationState.PENDING, due_in=timedelta(minutes=-30))  # blocked, attempts 0
    down_since = utcnow() - timedelta(minutes=25)
    sender_row(app, holder="sched-host:42:1", last_pass_at=utcnow() - timedelta(seconds=20),
               last_sent_at=down_since - timedelta(minutes=1), smtp_down_since=down_since,
               smtp_retry_at=utcnow() + timedelta(minutes=2), smtp_error="ConnectionRefusedError: [Errno 111]")
    login(client, factory.admin().email)
    page = client.get("/admin/notifications/").get_data(as_text=True)
    assert "送信処理の状態" in page and "稼働中" in page
    assert f"{to_tokyo(down_since):%H:%M} から接続できません" in page and "Errno 111" in page
    assert "7 件" in page  # the seven blocked mails, though none has spent an attempt
    assert "送信が滞っています" in page


def test_readyz_is_200_while_mails_flow_and_503_when_the_outbox_is_stuck(app, client, factory):
    member = factory.member()
    sender_row(app, last_pass_at=utcnow())
    notify(app, member, 2, state=NotificationState.PENDING, due_in=timedelta(minutes=-1))
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["status"] == "ready" and ready.json["outbox"]["waiting"] == 2
    assert client.get("/healthz").status_code == 200

    notify(app, member, 1, state=NotificationState.PENDING, due_in=timedelta(minutes=-40))
    sender_row(app, last_pass_at=utcnow() - timedelta(minutes=30))  # the scheduler stopped
    stuck = client.get("/readyz")
    assert stuck.status_code == 503 and stuck.json["status"] == "stuck"
    assert "scheduler not running" in stuck.json["outbox"]["problems"]
    assert client.get("/healthz").status_code == 200  # the database answers: healthy, not ready


def test_a_read_that_hits_a_dead_connection_is_retried_once(app, client, login, factory, monkeypatch):
    member = factory.member()
    login(client, member.email)
    real = notification_rules.load_with_unread_count
    calls = {"n": 0}

    def dead_once(user_id, *also):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("SELECT", {}, Exception("terminating connection due to administrator command"))
        return real(user_id, *also)

    monkeypatch.setattr(notification_rules, "load_with_unread_count", dead_once)
    response = client.get("/notifications/")
    assert response.status_code == 200 and calls["n"] == 2


def test_a_read_that_fails_twice_and_a_write_answer_503_with_retry_after(app, client, login, factory, monkeypatch):
    member = factory.member()
    ids = notify(app, member, 2)
    login(client, member.email)
    token = client.csrf_token()

    def dead(*args, **kwargs):
        raise OperationalError("UPDATE", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(notification_rules, "load_with_unread_count", dead)
    read = client.get("/notifications/")
    assert read.status_code == 503 and read.headers["Retry-After"] == "5"
    assert "データベースに接続できませんでした" in read.get_data(as_text=True)
    monkeypatch.undo()

    monkeypatch.setattr(notification_rules, "mark_all_read", dead)
    write = client.post("/notifications/read-all", data={"csrf_token": token})
    assert write.status_code == 503 and write.headers["Retry-After"] == "5"
    assert "入力した内容は保存されていません" in write.get_data(as_text=True)
    monkeypatch.undo()
    with app.app_context():
        from liaison.models import Notification

        assert all(db.session.get(Notification, i).read_at is None for i in ids)  # nothing half-written


def test_a_connection_dropped_after_the_response_is_built_is_not_a_500(app, client, monkeypatch):
    # bench/faults.py found it: the teardown's rollback on a terminated backend turned a built 200 into a 500.
    real_remove = db.session.remove
    calls = {"n": 0}

    def remove():
        calls["n"] += 1
        if calls["n"] == 1:
            raise OperationalError("ROLLBACK", {}, Exception("terminating connection due to administrator command"))
        return real_remove()

    monkeypatch.setattr(db.session, "remove", remove)
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["status"] == "ok"
    assert calls["n"] >= 2  # the broken session was dropped, then closed again cleanly


def test_readyz_runs_a_fixed_number_of_queries(app, client, factory, count_queries):
    member = factory.member()
    sender_row(app, last_pass_at=utcnow())
    notify(app, member, 30, state=NotificationState.PENDING, due_in=timedelta(minutes=-1))
    with count_queries() as counter:
        assert client.get("/readyz").status_code == 200
    assert counter.count <= 3  # the sender's row, the waiting count, the lock (PostgreSQL)
