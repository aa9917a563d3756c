"""Benchmark: the dashboard with やること, queries and time per role on a data set and on ten times it (not a test).

    .venv/bin/python -m bench.dashboard_tasks [--database sqlite|postgresql] [--json out.json]

On scratch databases: the scale generator's small data set, then the same ×10; each role's dashboard ("/")
is requested as the user who sees the most (a council member, the secretariat, the administrator), and the
SQL statements, the number of tasks listed and the median time of 5 requests are reported.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import time

from flask_migrate import upgrade
from sqlalchemy import event, select

from bench.scale import Scale, generate
from bench.scratch import scratch_database
from liaison import create_app
from liaison.dates import current_fiscal_year
from liaison.extensions import db
from liaison.models import Membership, Role, User
from liaison.seed import seed_reference_data


def _measure(url: str, scale: Scale) -> dict:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-" + "x" * 40, "TESTING": True,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "WTF_CSRF_ENABLED": False})
    with app.app_context():
        upgrade()
        seed_reference_data()
        generate(scale)
        db.session.commit()
        member = db.session.scalar(select(User).join(Membership, Membership.user_id == User.id).where(
            Membership.fiscal_year == current_fiscal_year(), Membership.role == Role.MEMBER).order_by(Membership.id))
        users = {"member": member, "secretariat": db.session.scalar(select(User).where(User.is_secretariat.is_(True))),
                 "admin": db.session.scalar(select(User).where(User.is_admin.is_(True)))}
        logins = {role: (user.id, user.session_version) for role, user in users.items()}
        engine = db.engine
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    result = {}
    for role, (user_id, version) in logins.items():
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"], session["_auth_at"] = f"{user_id}:{version}", True, int(time.time())
        client.get("/")  # warm-up
        times = []
        for _ in range(5):
            statements.clear()
            event.listen(engine, "before_cursor_execute", listener)
            started = time.perf_counter()
            response = client.get("/")
            times.append(time.perf_counter() - started)
            event.remove(engine, "before_cursor_execute", listener)
        page = response.get_data(as_text=True)
        match = re.search(r'id="tasks-heading">[^<]*<span class="badge">(\d+)件', page)
        result[role] = {"status": response.status_code, "queries": len(statements),
                        "tasks": int(match.group(1)) if match else None,
                        "median_ms": round(statistics.median(times) * 1000, 1)}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="sqlite")
    parser.add_argument("--json")
    args = parser.parse_args()
    report = {"database": args.database}
    for label, scale in (("small", Scale.small()), ("small x10", Scale.small().times(10))):
        with scratch_database(args.database) as (url, _what):
            report[label] = _measure(url, scale)
    print(json.dumps(report, ensure_ascii=False, indent=2))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(report, handle, ensure_ascii=False, indent=2)


if __name__ == "__main__":
    main()
