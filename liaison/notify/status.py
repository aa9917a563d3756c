"""What the operator sees of the sender: /admin/notifications and /readyz (issue 16).

Read from the "sender" row of scheduler_leases (the last pass, the last mail sent, the SMTP circuit
breaker), the lock itself (PostgreSQL's advisory lock in pg_locks, SQLite's lease) and the outbox.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, text

from ..dates import utcnow
from ..extensions import db
from ..models import Notification, NotificationState, SchedulerLease
from .locks import ADVISORY_LOCK_KEY, LEASE_NAME


@dataclass
class SenderStatus:
    running: bool  # a pass within the last three intervals
    holding: bool  # some sender holds the lock now
    holder: str
    last_pass_at: datetime | None
    last_sent_at: datetime | None
    smtp_down_since: datetime | None
    smtp_retry_at: datetime | None
    smtp_error: str
    waiting: int  # due and not sent yet (pending or being sent)
    oldest_due_at: datetime | None
    problems: list[str] = field(default_factory=list)  # why the outbox is stuck (empty: it is not)

    @property
    def stuck(self) -> bool:
        return bool(self.problems)

    def as_json(self) -> dict:
        def stamp(value):
            return value.isoformat() if value else None

        return {
            "running": self.running, "holding_lock": self.holding, "holder": self.holder,
            "last_pass_at": stamp(self.last_pass_at), "last_sent_at": stamp(self.last_sent_at),
            "smtp_unreachable_since": stamp(self.smtp_down_since), "smtp_next_try_at": stamp(self.smtp_retry_at),
            "smtp_error": self.smtp_error, "waiting": self.waiting, "oldest_due_at": stamp(self.oldest_due_at),
            "stuck": self.stuck, "problems": self.problems,
        }


def _lock_held(row: SchedulerLease | None, now: datetime) -> bool:
    if db.engine.dialect.name == "postgresql":
        return bool(db.session.scalar(
            text("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
                 " AND classid = :high AND objid = :low AND objsubid = 1)"),
            {"high": ADVISORY_LOCK_KEY >> 32, "low": ADVISORY_LOCK_KEY & 0xFFFFFFFF},
        ))
    return bool(row and row.holder and row.expires_at and row.expires_at > now)


def sender_status(now: datetime | None = None) -> SenderStatus:
    config = current_app.config
    now = now or utcnow()
    row = db.session.scalar(select(SchedulerLease).where(SchedulerLease.name == LEASE_NAME))
    waiting, oldest = db.session.execute(
        select(func.count(), func.min(Notification.due_at)).where(
            Notification.state.in_([NotificationState.PENDING, NotificationState.SENDING]),
            Notification.due_at <= now,
        )
    ).one()
    interval = timedelta(seconds=config["NOTIFY_INTERVAL_SECONDS"])
    last_pass = row.last_pass_at if row else None
    status = SenderStatus(
        running=last_pass is not None and now - last_pass <= 3 * interval,
        holding=_lock_held(row, now), holder=row.holder if row else "",
        last_pass_at=last_pass, last_sent_at=row.last_sent_at if row else None,
        smtp_down_since=row.smtp_down_since if row else None, smtp_retry_at=row.smtp_retry_at if row else None,
        smtp_error=row.smtp_error if row else "", waiting=waiting, oldest_due_at=oldest,
    )
    if oldest is not None and now - oldest > timedelta(minutes=config["NOTIFY_STUCK_MINUTES"]):
        if not status.running:
            status.problems.append("scheduler not running")
        if status.smtp_down_since is not None:
            status.problems.append("SMTP server unreachable")
        if not status.problems:
            status.problems.append("due mails waiting")
    return status
