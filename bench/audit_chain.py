"""Benchmark: the audit trail's hash chain (not a test).

    .venv/bin/python -m bench.audit_chain [--database postgresql|sqlite] [--scale full|small] [--commits 300]
                                          [--writers 8] [--json out.json]

On a scratch database (migrated, reference data): writes the scale data set (`seed --scale`, its audit rows
chained in bulk), then measures `audit verify` over it, that it finds a row altered with SQL, the time a commit
that wrote one audit row spends sealing it (the same commits with the sealing hooks removed, median of each),
and `--writers` threads committing audit rows at once (the chain must stay whole).
"""
from __future__ import annotations

import argparse
import json
import statistics
import threading
import time

from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from bench.scratch import scale_app
from liaison.domain import audit, audit_chain
from liaison.extensions import db
from liaison.models import AuditEvent, Committee


def _commit_times(committee_id: int, commits: int) -> list[float]:
    committee = db.session.get(Committee, committee_id)
    times = []
    for n in range(commits):
        started = time.perf_counter()
        audit.record(None, "committee.reminders", committee, before={"days": str(n)}, after={"days": str(n + 1)})
        db.session.commit()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--scale", choices=("full", "small"), default="full")
    parser.add_argument("--commits", type=int, default=300)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--json")
    args = parser.parse_args()
    report: dict = {"database": args.database, "scale": args.scale}
    with scale_app(args.database, args.scale) as (app, seeded):
        report["seed_seconds"] = round(seeded, 1)
        rows = db.session.scalar(select(func.count()).select_from(AuditEvent))
        report["audit_rows"] = rows
        sample = db.session.execute(select(*(AuditEvent.__table__.c[n] for n in audit_chain.CONTENT_COLUMNS))
                                    .order_by(AuditEvent.seq)).all()
        started = time.perf_counter()
        audit_chain.chain(sample)
        report["chain_in_python_seconds"] = round(time.perf_counter() - started, 3)

        started = time.perf_counter()
        verdict = audit_chain.verify(db.session)
        report["verify_seconds"] = round(time.perf_counter() - started, 2)
        report["verify_ok"] = verdict.ok and verdict.rows == rows

        council = db.session.scalar(select(Committee.id).where(Committee.slug == "council"))
        sealed = _commit_times(council, args.commits)
        hooks = (("before_flush", audit_chain._collect), ("before_commit", audit_chain.seal),
                 ("after_soft_rollback", audit_chain._forget))
        for name, function in hooks:
            event.remove(Session, name, function)
        unsealed = _commit_times(council, args.commits)
        for name, function in hooks:
            event.listen(Session, name, function)
        report["commit_ms_sealed_median"] = round(statistics.median(sealed) * 1000, 2)
        report["commit_ms_unsealed_median"] = round(statistics.median(unsealed) * 1000, 2)
        # The unsealed rows are what someone writing around the application leaves: verify must say so.
        first_unsealed = db.session.scalar(select(func.min(AuditEvent.id)).where(AuditEvent.seq.is_(None)))
        report["unsealed_rows_found"] = audit_chain.verify(db.session).row_id == first_unsealed
        db.session.execute(AuditEvent.__table__.delete().where(AuditEvent.seq.is_(None)))
        db.session.commit()

        barrier = threading.Barrier(args.writers, timeout=30)
        errors = []

        def writer():
            with app.app_context():
                try:
                    barrier.wait()
                    _commit_times(council, 25)
                except Exception as error:  # noqa: BLE001 - reported
                    errors.append(repr(error))
                    db.session.rollback()

        threads = [threading.Thread(target=writer) for _ in range(args.writers)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        report["writers"] = args.writers
        report["writers_commits_per_second"] = round(args.writers * 25 / (time.perf_counter() - started), 1)
        report["writers_errors"] = errors
        with app.app_context():
            verdict = audit_chain.verify(db.session)
            total = db.session.scalar(select(func.count()).select_from(AuditEvent))
            report["chain_ok_after_writers"] = verdict.ok and verdict.rows == total
            victim = db.session.scalar(select(AuditEvent.id).where(AuditEvent.seq == total // 2))
            db.session.execute(update(AuditEvent).where(AuditEvent.id == victim).values(object_label="改ざん"))
            db.session.commit()
            started = time.perf_counter()
            verdict = audit_chain.verify(db.session)
            report["tamper_found_row"] = verdict.row_id == victim
            report["tamper_verify_seconds"] = round(time.perf_counter() - started, 2)
            db.session.remove()
            db.engine.dispose()
    print(json.dumps(report, ensure_ascii=False, indent=2))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(report, handle, ensure_ascii=False, indent=2)


if __name__ == "__main__":
    main()
