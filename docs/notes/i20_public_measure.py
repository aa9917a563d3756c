"""Figures for branch i20-public: the public 会議録 pages on the benchmark data set and 10× it (SQLite).

Run from the worktree: PYTHONPATH=. python docs/notes/i20_public_measure.py
On PostgreSQL (127.0.0.1, a temporary database), 10× only, the search pages with and without the pg_trgm index
on public_search_key (migration 0027), then every page: ... i20_public_measure.py --postgresql
Prints, per page and scale: published public minutes, SQL statements, median time of 5 requests (ms),
and the time of a revalidation (If-None-Match → 304).
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import event, func, select, text, update

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.scale import Scale, generate  # noqa: E402
from liaison.extensions import db  # noqa: E402
from liaison.models import Committee, Meeting, Minutes, MinutesStatus  # noqa: E402
from liaison.seed import seed_reference_data  # noqa: E402
from tests.conftest import make_app  # noqa: E402


def measure(scale: Scale, label: str, backend: str = "sqlite") -> None:
    from tests.dbs import temporary_database

    with tempfile.TemporaryDirectory() as tmp, temporary_database(backend, Path(tmp)) as url:
        app = make_app(url, Path(tmp))
        with app.app_context():
            upgrade()
            seed_reference_data()
            generate(scale)
            db.session.execute(update(Committee).values(public_minutes=True))
            db.session.commit()
            published = db.session.scalars(
                select(Minutes).join(Meeting).where(Meeting.committee.has(slug="council"),
                                                    Minutes.status == MinutesStatus.PUBLISHED)
                .order_by(Meeting.starts_at.desc())).first()
            year = published.meeting.fiscal_year
            count = db.session.scalar(select(func.count()).select_from(Minutes).where(Minutes.status == MinutesStatus.PUBLISHED))
        statements = []
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(1))
        client = app.test_client()
        pages = {
            "index (newest)": "/public/",
            "search 研修": "/public/?q=研修",
            "search 委員 (masked words)": "/public/?q=委員",
            "committee page": f"/public/council/?year={year}",
            "minutes page": f"/public/minutes/{published.id}",
            "minutes PDF": f"/public/minutes/{published.id}.pdf",
            "Atom feed": "/public/feed.atom",
        }
        if backend == "postgresql":
            del pages["minutes PDF"]  # WeasyPrint, not the database
            _index_on_and_off(app, client, {name: path for name, path in pages.items() if "search" in name})
        print(f"\n{label} ({backend}): {count} published minutes (every committee public)")
        print(f"{'page':30} {'status':>6} {'SQL':>4} {'median ms':>10} {'304 ms':>8}")
        for name, path in pages.items():
            client.get(path)  # warm-up
            statements.clear()
            first = client.get(path)
            n_sql = len(statements)
            times = []
            for _ in range(5):
                start = time.perf_counter()
                client.get(path)
                times.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
            revalidate = (time.perf_counter() - start) * 1000
            print(f"{name:30} {first.status_code:>6} {n_sql:>4} {statistics.median(times):>10.1f} "
                  f"{revalidate:>8.1f} ({again.status_code})")


def _median_ms(client, path) -> float:
    client.get(path)  # warm-up
    times = []
    for _ in range(5):
        start = time.perf_counter()
        client.get(path)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _index_on_and_off(app, client, pages: dict) -> None:
    """The search pages (and their SQL's plan) with the trigram index on public_search_key, then without it."""
    from liaison import textsearch
    from liaison.models import MinutesVersion

    with app.app_context():
        versions = db.session.scalar(select(func.count()).select_from(MinutesVersion)
                                     .where(MinutesVersion.public_search_key.is_not(None)))
        db.session.execute(text("ANALYZE minutes_versions"))
        db.session.commit()
    print(f"\nPostgreSQL: {versions} public copies; search pages, median ms of 5 (index on → off)")
    results = {}
    for state in ("on", "off"):
        with app.app_context():
            if state == "off":
                db.session.execute(text("DROP INDEX ix_minutes_versions_public_search_key"))
                db.session.commit()
            condition = textsearch.contains((MinutesVersion.public_search_key,), "研修")
            plan = db.session.execute(text("EXPLAIN ANALYZE " + str(
                select(MinutesVersion.id).where(condition).compile(db.engine, compile_kwargs={"literal_binds": True}))))
            print(f"  plan ({state}): " + " | ".join(row[0].strip() for row in plan if "Scan" in row[0] or "Execution" in row[0]))
        for name, path in pages.items():
            results.setdefault(name, []).append(_median_ms(client, path))
    for name, (on, off) in results.items():
        print(f"  {name:30} index on {on:8.1f} ms   off {off:8.1f} ms")
    with app.app_context():
        db.session.execute(text("CREATE INDEX ix_minutes_versions_public_search_key ON minutes_versions "
                                "USING gin (public_search_key gin_trgm_ops)"))
        db.session.commit()


if __name__ == "__main__":
    if "--postgresql" in sys.argv:
        measure(Scale.small().times(10), "10× the data set", "postgresql")
    else:
        measure(Scale.small(), "benchmark data set (Scale.small)")
        measure(Scale.small().times(10), "10× the data set")
