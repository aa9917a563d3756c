"""Helpers for the notification tests: a real SMTP server on loopback, seated users, meetings."""
from __future__ import annotations

import email
import socket
import threading
from datetime import datetime, time, timedelta, timezone
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller

from liaison import events
from liaison.dates import TOKYO, current_fiscal_year, utcnow
from liaison.extensions import db
from liaison.models import (
    Committee, Meeting, MeetingFormat, MeetingStatus, Notification, NotificationKind, NotificationState,
)
from sqlalchemy import select


def rows(kind: NotificationKind | None = None, state: NotificationState | None = None) -> list[Notification]:
    """The outbox rows (of a kind, in a state), oldest first, read afresh."""
    query = select(Notification).order_by(Notification.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    if state is not None:
        query = query.where(Notification.state == state)
    db.session.expire_all()
    return list(db.session.scalars(query))


def at_tokyo(day, hour=9, minute=0) -> datetime:
    """`hour`:`minute` in Tokyo on `day`, as aware UTC."""
    return datetime.combine(day, time(hour, minute), tzinfo=TOKYO).astimezone(timezone.utc)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mailbox:
    """An aiosmtpd server that keeps what it receives; stop() and start() simulate an outage."""

    def __init__(self, port: int):
        self.port = port
        self.envelopes = []
        self._lock = threading.Lock()
        self.controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        return [email.message_from_bytes(e.content, policy=default_policy) for e in self.envelopes]

    def recipients(self) -> list[str]:
        return sorted(r for e in self.envelopes for r in e.rcpt_tos)


SMTP_KEYS = ("SMTP_HOST", "SMTP_PORT", "SMTP_STARTTLS", "SMTP_USER", "NOTIFY_MAX_ATTEMPTS", "NOTIFY_BREAKER_MIN_SECONDS",
             "NOTIFY_BREAKER_MAX_SECONDS", "NOTIFY_MARK_RETRY_SECONDS")


@pytest.fixture()
def smtp_config(app):
    """Point the app at a loopback port for the test: smtp_config(port); the settings come back afterwards."""
    saved = {key: app.config[key] for key in SMTP_KEYS if key in app.config}

    def point_at(port: int, **extra) -> None:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_STARTTLS=False, SMTP_USER="", **extra)

    yield point_at
    for key in SMTP_KEYS:
        app.config.pop(key, None)
    app.config.update(saved)


@pytest.fixture()
def mailbox(smtp_config):
    """A running SMTP server the app sends to (SMTP_PORT points at it for the test)."""
    box = Mailbox(free_port())
    box.start()
    smtp_config(box.port)
    yield box
    box.stop()


def committee(slug: str) -> Committee:
    return db.session.scalar(select(Committee).where(Committee.slug == slug))


def make_meeting(slug: str = "planning", *, starts_in: timedelta = timedelta(days=10), number: int = 1,
                 answer_deadline_in: timedelta | None = None, status: MeetingStatus = MeetingStatus.DRAFT,
                 **fields) -> Meeting:
    """A meeting row made directly (the meetings area's domain functions are not needed here)."""
    starts_at = (utcnow() + starts_in).replace(second=0, microsecond=0)
    meeting = Meeting(
        committee=committee(slug), fiscal_year=current_fiscal_year(), number=number,
        starts_at=starts_at, ends_at=starts_at + timedelta(hours=2), format=MeetingFormat.IN_PERSON,
        place="浦和合同庁舎 5階 第1会議室", status=status,
        answer_deadline=starts_at + answer_deadline_in if answer_deadline_in is not None else None,
        **fields,
    )
    db.session.add(meeting)
    db.session.flush()
    return meeting


def convene(meeting: Meeting, when: datetime | None = None) -> Meeting:
    """What the meetings area's convene() does, as far as the notifier cares: state, time, event."""
    meeting.status = MeetingStatus.CONVENED
    meeting.convened_at = when or datetime.now(timezone.utc)
    db.session.flush()
    events.emit("meeting.convened", meeting)
    db.session.commit()
    return meeting
