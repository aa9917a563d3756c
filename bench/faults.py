"""Fault scenarios for the notification sender (issue 16), against the real scheduler process.

    .venv/bin/python -m bench.faults [--database postgresql|sqlite|both] [--size issue|small]
                                     [--only kill9,terminate,...] [--json out.json]

Each scenario: a scratch database (PostgreSQL or SQLite) migrated and seeded, convocations due now in
the outbox exactly as the producer writes them, a counting SMTP server on loopback (aiosmtpd, in this
process, with faults: down, cut mid-DATA, 4xx/5xx for given recipients), and one or two real
`flask --app wsgi scheduler run` processes. The fault is applied from here (kill -9,
pg_terminate_backend of the scheduler's backends or of the lock holder's backend alone, SMTP stopped
and started, web backends terminated under page load); then the run waits until nothing is due and
prints: mails expected, received, duplicates (kill -9's crash window counted apart), rows failed
against those the server refused, the recovery time after the fault, and how long two schedulers sent
at the same time.

tests/faults/ runs the same scenarios at small sizes and asserts on them; `--size issue` runs them at
the issue's sizes (3,000 mails, 10 hits, 3 bursts of 5 s, a 250 s outage, …) for the table of the report.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench import scratch

ROOT = Path(__file__).resolve().parent.parent
NOTIFICATION_ID = re.compile(rb"<notification\.(\d+)\.")
HARNESS_APP_NAME = "liaison-faults"
SECRET = "faults-secret-key-0123456789-0123456789-0123"
SCHEDULER_ENV = {
    # Short intervals so that a scenario takes seconds: a pass every second, a 3 s SQLite lease, the
    # circuit breaker pausing 1 to 2 s, retries after 1 s; three attempts (a refused connection spends none).
    "NOTIFY_INTERVAL_SECONDS": "1",
    "NOTIFY_LEASE_SECONDS": "3",
    "NOTIFY_BREAKER_MIN_SECONDS": "1",
    "NOTIFY_BREAKER_MAX_SECONDS": "2",
    "NOTIFY_RETRY_BASE_SECONDS": "1",
    "NOTIFY_MAX_ATTEMPTS": "3",
    "NOTIFY_MARK_RETRY_SECONDS": "60",
    "SMTP_TIMEOUT": "5",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the counting SMTP server ----------------------------------------------------------------------------

class CountingSMTP:
    """aiosmtpd on loopback, in a thread of this process: every accepted message's notification id and time.

    Faults: down() / up() (connections refused), cut_rate (the connection closed at DATA, before the 250:
    the message is not accepted), refuse (recipients answered 550), busy (recipients answered 450 that
    many times, then accepted).
    """

    def __init__(self, port: int):
        self.port = port
        self.controller = None
        self.guard = threading.Lock()
        self.received: list[tuple[float, int, int]] = []  # (monotonic time, notification id, session)
        self.sessions = 0
        self.cut_rate = 0.0
        self.cuts = 0
        self.refuse: set[str] = set()
        self.busy: dict[str, int] = {}
        self.random = random.Random(16)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        with self.guard:
            self.sessions += 1
            session.number = self.sessions
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.guard:
            if address in self.refuse:
                return "550 5.1.1 No such user here"
            if self.busy.get(address, 0) > 0:
                self.busy[address] -= 1
                return "450 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.guard:
            cut = self.cut_rate and self.random.random() < self.cut_rate
            if cut:
                self.cuts += 1
        if cut:
            server.transport.close()  # mid-DATA: the message is not accepted
            return "421 cut"
        found = NOTIFICATION_ID.search(envelope.original_content or envelope.content)
        with self.guard:
            self.received.append((time.monotonic(), int(found.group(1)) if found else -1,
                                  getattr(session, "number", 0)))
        return "250 Message accepted for delivery"

    def up(self) -> None:
        from aiosmtpd.controller import Controller

        if self.controller is None:
            self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
            self.controller.start()

    def down(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def ids(self) -> list[int]:
        with self.guard:
            return [nid for _, nid, _ in self.received]

    def first_after(self, moment: float) -> float | None:
        with self.guard:
            later = [t for t, _, _ in self.received if t >= moment]
        return min(later) - moment if later else None

    def concurrent_seconds(self) -> float:
        """How long two SMTP sessions delivered at the same time (each session's first to last message)."""
        spans: dict[int, list[float]] = {}
        with self.guard:
            for t, _, number in self.received:
                span = spans.setdefault(number, [t, t])
                span[0], span[1] = min(span[0], t), max(span[1], t)
        events = sorted([(a, 1) for a, b in spans.values()] + [(b, -1) for a, b in spans.values()])
        active, since, total = 0, 0.0, 0.0
        for moment, step in events:
            if active >= 2:
                total += moment - since
            active += step
            since = moment
        return round(total, 2)


# --- the database, the data, the scheduler processes -------------------------------------------------------

class Scheduler:
    """One `flask --app wsgi scheduler run` process."""

    def __init__(self, env: dict, log_path: Path):
        self.log = open(log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run"], cwd=ROOT, env=env,
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill9(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill9()
        self.log.close()


@dataclass
class Row:
    scenario: str
    database: str
    fault: str
    expected: int
    received: int = 0
    distinct: int = 0
    duplicates: int = 0
    crash_window_duplicates: int | None = None  # kill -9 only: reported apart
    failed: int = 0
    expected_failed: int = 0
    failed_match: bool = True
    not_final: int = 0
    recovery_seconds: float | None = None
    concurrent_seconds: float = 0.0
    seconds: float = 0.0
    notes: dict = field(default_factory=dict)


class Harness:
    def __init__(self, backend: str, url: str, workdir: Path):
        from liaison import create_app

        self.backend = backend
        self.url = url
        self.workdir = workdir
        options = {"pool_pre_ping": True}
        if backend == "postgresql":
            options["connect_args"] = {"application_name": HARNESS_APP_NAME}
        self.app = create_app({
            "SECRET_KEY": SECRET, "LIAISON_ENV": "testing", "BASE_URL": "https://liaison.example.jp",
            "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options,
        })
        self.smtp = CountingSMTP(free_port())
        self.schedulers: list[Scheduler] = []
        self.emails: list[str] = []

    # set-up
    def prepare(self, users: int) -> None:
        from flask_migrate import upgrade
        from sqlalchemy import insert, select

        from liaison.extensions import db
        from liaison.models import Body, User
        from liaison.seed import seed_reference_data

        with self.app.app_context():
            upgrade()
            seed_reference_data()
            bodies = list(db.session.scalars(select(Body.id).order_by(Body.id)))
            db.session.execute(insert(User), [
                {"email": f"fault-{n:04d}@example.jp", "name": f"障害 太郎{n:04d}", "body_id": bodies[n % len(bodies)],
                 "password_hash": "faults-not-a-real-hash", "title": "課長"}
                for n in range(users)
            ])
            db.session.commit()
            self.emails = list(db.session.scalars(select(User.email).where(User.email.like("fault-%"))
                                                  .order_by(User.email)))

    def fill(self, count: int) -> None:
        """An empty outbox, the sender's state reset, then `count` convocations due now."""
        from sqlalchemy import delete, select, update

        from bench.convocations import add_due_convocations
        from liaison.dates import utcnow
        from liaison.extensions import db
        from liaison.models import Committee, Meeting, Notification, SchedulerLease, User

        with self.app.app_context():
            db.session.execute(update(Notification).values(digest_id=None))
            db.session.execute(delete(Notification))
            db.session.execute(delete(SchedulerLease))
            user_ids = list(db.session.scalars(select(User.id).where(User.email.like("fault-%")).order_by(User.id)))
            committees = list(db.session.scalars(select(Committee).order_by(Committee.position)))
            base = db.session.scalar(select(Meeting.id).order_by(Meeting.id.desc()).limit(1)) or 0
            add_due_convocations(count, user_ids, committees, utcnow(), first_number=lambda n: base + n + 1)
            db.session.commit()
        with self.smtp.guard:
            self.smtp.received.clear()
            self.smtp.cuts = 0
            self.smtp.cut_rate = 0.0
            self.smtp.refuse = set()
            self.smtp.busy = {}

    def env(self) -> dict:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("NOTIFY_", "SMTP_"))}
        env.update(SCHEDULER_ENV)
        env.update({
            "DATABASE_URL": self.url, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.smtp.port),
            "SMTP_STARTTLS": "0", "SMTP_USER": "", "SECRET_KEY": SECRET, "LIAISON_ENV": "testing",
            "BASE_URL": "https://liaison.example.jp", "PYTHONPATH": str(ROOT), "FLASK_DEBUG": "0",
        })
        return env

    def start_scheduler(self) -> Scheduler:
        scheduler = Scheduler(self.env(), self.workdir / f"scheduler-{self.backend}.log")
        self.schedulers.append(scheduler)
        return scheduler

    def stop_all(self) -> None:
        """Once the outbox is empty nothing is in flight: kill -9 (a graceful stop waits out the running pass)."""
        for scheduler in self.schedulers:
            scheduler.kill9()
            scheduler.log.close()
        self.schedulers.clear()

    # observation
    def left(self) -> int:
        from sqlalchemy import func, select

        from liaison.extensions import db
        from liaison.models import Notification, NotificationState

        with self.app.app_context():
            n = db.session.scalar(select(func.count()).select_from(Notification).where(
                Notification.state.in_([NotificationState.PENDING, NotificationState.SENDING])))
            db.session.commit()
            return n

    def wait_until_received(self, n: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while len(self.smtp.ids()) < n and time.monotonic() < deadline:
            time.sleep(0.02)

    def wait_done(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                if self.left() == 0:
                    time.sleep(0.3)  # a mail accepted just before its mark
                    return
            time.sleep(0.2)

    def holder_pid(self) -> int | None:
        from sqlalchemy import select

        from liaison.extensions import db
        from liaison.models import SchedulerLease

        with self.app.app_context():
            holder = db.session.scalar(select(SchedulerLease.holder).where(SchedulerLease.name == "sender"))
            db.session.commit()
        parts = (holder or "").split(":")
        return int(parts[1]) if len(parts) == 3 else None

    def row(self, scenario: str, fault: str, expected: int, started: float, *, refused: set[str] = frozenset(),
            crash_window: bool = False) -> Row:
        from sqlalchemy import select

        from liaison.extensions import db
        from liaison.models import Notification, NotificationState, User

        ids = self.smtp.ids()
        with self.app.app_context():
            states = dict(db.session.execute(
                select(Notification.state, db.func.count()).group_by(Notification.state)).all())
            failed_to = set(db.session.scalars(select(User.email).join(Notification, Notification.recipient_id == User.id)
                                               .where(Notification.state == NotificationState.FAILED)))
            expected_failed = db.session.scalar(
                select(db.func.count()).select_from(Notification).join(User, Notification.recipient_id == User.id)
                .where(User.email.in_(refused))) if refused else 0
            db.session.commit()
        duplicates = len(ids) - len(set(ids))
        failed = states.get(NotificationState.FAILED, 0)
        return Row(
            scenario=scenario, database=self.backend, fault=fault, expected=expected, received=len(ids),
            distinct=len(set(ids)), duplicates=0 if crash_window else duplicates,
            crash_window_duplicates=duplicates if crash_window else None, failed=failed,
            expected_failed=expected_failed, failed_match=failed == expected_failed and failed_to <= set(refused),
            not_final=states.get(NotificationState.PENDING, 0) + states.get(NotificationState.SENDING, 0),
            seconds=round(time.monotonic() - started, 2), concurrent_seconds=self.smtp.concurrent_seconds(),
        )

    # PostgreSQL backends
    def terminate(self, which: str = "scheduler") -> int:
        """pg_terminate_backend of the scheduler's backends ("scheduler") or of the lock holder's alone ("lock")."""
        from sqlalchemy import text

        from liaison.extensions import db
        from liaison.notify.locks import ADVISORY_LOCK_KEY

        if which == "lock":
            query = ("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                     f" AND classid = {ADVISORY_LOCK_KEY >> 32} AND objid = {ADVISORY_LOCK_KEY & 0xFFFFFFFF}")
        else:
            query = ("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()"
                     f" AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
                     f" AND application_name <> '{HARNESS_APP_NAME}'")
        with self.app.app_context():
            with db.engine.connect() as connection:
                killed = len(connection.execute(text(query)).all())
                connection.commit()
        return killed

    def close(self) -> None:
        self.stop_all()
        self.smtp.down()
        from liaison.extensions import db

        with self.app.app_context():
            db.engine.dispose()


# --- the scenarios -----------------------------------------------------------------------------------------

SIZES = {
    "test": dict(mails=60, kills=2, hits=2, bursts=1, burst_seconds=0.5, outage=3.0, cut_rate=0.05, web_seconds=3.0,
                 refused_every=20, busy_every=20, users=60),
    #            mails, kills, hits, bursts, burst s, outage s, cut rate, web s
    "small": dict(mails=200, kills=3, hits=3, bursts=1, burst_seconds=1.0, outage=4.0, cut_rate=0.03, web_seconds=4.0,
                  refused_every=25, busy_every=25, users=100),
    "issue": dict(mails=3000, kills=8, hits=10, bursts=3, burst_seconds=5.0, outage=250.0, cut_rate=0.01,
                  web_seconds=30.0, refused_every=50, busy_every=50, users=300),
}


def _timeout(size: dict) -> float:
    return 60 + size["mails"] / 5  # a loaded machine sends a few dozen mails a second


def kill9(h: Harness, size: dict) -> Row:
    """kill -9 of the sender at random moments while it sends, restarted at once each time."""
    h.fill(size["mails"])
    started = time.monotonic()
    scheduler = h.start_scheduler()
    moments = random.Random(9)
    recoveries = []
    for _ in range(size["kills"]):
        h.wait_until_received(len(h.smtp.ids()) + 1, 30)
        time.sleep(moments.uniform(0.05, 0.6))
        scheduler.kill9()
        killed_at = time.monotonic()
        scheduler = h.start_scheduler()
        h.wait_until_received(len(h.smtp.ids()) + 1, 30)
        recoveries.append(h.smtp.first_after(killed_at))
    h.wait_done(_timeout(size))
    h.stop_all()
    row = h.row("kill9", f"kill -9 of the scheduler x{size['kills']}, restarted at once", size["mails"], started,
                crash_window=True)
    row.recovery_seconds = max((r for r in recoveries if r is not None), default=None)
    return row


def terminate_single(h: Harness, size: dict) -> Row:
    h.fill(size["mails"])
    started = time.monotonic()
    h.start_scheduler()
    h.wait_until_received(1, 30)
    recoveries, hit_at = [], 0.0
    for _ in range(size["hits"]):
        h.terminate("scheduler")
        hit_at = time.monotonic()
        h.wait_until_received(len(h.smtp.ids()) + 10, 20)
        recoveries.append(h.smtp.first_after(hit_at))
    h.wait_done(_timeout(size))
    h.stop_all()
    row = h.row("terminate", f"pg_terminate_backend of the scheduler's backends, {size['hits']} single hits",
                size["mails"], started)
    row.recovery_seconds = max((r for r in recoveries if r is not None), default=None)
    return row


def terminate_flapping(h: Harness, size: dict) -> Row:
    h.fill(size["mails"])
    started = time.monotonic()
    h.start_scheduler()
    h.wait_until_received(1, 30)
    recoveries = []
    for _ in range(size["bursts"]):
        until = time.monotonic() + size["burst_seconds"]
        while time.monotonic() < until:
            h.terminate("scheduler")
            time.sleep(0.03)
        ended = time.monotonic()
        h.wait_until_received(len(h.smtp.ids()) + 5, 20)
        recoveries.append(h.smtp.first_after(ended))
    h.wait_done(_timeout(size))
    h.stop_all()
    row = h.row("flapping", f"the scheduler's backends terminated every 30 ms for {size['burst_seconds']:g} s, "
                f"{size['bursts']} bursts", size["mails"], started)
    row.recovery_seconds = max((r for r in recoveries if r is not None), default=None)
    return row


def lock_backend_then_second(h: Harness, size: dict) -> Row:
    h.fill(size["mails"])
    started = time.monotonic()
    h.start_scheduler()
    h.wait_until_received(size["mails"] // 10, 30)
    h.terminate("lock")
    h.start_scheduler()
    h.wait_done(_timeout(size))
    h.stop_all()
    return h.row("lock_backend", "only the lock holder's backend terminated, then a second scheduler started",
                 size["mails"], started)


def two_schedulers_killed_holder(h: Harness, size: dict) -> Row:
    h.fill(size["mails"])
    started = time.monotonic()
    first, second = h.start_scheduler(), h.start_scheduler()
    h.wait_until_received(size["mails"] // 5, 30)
    pid = h.holder_pid()
    holder = next((s for s in (first, second) if s.pid == pid), first)
    holder.kill9()
    killed_at = time.monotonic()
    h.wait_done(_timeout(size))
    h.stop_all()
    row = h.row("standby", "two schedulers, the lock holder killed (kill -9)", size["mails"], started,
                crash_window=True)
    row.recovery_seconds = h.smtp.first_after(killed_at)
    return row


def smtp_outage(h: Harness, size: dict) -> Row:
    h.fill(size["mails"])
    started = time.monotonic()
    h.smtp.down()
    h.start_scheduler()
    time.sleep(size["outage"])
    h.smtp.up()
    up_at = time.monotonic()
    h.wait_done(_timeout(size))
    h.stop_all()
    row = h.row("smtp_outage", f"SMTP down {size['outage']:g} s with NOTIFY_MAX_ATTEMPTS=3, then up",
                size["mails"], started)
    row.recovery_seconds = h.smtp.first_after(up_at)
    return row


def cut_mid_data(h: Harness, size: dict) -> Row:
    h.fill(size["mails"])
    h.smtp.cut_rate = size["cut_rate"]
    started = time.monotonic()
    h.start_scheduler()
    h.wait_done(_timeout(size))
    h.stop_all()
    row = h.row("cut_mid_data", f"{size['cut_rate']:.0%} of SMTP connections cut mid-DATA", size["mails"], started)
    row.notes["cuts"] = h.smtp.cuts
    return row


def recipient_answers(h: Harness, size: dict) -> Row:
    h.fill(size["mails"])
    refused = set(h.emails[::size["refused_every"]])
    busy = {address: 2 for address in h.emails[1::size["busy_every"]]}
    with h.smtp.guard:
        h.smtp.refuse, h.smtp.busy = refused, dict(busy)
    started = time.monotonic()
    h.start_scheduler()
    h.wait_done(_timeout(size))
    h.stop_all()
    row = h.row("recipient_answers", "550 for some recipients, 450 twice for others", size["mails"], started,
                refused=refused)
    row.expected = size["mails"] - row.expected_failed
    return row


def web_under_terminations(h: Harness, size: dict) -> Row:
    """gunicorn (2 workers) on the database; reads of /readyz and /healthz while its backends are terminated."""
    port = free_port()
    env = h.env()
    log = open(h.workdir / f"web-{h.backend}.log", "ab")
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
                           cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    statuses: dict[int, int] = {}
    retry_after_missing = 0
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                break
            time.sleep(0.2)
        stop = threading.Event()

        def killer():
            while not stop.wait(1.0):
                h.terminate("scheduler")  # every backend but the harness's: here, the web workers'

        thread = threading.Thread(target=killer, daemon=True)
        started = time.monotonic()
        thread.start()
        while time.monotonic() - started < size["web_seconds"]:
            for path in ("/readyz", "/healthz", "/login"):
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
                        status = response.status
                except urllib.error.HTTPError as error:
                    status = error.code
                    if status == 503 and path != "/readyz" and path != "/healthz" and not error.headers.get("Retry-After"):
                        retry_after_missing += 1
                statuses[status] = statuses.get(status, 0) + 1
        stop.set()
        thread.join()
    finally:
        web.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            web.wait(timeout=20)
        if web.poll() is None:
            web.kill()
        log.close()
    requests = sum(statuses.values())
    row = Row(scenario="web", database=h.backend, fault="web backends terminated every second under page load",
              expected=requests, received=statuses.get(200, 0) + statuses.get(503, 0),
              seconds=size["web_seconds"])
    row.notes = {"statuses": statuses, "5xx_other_than_503": sum(n for s, n in statuses.items() if s >= 500 and s != 503),
                 "503": statuses.get(503, 0), "503_without_retry_after": retry_after_missing}
    return row


SCENARIOS = {
    "kill9": (kill9, ("postgresql", "sqlite")),
    "terminate": (terminate_single, ("postgresql",)),
    "flapping": (terminate_flapping, ("postgresql",)),
    "lock_backend": (lock_backend_then_second, ("postgresql",)),
    "standby": (two_schedulers_killed_holder, ("postgresql", "sqlite")),
    "smtp_outage": (smtp_outage, ("postgresql", "sqlite")),
    "cut_mid_data": (cut_mid_data, ("postgresql", "sqlite")),
    "recipient_answers": (recipient_answers, ("postgresql", "sqlite")),
    "web": (web_under_terminations, ("postgresql",)),
}


@contextlib.contextmanager
def harness(backend: str, users: int, workdir: Path):
    with scratch.scratch_database(backend) as (url, _what):
        h = Harness(backend, url, workdir)
        try:
            h.prepare(users)
            h.smtp.up()
            yield h
        finally:
            h.close()


def run(backends: list[str], size_name: str, only: list[str] | None, workdir: Path) -> list[Row]:
    size = SIZES[size_name]
    rows = []
    for backend in backends:
        with harness(backend, size["users"], workdir) as h:
            for name, (scenario, where) in SCENARIOS.items():
                if backend not in where or (only and name not in only):
                    continue
                h.smtp.up()
                row = scenario(h, size)
                print(format_row(row), flush=True)
                rows.append(row)
    return rows


def format_row(row: Row) -> str:
    dup = (f"{row.duplicates} duplicates" if row.crash_window_duplicates is None
           else f"{row.crash_window_duplicates} duplicate(s) in kill -9's crash window")
    recovery = f", recovery {row.recovery_seconds:.1f} s" if row.recovery_seconds is not None else ""
    if row.scenario == "web":
        return (f"[{row.database}] {row.fault}: {row.expected} requests, statuses {row.notes['statuses']}, "
                f"{row.notes['5xx_other_than_503']} 5xx other than 503")
    return (f"[{row.database}] {row.fault}: {row.received} received of {row.expected} expected, {dup}, "
            f"{row.failed} failed ({row.expected_failed} refused by the server), {row.not_final} not final, "
            f"two senders at once {row.concurrent_seconds:.1f} s, {row.seconds:.1f} s{recovery}"
            + (f", notes {row.notes}" if row.notes else ""))


def table(rows: list[Row]) -> str:
    lines = ["| fault | database | measured |", "| --- | --- | --- |"]
    for row in rows:
        lines.append(f"| {row.fault} | {row.database} | {format_row(row).split(': ', 1)[1]} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("postgresql", "sqlite", "both"), default="both")
    parser.add_argument("--size", choices=tuple(SIZES), default="issue")
    parser.add_argument("--only", help="comma-separated scenarios: " + ", ".join(SCENARIOS))
    parser.add_argument("--outage", type=float, help="override the SMTP outage in seconds")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.outage is not None:
        SIZES[args.size]["outage"] = args.outage
    backends = ["postgresql", "sqlite"] if args.database == "both" else [args.database]
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        rows = run(backends, args.size, args.only.split(",") if args.only else None, Path(tmp))
    print()
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], ensure_ascii=False, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
