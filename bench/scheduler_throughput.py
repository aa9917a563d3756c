"""Benchmark: the notification sender delivering N due mails to a local SMTP server (not a test).

    .venv/bin/python -m bench.scheduler_throughput [--count 10000] [--database postgresql|sqlite] [--check]
                                                   [--senders 2] [--bypass-lock] [--json out.json] [--profile]

Creates a scratch database (a fresh PostgreSQL database, dropped at the end, or SQLite in a temporary
directory), migrates it, seeds the reference data, ~300 users and enough convened meetings, and puts
N convocations (招集通知, the heaviest kind: text, HTML and the meeting's .ics) in the outbox, due now,
exactly as the producer writes them. A real SMTP server (aiosmtpd) runs on loopback in its own process
and records every message's Message-ID (one per outbox row, see liaison.notify.mail.message_id).

Each sender is its own process with its own app and engine and calls the real
liaison.notify.sender.run_pass() in a loop (what `scheduler run` does every minute, without the
minute in between; a pass takes batch after batch for up to 50 s) until no row is pending or sending. With several senders the sender lock lets one
send at a time (PostgreSQL advisory lock, SQLite lease); --bypass-lock replaces that lock by a no-op
in the sender processes so they really send side by side and only the conditional claim keeps each
row to one mail.

Reports the wall time from the start signal to the last row sent, mails per second, duplicates
(messages received minus distinct notifications), rows not sent, the senders' CPU time per mail and
the load average (the sender waits for PostgreSQL and the SMTP server at every mail, so other work
on the machine lowers the wall-clock rate); --json writes them for the report ("ok": the target rate,
no duplicate, every row sent). With --check the exit status is 1 when not ok (bench/run reads the
JSON of any run that completed, so by default it is 0).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

from bench import scratch

TARGET_MAILS_PER_SECOND = 170
MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)
NOTIFICATION_ID = re.compile(rb"<notification\.(\d+)\.")
BASE_CONFIG = {
    "SECRET_KEY": "bench-secret-key-0123456789-0123456789",
    "BASE_URL": "https://liaison.example.jp",
    "LIAISON_ENV": "testing",
    "SMTP_HOST": "127.0.0.1",
    "SMTP_STARTTLS": False,
    "SMTP_USER": "",
}


# --- the SMTP server (its own process, so it does not share the senders' CPU or GIL) -------------------

class Recorder:
    """aiosmtpd handler: counts sessions and messages, keeps each message's Message-ID."""

    def __init__(self):
        self.sessions = 0
        self.message_ids: list[bytes] = []
        self.without_id = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        self.sessions += 1
        return responses

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        head = content.split(b"\r\n\r\n", 1)[0]
        found = MESSAGE_ID.search(head)
        if found:
            self.message_ids.append(found.group(1))
        else:
            self.without_id += 1
        return "250 Message accepted for delivery"


def smtp_server(port: int, connection) -> None:
    from aiosmtpd.controller import Controller

    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    connection.send("ready")
    connection.recv()  # "stop"
    controller.stop()
    connection.send({"sessions": recorder.sessions, "message_ids": recorder.message_ids,
                     "without_id": recorder.without_id})


# --- the senders -------------------------------------------------------------------------------------

def sender_process(index: int, database_url: str, port: int, bypass_lock: bool, profile: bool, timeout: float,
                   ready, go, results) -> None:
    from sqlalchemy import func, select

    from liaison import create_app
    from liaison.extensions import db
    from liaison.models import Notification, NotificationState
    from liaison.notify import sender

    if bypass_lock:
        from liaison.notify.locks import Lock

        @contextlib.contextmanager
        def no_lock(holder, lease=None):
            yield Lock(True)

        sender.sender_lock = no_lock

    app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url, "SMTP_PORT": port})
    unfinished = (NotificationState.PENDING, NotificationState.SENDING)
    stats = {"sender": index, "passes": 0, "locked_out": 0, "outcomes": Counter(), "recovered": 0}
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.002)
    with app.app_context():
        db.session.execute(select(1))  # connect before the start signal
        db.session.commit()
    ready.put(index)
    go.wait()
    started, started_cpu = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.start()
    while time.perf_counter() - started < timeout:
        with app.app_context():  # a fresh session per pass, like scheduler.send_due
            result = sender.run_pass()
            stats["passes"] += 1
            if not result.locked:
                stats["locked_out"] += 1
            stats["recovered"] += result.recovered
            for outcome, n in result.outcomes.items():
                stats["outcomes"][outcome.value] += n
            left = db.session.scalar(select(func.count()).select_from(Notification)
                                     .where(Notification.state.in_(unfinished)))
            db.session.commit()
        if not left:
            break
        if not result.locked or not result.outcomes:
            time.sleep(0.1)  # the other sender holds the lock or the rows (a real standby waits a minute)
    stats["seconds"] = round(time.perf_counter() - started, 3)
    stats["cpu_seconds"] = round(time.process_time() - started_cpu, 3)
    stats["outcomes"] = dict(stats["outcomes"])
    if profiler is not None:
        profiler.stop()
        stats["profile"] = profiler.output_text(unicode=True, color=False, show_all=False)
    results.put(stats)


# --- the scratch database and its data ---------------------------------------------------------------

def populate(count: int, user_count: int) -> dict:
    """Users, convened meetings and `count` convocations due now, as the producer writes them."""
    from sqlalchemy import insert, select

    from bench.convocations import add_due_convocations
    from liaison.dates import utcnow
    from liaison.extensions import db
    from liaison.models import AgendaKind, Body, Committee, NotificationKind, User

    bodies = list(db.session.scalars(select(Body.id).order_by(Body.id)))
    db.session.execute(insert(User), [
        {"email": f"bench-{n:04d}@example.jp", "name": f"計測 太郎{n:04d}", "body_id": bodies[n % len(bodies)],
         "password_hash": "bench-not-a-real-hash", "title": "課長"}
        for n in range(user_count)
    ])
    user_ids = list(db.session.scalars(select(User.id).order_by(User.id)))
    committees = list(db.session.scalars(select(Committee).order_by(Committee.position)))
    meetings = add_due_convocations(
        count, user_ids, committees, utcnow(), first_number=lambda n: n // len(committees) + 1,
        place="彩の国すこやかプラザ 2階 会議室", online_url="https://meet.example.jp/j/1234",
        items=[(kind, f"議題{position} 令和8年度の研修事業計画(案)について") for position, kind in enumerate(AgendaKind, start=1)],
    )
    db.session.commit()
    return {"users": len(user_ids), "meetings": meetings, "kind": NotificationKind.CONVOCATION.value}


def outbox_states() -> dict:
    from sqlalchemy import func, select

    from liaison.extensions import db
    from liaison.models import Notification

    return {f"{state.value}/{delivery.value if delivery else '-'}": n for state, delivery, n in db.session.execute(
        select(Notification.state, Notification.delivery, func.count())
        .group_by(Notification.state, Notification.delivery))}


def sent_ids() -> set[int]:
    from sqlalchemy import select

    from liaison.extensions import db
    from liaison.models import Delivery, Notification, NotificationState

    return set(db.session.scalars(select(Notification.id).where(
        Notification.state == NotificationState.SENT, Notification.delivery == Delivery.EMAIL)))


# --- the run -----------------------------------------------------------------------------------------

def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(args) -> dict:
    from flask_migrate import upgrade

    from liaison import create_app
    from liaison.extensions import db
    from liaison.seed import seed_reference_data

    spawn = multiprocessing.get_context("spawn")
    with scratch.scratch_database(args.database) as (url, _made):
        port = free_port()
        app = create_app({**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "SMTP_PORT": port})
        setup_started = time.perf_counter()
        with app.app_context():
            upgrade()
            seed_reference_data()
            db.session.commit()
            data = populate(args.count, args.users)
        setup_seconds = time.perf_counter() - setup_started

        server_end, here = spawn.Pipe()
        server = spawn.Process(target=smtp_server, args=(port, server_end), daemon=True)
        server.start()
        assert here.recv() == "ready"
        ready, go, results = spawn.Queue(), spawn.Event(), spawn.Queue()
        senders = [
            spawn.Process(target=sender_process, args=(i, url, port, args.bypass_lock, args.profile and i == 0,
                                                       args.timeout, ready, go, results))
            for i in range(args.senders)
        ]
        for process in senders:
            process.start()
        for _ in senders:  # every sender has imported, built its app and connected: not timed
            ready.get(timeout=120)
        load_before = os.getloadavg()
        started = time.perf_counter()
        go.set()
        stats = [results.get(timeout=args.timeout + 120) for _ in senders]
        seconds = time.perf_counter() - started
        load_after = os.getloadavg()
        for process in senders:
            process.join()
        here.send("stop")
        received = here.recv()
        server.join()

        with app.app_context():
            states = outbox_states()
            sent = sent_ids()
            db.session.commit()
            db.engine.dispose()

    ids = received["message_ids"]
    notification_ids = [int(m.group(1)) for m in map(NOTIFICATION_ID.search, ids) if m]
    distinct = set(notification_ids)
    stats.sort(key=lambda s: s["sender"])
    profile = next((s.pop("profile") for s in stats if "profile" in s), None)
    report = {
        "benchmark": "scheduler_throughput",
        "database": args.database,
        "count": args.count,
        "senders": args.senders,
        "bypass_lock": args.bypass_lock,
        "kind": data["kind"],
        "users": data["users"],
        "meetings": data["meetings"],
        "setup_seconds": round(setup_seconds, 2),
        "seconds": round(seconds, 3),
        "last_sender_seconds": round(max(s["seconds"] for s in stats), 3),
        "received": len(ids),
        "distinct_notifications": len(distinct),
        "duplicates": len(ids) - len(distinct),
        "messages_without_notification_id": received["without_id"] + len(ids) - len(notification_ids),
        "sent_in_database": len(sent),
        "sent_but_not_received": len(sent - distinct),
        "received_but_not_marked_sent": len(distinct - sent),
        "not_sent": args.count - len(sent),
        "states": states,
        "smtp_sessions": received["sessions"],
        "sender_cpu_ms_per_mail": round(1000 * sum(s["cpu_seconds"] for s in stats) / max(len(distinct), 1), 2),
        # The machine may be shared: 1-minute load average when the senders started and finished.
        "load_average": [round(load_before[0], 2), round(load_after[0], 2)],
        "cpus": os.cpu_count(),
        "sender_stats": stats,
        "target_mails_per_second": TARGET_MAILS_PER_SECOND,
    }
    report["mails_per_second"] = round(len(distinct) / seconds, 1) if seconds else 0.0
    report["ok"] = (report["mails_per_second"] >= TARGET_MAILS_PER_SECOND and report["duplicates"] == 0
                    and report["not_sent"] == 0)
    if profile:
        report["profile_text"] = profile
    return report


def summary(report: dict) -> str:
    lines = [
        f"scheduler throughput on {report['database']}: {report['count']} {report['kind']} mails to "
        f"{report['users']} users, {report['senders']} sender process(es)"
        + (" WITHOUT the sender lock (claims only)" if report["bypass_lock"] else ""),
        f"  time          {report['seconds']:.2f} s (setup {report['setup_seconds']:.1f} s, not timed)",
        f"  throughput    {report['mails_per_second']:.1f} mails/s (target >= {report['target_mails_per_second']}); "
        f"senders' CPU {report['sender_cpu_ms_per_mail']:.2f} ms per mail; load average "
        f"{report['load_average'][0]:.1f} -> {report['load_average'][1]:.1f} on {report['cpus']} CPUs",
        f"  received      {report['received']} messages, {report['distinct_notifications']} distinct notifications, "
        f"{report['smtp_sessions']} SMTP sessions",
        f"  duplicates    {report['duplicates']}",
        f"  not sent      {report['not_sent']} (states: {report['states']})",
    ]
    if report["sent_but_not_received"] or report["received_but_not_marked_sent"]:
        lines.append(f"  MISMATCH      sent but not received {report['sent_but_not_received']}, "
                     f"received but not marked sent {report['received_but_not_marked_sent']}")
    for s in report["sender_stats"]:
        lines.append(f"  sender {s['sender']}      {s['passes']} passes ({s['locked_out']} found the lock taken), "
                     f"outcomes {s['outcomes']}, CPU {s['cpu_seconds']:.1f} s")
    lines.append(f"  result        {'OK' if report['ok'] else 'BELOW TARGET OR INCORRECT'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="due notifications (default 10000)")
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--senders", type=int, default=2, help="sender processes (default 2)")
    parser.add_argument("--users", type=int, default=300, help="distinct recipients (default 300)")
    parser.add_argument("--bypass-lock", action="store_true",
                        help="senders ignore the sender lock: only the conditional claim prevents duplicates")
    parser.add_argument("--timeout", type=float, default=600, help="senders give up after this many seconds")
    parser.add_argument("--profile", action="store_true", help="pyinstrument profile of sender 0 (printed)")
    parser.add_argument("--json", type=Path, help="write the report here")
    parser.add_argument("--check", action="store_true", help="exit status 1 when below the target or incorrect")
    args = parser.parse_args(argv)
    report = run(args)
    if args.profile and report.get("profile_text"):
        print(report["profile_text"])
    print(summary(report))
    if args.json:
        args.json.write_text(json.dumps({k: v for k, v in report.items() if k != "profile_text"},
                                        ensure_ascii=False, indent=2) + "\n")
    return 1 if args.check and not report["ok"] else 0


if __name__ == "__main__":
    sys.exit(main())
