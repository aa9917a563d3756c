"""Writing the audit log (one row per state change) and querying it for the audit page and its CSV."""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from ..dates import TOKYO
from ..extensions import db
from ..models import AuditEvent, User
from ..models.types import now_utc
from . import audit_chain


# How the change came in, when not through the pages: "api" (the JSON API, /api/v1). The web layer sets it
# for a request (`with audit.via("api"):`); every row recorded meanwhile carries it as its `via` detail.
_channel: ContextVar[str | None] = ContextVar("liaison_audit_channel", default=None)


@contextmanager
def via(channel: str):
    token = _channel.set(channel)
    try:
        yield
    finally:
        _channel.reset(token)


def record(actor, action: str, obj, label: str = "", *, changes: dict | None = None, **data) -> AuditEvent:
    """Log `action` by `actor` on `obj` (flushes obj to get its id).

    `changes` maps a field to its (before, after) values; it is stored as the `before` and `after`
    mappings of the row's data, which the audit page shows as 「項目: 前 → 後」. Callers that pass
    `before=` / `after=` themselves (a status, or mappings of fields) keep doing so.
    """
    event = AuditEvent(**_row_values(actor, action, obj, label, changes, data))
    db.session.add(event)
    return event


def record_at_commit(actor, action: str, obj, label: str = "", *, changes: dict | None = None, **data) -> None:
    """`record`, for an action many members take at the same instant (a ballot): on PostgreSQL the row is written by
    the commit's last round trip, already sealed (audit_chain.queue_sealed_row: no ORM object, no flush, no
    statement of its own); elsewhere, or inside a savepoint, as `record` writes it."""
    values = _row_values(actor, action, obj, label, changes, data)
    values["at"] = now_utc()
    if not audit_chain.queue_sealed_row(db.session(), values):
        db.session.add(AuditEvent(**values))


def _row_values(actor, action: str, obj, label: str, changes: dict | None, data: dict) -> dict:
    if getattr(obj, "id", None) is None:
        db.session.flush()
    if _channel.get() is not None:
        data.setdefault("via", _channel.get())
    if changes:
        before = dict(data.pop("before", None) or {})
        after = dict(data.pop("after", None) or {})
        for field, (old, new) in changes.items():
            before[field], after[field] = old, new
        data.update(before=before, after=after)
    return {
        "actor_id": getattr(actor, "id", None),
        "action": action,
        "object_type": obj.__tablename__,
        "object_id": obj.id,
        "object_label": (label or str(getattr(obj, "name", "") or getattr(obj, "email", "") or ""))[:200],
        "committee_id": committee_of(obj),
        "data": _jsonable(data),
    }


def committee_of(obj) -> int | None:
    """The committee an audited object belongs to, through its parents (the identity map answers when loaded)."""
    from ..models import AgendaItem, Committee, Meeting, Minutes, Proposal, Vote

    if isinstance(obj, Committee):
        return obj.id
    if getattr(obj, "committee_id", None) is not None:
        return obj.committee_id
    for column, model in (("meeting_id", Meeting), ("vote_id", Vote), ("proposal_id", Proposal),
                          ("agenda_item_id", AgendaItem), ("minutes_id", Minutes)):
        parent_id = getattr(obj, column, None)
        if parent_id is not None:
            parent = db.session.get(model, parent_id)
            return committee_of(parent) if parent is not None else None
    return None


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "value") and not isinstance(value, (int, float, str, bool)):
        return value.value  # enums
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


# --------------------------------------------------------------------------------------------- reading

@dataclass
class AuditFilter:
    """The audit page's filters (all optional); dates are days in Tokyo, both ends included."""

    committee_id: int | None = None
    object_type: str = ""
    object_id: int | None = None
    actor: str = ""  # part of the name or e-mail
    day_from: date | None = None
    day_to: date | None = None


def events_query(filters: AuditFilter):
    """select() of the matching audit rows, newest first, with actor and committee loaded."""
    query = (select(AuditEvent).options(joinedload(AuditEvent.actor), joinedload(AuditEvent.committee))
             .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))
    if filters.committee_id:
        query = query.where(AuditEvent.committee_id == filters.committee_id)
    if filters.object_type:
        query = query.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id:
        query = query.where(AuditEvent.object_id == filters.object_id)
    if filters.actor:
        pattern = f"%{filters.actor}%"
        query = query.where(AuditEvent.actor_id.in_(
            select(User.id).where(or_(User.email.ilike(pattern), User.name.like(pattern)))))
    if filters.day_from:
        query = query.where(AuditEvent.at >= datetime.combine(filters.day_from, time(0), TOKYO))
    if filters.day_to:
        query = query.where(AuditEvent.at < datetime.combine(filters.day_to + timedelta(days=1), time(0), TOKYO))
    return query


def object_types() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.object_type).distinct().order_by(AuditEvent.object_type)))
