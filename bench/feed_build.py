"""Benchmark: build one member's calendar feed over 520 meetings (not a test; run by hand).

    .venv/bin/python bench/feed_build.py [--database sqlite|postgresql] [--meetings 520] [--rounds 15]
                                         [--fresh 5] [--json report.json]
    .venv/bin/python -m bench.feed_build ...        (or bench.feed_build.main(argv) from Python)

The database: a scratch SQLite file in a temporary directory (the default), a scratch PostgreSQL
database created and dropped on LIAISON_TEST_PG_URL's server (--database postgresql; default
postgres@127.0.0.1:5432), or DATABASE_URL as it is when set (it is migrated and filled: use an empty one).

The data: a member of 広域連合連絡調整会議 (council) with a voting seat in each of the five fiscal years
a feed shows (last year, this year and three planned years), `--meetings` council meetings spread over
those years (held, convened, some postponed, cancelled and written sessions, three agenda items each,
all with an answer deadline), a few open written votes and minutes in review of theirs, and
`--other-meetings` meetings of each of the other three committees, which must not be in the feed.

Each step, timed `--rounds` times (wall-clock and CPU milliseconds, median and p95):
  bare         the bare route of bench/wsgi.py through the same app and test client (the 304's yardstick)
  version      the one aggregate query every request makes (all a 304 costs in the database)
  http_304     a whole feed request revalidated with its ETag (token check, user, version): 304
  http_304_recent   the same within FEED_RECHECK_SECONDS of its last check: 304 without a query
  cold_build   load the meetings and write every event (a feed's first build in a process)
  warm_build   a rebuild after a change: the meetings' rows, every event taken from the feed's previous
               build (the cache entry keeps them); one changed meeting adds its own event's writing
  cached       the version query and a hit in the cache (a 200 without building)
  fresh        (with --fresh N) the first feed request in a new process: every event written, also
               nothing compiled by SQLAlchemy yet, no message catalogue loaded; one sample per process
The feed is checked: exactly the member's council meetings and their deadlines, every UID once.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import scratch  # noqa: E402

BASE_URL = "https://liaison.example.jp"
FISCAL_YEARS = 5  # what a feed shows: last year, this year, and the years already planned
OTHER_COMMITTEES = ("planning", "municipal-training", "prefectural-training")


def app_config(url: str, **overrides) -> dict:
    # FEED_RECHECK_SECONDS 0: every revalidation checks the database (http_304_recent turns it on)
    return {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret-key-0123456789-0123456789",
            "BASE_URL": BASE_URL, "LIAISON_ENV": "testing", "FEED_RECHECK_SECONDS": 0, **overrides}


@contextlib.contextmanager
def scratch_database(kind: str):
    """Yield (URL, how it was made) of an empty database; a scratch one is removed afterwards."""
    if os.environ.get("DATABASE_URL") and kind == "default":
        yield os.environ["DATABASE_URL"], "DATABASE_URL"
        return
    with scratch.scratch_database("postgresql" if kind == "postgresql" else "sqlite") as made:
        yield made


# ------------------------------------------------------------------------------------------ data

def populate(meetings: int, other_meetings: int, written_votes: int = 5, reviews: int = 5) -> dict:
    """The member, their meetings and the others' (see the module's docstring); returns what the feed must hold."""
    from sqlalchemy import select

    from liaison.dates import TOKYO, current_fiscal_year, fiscal_year_bounds, utcnow
    from liaison.domain import memberships, users
    from liaison.domain import minutes as minutes_rules
    from liaison.domain import votes as vote_rules
    from liaison.extensions import db
    from liaison.models import (
        AgendaItem, AgendaKind, Body, Committee, Majority, Meeting, MeetingFormat, MeetingStatus, Role, VoteMethod,
    )

    now = utcnow()
    this_year = current_fiscal_year()
    years = range(this_year - 1, this_year - 1 + FISCAL_YEARS)
    committees = {c.slug: c for c in db.session.scalars(select(Committee))}
    bodies = list(db.session.scalars(select(Body).order_by(Body.position)))
    member = users.create_user(actor=None, email="bench@example.jp", name="計測 太郎", password="bench-password-1",
                               body=bodies[1])
    staff = users.create_user(actor=None, email="bench-staff@example.jp", name="事務局 計測", password="bench-password-1",
                              is_secretariat=True)
    for fiscal_year in years:
        memberships.appoint(actor=None, committee=committees["council"], fiscal_year=fiscal_year, user=member,
                            body=bodies[1], role=Role.MEMBER)
    kinds = list(AgendaKind)
    places = ("彩の国すこやかプラザ 2階 会議室", "浦和合同庁舎 5階 大会議室A・B", "さいたま市民会館うらわ 7階 集会室")

    def add(committee, count: int, index_offset: int) -> list:
        made = []
        first, last = fiscal_year_bounds(years[0])[0], fiscal_year_bounds(years[-1])[1]
        step = (last - first) / count
        numbers: dict[int, int] = {}
        for n in range(count):
            day = (first + step * n + step / 2).astimezone(TOKYO)
            starts_at = datetime(day.year, day.month, day.day, 10 + n % 6, 0, tzinfo=TOKYO)
            fiscal_year = starts_at.year if starts_at.month >= 4 else starts_at.year - 1
            numbers[fiscal_year] = numbers.get(fiscal_year, 0) + 1
            written = n % 40 == 17
            status = MeetingStatus.HELD if starts_at < now else MeetingStatus.CONVENED
            if n % 25 == 3:
                status = MeetingStatus.CANCELLED
            elif n % 30 == 7 and starts_at > now:
                status = MeetingStatus.POSTPONED
            meeting = Meeting(
                committee=committee, fiscal_year=fiscal_year, number=numbers[fiscal_year],
                title=f"第{numbers[fiscal_year]}回 研修計画、予算; 日程について" if n % 3 else "",
                starts_at=starts_at, ends_at=starts_at + (timedelta(days=7) if written else timedelta(hours=2)),
                format=MeetingFormat.WRITTEN if written else list(MeetingFormat)[n % 3],
                place="" if written or n % 3 == 1 else places[n % len(places)],
                online_url="https://meet.example.jp/j/1234-5678" if n % 3 else "",
                answer_deadline=starts_at - timedelta(days=7), status=status,
                cancel_reason="会場の都合のため" if status is MeetingStatus.CANCELLED else "",
                sequence=1 + n % 3, created_at=now - timedelta(days=400), updated_at=now - timedelta(minutes=index_offset + n),
            )
            for position in range(1, 4):
                meeting.agenda_items.append(AgendaItem(
                    position=position, kind=kinds[position - 1],
                    title=f"議題{position} 令和{fiscal_year - 2018}年度の研修事業計画(案)について",
                    presenter_body=bodies[(n + position) % len(bodies)] if position == 2 else None,
                ))
            db.session.add(meeting)
            made.append(meeting)
        return made

    council = add(committees["council"], meetings, 0)
    for offset, slug in enumerate(OTHER_COMMITTEES, start=1):
        add(committees[slug], other_meetings, offset * 10_000)
    db.session.flush()
    # Written votes on the coming written sessions, minutes in review of this year's held meetings.
    for meeting in [m for m in council if m.format is MeetingFormat.WRITTEN and m.status is MeetingStatus.CONVENED][:written_votes]:
        item = next(item for item in meeting.agenda_items if item.kind is not AgendaKind.REPORT)
        vote_rules.open_vote(item, actor=staff, method=VoteMethod.WRITTEN, majority=Majority.SIMPLE,
                             closes_at=meeting.ends_at)
    held = [m for m in council if m.status is MeetingStatus.HELD and m.fiscal_year == this_year][-reviews:]
    for meeting in held:
        minutes = minutes_rules.create(meeting, actor=staff)
        minutes_rules.open_review(minutes, actor=staff, deadline=now + timedelta(days=7))
    db.session.commit()
    return {"user_id": member.id, "council_ids": {m.id for m in council}}


# ------------------------------------------------------------------------------------------ timing

def timed(step, rounds: int) -> dict:
    """Wall-clock and CPU milliseconds of `rounds` runs (CPU shows the cost on a busy, shared machine).

    Each run starts after a full garbage collection, so that a collection of the whole process's
    heap that the previous runs made due (tens of ms here) does not land in one run at random.
    """
    wall, cpu = [], []
    for _ in range(rounds):
        gc.collect()
        started, started_cpu = time.perf_counter(), time.process_time()
        step()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return {"wall_ms": summary(wall), "cpu_ms": summary(cpu)}


def summary(values: list[float]) -> dict:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median": round(statistics.median(ordered), 2), "p95": round(p95, 2), "n": len(ordered)}


def check_feed(body: bytes, user_id: int, council_ids: set[int]) -> dict:
    """The feed holds exactly the member's council meetings (no other committee's), each UID once."""
    import re

    uids = re.findall(rb"^UID:([^\r]+)", body, re.MULTILINE)
    assert len(uids) == len(set(uids)), "a UID twice in the feed"
    meeting_ids = {int(uid.split(b"@")[0].removeprefix(b"meeting-")) for uid in uids if uid.startswith(b"meeting-")}
    assert meeting_ids == council_ids, f"the feed has {len(meeting_ids)} meetings, {len(council_ids)} expected"
    deadlines = [uid for uid in uids if uid.startswith(b"deadline-")]
    return {"events": len(uids), "meetings": len(meeting_ids), "deadlines": len(deadlines), "bytes": len(body)}


def fresh_request(url: str, user_id: int) -> dict:
    """In this new process: the first feed request (for --fresh)."""
    from liaison import create_app
    from liaison.calendar import tokens
    from liaison.extensions import db
    from liaison.models import User

    app = create_app(app_config(url))
    with app.app_context():
        path = f"/calendar/{tokens.feed_token(db.session.get(User, user_id))}.ics"
    client = app.test_client()
    started, started_cpu = time.perf_counter(), time.process_time()
    response = client.get(path)
    wall, cpu = (time.perf_counter() - started) * 1000, (time.process_time() - started_cpu) * 1000
    assert response.status_code == 200, response.status_code
    return {"wall_ms": wall, "cpu_ms": cpu}


def run(args) -> dict:
    from flask_migrate import upgrade

    from bench.wsgi import BARE_PATH, mount_bare
    from liaison import create_app
    from liaison.calendar import cache, feeds, scopes, tokens
    from liaison.extensions import db
    from liaison.models import User
    from liaison.seed import seed_reference_data

    with scratch_database(args.database) as (url, made):
        # With the bare route of bench/wsgi.py: through the same app and client, what a 304 is compared with.
        app = mount_bare(create_app(app_config(url)))
        with app.app_context():
            upgrade()
            seed_reference_data()
            expected = populate(args.meetings, args.other_meetings)
        user_id = expected["user_id"]
        with app.test_request_context():
            user = db.session.get(User, user_id)
            dialect = db.engine.dialect.name
            path = f"/calendar/{tokens.feed_token(user)}.ics"
            scope = scopes.user_scope(user)
            cache.state().clear()
            body, previous = feeds.build_events(scope, BASE_URL)
            checked = check_feed(body, user_id, expected["council_ids"])

            def cold():
                db.session.expire_all()
                feeds.build_feed(scope, BASE_URL)  # every event written

            def warm():
                db.session.expire_all()
                feeds.build_events(scope, BASE_URL, previous)  # a rebuild: every event from the previous build

            client = app.test_client()
            etag = client.get(path).headers["ETag"]

            def revalidate():
                assert client.get(path, headers={"If-None-Match": etag}).status_code == 304

            def bare_request():
                assert client.get(BARE_PATH).status_code == 200

            results = {
                "bare": timed(bare_request, args.rounds),
                "version": timed(lambda: scopes.feed_version(scope, BASE_URL), args.rounds),
                "http_304": timed(revalidate, args.rounds),
            }
            app.config["FEED_RECHECK_SECONDS"] = 60
            client.get(path)  # a full check, remembered
            feeds.cached_feed(scope)
            results |= {
                "http_304_recent": timed(revalidate, args.rounds),
                "cold_build": timed(cold, args.rounds),
                "warm_build": timed(warm, args.rounds),
                "cached": timed(lambda: feeds.cached_feed(scope), args.rounds),
            }
        samples = []
        for _ in range(args.fresh):
            child = subprocess.run(
                [sys.executable, "-m", "bench.feed_build", "--child-url", url, "--child-user", str(user_id)],
                capture_output=True, text=True, cwd=ROOT, check=True, timeout=120,
            )
            samples.append(json.loads(child.stdout.strip().splitlines()[-1]))
        if samples:
            results["fresh"] = {key: summary([sample[key] for sample in samples]) for key in ("wall_ms", "cpu_ms")}
        with app.app_context():
            db.engine.dispose()  # before a scratch database is dropped
    import icalendar
    import sqlalchemy

    return {
        "benchmark": "feed_build", "database": dialect, "database_source": made, "rounds": args.rounds,
        "committee_meetings": args.meetings, "other_meetings": args.other_meetings * len(OTHER_COMMITTEES),
        "fiscal_years": FISCAL_YEARS, "feed": checked, "steps": results,
        "environment": {"python": platform.python_version(), "sqlalchemy": sqlalchemy.__version__,
                        "icalendar": icalendar.__version__, "machine": platform.machine(), "cpus": os.cpu_count()},
        "at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def print_report(report: dict) -> None:
    feed = report["feed"]
    print(f"feed of one council member on {report['database']} ({report['database_source']}): {feed['meetings']} meetings "
          f"and {feed['deadlines']} deadlines = {feed['events']} events, {feed['bytes'] / 1024:.0f} KiB "
          f"(+{report['other_meetings']} other committees' meetings not in it)")
    print(f"  {'step':<16} {'wall median':>12} {'wall p95':>9} {'CPU median':>11} {'CPU p95':>8}   ms, n={report['rounds']}")
    for step, result in report["steps"].items():
        wall, cpu = result["wall_ms"], result["cpu_ms"]
        print(f"  {step:<16} {wall['median']:12.1f} {wall['p95']:9.1f} {cpu['median']:11.1f} {cpu['p95']:8.1f}"
              + (f"   (n={wall['n']}, one per process)" if step.startswith("fresh") else ""))


def main(argv: list[str] | None = None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("default", "sqlite", "postgresql"), default="default",
                        help="default: DATABASE_URL when set, else a scratch SQLite file")
    parser.add_argument("--meetings", type=int, default=520, help="council meetings in the member's feed")
    parser.add_argument("--other-meetings", type=int, default=100, help="meetings of each other committee")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--fresh", type=int, default=0, help="also time the first request in N new processes")
    parser.add_argument("--json", type=Path, help="write the report here as JSON")
    parser.add_argument("--child-url", help=argparse.SUPPRESS)
    parser.add_argument("--child-user", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_url:
        print(json.dumps(fresh_request(args.child_url, args.child_user)))
        return None
    report = run(args)
    print_report(report)
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
        print(f"report written to {args.json}")
    return report


if __name__ == "__main__":
    main()
