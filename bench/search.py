"""Benchmark: the text search before and after normalisation (issue 20 item 6; not a test).

    .venv/bin/python -m bench.search [--database postgresql|sqlite] [--scale full|small] [--times 10]
                                     [--rounds 15] [--json out.json]

On a scratch database (migrated, reference data): writes the scale data set (`seed --scale`, or
`Scale.small()`), then copies every proposal and minutes version `--times - 1` more times (with SQL, the
normalised `search_key` included), so the searchable rows are `--times` the data set's. For each query it
times (median and p95 of `--rounds`, milliseconds) and counts the hits of:

  before     the search as it was: ILIKE '%q%' over the raw columns (title, summary, body; search_text)
  after      the search as it is: LIKE '%normalise(q)%' over search_key (textsearch.contains)
  after_seq  (PostgreSQL) the same with the trigram index switched off (enable_bitmapscan/indexscan off)
  page       the union-wide search a secretariat user runs (domain.search): the count and the first 20 hits

「ＤＸ」 must find what 「DX」 finds after, and found nothing before.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time

from sqlalchemy import func, or_, select, text

from bench.scratch import scale_app
from liaison import textsearch
from liaison.domain import search as search_rules
from liaison.extensions import db
from liaison.models import MinutesVersion, Proposal, User

QUERIES = ("DX", "ＤＸ", "デジタル人材", "研修", "ｵﾝﾗｲﾝ", "存在しない語句")



def _multiply(times: int) -> None:
    """Copy the searchable rows times - 1 more times (copies: no number, so no unique clash)."""
    proposal_columns = [c.name for c in Proposal.__table__.columns if c.name != "id"]
    version_columns = [c.name for c in MinutesVersion.__table__.columns if c.name != "id"]
    last_proposal = db.session.scalar(select(func.max(Proposal.id)))
    last_version = db.session.scalar(select(func.max(MinutesVersion.id)))
    for copy in range(1, times):
        values = ", ".join("NULL" if name in ("number", "serial") else name for name in proposal_columns)
        db.session.execute(text(f"INSERT INTO proposals ({', '.join(proposal_columns)}) "
                                f"SELECT {values} FROM proposals WHERE id <= {last_proposal}"))
        values = ", ".join(f"number + {copy * 1000}" if name == "number" else name for name in version_columns)
        db.session.execute(text(f"INSERT INTO minutes_versions ({', '.join(version_columns)}) "
                                f"SELECT {values} FROM minutes_versions WHERE id <= {last_version}"))
    db.session.commit()


def _before(q: str):
    pattern = textsearch.like_pattern(q)
    proposals = or_(*(column.ilike(pattern, escape=textsearch.ESCAPE)
                      for column in (Proposal.title, Proposal.summary, Proposal.body)))
    return proposals, MinutesVersion.search_text.ilike(pattern, escape=textsearch.ESCAPE)


def _after(q: str):
    return textsearch.contains((Proposal.search_key,), q), textsearch.contains((MinutesVersion.search_key,), q)


def _count(conditions) -> tuple[int, int]:
    proposals, versions = conditions
    return (db.session.scalar(select(func.count()).select_from(Proposal).where(proposals)),
            db.session.scalar(select(func.count()).select_from(MinutesVersion).where(versions)))


def _timed(run, rounds: int):
    samples, result = [], None
    for _ in range(rounds):
        started = time.perf_counter()
        result = run()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return result, {"median_ms": round(statistics.median(samples), 2),
                    "p95_ms": round(samples[max(0, int(len(samples) * 0.95) - 1)], 2)}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--scale", choices=("full", "small"), default="full")
    parser.add_argument("--times", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    report: dict = {"database": args.database, "scale": args.scale, "times": args.times, "queries": {}}
    with scale_app(args.database, args.scale) as (app, seeded):
        started = time.perf_counter() - seeded  # the setup's time includes the filling
        _multiply(args.times)
        if args.database == "postgresql":
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        report["setup_seconds"] = round(time.perf_counter() - started, 1)
        report["rows"] = {"proposals": db.session.scalar(select(func.count()).select_from(Proposal)),
                          "minutes_versions": db.session.scalar(select(func.count()).select_from(MinutesVersion))}
        staff = db.session.scalar(select(User).where(User.is_secretariat.is_(True)).order_by(User.id).limit(1))
        for q in QUERIES:
            entry = {}
            hits, entry["before"] = _timed(lambda: _count(_before(q)), args.rounds)
            entry["before"]["hits"] = hits
            hits, entry["after"] = _timed(lambda: _count(_after(q)), args.rounds)
            entry["after"]["hits"] = hits
            if args.database == "postgresql":
                db.session.execute(text("SET enable_bitmapscan = off"))
                db.session.execute(text("SET enable_indexscan = off"))
                hits, entry["after_seq"] = _timed(lambda: _count(_after(q)), args.rounds)
                entry["after_seq"]["hits"] = hits
                db.session.execute(text("RESET enable_bitmapscan"))
                db.session.execute(text("RESET enable_indexscan"))
                plan = "\n".join(db.session.scalars(text(
                    "EXPLAIN SELECT count(*) FROM proposals WHERE search_key LIKE :p"),
                    {"p": textsearch.like_pattern(textsearch.normalise(q))}).all())
                entry["after"]["uses_trigram_index"] = "ix_proposals_search_key" in plan

            def page():
                query = search_rules.search_query(staff, q)
                total = db.session.scalar(select(func.count()).select_from(query.subquery()))
                rows = db.session.scalars(query.limit(20)).all()  # the keys, as the page's pagination gives them
                return total, len(search_rules.load(rows))

            hits, entry["page"] = _timed(page, args.rounds)
            entry["page"]["hits"] = hits[0]
            report["queries"][q] = entry
            db.session.rollback()
        db.session.remove()
        db.engine.dispose()
    dx, full_width = report["queries"]["DX"], report["queries"]["ＤＸ"]
    assert full_width["after"]["hits"] == dx["after"]["hits"], "ＤＸ must find what DX finds"
    print(json.dumps(report, ensure_ascii=False, indent=1))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump(report, out, ensure_ascii=False, indent=1)
    return report


if __name__ == "__main__":
    main()
