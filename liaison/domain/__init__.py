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
