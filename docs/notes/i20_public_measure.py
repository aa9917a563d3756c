"""Figures for branch i20-public: the public 会議録 pages on the benchmark data set and 10× it (SQLite).

Run from the worktree: PYTHONPATH=. python docs/notes/i20_public_measure.py
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
from sqlalchemy import event, func, select, update

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.scale import Scale, generate  # noqa: E402
from liaison.extensions import db  # noqa: E402
from liaison.models import Committee, Meeting, Minutes, MinutesStatus  # noqa: E402
from liaison.seed import seed_reference_data  # noqa: E402
from tests.conftest import make_app  # noqa: E402


def measure(scale: Scale, label: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(f"sqlite:///{tmp}/measure.db", Path(tmp))
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
        print(f"\n{label}: {count} published minutes (every committee public)")
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


if __name__ == "__main__":
    measure(Scale.small(), "benchmark data set (Scale.small)")
    measure(Scale.small().times(10), "10× the data set")
