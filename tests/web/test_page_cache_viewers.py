"""The per-request path of a cached page (issue 22): the logged-in user kept per process under the users' and
bodies' counters (liaison/pages/viewers.py), and a hit read in autocommit (blueprints/handling.py).

A change of the user shows on the next request (their name in the header; a deactivation or a log-out ends the
session, for a copy of the cookie too), a miss's view runs in a transaction, and the kept user is never the
session's own object."""
from __future__ import annotations

from sqlalchemy import inspect, select

from liaison.extensions import db
from liaison.models import Body, User
from liaison.pages import viewers

from .test_page_cache import _get, cached_app, data, pinned_minute  # noqa: F401 (fixtures)
from .test_query_budget import PASSWORD


def _member(app, login, emails):
    client = app.test_client()
    login(client, emails["member"], PASSWORD)
    return client


def _member_on_meeting_page(cached_app, data, login):
    """(app, spy, the convened meeting's path, a logged-in member's client, the emails)."""
    app, spy = cached_app
    params, emails = data
    return app, spy, f"/council/meetings/{params['convened']}", _member(app, login, emails), emails


def _member_id(app, emails) -> int:
    with app.app_context():
        return db.session.scalar(select(User.id).where(User.email == emails["member"]))


def test_a_renamed_user_and_body_show_on_the_next_request(cached_app, data, login):
    app, spy, path, client, emails = _member_on_meeting_page(cached_app, data, login)
    _get(client, path)
    hits = spy.hits
    assert "header" in _get(client, path) and spy.hits == hits + 1  # a hit, its user taken from the kept copy
    member_id = _member_id(app, emails)
    kept = app.extensions[viewers.EXTENSION][member_id]
    assert inspect(kept.user).detached  # never attached: each request merges a copy of it
    with app.app_context():
        user = db.session.get(User, member_id)
        user.name = "改名 花子"
        db.session.commit()
    assert "改名 花子" in _get(client, path).split("</header>", 1)[0]
    assert app.extensions[viewers.EXTENSION][member_id] is not kept  # kept anew after the users' counter moved
    with app.app_context():
        user = db.session.get(User, member_id)
        body_name = user.body.name if user.body else None
        if user.body is not None:
            user.body.name = "改名市"
            db.session.commit()
    if body_name is not None:
        _get(client, path)
        assert app.extensions[viewers.EXTENSION][member_id].user.body.name == "改名市"
        with app.app_context():
            db.session.get(Body, db.session.get(User, member_id).body_id).name = body_name
            db.session.commit()


def test_a_deactivated_user_loses_the_session_on_a_cached_page(cached_app, data, login):
    app, spy, path, client, emails = _member_on_meeting_page(cached_app, data, login)
    _get(client, path)
    _get(client, path)
    with app.app_context():
        db.session.get(User, _member_id(app, emails)).active = False
        db.session.commit()
    assert client.get(path).status_code == 302


def test_a_logout_ends_a_copied_session_on_a_cached_page(cached_app, data, login):
    app, spy, path, client, emails = _member_on_meeting_page(cached_app, data, login)
    _get(client, path)
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    hits = spy.hits
    _get(copy, path)
    _get(client, path)
    assert spy.hits == hits + 2
    assert client.form("/logout").status_code == 302
    assert copy.get(path).status_code == 302  # the copy is refused by the next request: the user was read again
    assert client.get(path).status_code == 302


def test_a_miss_runs_its_view_in_a_transaction_and_a_hit_reads_in_autocommit(cached_app, data, login, monkeypatch):
    from liaison.blueprints import meeting_page

    app, spy, path, client, emails = _member_on_meeting_page(cached_app, data, login)
    seen = []
    real = meeting_page._page_data

    def page_data(*args, **kwargs):
        seen.append(db.session.connection().get_execution_options().get("isolation_level"))
        return real(*args, **kwargs)

    monkeypatch.setattr(meeting_page, "_page_data", page_data)
    _get(client, path)
    assert seen == [None]  # the view's own transaction (the engine's isolation level, not AUTOCOMMIT)
    kept = {}
    real_connection = db.session.connection

    def connection(*args, **kwargs):
        found = real_connection(*args, **kwargs)
        kept.setdefault("level", found.get_execution_options().get("isolation_level"))
        return found

    monkeypatch.setattr(db.session, "connection", connection, raising=False)
    hits = spy.hits
    _get(client, path)
    assert spy.hits == hits + 1 and seen == [None] and kept["level"] == "AUTOCOMMIT"
