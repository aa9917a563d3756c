"""Notifications: the outbox producers, mail rendering, the SMTP sender and the scheduler process."""
from . import producers  # noqa: F401  (registers the listeners on the domain's events)
