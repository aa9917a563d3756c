"""Reference data (64 bodies, 4 committees, 13 policy items) and the idempotent seed command."""
from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select

from ..extensions import db
from ..models import Body, BodyKind, Committee, CommitteeKind, PlanPolicy

DATA_DIR = Path(__file__).resolve().parent


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _upsert(model, key: str, rows: list[dict]) -> int:
    """Insert missing rows and bring changed ones up to date; returns how many changed."""
    existing = {getattr(obj, key): obj for obj in db.session.scalars(select(model))}
    changed = 0
    for values in rows:
        obj = existing.get(values[key])
        if obj is None:
            db.session.add(model(**values))
            changed += 1
            continue
        for field, value in values.items():
            if getattr(obj, field) != value:
                setattr(obj, field, value)
                changed += 1
    db.session.flush()
    return changed


def seed_reference_data() -> int:
    """Load bodies.csv, committees.csv and plan_policies.csv; running it twice changes nothing."""
    changed = _upsert(
        Body,
        "name",
        [
            {"name": r["name"], "kind": BodyKind(r["kind"]), "district": r["district"] or "", "position": i}
            for i, r in enumerate(_rows("bodies.csv"), start=1)
        ],
    )
    committee_rows = _rows("committees.csv")
    changed += _upsert(
        Committee,
        "slug",
        [
            {
                "slug": r["slug"], "name": r["name"], "kind": CommitteeKind(r["kind"]),
                "short_name": r["short_name"], "purpose": r["purpose"], "position": i,
            }
            for i, r in enumerate(committee_rows, start=1)
        ],
    )
    by_slug = {c.slug: c for c in db.session.scalars(select(Committee))}
    for r in committee_rows:
        parent = by_slug.get(r["parent"]) if r["parent"] else None
        if by_slug[r["slug"]].parent_id != (parent.id if parent else None):
            by_slug[r["slug"]].parent = parent
            changed += 1
    changed += _upsert(
        PlanPolicy,
        "code",
        [
            {"code": r["code"], "area": r["area"], "title": r["title"], "position": i}
            for i, r in enumerate(_rows("plan_policies.csv"), start=1)
        ],
    )
    db.session.flush()
    return changed
