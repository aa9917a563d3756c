"""Domain events: a state change emits one named event; listeners (the notifier) run in the same transaction.

Listeners must only add rows to the session (never commit, never send), so the event and the
change that caused it are written together or not at all.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Callable

_listeners: dict[str, list[Callable]] = defaultdict(list)


def listen(name: str):
    """Decorator: call fn(obj, **data) whenever `name` is emitted."""

    def register(fn: Callable) -> Callable:
        if fn not in _listeners[name]:
            _listeners[name].append(fn)
        return fn

    return register


def emit(name: str, obj, **data) -> None:
    for fn in list(_listeners.get(name, ())):
        fn(obj, **data)


def listeners(name: str) -> list[Callable]:
    return list(_listeners.get(name, ()))
