"""The logged-in user of a page the cache may answer (issue 22), kept per process under the users' and bodies'
page counters.

The first query of such a request (web.load_user) reads the page counters, the viewer's seats and the header's
counts; loading the user's row with it (an ORM entity with its body) was the larger part of that query's cost.
Each process keeps, per user, a detached copy of the user and their body as loaded, with two values read in that
same query: the sum of the `users` and `bodies` counters (pages/versions.py: every commit that writes a user or
a body raises them, and counters only grow) and the user's creation time (a database replaced under a running
process, as the tests' fresh databases that reuse ids, is not the same user). The next request reads the counts
and those two values only (a Core statement, without the row): when they are the same, the kept copy is merged
into the session (`merge(load=False)`, no query; the copy itself is never attached) — else the user is loaded
as before, in a second query, and kept anew. Nothing is taken on trust: every request reads the counters.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import inspect
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from ..domain import notifications as notification_rules
from ..extensions import db
from ..models import User
from . import versions

EXTENSION = "liaison_page_viewers"
LIMIT = 4096  # users kept per process (then all are dropped and kept again as they come)
_CHECK = (versions.of_tables("users", "bodies"), User.created_at)


@dataclass(frozen=True)
class _Kept:
    check: tuple
    user: User


def _copy(instance):
    """A new instance with the loaded columns of `instance`, as loaded (no change history)."""
    mapper = inspect(instance).mapper
    copy = mapper.class_manager.new_instance()
    for attribute in mapper.column_attrs:
        set_committed_value(copy, attribute.key, getattr(instance, attribute.key))
    return copy


def _detached(user: User) -> User:
    copy = _copy(user)
    body = None
    if user.body is not None:
        body = _copy(user.body)
        make_transient_to_detached(body)
    set_committed_value(copy, "body", body)
    make_transient_to_detached(copy)
    return copy


def init_app(app) -> None:
    app.extensions[EXTENSION] = {}


def load(user_id: int, also: tuple, keep) -> User | None:
    """web.load_user on a page the cache may answer: the user, their counts kept for the request (as
    notifications.load_with_unread_count keeps them) and `also`'s values given to `keep`."""
    kept_users = current_app.extensions[EXTENSION]
    kept = kept_users.get(user_id)
    if kept is not None:
        values = notification_rules.load_counts(user_id, (*_CHECK, *also))
        if values is None:
            return None
        if tuple(values[:2]) == kept.check:
            keep(values[2:])
            return db.session.merge(kept.user, load=False)
    read: list = []
    user = notification_rules.load_with_unread_count(user_id, (*_CHECK, *also), read.extend)
    if user is None:
        return None
    keep(read[2:])
    if len(kept_users) >= LIMIT:
        kept_users.clear()
    kept_users[user_id] = _Kept(tuple(read[:2]), _detached(user))
    return user
