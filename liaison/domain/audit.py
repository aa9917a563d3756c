"""Writing the audit log (one row per state change)."""
from __future__ import annotations

from ..extensions import db
from ..models import AuditEvent


def record(actor, action: str, obj, label: str = "", **data) -> AuditEvent:
    """Log `action` by `actor` on `obj` (flushes obj to get its id)."""
    if getattr(obj, "id", None) is None:
        db.session.flush()
    event = AuditEvent(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=obj.__tablename__,
        object_id=obj.id,
        object_label=(label or str(getattr(obj, "name", "") or getattr(obj, "email", "") or ""))[:200],
        data=_jsonable(data),
    )
    db.session.add(event)
    return event


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
