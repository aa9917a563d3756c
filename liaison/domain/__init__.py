"""The rules of liaison: plain functions that take models and an actor, check, change, audit.

They flush and never commit: the request (or the CLI / scheduler job) commits once.
"""
from __future__ import annotations

from werkzeug.exceptions import Forbidden


class DomainError(Exception):
    """A rule refused the change; the message is shown to the user (already translated)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def require(condition: object, reason: str = "") -> None:
    """Refuse with 403 unless condition holds; reason is for logs, not for users."""
    if not condition:
        raise Forbidden(reason)


def check(condition: object, message: str, field: str | None = None) -> None:
    """Refuse with a user-facing message (400) unless condition holds."""
    if not condition:
        raise DomainError(message, field)


class Conflict(Exception):
    """The transition already happened (a second identical request): nothing changed, answered with 409.

    Not a DomainError on purpose: views re-render their form on a DomainError, while a Conflict goes
    past them to the one app-wide handler (liaison.web), which answers 409 with the message.
    """

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def lock(obj) -> None:
    """Re-read obj's row under a row lock (SELECT … FOR UPDATE on PostgreSQL).

    The first of two simultaneous requests holds the row until it commits; the second then reads the
    state the first left, so a state check made after `lock` lets one transition through, never two.
    SQLite has one writer at a time, and the refresh shows what the writer before committed.
    """
    from sqlalchemy import inspect, select

    from ..extensions import db

    db.session.flush()  # this request's own pending changes are written first, not lost by the refresh
    mapper = inspect(type(obj))
    key = mapper.primary_key[0]
    # Lock the bare row (eager joins cannot be locked on PostgreSQL), then re-read what the lock holder left.
    db.session.execute(select(key).where(key == getattr(obj, key.key)).with_for_update())
    db.session.refresh(obj)


def once(condition: object, message: str) -> None:
    """Refuse with 409 (Conflict) when the transition this request asks for has already happened."""
    if not condition:
        raise Conflict(message)
