"""The meeting day's benchmark (issue 18): `python bench/live.py` writes its section into BENCHMARKS.md.

On PostgreSQL, under gunicorn (gunicorn.conf.py; when it names no worker class, gthread with
--workers/--threads below, because a sync worker is blocked by each open event stream):
1. A fresh database with the demo (`flask seed --demo`); a council meeting today (64 voting seats), all 64
   checked in, 開会, the first item taken up, an electronic vote opened on it.
2. 100 followers on the Server-Sent Events stream (the screen's link: no login), 64 seats logged in.
3. The 64 seats cast at the same instant (POST live/ballot, fetch() style): latency p50/p95/max; then
   16 of them send their ballot again (a reconnect's resend): stored ballots must equal the seats.
   Between the two, the same number of requests at once on the bare route (bench/wsgi.py: no database, no
   login), with the same followers connected: the stack's floor, what any request costs at that moment. Then
   each seat changes its ballot one request at a time, and the bare route likewise: the CPU one cast costs the
   server and PostgreSQL, and one bare request the server (from /proc, over the series).
4. The secretariat closes the vote (POST console/vote/close); each follower notes when an event with
   the closed vote's result arrives: latency p50/p99/max over all followers after the close returned.
5. wrk on live.json revalidated with its ETag (304) and on the bare route, in the same run.

Options: --followers N (100), --workers N and --threads N (gunicorn.conf.py's: 2 and 128), --duration S (wrk, 10), --json PATH,
--no-write (do not touch BENCHMARKS.md), --reuse (the seeded database of a previous run).
"""
from __future__ import annotations

import argparse
import functools
import http.client
import json
import os
import statistics
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timedelta
from pathlib import Path

if str(Path(__file__).resolve().parent.parent) not in sys.path:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import (  # noqa: E402
    app_env, bench_app, csrf_token, flask, gunicorn, log, login, recreate_pg_database, request, run_together, wrk,
)

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = os.environ.get("LIAISON_BENCH_LIVE_DB", "liaison_bench_live")  # another name on a shared host
SECTION = "## Meeting day: 100 followers, 64 seats casting (bench/live.py)"
PASSWORD = "liaison-demo"
CHOICES = ["yes"] * 7 + ["no", "yes", "abstain"]  # the seats' ballots, in turn
CHANGED = {"yes": "no", "no": "abstain", "abstain": "yes"}  # each seat's other ballot (one at a time)


@functools.lru_cache(maxsize=1)
def _gunicorn_settings() -> dict:
    namespace: dict = {}
    exec(compile((ROOT / "gunicorn.conf.py").read_text(encoding="utf-8"), "gunicorn.conf.py", "exec"), namespace)
    return namespace


def configured(name: str):
    """A setting of gunicorn.conf.py (worker_class, workers, threads), as production reads it, or None."""
    return _gunicorn_settings().get(name)


# ------------------------------------------------------------------------------------------ the meeting

def prepare_meeting(database_url: str) -> dict:
    """A council meeting today, 64 seats checked in, in session, the first item up, an electronic vote open."""
    from sqlalchemy import select

    from liaison.dates import TOKYO, to_tokyo, utcnow
    from liaison.domain import live as live_rules
    from liaison.domain import meetings as meeting_rules
    from liaison.domain import sitting
    from liaison.extensions import db
    from liaison.models import AgendaKind, Committee, MeetingFormat, User

    app = bench_app(database_url)
    with app.app_context():
        council = db.session.scalar(select(Committee).where(Committee.slug == "council"))
        staff = db.session.scalar(select(User).where(User.email == "secretariat@example.jp"))
        day = to_tokyo(utcnow()).date()
        start = datetime(day.year, day.month, day.day, 9, 0, tzinfo=TOKYO)
        then = start - timedelta(days=30)
        meeting = meeting_rules.create_meeting(council, actor=staff, starts_at=start, ends_at=start + timedelta(hours=15),
                                               format=MeetingFormat.IN_PERSON, place="ベンチマーク会議室",
                                               title="bench/live.py", now=then)
        meeting_rules.add_agenda_item(meeting, actor=staff, kind=AgendaKind.RESOLUTION, title="ベンチマーク議案")
        meeting_rules.convene(meeting, actor=staff, now=then)
        seats = meeting_rules.voting_seats(meeting)
        for seat in seats:
            sitting.check_in_seat(meeting, seat, actor=staff, mode="present")
        meeting_rules.open_session(meeting, actor=staff)
        sitting.move(meeting, actor=staff, direction="next")
        vote = sitting.open_item_vote(meeting, actor=staff)
        db.session.commit()
        result = {
            "meeting_id": meeting.id, "vote_id": vote.id, "slug": council.slug,
            "emails": [seat.user.email for seat in seats],
            "screen_key": live_rules.screen_token(meeting, app.config["SECRET_KEY"]),
        }
        db.engine.dispose()
    return result


def stored_ballots(database_url: str, vote_id: int) -> tuple[int, int]:
    """(ballot rows, distinct seats) of the vote."""
    from sqlalchemy import func, select

    from liaison.extensions import db
    from liaison.models import Ballot

    with bench_app(database_url).app_context():
        rows = db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.vote_id == vote_id))
        seats = db.session.scalar(select(func.count(func.distinct(Ballot.membership_id))).where(Ballot.vote_id == vote_id))
        db.engine.dispose()
    return rows, seats


# ------------------------------------------------------------------------------------------ followers

class Follower(threading.Thread):
    """One page on the event stream: notes when the first event with the vote closed arrives."""

    def __init__(self, port: int, path: str, vote_id: int):
        super().__init__(daemon=True)
        self.port, self.path, self.vote_id = port, path, vote_id
        self.connected = threading.Event()
        self.closed_at: float | None = None
        self.error: str | None = None
        self.events = 0

    def run(self) -> None:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            connection.request("GET", self.path, headers={"Accept": "text/event-stream"})
            response = connection.getresponse()
            if response.status != 200:
                self.error = f"HTTP {response.status}"
                self.connected.set()
                return
            data: list[str] = []
            while True:
                line = response.fp.readline()
                if not line:
                    self.error = self.error or "stream ended"
                    return
                line = line.decode("utf-8").rstrip("\n")
                if line.startswith("data:"):
                    data.append(line[5:].lstrip())
                elif line == "" and data:
                    if '"closed"' not in data[0]:  # only a closed vote's state needs parsing (client CPU is shared)
                        data = []
                        self.events += 1
                        self.connected.set()
                        continue
                    state = json.loads("\n".join(data))
                    data = []
                    self.events += 1
                    self.connected.set()
                    vote = state.get("vote") or {}
                    if vote.get("id") == self.vote_id and vote.get("state") == "closed" and vote.get("result"):
                        self.closed_at = time.perf_counter()
                        connection.close()
                        return
        except Exception as error:  # noqa: BLE001 (reported)
            self.error = repr(error)
            self.connected.set()


def cpu_by_process() -> dict[str, tuple[str, float]]:
    """pid → (server | postgresql | client, CPU seconds used so far), from /proc (Linux; {} elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    me = str(os.getpid())
    try:
        pids = [pid for pid in os.listdir("/proc") if pid.isdigit()]
    except OSError:
        return {}
    found = {}
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        used = (int(fields[11]) + int(fields[12])) / tick
        if pid == me:
            found[pid] = ("client", used)
        elif "gunicorn" in command:
            found[pid] = ("server", used)
        elif stat[stat.find("(") + 1:].startswith("postgres"):
            found[pid] = ("postgresql", used)
    return found


def cpu_between(before: dict, after: dict) -> dict[str, float]:
    """CPU ms per group between two cpu_by_process() readings (a process that ended in between is not counted)."""
    totals = {"server": 0.0, "postgresql": 0.0, "client": 0.0}
    for pid, (group, used) in after.items():
        totals[group] += (used - before.get(pid, (group, 0.0))[1]) * 1000
    return totals


def storm(port: int, warm_path: str, requests: list[tuple]) -> tuple[dict, list[int]]:
    """Send `requests` (method, path, cookie, headers, body) at the same instant, each on its own keep-alive
    connection opened by a GET of `warm_path` (as a tablet's is, after a first request): latency p50/p95/max, the
    statuses, the wall time and the CPU each group of processes used between the barrier and the last answer. The
    client's own work stays out of the measure as far as it can on shared cores."""
    cpu_at: list[dict] = []
    barrier = threading.Barrier(len(requests), action=lambda: cpu_at.append(cpu_by_process()))
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()

    def send(method: str, path: str, cookie: str, headers: dict, body: str | None) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("GET", warm_path, headers={"Cookie": cookie})
        connection.getresponse().read()
        barrier.wait()
        started = time.perf_counter()
        connection.request(method, path, body=body, headers={"Cookie": cookie, **headers})
        response = connection.getresponse()
        response.read()
        elapsed = (time.perf_counter() - started) * 1000
        connection.close()
        with lock:
            latencies.append(elapsed)
            statuses.append(response.status)

    wall_ms = run_together(send, requests)
    after = cpu_by_process()
    return {
        "sent": len(statuses), "ok": statuses.count(200), "refused": len(statuses) - statuses.count(200),
        "statuses": sorted(set(statuses)), "wall_ms": wall_ms,
        "p50_ms": statistics.median(latencies), "p95_ms": percentile(latencies, 0.95), "max_ms": max(latencies),
        "cpu_ms": cpu_between(cpu_at[0], after) if cpu_at else {},
    }, statuses


def one_at_a_time(port: int, requests: list[tuple]) -> dict:
    """Send `requests` one after another on one keep-alive connection: the median latency, the statuses and the CPU
    per request of the server and of PostgreSQL (/proc's clock ticks over the whole series, divided)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    latencies, statuses = [], []
    before = cpu_by_process()
    for method, path, cookie, headers, body in requests:
        started = time.perf_counter()
        connection.request(method, path, body=body, headers={"Cookie": cookie, **headers})
        response = connection.getresponse()
        response.read()
        latencies.append((time.perf_counter() - started) * 1000)
        statuses.append(response.status)
    cpu = cpu_between(before, cpu_by_process())
    connection.close()
    return {"sent": len(statuses), "ok": statuses.count(200), "statuses": sorted(set(statuses)),
            "p50_ms": statistics.median(latencies),
            "server_ms": cpu["server"] / len(requests), "postgresql_ms": cpu["postgresql"] / len(requests)}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(len(ordered) * share)) - 1))]


# ------------------------------------------------------------------------------------------------ run

def run(args) -> dict:
    if args.reuse:
        from bench.run import pg_url
        database_url = pg_url(DB_NAME)
    else:
        database_url = recreate_pg_database(DB_NAME)
        env = app_env(database_url)
        log("migrating and seeding the demo (a minute or two)")
        flask(["db", "upgrade"], env)
        flask(["seed", "--demo"], env)
    info = prepare_meeting(database_url)
    named = configured("worker_class")
    worker_class = named or "gthread"
    active = os.environ.get("WEB_ACTIVE_REQUESTS") or str(bench_app(database_url).config["WEB_ACTIVE_REQUESTS"])
    report = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),  # the run's start (the section may be re-rendered)
              "load": " ".join(f"{v:.1f}" for v in os.getloadavg()), "worker_class": worker_class, "from_config": bool(named),
              "active": active, "workers": args.workers,
              "threads": args.threads, "follower_count": args.followers, "seats": len(info["emails"])}
    meeting_path = f"/{info['slug']}/meetings/{info['meeting_id']}"
    with gunicorn(database_url, worker_class, args.workers, args.threads, boot_seconds=120) as base:
        port = urllib.parse.urlsplit(base).port
        log(f"{len(info['emails'])} seats log in")
        sessions: list[tuple[str, str]] = []
        lock = threading.Lock()

        def prepare(email: str) -> None:
            cookie = login(base, email, PASSWORD)
            _, _, page = request(base + meeting_path + "/live", cookie=cookie)
            with lock:
                sessions.append((cookie, csrf_token(page)))

        emails = info["emails"]
        for index in range(0, len(emails), 8):
            run_together(prepare, [(email,) for email in emails[index:index + 8]])
        staff = login(base, "secretariat@example.jp", PASSWORD)
        _, _, console = request(base + meeting_path + "/console", cookie=staff)
        staff_token = csrf_token(console)

        log(f"{args.followers} followers connect")
        stream = f"{meeting_path}/live/events?k={urllib.parse.quote(info['screen_key'])}"
        followers = [Follower(port, stream, info["vote_id"]) for _ in range(args.followers)]
        for follower in followers:
            follower.start()
        for follower in followers:
            follower.connected.wait(30)
        report["followers_connected"] = sum(1 for f in followers if f.events and not f.error)

        log("the seats cast at once")
        choices = [CHOICES[n % len(CHOICES)] for n in range(len(sessions))]
        headers = {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"}

        def ballots(chosen: list[str]) -> list[tuple]:
            return [("POST", meeting_path + "/live/ballot", cookie, headers,
                     urllib.parse.urlencode({"vote_id": info["vote_id"], "choice": choice, "csrf_token": token}))
                    for (cookie, token), choice in zip(sessions, chosen)]

        casts = ballots(choices)
        report["casts"], statuses = storm(port, meeting_path + "/live.json", casts)
        # The same number of requests at once, with the same followers connected, on the bare route: what any
        # request costs through this stack (gunicorn, Flask, the hooks) at that moment — the floor of a cast.
        log("the same number of requests at once on the bare route")
        report["bare_storm"], _ = storm(port, "/_bench/bare", [("GET", "/_bench/bare", cookie, {}, None)
                                                                   for cookie, _ in sessions])
        # A reconnect's resend: 16 seats send the same ballot again.
        resend_statuses = []
        for n, session in enumerate(sessions[:16]):
            status, _, _ = request(base + meeting_path + "/live/ballot", cookie=session[0],
                                   data={"vote_id": info["vote_id"], "choice": choices[n],
                                         "csrf_token": session[1]}, headers={"Accept": "application/json"})
            resend_statuses.append(status)
        # Each seat changes its ballot, one request at a time (no other request running): what one cast costs the
        # server and PostgreSQL in CPU, and a bare request the server — the parts the 64 at once share two cores with.
        log("one at a time: the casts (each seat changes its ballot) and the bare route")
        changed = ballots([CHANGED[choice] for choice in choices])
        report["one_at_a_time"] = {"casts": one_at_a_time(port, changed),
                                   "bare": one_at_a_time(port, [("GET", "/_bench/bare", cookie, {}, None)
                                                                for cookie, _ in sessions])}
        rows, seats = stored_ballots(database_url, info["vote_id"])
        report["ballots"] = {"rows": rows, "distinct_seats": seats, "accepted_casts": statuses.count(200),
                             "resend_statuses": sorted(set(resend_statuses))}
        time.sleep(1.0)  # the followers have had the casts' versions

        log("the secretariat closes the vote")
        close_started = time.perf_counter()
        status, _, body = request(base + meeting_path + "/console/vote/close", cookie=staff,
                                  data={"vote_id": info["vote_id"], "csrf_token": staff_token},
                                  headers={"Accept": "application/json"})
        closed = time.perf_counter()
        report["close"] = {"status": status, "ms": (closed - close_started) * 1000}
        for follower in followers:
            follower.join(10)
        after = [(f.closed_at - closed) * 1000 for f in followers if f.closed_at is not None]
        report["followers"] = {
            "got_result": len(after), "missed": len(followers) - len(after),
            "errors": sorted({f.error for f in followers if f.error and f.closed_at is None})[:5],
            "p50_ms": statistics.median(after) if after else None, "p99_ms": percentile(after, 0.99) if after else None,
            "max_ms": max(after) if after else None,
            "within_1s": sum(1 for value in after if value <= 1000),
        }

        log("wrk: live.json revalidated (304) and the bare route")
        live_json = f"{base}{meeting_path}/live.json?k={urllib.parse.quote(info['screen_key'])}"
        status, headers, _ = request(live_json)
        etag = headers.get("ETag", "")
        check, _, _ = request(live_json, headers={"If-None-Match": etag})
        report["etag"] = {"first": status, "revalidated": check, "etag": etag}
        results = {}
        for name, url, extra in (("bare route", base + "/_bench/bare", None),
                                 ("live.json 304", live_json, {"If-None-Match": etag})):
            wrk(url, duration=2, connections=args.connections, headers=extra)
            results[name] = wrk(url, duration=args.duration, connections=args.connections, headers=extra)
        report["wrk"] = results
        bare = results["bare route"].get("rps") or 0
        report["ratio_304"] = results["live.json 304"].get("rps", 0) / bare if bare else None
    return report


# ----------------------------------------------------------------------------------------------- report

def _fmt(value, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def section(report: dict) -> str:
    casts, followers, ballots, wrk_results = report["casts"], report["followers"], report["ballots"], report["wrk"]
    server = (f"gunicorn {report['worker_class']} (from gunicorn.conf.py), {report['workers']} workers × "
              f"{report['threads']} threads, {report.get('active', '?')} requests of a process at once (WEB_ACTIVE_REQUESTS)"
              if report["from_config"] else
              f"gunicorn --worker-class gthread --workers {report['workers']} --threads {report['threads']} "
              "(gunicorn.conf.py names no worker class yet; a sync worker would be held by each open stream)")
    ok = lambda cond: "✓" if cond else "✗"  # noqa: E731
    lines = [
        SECTION, "",
        f"Run {report.get('date') or time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on PostgreSQL, {server}, {os.cpu_count()} cores, "
        "with the demo data; one council meeting today, 64 seats checked in, an electronic vote open. "
        f"Load average at the start: {report.get('load', '?')} (other work on the machine counts).",
        "",
        "| measure | value | target | |",
        "| --- | --- | --- | --- |",
        f"| followers on the event stream (screen link) | {report['followers_connected']} of {report['follower_count']} connected | 100 | "
        f"{ok(report['followers_connected'] == report['follower_count'])} |",
        f"| 64 casts at once: p50 / p95 / max | {_fmt(casts['p50_ms'])} / {_fmt(casts['p95_ms'])} / {_fmt(casts['max_ms'])} ms "
        f"({casts['ok']} accepted, statuses {casts['statuses']}) | p95 ≤ 150 ms | {ok(casts['p95_ms'] <= 150)} |",
        f"| ballots stored (rows / seats) after 16 resends | {ballots['rows']} / {ballots['distinct_seats']} "
        f"(accepted {ballots['accepted_casts']}, resend statuses {ballots['resend_statuses']}) | = accepted, 0 double | "
        f"{ok(ballots['rows'] == ballots['distinct_seats'] == ballots['accepted_casts'])} |",
        *([f"| CPU used while the 64 casts ran: server / PostgreSQL / this client | {_fmt(cpu.get('server'), 0)} / "
           f"{_fmt(cpu.get('postgresql'), 0)} / {_fmt(cpu.get('client'), 0)} ms ({os.cpu_count()} cores: "
           f"{_fmt((os.cpu_count() or 1) * casts['max_ms'], 0)} ms in that time) | | |"] if (cpu := casts.get("cpu_ms")) else []),
        *([f"| the same {bare['sent']} requests at once on the bare route (no database), same followers: p50 / p95 / max | "
           f"{_fmt(bare['p50_ms'])} / {_fmt(bare['p95_ms'])} / {_fmt(bare['max_ms'])} ms (server CPU "
           f"{_fmt(bare.get('cpu_ms', {}).get('server'), 0)} ms) | the stack's floor | |"] if (bare := report.get("bare_storm")) else []),
        *([f"| one at a time: a cast (a ballot changed) / a bare request: latency p50 | {_fmt(single['casts']['p50_ms'])} / "
           f"{_fmt(single['bare']['p50_ms'])} ms | | |",
           f"| one at a time: CPU per cast: server / PostgreSQL; per bare request: server | "
           f"{_fmt(single['casts']['server_ms'])} / {_fmt(single['casts']['postgresql_ms'])} ms; "
           f"{_fmt(single['bare']['server_ms'])} ms ({single['casts']['ok']} of {single['casts']['sent']} casts accepted) | | |"]
          if (single := report.get("one_at_a_time")) else []),
        f"| close (POST, secretariat) | {_fmt(report['close']['ms'])} ms (HTTP {report['close']['status']}) | | |",
        f"| followers with the result after the close: p50 / p99 / max | {_fmt(followers['p50_ms'])} / "
        f"{_fmt(followers['p99_ms'])} / {_fmt(followers['max_ms'])} ms ({followers['got_result']} got it, "
        f"{followers['within_1s']} within 1 s) | all within 1 s | {ok(followers['within_1s'] == report['follower_count'])} |",
        f"| live.json revalidated (304) | {_fmt(wrk_results['live.json 304'].get('rps'))} req/s | "
        f"≥ 0.8 × bare | {ok((report['ratio_304'] or 0) >= 0.8)} |",
        f"| bare route, same run | {_fmt(wrk_results['bare route'].get('rps'))} req/s | | |",
        f"| ratio 304 / bare | {_fmt(report['ratio_304'], 2)} | ≥ 0.80 | |",
    ]
    if followers["errors"]:
        lines += ["", "Follower errors: " + "; ".join(followers["errors"])]
    return "\n".join(lines) + "\n"


def write_section(text: str, path: Path = ROOT / "BENCHMARKS.md") -> None:
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if SECTION in current:
        before, _, rest = current.partition(SECTION)
        after = rest.split("\n## ", 1)
        current = before + text + ("\n## " + after[1] if len(after) > 1 else "")
    else:
        current = current.rstrip("\n") + "\n\n" + text
    path.write_text(current, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--followers", type=int, default=100)
    parser.add_argument("--workers", type=int, default=configured("workers") or 4, help="gunicorn.conf.py's by default")
    parser.add_argument("--threads", type=int, default=configured("threads") or 64, help="gunicorn.conf.py's by default")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="the database of a previous run (seeded), a new meeting")
    args = parser.parse_args(argv)
    report = run(args)
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    text = section(report)
    print(text)
    if not args.no_write:
        write_section(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
