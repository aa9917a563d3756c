"""Audit log: who did what to which object, when, with before/after; each row chained to the previous by hash."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .committees import Committee
from .types import UTCDateTime, now_utc
from .users import User


class AuditEvent(db.Model):
    """One row of the audit trail.

    `seq`, `prev_hash` and `row_hash` are the hash chain (see liaison/domain/audit_chain.py): they are
    filled when the transaction that wrote the row commits, under a lock, so the chain never forks.
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    object_label: Mapped[str] = mapped_column(String(200), default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    # The committee the object belongs to (None for users, notifications…): the audit page filters on it.
    committee_id: Mapped[int | None] = mapped_column(ForeignKey("committees.id"), index=True)
    # Position in the hash chain (1, 2, 3 …), unique: two writers can never append at the same place.
    seq: Mapped[int | None] = mapped_column(Integer, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))

    actor: Mapped[User | None] = relationship()
    committee: Mapped[Committee | None] = relationship()
