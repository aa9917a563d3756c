"""Serialised calendar events kept in the database (liaison.calendar.store)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, now_utc


class CalendarEvent(db.Model):
    """One VEVENT as a feed writes it, shared by every worker: a worker that has just started reads
    the events of the feeds it builds instead of writing them again.

    A cache, nothing more: any row may be deleted at any time. `owner` is the event in one language
    for one site ("meeting-12 ja https://liaison.example.jp"); `version` is a digest of what its bytes
    were written from (the meeting's change, sequence, …, and the code, messages and seed files).
    """

    __tablename__ = "calendar_events"

    owner: Mapped[str] = mapped_column(String(500), primary_key=True)
    version: Mapped[str] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc, index=True)

    def __repr__(self) -> str:
        return f"<CalendarEvent {self.owner}>"
