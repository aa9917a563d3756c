"""Domain events: a state change emits one named event; listeners (the notifier) run in the same transaction.

Listeners must only add rows to the session (never commit, never send), so the event and the
change that caused it are written together or not at all. The notifier's listeners are registered
by `liaison.notify.init_app`, called by create_app, not as a side effect of an import.
"""
from __future__ import annotations

from collections import defaultdict
from enum import StrEnum
from typing import Callable


class Event(StrEnum):
    """Every event the domain emits (a name that is not here is refused, so a typo cannot go unheard)."""

    MEETING_CONVENED = "meeting.convened"
    MEETING_CHANGED = "meeting.changed"
    MEETING_DEADLINES_CHANGED = "meeting.deadlines_changed"
    MEETING_REMINDERS_CHANGED = "meeting.reminders_changed"
    MEETING_POSTPONED = "meeting.postponed"
    MEETING_CANCELLED = "meeting.cancelled"
    MEETING_SESSION_OPENED = "meeting.session_opened"
    MEETING_HELD = "meeting.held"
    AGENDA_ITEM_REMOVED = "agenda_item.removed"
    PROPOSAL_SUBMITTED = "proposal.submitted"
    PROPOSAL_WITHDRAWN = "proposal.withdrawn"
    PROPOSAL_ACCEPTED = "proposal.accepted"
    PROPOSAL_RETURNED = "proposal.returned"
    PROPOSAL_SCHEDULED = "proposal.scheduled"
    PROPOSAL_DECIDED = "proposal.decided"
    VOTE_OPENED = "vote.opened"
    VOTE_CLOSED = "vote.closed"
    VOTE_CANCELLED = "vote.cancelled"
    MINUTES_REVIEW_OPENED = "minutes.review_opened"
    MINUTES_APPROVED = "minutes.approved"
    MINUTES_PUBLISHED = "minutes.published"
    ACCOUNT_LINK_ISSUED = "account.link_issued"


_listeners: dict[Event, list[Callable]] = defaultdict(list)


def listen(event: Event | str):
    """Decorator: call fn(obj, **data) whenever `event` is emitted (registering twice is a no-op)."""
    event = Event(event)

    def register(fn: Callable) -> Callable:
        if fn not in _listeners[event]:
            _listeners[event].append(fn)
        return fn

    return register


def emit(event: Event | str, obj, **data) -> None:
    for fn in list(_listeners.get(Event(event), ())):
        fn(obj, **data)


def listeners(event: Event | str) -> list[Callable]:
    return list(_listeners.get(Event(event), ()))
