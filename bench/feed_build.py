"""Benchmark: build one member's calendar feed over 500 meetings (not a test; run by hand).

    .venv/bin/python bench/feed_build.py [--meetings 500] [--rounds 7]

Uses a scratch SQLite database in a temporary directory (or DATABASE_URL if set). Prints the
median time of each step a feed request can take:
  version     the one aggregate query every request makes (all a 304 or a cache hit costs)
  cold build  load the meetings and serialise every event (a fresh worker, nothing cached)
  warm build  load the meetings and reuse the serialised events (after one meeting changed)
  cached      the version query and a hit in the cache of built feeds (a 200 without building)
Serialising with icalendar costs about 1-2 ms per event, so a cold build is dominated by it;
that is why serialised events are cached by (meeting id, updated_at, sequence).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import select  # noqa: E402

from liaison import create_app  # noqa: E402
from liaison.calendar import feeds  # noqa: E402
from liaison.dates import current_fiscal_year, utcnow  # noqa: E402
from liaison.domain import memberships, users  # noqa: E402
from liaison.extensions import db  # noqa: E402
from liaison.models import AgendaItem, AgendaKind, Body, Committee, Meeting, MeetingFormat, MeetingStatus, Role  # noqa: E402
from liaison.seed import seed_reference_data  # noqa: E402


def populate(count: int):
    committee = db.session.scalar(select(Committee).where(Committee.slug == "planning"))
    body = db.session.scalar(select(Body).where(Body.name == "川越市"))
    user = users.create_user(actor=None, email="bench@example.jp", name="計測 太郎", password="bench-password-1", body=body)
    memberships.appoint(actor=None, committee=committee, fiscal_year=current_fiscal_year(), user=user, body=body, role=Role.MEMBER)
    start = utcnow() - timedelta(days=100)
    kinds = list(AgendaKind)
    for n in range(count):
        starts_at = start + timedelta(days=n, hours=5)
        meeting = Meeting(
            committee=committee, fiscal_year=current_fiscal_year() + n // 300, number=n + 1,
            title=f"第{n + 1}回 研修計画と予算について", starts_at=starts_at, ends_at=starts_at + timedelta(hours=2),
            format=MeetingFormat.HYBRID, place="彩の国すこやかプラザ 2階 会議室", online_url="https://meet.example.jp/j/1234",
            answer_deadline=starts_at - timedelta(days=3), status=MeetingStatus.CONVENED if n % 10 else MeetingStatus.CANCELLED,
            sequence=1, updated_at=utcnow(),
        )
        for position in range(1, 4):
            meeting.agenda_items.append(AgendaItem(position=position, kind=kinds[position - 1], title=f"議題{position} 令和8年度の研修事業計画(案)について"))
        db.session.add(meeting)
    db.session.commit()
    return user


def timed(step, rounds: int) -> tuple[float, float]:
    """Median wall-clock and CPU milliseconds (CPU time shows the cost on a busy, shared machine)."""
    wall, cpu = [], []
    for _ in range(rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        step()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp}/bench.sqlite3"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret-key-0123456789-0123456789",
                          "BASE_URL": "https://liaison.example.jp", "LIAISON_ENV": "testing"})
        with app.test_request_context():
            upgrade()
            seed_reference_data()
            user = populate(args.meetings)
            scope = feeds.user_scope(user)
            base_url = app.config["BASE_URL"]
            state = feeds.state()

            def cold():
                db.session.expire_all()
                feeds.build_feed(scope, base_url)

            def warm():
                db.session.expire_all()
                feeds.build_feed(scope, base_url, events=state.events)

            def cached():
                feeds.cached_feed(scope)

            body = feeds.build_feed(scope, base_url, events=state.events)
            results = {
                "version (every request; all a 304 costs)": timed(lambda: feeds.feed_version(scope, base_url), args.rounds),
                "cold build (nothing cached)": timed(cold, args.rounds),
                "warm build (serialised events reused)": timed(warm, args.rounds),
                "cached feed (version + cache hit)": timed(cached, args.rounds),
            }
            events = body.count(b"BEGIN:VEVENT")
            print(f"feed over {args.meetings} meetings: {events} events, {len(body) / 1024:.0f} KiB, {db.engine.dialect.name}")
            print(f"  {'step':<42} {'wall ms':>9} {'CPU ms':>9}   (medians of {args.rounds})")
            for label, (wall, cpu) in results.items():
                print(f"  {label:<42} {wall:9.1f} {cpu:9.1f}")


if __name__ == "__main__":
    main()
