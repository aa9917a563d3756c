"""Notifications: the outbox producers, mail rendering, the SMTP sender and the scheduler process."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Wire the notifier to the domain: its producers listen to the domain's events."""
    from . import producers

    producers.register()
