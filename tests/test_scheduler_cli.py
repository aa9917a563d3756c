"""The scheduler commands operators script: `scheduler tick` (one pass) and `scheduler run` (every minute)."""
from __future__ import annotations

import io
import re
import socket
from datetime import timedelta

from apscheduler.schedulers.blocking import BlockingScheduler

from sqlalchemy import select

from liaison.dates import TOKYO
from liaison.domain import votes as vote_rules
from liaison.extensions import db
from liaison.models import Notification, NotificationKind, NotificationState, Vote, VoteMethod, VoteState
from liaison.notify import sender
from liaison.notify import debug_smtp
from liaison.notify.debug_smtp import PrintingHandler

from .notify_support import Mailbox, convene, free_port, mailbox, make_meeting, smtp_config  # noqa: F401


def test_tick_sends_what_is_due_once(app, factory, mailbox):
    members = [factory.member("planning", body) for body in ("川越市", "熊谷市")]
    with app.app_context():
        convene(make_meeting(starts_in=timedelta(days=10)))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["scheduler", "tick"])
    assert first.exit_code == 0 and "sent 2" in first.output
    second = runner.invoke(args=["scheduler", "tick"])
    assert second.exit_code == 0 and "nothing due" in second.output
    assert mailbox.recipients() == sorted(m.email for m in members)


def test_run_starts_a_blocking_scheduler_in_tokyo_time_with_one_job_every_minute(app, monkeypatch):
    seen = {}

    def start(scheduler):
        seen["timezone"] = scheduler.timezone
        seen["jobs"] = [(job.id, job.trigger.interval) for job in scheduler.get_jobs()]
        raise KeyboardInterrupt  # what Ctrl-C does

    monkeypatch.setattr(BlockingScheduler, "start", start)
    result = app.test_cli_runner().invoke(args=["scheduler", "run"])
    assert result.exit_code == 0 and "scheduler: stopped." in result.output
    assert seen == {"timezone": TOKYO, "jobs": [("send-due-notifications", timedelta(minutes=1))]}


def test_the_demo_smtp_server_prints_mails_decoded(app, factory, smtp_config):
    factory.member("planning", "川越市")
    box = Mailbox(free_port())
    printed = io.StringIO()
    box.handle_DATA = PrintingHandler(printed, full=True).handle_DATA
    box.start()
    smtp_config(box.port)
    try:
        with app.app_context():
            convene(make_meeting(starts_in=timedelta(days=10)))
            db.session.remove()
        assert "sent 1" in app.test_cli_runner().invoke(args=["scheduler", "tick"]).output
    finally:
        box.stop()
    printed = printed.getvalue()
    assert "[DEBUG SMTP: not delivered, printed here only]" in printed
    assert "Subject:    【招集通知】" in printed and "浦和合同庁舎" in printed


def test_the_demo_smtp_server_prints_one_line_per_mail_by_default(app, factory, smtp_config):
    factory.member("planning", "川越市", email="kawagoe@example.jp")
    factory.member("planning", "熊谷市", email="kumagaya@example.jp")
    box = Mailbox(free_port())
    printed = io.StringIO()
    box.handle_DATA = PrintingHandler(printed).handle_DATA
    box.start()
    smtp_config(box.port)
    try:
        with app.app_context():
            convene(make_meeting(starts_in=timedelta(days=10)))
            db.session.remove()
        assert "sent 2" in app.test_cli_runner().invoke(args=["scheduler", "tick"]).output
    finally:
        box.stop()
    lines = printed.getvalue().splitlines()
    assert len(lines) == 2  # the mail's text stays out of the console
    for line, address in zip(sorted(lines, key=lambda line: "kumagaya" in line), ("kawagoe@example.jp", "kumagaya@example.jp")):
        assert re.fullmatch(rf"\[mail \d\d:\d\d:\d\d\] {re.escape(address)}  【招集通知】.+", line), line
    assert "浦和合同庁舎" not in printed.getvalue()


def test_the_demo_smtp_server_says_in_one_line_that_its_port_is_busy(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert debug_smtp.main(["--port", str(port)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip().splitlines() == [debug_smtp.port_in_use_message("127.0.0.1", port)]
    assert f"127.0.0.1:{port} は使用中です" in err and f"port {port} is in use" in err and "Traceback" not in err


def test_after_the_demo_seed_the_first_tick_sends_what_is_due_and_the_second_nothing(app, mailbox):
    """Convocations, and the news of the demo's present (proposals returned, accepted, scheduled; the minutes in
    review); not its history (results of past votes, minutes published months ago). The open written vote has
    its reminders planned: when they fall due, only the seats that have not voted get one."""
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed", "--demo"]).exit_code == 0
    first = runner.invoke(args=["scheduler", "tick"])
    assert first.exit_code == 0 and "sent" in first.output
    assert "voided" not in first.output  # the demo's history was left unsent by the seed, not by the scheduler
    with app.app_context():
        history = db.session.scalars(select(Notification).where(Notification.last_error.startswith("demo history"))).all()
        assert history and all(n.state is NotificationState.VOID and n.sent_at is None for n in history)
        assert {n.kind for n in history} >= {NotificationKind.CONVOCATION}  # of the meetings held months ago
    subjects = [m["Subject"] for m in mailbox.messages]
    kinds = {s[:s.index("】") + 1] for s in subjects}
    assert "【招集通知】" in kinds and kinds <= {"【招集通知】", "【差戻し】", "【受理】", "【議事に掲載】", "【議事録の確認依頼】",
                                              "【書面表決のお願い】"}
    assert "member01@example.jp" in mailbox.recipients()  # 埼玉県 sits on the council
    council = [m for m in mailbox.messages if m["Subject"].startswith("【招集通知】") and "連絡調整会議" in m["Subject"]]
    per_meeting = {}
    for message in council:
        per_meeting.setdefault(message["Subject"], set()).add(message["To"])
    assert per_meeting and all(len(recipients) == 64 for recipients in per_meeting.values())  # one per seat
    sent = len(mailbox.envelopes)
    second = runner.invoke(args=["scheduler", "tick"])
    assert "nothing due" in second.output and len(mailbox.envelopes) == sent

    with app.app_context():
        vote = db.session.scalar(select(Vote).where(Vote.method == VoteMethod.WRITTEN, Vote.state == VoteState.OPEN))
        not_voted = {line.membership.user.email for line in vote_rules.seat_lines(vote) if line.ballot is None}
        pending = list(db.session.scalars(select(Notification).where(
            Notification.kind == NotificationKind.VOTE_DEADLINE, Notification.object_id == vote.id,
            Notification.state == NotificationState.PENDING)))
        assert not_voted and not_voted <= {n.recipient.email for n in pending}
        first_due = min(n.due_at for n in pending)
        mailbox.envelopes.clear()
        sender.run_pass(first_due + timedelta(minutes=1))
        reminded = [m["To"].addresses[0].addr_spec for m in mailbox.messages if m["Subject"].startswith("【書面表決のお願い】")]
        assert sorted(reminded) == sorted(not_voted)  # one each, none to a seat that has voted
