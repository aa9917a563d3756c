"""Values a request loads once and reuses, kept on flask.g and dropped when the rows behind them change."""
from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session


class RequestCache:
    """A dict on flask.g for one request. Outside a request nothing is kept.

    It is dropped when a flush writes one of `models`, with `on_commit` also at every commit and rollback,
    and always at the end of the request (web.py calls `forget_all`). Those session listeners are
    registered by `listen_all`, which the web layer calls when it sets the app up; importing a module
    that declares a cache changes nothing.
    """

    instances: list[RequestCache] = []

    def __init__(self, name: str, models: tuple[type, ...], *, on_commit: bool = False):
        self.name = f"_liaison_{name}"
        self.models = models
        self.on_commit = on_commit
        RequestCache.instances.append(self)

    def listen(self) -> None:
        """Drop the kept values when the session writes what they were read from (once per cache)."""
        if event.contains(Session, "after_flush", self._after_flush):
            return
        event.listen(Session, "after_flush", self._after_flush)
        if self.on_commit:
            event.listen(Session, "after_commit", self._forget_event)
            event.listen(Session, "after_soft_rollback", self._forget_event)

    @classmethod
    def listen_all(cls) -> None:
        for cache in cls.instances:
            cache.listen()

    def get(self, key, load):
        """The kept value for `key`, or `load()` kept for the rest of the request."""
        if not has_request_context():
            return load()
        values = g.setdefault(self.name, {})
        if key not in values:
            values[key] = load()
        return values[key]

    def put(self, key, value) -> None:
        if has_request_context():
            g.setdefault(self.name, {})[key] = value

    def known(self) -> dict:
        return g.get(self.name, {}) if has_request_context() else {}

    def forget(self) -> None:
        if has_request_context():
            g.pop(self.name, None)

    def _forget_event(self, session, *args) -> None:
        self.forget()

    def _after_flush(self, session, flush_context) -> None:
        if has_request_context() and self.name in g and any(
            isinstance(obj, self.models) for obj in (*session.new, *session.dirty, *session.deleted)
        ):
            self.forget()

    @classmethod
    def forget_all(cls) -> None:
        for cache in cls.instances:
            cache.forget()
