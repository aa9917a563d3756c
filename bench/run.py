"""The scale benchmark (issue 10): `bench/run` runs this and rewrites BENCHMARKS.md.

1. A fresh PostgreSQL database with the five-year data set (`flask seed --scale`), and the same
   generator timed on SQLite.
2. gunicorn (2 workers per core) with sync and with gthread workers, compared on the bare route and the
   meeting page; the better one serves the rest.
3. wrk (Debian's package) on every page of the table, logged-in pages with a real session cookie from
   the login form; requests/s, p50/p99 and the ratio to the bare route measured in the same run.
4. Server CPU per page in process (bench/cpu.py: process_time medians, ORM/Jinja/translation shares).
5. 64 seats casting their ballots at once (HTTP, one session each), the feed build time over all
   meetings (bench/feed_build.py), the scheduler's throughput (bench/scheduler_throughput.py).
6. A profile (pyinstrument, in process against the same database) of the slowest pages.

Options: --quick (short wrk runs, for a smoke check), --duration S, --connections N, --skip-side.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

if str(Path(__file__).resolve().parent.parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import scratch  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
REPORTS = ROOT / "bench" / "reports"
DB_NAME = os.environ.get("LIAISON_BENCH_DB", "liaison_bench")  # another name for a second run on the same server
SECRET_KEY = secrets.token_urlsafe(48)
HTML_TARGET = 0.30
NOT_MODIFIED_TARGET = 0.8


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# ----------------------------------------------------------------------------------------- the data

def pg_url(name: str) -> str:
    return scratch.pg_url(name)


def recreate_pg_database(name: str) -> str:
    return scratch.create_pg_database(name, replace=True)


def app_env(database_url: str, **extra: str) -> dict:
    env = dict(os.environ)
    env.update(DATABASE_URL=database_url, SECRET_KEY=SECRET_KEY, LIAISON_ENV="production", **extra)
    return env


def flask(args: list[str], env: dict) -> str:
    result = subprocess.run([str(BIN / "flask"), "--app", "wsgi", *args], cwd=ROOT, env=env, capture_output=True,
                            text=True)
    if result.returncode:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def generate(database_url: str, json_path: Path) -> dict:
    env = app_env(database_url)
    flask(["db", "upgrade"], env)
    started = time.perf_counter()
    flask(["seed", "--scale", "--json", str(json_path)], env)
    data = json.loads(json_path.read_text(encoding="utf-8"))
    data["wall_seconds"] = time.perf_counter() - started
    return data


# ---------------------------------------------------------------------------------------- the server

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(database_url: str, worker_class: str, workers: int, threads: int = 4, boot_seconds: float = 120):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = app_env(database_url, BASE_URL=base)
    # bench.wsgi: the application plus the bare route (gunicorn.conf.py still applies: cwd is the project).
    command = [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
               "--worker-class", worker_class, "--log-level", "warning", "bench.wsgi:create_app()"]
    if worker_class == "gthread":
        command[1:1] = ["--threads", str(threads)]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    try:
        deadline = time.monotonic() + boot_seconds
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=max(2, boot_seconds / 10)) as response:
                    if response.status == 200:
                        break
            except OSError:  # not listening yet, or still booting its workers
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("gunicorn did not start")
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def request(url: str, *, cookie: str = "", data: dict | None = None, headers: dict | None = None):
    """(status, headers, body) without following redirects."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(url, data=body, headers={**(headers or {}), **({"Cookie": cookie} if cookie else {})})
    try:
        with OPENER.open(req, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def session_cookie(headers) -> str:
    for value in headers.get_all("Set-Cookie") or []:
        if value.startswith("session="):
            return value.split(";", 1)[0]
    return ""


def csrf_token(page: bytes) -> str:
    match = re.search(rb'<meta name="csrf-token" content="([^"]+)"', page)
    if not match:
        raise SystemExit("no CSRF token on the page")
    return match.group(1).decode()


def login(base: str, email: str, password: str) -> str:
    """A real session cookie, through the login form."""
    status, headers, page = request(base + "/login")
    cookie = session_cookie(headers)
    status, headers, _ = request(base + "/login", cookie=cookie,
                                 data={"email": email, "password": password, "csrf_token": csrf_token(page)})
    if status not in (302, 303):
        raise SystemExit(f"login as {email} failed: {status}")
    cookie = session_cookie(headers) or cookie
    # The first page after the login stores the session's CSRF secret: keep the cookie as a browser would.
    _, headers, _ = request(base + "/account", cookie=cookie)
    return session_cookie(headers) or cookie


# ------------------------------------------------------------------------------------------------ wrk

def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url: str, *, duration: int, connections: int, headers: dict | None = None) -> dict:
    command = ["wrk", "--latency", "-t", "2", "-c", str(connections), "-d", f"{duration}s", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = {pct: _ms(value, unit) for pct, value, unit in
               re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)}
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    requests_done = int(re.search(r"(\d+) requests in", output).group(1))
    return {
        "rps": rps, "p50_ms": latency.get("50"), "p99_ms": latency.get("99"), "requests": requests_done,
        "non_2xx_3xx": int(bad.group(1)) if bad else 0,
        "socket_errors": sum(int(n) for n in errors.groups()) if errors else 0,
    }


# --------------------------------------------------------------------------------------- the targets

def targets(samples: dict, feed_path: str) -> list[dict]:
    committee = samples["committee"]
    query = urllib.parse.urlencode({"q": "研修", "status": "adopted", "fy": samples["fiscal_year"] - 1})
    return [
        {"name": "bare route (constant)", "path": "/_bench/bare", "who": None, "kind": "ceiling"},
        {"name": "/healthz", "path": "/healthz", "who": None, "kind": "probe"},
        {"name": "dashboard", "path": "/", "who": "member", "kind": "html"},
        {"name": "meeting list", "path": f"/{committee}/meetings/", "who": "member", "kind": "html"},
        {"name": "meeting page (20 items, 64 seats)", "path": f"/{committee}/meetings/{samples['meeting_id']}",
         "who": "member", "kind": "html"},
        {"name": "proposal list (filters + 研修 search)", "path": f"/{committee}/proposals/?{query}",
         "who": "member", "kind": "html"},
        {"name": "proposal page", "path": f"/{committee}/proposals/{samples['proposal_id']}", "who": "member",
         "kind": "html"},
        {"name": "vote result", "path": f"/{committee}/votes/{samples['vote_id']}", "who": "member", "kind": "html"},
        {"name": "minutes page", "path": f"/{committee}/meetings/{samples['minutes_meeting_id']}/minutes",
         "who": "member", "kind": "html"},
        {"name": "calendar feed (full)", "path": feed_path, "who": None, "kind": "feed"},
        {"name": "calendar feed (304)", "path": feed_path, "who": None, "kind": "feed-304"},
    ]


def run_together(target, arguments: list[tuple]) -> float:
    """One thread per tuple of `arguments`, all started, then all awaited: the wall time in ms."""
    threads = [threading.Thread(target=target, args=one) for one in arguments]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return (time.perf_counter() - started) * 1000


_apps: dict = {}


def bench_app(database_url: str):
    """The app in this process, on the benchmark's database with the server's SECRET_KEY (made once)."""
    if database_url not in _apps:
        from liaison import create_app

        os.environ.update(app_env(database_url))
        _apps[database_url] = create_app()
    return _apps[database_url]


def feed_path_for(database_url: str, user_id: int) -> str:
    """The member's feed URL path, from the app's own token function (same SECRET_KEY as the server)."""
    from liaison.calendar.tokens import feed_token
    from liaison.extensions import db
    from liaison.models import User

    app = bench_app(database_url)
    with app.app_context():
        token = feed_token(db.session.get(User, user_id))
        db.engine.dispose()
    return f"/calendar/{token}.ics"


def measure_pages(base: str, samples: dict, feed_path: str, *, duration: int, connections: int,
                  only: set[str] | None = None) -> list[dict]:
    cookies = {"member": login(base, samples["member_email"], samples["password"])}
    results = []
    for target in targets(samples, feed_path):
        if only and target["name"] not in only:
            continue
        headers = {}
        if target["who"]:
            headers["Cookie"] = cookies[target["who"]]
        if target["kind"] == "feed-304":
            _, response_headers, _ = request(base + target["path"])
            headers["If-None-Match"] = response_headers["ETag"]
        status, _, body = request(base + target["path"], headers=headers)
        expected = 304 if target["kind"] == "feed-304" else 200
        if status != expected:
            raise SystemExit(f"{target['name']}: {base + target['path']} answered {status}, not {expected}")
        wrk(base + target["path"], duration=2, connections=connections, headers=headers)  # warm-up
        result = wrk(base + target["path"], duration=duration, connections=connections, headers=headers)
        result.update(name=target["name"], path=target["path"], kind=target["kind"], bytes=len(body))
        log(f"{target['name']:<40} {result['rps']:>8.1f} req/s  p50 {result['p50_ms']:.1f} ms  "
            f"p99 {result['p99_ms']:.1f} ms")
        results.append(result)
    bare = next((r["rps"] for r in results if r["kind"] == "ceiling"), None)
    for result in results:
        result["ratio"] = result["rps"] / bare if bare else None
    return results


# --------------------------------------------------------------------------- 64 seats casting at once

def concurrent_casts(base: str, database_url: str, samples: dict) -> dict:
    """Open an electronic vote on the convened council meeting and let all its seats cast at the same instant."""
    from sqlalchemy import select

    from liaison.domain import votes as vote_rules
    from liaison.extensions import db
    from liaison.models import AgendaItem, AgendaKind, Ballot, Majority, Membership, Role, User, Vote, VoteMethod

    app = bench_app(database_url)
    with app.app_context():
        item = db.session.scalars(
            select(AgendaItem).where(AgendaItem.meeting_id == samples["convened_meeting_id"],
                                     AgendaItem.kind != AgendaKind.REPORT, AgendaItem.outcome.is_(None))
            .where(~select(Vote.id).where(Vote.agenda_item_id == AgendaItem.id).exists())
            .order_by(AgendaItem.position)).first()
        secretariat = db.session.scalar(select(User).where(User.email == samples["secretariat_email"]))
        from liaison.domain import meetings as meeting_rules
        from liaison.models import MeetingStatus

        if item.meeting.status is not MeetingStatus.IN_SESSION:  # an electronic vote opens in the sitting (開会中)
            meeting_rules.open_session(item.meeting, actor=secretariat, now=item.meeting.starts_at)
        # Every seat present (出席確認): a seat absent when the vote opens may not cast.
        meeting_rules.record_presence(item.meeting, actor=secretariat, now=item.meeting.starts_at, present_membership_ids=[
            membership.id for membership in meeting_rules.voting_seats(item.meeting)])
        vote = vote_rules.open_vote(item, actor=secretariat, method=VoteMethod.ELECTRONIC, majority=Majority.SIMPLE)
        db.session.commit()
        vote_id, committee_id, fiscal_year = vote.id, vote.committee_id, item.meeting.fiscal_year
        emails = db.session.scalars(
            select(User.email).join(Membership, Membership.user_id == User.id)
            .where(Membership.committee_id == committee_id, Membership.fiscal_year == fiscal_year,
                   Membership.role != Role.OBSERVER, Membership.ended_at.is_(None))).all()
    committee = samples["committee"]
    vote_url = f"{base}/{committee}/votes/{vote_id}"
    sessions: list[tuple[str, str]] = []
    lock = threading.Lock()

    def prepare(email: str) -> None:
        cookie = login(base, email, samples["password"])
        _, _, page = request(vote_url, cookie=cookie)
        with lock:
            sessions.append((cookie, csrf_token(page)))

    for index in range(0, len(emails), 8):
        run_together(prepare, [(email,) for email in emails[index:index + 8]])
    barrier = threading.Barrier(len(sessions))
    latencies: list[float] = []
    statuses: list[int] = []

    def cast(cookie: str, token: str) -> None:
        barrier.wait()
        started = time.perf_counter()
        status, _, _ = request(vote_url + "/ballot", cookie=cookie, data={"choice": "yes", "csrf_token": token})
        elapsed = (time.perf_counter() - started) * 1000
        with lock:
            latencies.append(elapsed)
            statuses.append(status)

    wall_ms = run_together(cast, sessions)
    with app.app_context():
        from sqlalchemy import func
        stored = db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.vote_id == vote_id))
        db.engine.dispose()
    latencies.sort()
    return {
        "seats": len(sessions), "stored_ballots": stored, "ok": statuses.count(303),
        "failed": len(statuses) - statuses.count(303), "wall_ms": wall_ms,
        "p50_ms": statistics.median(latencies), "p95_ms": latencies[max(0, int(len(latencies) * 0.95) - 1)],
        "max_ms": latencies[-1],
    }


# ------------------------------------------------------------------------------------- side benches

def side_bench(script: list[str], source: str, json_path: Path, timeout: int = 900) -> dict:
    """Run another bench script that writes a JSON report; {"error": why} when it is not there or fails."""
    if not (ROOT / source).exists():
        return {"error": f"{source} is not there"}
    json_path.unlink(missing_ok=True)
    result = subprocess.run([sys.executable, *script, "--json", str(json_path)], cwd=ROOT, capture_output=True,
                            text=True, timeout=timeout)
    if result.returncode or not json_path.exists():
        return {"error": (result.stderr or result.stdout)[-2000:]}
    return json.loads(json_path.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------- profiling

def profile_pages(database_url: str, samples: dict, paths: list[tuple[str, str]], rounds: int = 40) -> dict[str, str]:
    """pyinstrument over `rounds` requests of each page, in process, against the benchmark's database."""
    from pyinstrument import Profiler

    app = bench_app(database_url)
    client = app.test_client()
    page = client.get("/login").get_data()
    client.post("/login", data={"email": samples["member_email"], "password": samples["password"],
                                "csrf_token": csrf_token(page)})
    profiles = {}
    for name, path in paths:
        for _ in range(5):
            client.get(path)
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(rounds):
            client.get(path)
        profiler.stop()
        text = profiler.output_text(unicode=True, color=False, show_all=False)
        profiles[name] = _trim_profile(text)
    return profiles


def _trim_profile(text: str, lines: int = 45) -> str:
    kept = [line for line in text.splitlines() if line.strip() and not line.startswith(("  _     ", " _ "))]
    return "\n".join(kept[:lines])


# ------------------------------------------------------------------------------------------- machine

def machine() -> dict:
    cpu = ""
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as handle:
        mem_kb = int(handle.readline().split()[1])

    def version(command: list[str]) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True).stdout.strip().splitlines()[0]
        except (OSError, IndexError):
            return "?"

    from sqlalchemy import create_engine, text

    engine = create_engine(scratch.PG_ADMIN_URL)
    with engine.connect() as connection:
        pg = connection.execute(text("SHOW server_version")).scalar()
    engine.dispose()
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(), "python": platform.python_version(), "postgresql": pg,
        "gunicorn": version([str(BIN / "gunicorn"), "--version"]), "wrk": version(["wrk", "--version"]),
    }


# -------------------------------------------------------------------------------------------- report

def _fmt(value, digits=1) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def write_report(report: dict, path: Path) -> None:
    m = report["machine"]
    lines = [
        "# Benchmarks",
        "",
        f"Regenerated by `bench/run` on {report['date']} (this file is overwritten; the analysis comes from "
        "`bench/notes.md`). Ratios compare each page with the bare route measured in the same run.",
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu']}, {m['cores']} cores; {m['memory_gib']} GiB RAM; {m['os']}",
        f"- Python {m['python']}, PostgreSQL {m['postgresql']}, {m['gunicorn']}, {m['wrk']}",
        f"- wrk: 2 threads, {report['connections']} connections, {report['duration']} s per page after a 2 s warm-up, "
        "on the same machine as the server (they share the cores).",
        "",
        "## Data set (`flask seed --scale`)",
        "",
        "| table | rows |",
        "| --- | ---: |",
    ]
    for table, count in report["dataset"]["counts"].items():
        lines.append(f"| {table} | {count:,} |")
    lines += [
        "",
        f"Written in {report['dataset']['seconds']:.1f} s on PostgreSQL (the `seed` command: "
        f"{report['dataset']['wall_seconds']:.1f} s with start-up) and in "
        + (f"{report['sqlite_generation']['seconds']:.1f} s on SQLite." if report.get("sqlite_generation") else "– on SQLite (skipped).")
        + " Five fiscal years (令和6〜10年度), 4 committees; meetings before the run's date are held, the next weeks' "
        "convened, later ones planned.",
        "",
        "## Worker class",
        "",
        "| server | bare route req/s | meeting page req/s |",
        "| --- | ---: | ---: |",
    ]
    for name, figures in report["workers"].items():
        lines.append(f"| {name} | {_fmt(figures.get('bare route (constant)'))} | "
                     f"{_fmt(figures.get('meeting page (20 items, 64 seats)'))} |")
    lines += ["", f"Chosen: **{report['chosen_worker']}** (the higher meeting-page throughput).", "",
              "## Pages (gunicorn, PostgreSQL)", "",
              "| page | req/s | p50 ms | p99 ms | × bare | target | |",
              "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for row in report["pages"]:
        target = {"html": HTML_TARGET, "feed-304": NOT_MODIFIED_TARGET}.get(row["kind"])
        verdict = "" if target is None else ("ok" if row["ratio"] >= target else "**below**")
        lines.append(f"| {row['name']} | {_fmt(row['rps'])} | {_fmt(row['p50_ms'])} | {_fmt(row['p99_ms'])} | "
                     f"{_fmt(row['ratio'], 2)} | {'' if target is None else f'≥ {target}'} | {verdict} |")
    bad = [row for row in report["pages"] if row["non_2xx_3xx"] or row["socket_errors"]]
    if bad:
        lines += ["", "Errors during the runs: " + ", ".join(
            f"{row['name']}: {row['non_2xx_3xx']} bad statuses, {row['socket_errors']} socket errors" for row in bad)]
    if report.get("pages_load_average"):
        lines += ["", "Load average (1, 5, 15 min) when the page runs started, then when they ended: "
                  + ", ".join(str(x) for x in report["pages_load_average"]) + "."]
    lines += ["", "## Server CPU per page (bench/cpu.py)", ""]
    cpu = report.get("cpu")
    if cpu and "error" not in cpu:
        from bench.cpu import table as cpu_table

        lines += cpu_table(cpu)
    else:
        lines.append(f"Not measured: {cpu}")
    casts = report.get("casts")
    lines += ["", "## 64 seats casting at once", ""]
    if casts and "error" not in casts:
        lines.append(f"{casts['seats']} sessions posted their ballot at the same instant (a barrier): "
                     f"{casts['ok']} accepted, {casts['failed']} failed, {casts['stored_ballots']} ballots stored; "
                     f"p50 {casts['p50_ms']:.0f} ms, **p95 {casts['p95_ms']:.0f} ms**, max {casts['max_ms']:.0f} ms, "
                     f"all done in {casts['wall_ms']:.0f} ms.")
    else:
        lines.append(f"Not measured: {casts}")
    lines += ["", "## Feed build (a council member's feed over every meeting)", ""]
    lines += _feed_section(report.get("feed_build"))
    lines += ["", "## Scheduler throughput (10,000 due notifications to a local SMTP server)", ""]
    lines += _scheduler_section(report.get("scheduler"))
    lines += ["", "## Profiles of the slowest pages", "",
              f"pyinstrument, {report.get('profile_rounds', 40)} requests each in process (Flask test client, same "
              "database), the call tree's top:", ""]
    for name, text in report.get("profiles", {}).items():
        lines += [f"### {name}", "", "```", text, "```", ""]
    notes = ROOT / "bench" / "notes.md"
    if notes.exists():
        lines += ["## Analysis", "", notes.read_text(encoding="utf-8").strip(), ""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


FEED_STEPS = {
    "bare": "the bare route through the same app and test client (the 304's yardstick)",
    "version": "the version query alone (what every request asks first)",
    "http_304": "a 304 over HTTP after a full check",
    "http_304_recent": "a 304 within FEED_RECHECK_SECONDS of the last check (no query)",
    "cold_build": "a feed's first build in a process (every event written)",
    "warm_build": "a rebuild after a change (the unchanged events from the feed's previous build)",
    "cached": "a 200 from the cache",
    "fresh": "the first feed request in a new process",
}


def _feed_section(feed: dict | None) -> list[str]:
    if not feed or "error" in feed:
        return [f"Not measured: {feed}"]
    info = feed.get("feed", {})
    lines = [f"{feed.get('committee_meetings')} meetings of the member's committee over {feed.get('fiscal_years')} "
             f"fiscal years (and {feed.get('other_meetings')} of other committees that must stay out): "
             f"{info.get('events')} events, {info.get('bytes', 0) / 1024:,.0f} KiB; "
             f"{feed.get('database')}, median and p95 of {feed.get('rounds')} rounds.", "",
             "| step | wall ms (median / p95) | CPU ms (median) |", "| --- | ---: | ---: |"]
    for key, label in FEED_STEPS.items():
        step = feed.get("steps", {}).get(key)
        if step:
            lines.append(f"| {label} | {step['wall_ms']['median']:.1f} / {step['wall_ms']['p95']:.1f} | "
                         f"{step['cpu_ms']['median']:.1f} |")
    return lines


def _scheduler_section(result: dict | None) -> list[str]:
    if not result or "error" in result:
        return [f"Not measured: {result}"]
    verdict = "meets" if result.get("ok") else "**misses**"
    return [
        f"{result['count']:,} convocations due at once, {result['senders']} sender processes (the real `run_pass`; one "
        f"holds the lock), {result['database']}, aiosmtpd on loopback in its own process:", "",
        f"- **{result['mails_per_second']:.0f} mails/s** ({verdict} the target of {result['target_mails_per_second']}), "
        f"{result['seconds']:.1f} s in all, {result['sender_cpu_ms_per_mail']:.2f} ms of sender CPU per mail",
        f"- received {result['received']:,}, distinct notifications {result['distinct_notifications']:,}: "
        f"**{result['duplicates']} duplicates**, {result['not_sent']} not sent, "
        f"{result['received_but_not_marked_sent']} received but not marked sent",
        f"- load average during the run: {', '.join(str(x) for x in result.get('load_average', []))}",
    ]


# ---------------------------------------------------------------------------------------------- main

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 s per page: a smoke run, not figures to publish")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--skip-side", action="store_true", help="skip the feed-build and scheduler benches")
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    parser.add_argument("--reuse-database", action="store_true",
                        help="measure on the data set of an earlier run (LIAISON_BENCH_DB, bench/reports/dataset.json) "
                             "whose casts did not run: no generation")
    args = parser.parse_args(argv)
    duration = 3 if args.quick else args.duration
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk); bench/run installs it when run as root")
    REPORTS.mkdir(parents=True, exist_ok=True)
    report: dict = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "duration": duration,
                    "connections": args.connections, "machine": machine()}

    if args.reuse_database:  # the data set of an earlier run whose casts did not run yet (its dataset.json)
        log(f"PostgreSQL: reusing {DB_NAME} and {REPORTS / 'dataset.json'}; SQLite generation skipped")
        database_url = pg_url(DB_NAME)
        dataset = json.loads((REPORTS / "dataset.json").read_text(encoding="utf-8"))
        dataset.setdefault("wall_seconds", dataset["seconds"])
    else:
        log("SQLite: migrating and generating the data set")
        with tempfile.TemporaryDirectory() as tmp:
            report["sqlite_generation"] = generate(f"sqlite:///{tmp}/scale.sqlite3", Path(tmp) / "scale.json")
            report["sqlite_generation"].pop("samples", None)
        log(f"SQLite: {report['sqlite_generation']['seconds']:.1f} s")
        log(f"PostgreSQL: a fresh database {DB_NAME}, migrating and generating the data set")
        database_url = recreate_pg_database(DB_NAME)
        dataset = generate(database_url, REPORTS / "dataset.json")
    report["dataset"] = {k: dataset[k] for k in ("counts", "seconds", "wall_seconds")}
    samples = dataset["samples"]
    log(f"PostgreSQL: {dataset['seconds']:.1f} s; samples {samples}")
    feed_path = feed_path_for(database_url, samples["member_id"])

    workers = 2 * (os.cpu_count() or 1)
    comparison = {"bare route (constant)", "meeting page (20 items, 64 seats)"}
    report["workers"] = {}
    for worker_class in ("sync", "gthread"):
        label = f"{worker_class}, {workers} workers" + (", 4 threads each" if worker_class == "gthread" else "")
        log(f"gunicorn {label}: comparison run")
        with gunicorn(database_url, worker_class, workers) as base:
            rows = measure_pages(base, samples, feed_path, duration=duration, connections=args.connections,
                                 only=comparison)
        report["workers"][label] = {row["name"]: row["rps"] for row in rows}
    chosen = max(report["workers"], key=lambda label: report["workers"][label]["meeting page (20 items, 64 seats)"])
    report["chosen_worker"] = chosen
    worker_class = chosen.split(",")[0]
    log(f"gunicorn {chosen}: every page")
    with gunicorn(database_url, worker_class, workers) as base:
        report["pages_load_average"] = [round(x, 2) for x in os.getloadavg()]
        report["pages"] = measure_pages(base, samples, feed_path, duration=duration, connections=args.connections)
        report["pages_load_average"] += [round(x, 2) for x in os.getloadavg()]
        log("64 seats casting at once")
        try:
            report["casts"] = concurrent_casts(base, database_url, samples)
        except Exception as error:  # the report still gets written
            report["casts"] = {"error": f"{type(error).__name__}: {error}"}
        log(f"casts: {report['casts']}")
    log("server CPU per page (bench/cpu.py)")
    report["cpu"] = side_bench(["bench/cpu.py", "--database-url", database_url, "--samples",
                                str(REPORTS / "dataset.json")], "bench/cpu.py", REPORTS / "cpu.json", timeout=1800)
    if not args.skip_side:
        log("feed build (bench/feed_build.py)")
        report["feed_build"] = side_bench(["bench/feed_build.py", "--database", "postgresql"], "bench/feed_build.py",
                                          REPORTS / "feed_build.json")
        log("scheduler throughput (bench/scheduler_throughput.py)")
        report["scheduler"] = side_bench(["-m", "bench.scheduler_throughput"], "bench/scheduler_throughput.py",
                                         REPORTS / "scheduler.json")
    html_rows = sorted((row for row in report["pages"] if row["kind"] == "html"), key=lambda row: row["ratio"])
    to_profile = [(row["name"], row["path"]) for row in html_rows[:2]]
    log(f"profiling {', '.join(name for name, _ in to_profile)}")
    report["profile_rounds"] = 40
    report["profiles"] = profile_pages(database_url, samples, to_profile)
    (REPORTS / "latest.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    write_report(report, Path(args.output))
    log(f"wrote {args.output} and {REPORTS / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
