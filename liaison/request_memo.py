"""The web layer's store for the domain's kept values (liaison/domain/memo.py): a dict per value on flask.g.

A value is dropped when a flush writes one of its models, with `on_commit` also at every commit and
rollback, and always at the end of the request (web.py calls `forget_all`). `install` registers those
session listeners and hands the store to the domain; the web layer calls it when it sets the app up.
Outside a request nothing is kept.
"""
from __future__ import annotations

from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from .domain import memo
from .domain.memo import Kept


def _slot(kept: Kept) -> str:
    return f"_liaison_{kept.name}"


class RequestStore:
    def get(self, kept: Kept, key, load):
        if not has_request_context():
            return load()
        values = g.setdefault(_slot(kept), {})
        if key not in values:
            values[key] = load()
        return values[key]

    def put(self, kept: Kept, key, value) -> None:
        if has_request_context():
            g.setdefault(_slot(kept), {})[key] = value

    def known(self, kept: Kept) -> dict:
        return g.get(_slot(kept), {}) if has_request_context() else {}

    def forget(self, kept: Kept) -> None:
        if has_request_context():
            g.pop(_slot(kept), None)


STORE = RequestStore()


def _after_flush(session, flush_context) -> None:
    if not has_request_context():
        return
    written = (*session.new, *session.dirty, *session.deleted)
    for kept in memo.KEPT:
        if _slot(kept) in g and any(isinstance(obj, kept.models) for obj in written):
            STORE.forget(kept)


def _after_commit_or_rollback(session, *args) -> None:
    for kept in memo.KEPT:
        if kept.on_commit:
            STORE.forget(kept)


def install() -> None:
    """Listen to the session (once) and let the domain keep its values for the request."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "after_commit", _after_commit_or_rollback)
        event.listen(Session, "after_soft_rollback", _after_commit_or_rollback)
    memo.install(STORE)


def forget_all() -> None:
    for kept in memo.KEPT:
        STORE.forget(kept)
