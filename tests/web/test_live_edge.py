"""Issue 18: the screen's live.json revalidated in front of Flask (liaison.live_edge) — a 304 without a query while
the process's listener mirrors the meeting, and never a 304 for a state, key or committee the database no longer has."""
import time

import pytest
from sqlalchemy import event
from werkzeug.test import Client

from liaison.extensions import db
from liaison.fanout import hub_for

from .test_sitting import as_user, day  # noqa: F401  (the fixture: a meeting in session today)


def _until(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture()
def statements(app):
    """The SQL statements run while the test watches (the list is emptied by the test)."""
    seen: list[str] = []

    def note(conn, cursor, statement, *args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


def test_the_screen_revalidates_without_a_query_until_the_database_moves(app, client, login, backend, day,  # noqa: F811
                                                                          statements):
    if backend != "postgresql":
        pytest.skip("the mirror is fed by PostgreSQL's LISTEN/NOTIFY; on SQLite every 304 is Flask's (one query)")
    hub = hub_for(app.config["SQLALCHEMY_DATABASE_URI"])
    _until(lambda: hub.listening)
    url = f"{day['base']}/live.json?k={day['token']}"

    first = client.get(url)
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert hub.mirrored(day["meeting"]) is not None
    statements.clear()
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag
    assert statements == []  # answered in front of Flask: no user, no committee, no meeting read
    behind = Client(app.wsgi_app.wsgi_app).get(url, headers={"If-None-Match": etag})  # the view's own 304
    assert behind.status_code == 304 and statements
    mine = {name: value for name, value in again.headers.items() if name not in ("Date", "Content-Length")}
    assert {"ETag", "Cache-Control", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"} <= set(mine)
    assert mine.items() <= dict(behind.headers).items()  # each header as the view's 304 has it (that adds a CSP
    # and Vary: Cookie, which an empty, uncached answer to a cookieless screen does not need)

    # Not the mirror's to answer: a wrong key, another committee's path, a tag of another version.
    assert client.get(f"{day['base']}/live.json?k=wrong", headers={"If-None-Match": etag}).status_code == 403
    other = url.replace("/council/", "/planning/", 1)
    assert client.get(other, headers={"If-None-Match": etag}).status_code == 404
    statements.clear()
    assert client.get(url, headers={"If-None-Match": etag.replace("-screen", "-0-screen")}).status_code == 200
    assert statements  # went through the view

    # A change committed on any process: the notification drops the entry, the old tag gets the new state.
    version = first.json["version"]
    as_user(client, login, day["staff"])
    assert client.form(f"{day['base']}/console/next").status_code == 303
    _until(lambda: (hub.heard(day["meeting"]) or 0) > version)
    client.forget_token()
    client.form("/logout")
    moved = client.get(url, headers={"If-None-Match": etag})
    assert moved.status_code == 200 and moved.json["version"] > version
    etag = moved.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304

    # The screen link revoked: the old key is refused at once, not answered from the mirror.
    as_user(client, login, day["staff"])
    assert client.form(f"{day['base']}/console/screen/revoke").status_code == 303
    client.forget_token()
    client.form("/logout")
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 403


def test_a_dropped_listener_forgets_the_mirror(app, client, backend, day, statements):  # noqa: F811
    if backend != "postgresql":
        pytest.skip("the mirror is fed by PostgreSQL's LISTEN/NOTIFY")
    hub = hub_for(app.config["SQLALCHEMY_DATABASE_URI"])
    _until(lambda: hub.listening)
    url = f"{day['base']}/live.json?k={day['token']}"
    etag = client.get(url).headers["ETag"]
    assert hub.mirrored(day["meeting"]) is not None
    epoch = hub.epoch
    hub._set_listening(False)  # what the listener thread does when its connection drops
    try:
        assert hub.mirrored(day["meeting"]) is None
        statements.clear()
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304  # Flask's 304, after a read
        assert statements
        assert hub.mirrored(day["meeting"]) is None  # nothing remembered while down
    finally:
        hub._set_listening(True)
    assert hub.epoch == epoch + 2
