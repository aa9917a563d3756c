"""Issue 18, the meeting day on the web: who reaches the console, the tablet and the screen; live.json with its
ETag; the SSE stream (state at connect, then each new version); a ballot sent twice stored once; refusals."""
import json
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from liaison.dates import TOKYO, utcnow
from liaison.domain import audit_chain, live
from liaison.domain import meetings as meeting_rules
from liaison.domain import sitting
from liaison.extensions import db
from liaison.models import AgendaKind, AuditEvent, Ballot, Meeting, Membership, User

from ..conftest import PASSWORD


def as_user(client, login, user):
    """Log out whoever is logged in, then log in as user (/login redirects a logged-in user without switching)."""
    client.forget_token()
    client.form("/logout")
    client.forget_token()
    login(client, user.email)


def seat_of(user_id) -> Membership:
    return db.session.scalar(select(Membership).where(Membership.user_id == user_id))


@pytest.fixture()
def day(app, factory):
    """A 部会 meeting today, in session, the seats (chair, vice, a, b) checked in except b; the first item current."""
    staff = factory.secretariat()
    chair, vice, a, b = factory.seated("council", 4)
    outsider = factory.member("planning")
    with app.app_context():
        now = utcnow().astimezone(TOKYO)
        start = max(now.replace(hour=14, minute=0, second=0, microsecond=0), now + timedelta(minutes=5))
        if start.date() != now.date():
            start = now + timedelta(minutes=1)
        meeting = db.session.get(Meeting, factory.meeting("council", status="convened", starts_at=start, agenda=3).id)
        actor = db.session.get(User, staff.id)
        meeting_rules.open_session(meeting, actor=actor)
        for user in (chair, vice, a):
            sitting.check_in_seat(meeting, seat_of(user.id), actor=db.session.get(User, user.id), mode="present")
        item = sitting.move(meeting, actor=actor, direction="next")
        while item.kind is AgendaKind.REPORT:
            item = sitting.move(meeting, actor=actor, direction="next")
        db.session.commit()
        token = live.screen_token(meeting, app.config["SECRET_KEY"])
        return {"meeting": meeting.id, "staff": staff, "chair": chair, "vice": vice, "a": a, "b": b,
                "outsider": outsider, "token": token, "base": f"/council/meetings/{meeting.id}"}


def test_who_reaches_the_console_the_tablet_and_the_screen(app, client, login, day):
    base = day["base"]
    assert client.get(f"{base}/live.json").status_code == 302  # no login, no key: the login page
    assert client.get(f"{base}/screen?k={day['token']}").status_code == 200
    assert client.get(f"{base}/live.json?k={day['token']}").json["me"] is None
    assert client.get(f"{base}/live.json?k=wrong").status_code == 403
    for who, console, tablet in (("staff", 200, 200), ("chair", 200, 200), ("a", 403, 200), ("outsider", 403, 403)):
        as_user(client, login, day[who])
        assert client.get(f"{base}/console").status_code == console, who
        assert client.get(f"{base}/live").status_code == tablet, who
        assert client.get(f"{base}/live.json").status_code == tablet, who
    as_user(client, login, day["staff"])
    page = client.get(f"{base}/console").get_data(as_text=True)
    assert "定足数に達しています" in page and "次へ" in page
    assert client.form(f"{base}/console/screen/revoke").status_code == 303
    client.forget_token()
    client.form("/logout")
    assert client.get(f"{base}/screen?k={day['token']}").status_code == 403  # revoked on every host: generation in the DB


def test_live_json_answers_304_until_the_version_changes(app, client, login, day):
    base = day["base"]
    as_user(client, login, day["a"])
    first = client.get(f"{base}/live.json")
    assert first.status_code == 200 and first.json["me"]["present"] is True
    etag = first.headers["ETag"]
    again = client.get(f"{base}/live.json", headers={"If-None-Match": etag})
    assert again.status_code == 304
    raised = client.form(f"{base}/live/hand", {"action": "raise"}, headers={"Accept": "application/json"})
    assert raised.status_code == 200 and raised.json["ok"]
    changed = client.get(f"{base}/live.json", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.json["version"] == first.json["version"] + 1
    assert changed.json["me"]["hand_raised"] is True
    assert client.get(f"{base}/live.json?k={day['token']}", headers={"If-None-Match": etag}).status_code == 200


def test_a_ballot_sent_twice_is_stored_once_and_refusals_are_japanese(app, client, login, day):
    base = day["base"]
    as_user(client, login, day["staff"])
    assert client.form(f"{base}/console/vote/open", {"majority": "simple"}).status_code == 303
    vote_id = client.get(f"{base}/live.json").json["vote"]["id"]
    as_user(client, login, day["a"])
    json_headers = {"Accept": "application/json"}
    for _ in range(2):  # the tablet reconnects and sends again
        answer = client.form(f"{base}/live/ballot", {"vote_id": vote_id, "choice": "yes"}, headers=json_headers)
        assert answer.status_code == 200, answer.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.vote_id == vote_id)) == 1
        assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "ballot.cast")) == 1
    state = client.get(f"{base}/live.json").json
    assert state["vote"]["cast_count"] == 1 and state["vote"]["result"] is None and state["me"]["ballot"] == "yes"
    as_user(client, login, day["b"])  # not checked in when the vote opened
    refused = client.form(f"{base}/live/ballot", {"vote_id": vote_id, "choice": "yes"}, headers=json_headers)
    assert refused.status_code == 409 and "出席" in refused.json["error"]
    assert client.form(f"{base}/live/ballot", {"vote_id": vote_id, "choice": "maybe"},
                       headers=json_headers).status_code == 409
    as_user(client, login, day["staff"])
    assert client.form(f"{base}/console/vote/close", {"vote_id": vote_id}).status_code == 303
    as_user(client, login, day["a"])
    closed = client.form(f"{base}/live/ballot", {"vote_id": vote_id, "choice": "no"}, headers=json_headers)
    assert closed.status_code == 409 and "締め切られ" in closed.json["error"]
    screen = client.get(f"{base}/screen?k={day['token']}").get_data(as_text=True)
    assert "賛成 1・反対 0・棄権 0 → 可決" in screen
    form_post = client.form(f"{base}/live/ballot", {"vote_id": vote_id, "choice": "no"})
    assert form_post.status_code == 303  # without JavaScript: back to the page, the message flashed


def _events(response, wanted: int, timeout: float = 5.0) -> list[dict]:
    """Read SSE `state` events from a streamed test response."""
    found, buffer, deadline = [], "", time.monotonic() + timeout
    for chunk in response.response:
        buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
            if fields.get("event") == "state":
                found.append({"id": int(fields["id"]), "data": json.loads(fields["data"])})
        if len(found) >= wanted or time.monotonic() > deadline:
            break
    response.close()
    return found


def test_the_event_stream_sends_the_state_then_each_new_version(app, client, login, day, monkeypatch):
    monkeypatch.setitem(app.config, "LIVE_STREAM_SECONDS", 4)
    monkeypatch.setitem(app.config, "LIVE_POLL_SECONDS", 0.1)
    base = day["base"]
    stream = client.get(f"{base}/live/events?k={day['token']}", buffered=False)
    assert stream.status_code == 200 and stream.mimetype == "text/event-stream"

    def act():
        time.sleep(0.5)
        with app.app_context():
            meeting = db.session.get(Meeting, day["meeting"])
            sitting.move(meeting, actor=db.session.get(User, day["staff"].id), direction="next")
            db.session.commit()

    worker = threading.Thread(target=act)
    worker.start()
    events = _events(stream, 2)
    worker.join()
    assert len(events) == 2
    first, second = events
    assert second["id"] == first["id"] + 1 and second["data"]["version"] == second["id"]
    assert second["data"]["current_item"]["id"] != first["data"]["current_item"]["id"]
    assert first["data"]["me"] is None
    # Last-Event-ID: a client that is up to date gets nothing at connect; one behind gets the state at once
    behind = client.get(f"{base}/live/events?k={day['token']}", headers={"Last-Event-ID": str(first["id"])},
                        buffered=False)
    assert [event["id"] for event in _events(behind, 1)] == [second["id"]]


def test_a_member_checks_in_on_arrival_and_the_pages_refresh_their_live_part(app, client, login, day):
    base = day["base"]
    as_user(client, login, day["b"])
    page = client.get(f"{base}/live").get_data(as_text=True)
    assert "出席する(受付)" in page and 'src="/static/live.js"' in page
    assert client.form(f"{base}/live/check-in").status_code == 303
    assert client.get(f"{base}/live.json").json["me"]["present"] is True
    part = client.get(f"{base}/live", headers={"X-Live-Fragment": "1"}).get_data(as_text=True)
    assert "data-live-root" in part and "<html" not in part and "挙手(発言を求める)" in part
    screen = client.get(f"{base}/screen?k={day['token']}", headers={"X-Live-Fragment": "1"}).get_data(as_text=True)
    assert "data-live-root" in screen and "<html" not in screen


def test_live_json_is_built_once_per_version_and_kind_and_304_needs_one_query(app, client, login, day, count_queries):
    """h18c: the shared part is built once per (meeting, version, viewer kind) and process; `me` on top."""
    from liaison.blueprints.live_stream import shared_states
    from liaison.models import AgendaItem, Attachment

    base, key = day["base"], day["token"]
    with app.app_context():
        item_id = db.session.scalar(select(Meeting.current_item_id).where(Meeting.id == day["meeting"]))
        item = db.session.get(AgendaItem, item_id)
        for n, kind in enumerate(("application/pdf", "text/csv")):
            db.session.add(Attachment(meeting_id=day["meeting"], agenda_item_id=item.id, original_name=f"doc{n}",
                                      stored_name=f"h18c-{day['meeting']}-{n}", content_type=kind, size=1, sha256="0"))
        live.touch(day["meeting"])
        db.session.commit()
    shared_states(app).clear()
    first = client.get(f"{base}/live.json?k={key}")
    documents = first.json["current_item"]["documents"]
    assert [d["label"].split(" ")[1] for d in documents] == ["doc0", "doc1"]
    assert documents[0]["label"].startswith("資料") and "-1 " in documents[0]["label"]
    assert documents[0]["view_url"].endswith("/view") and documents[1]["view_url"] is None
    with count_queries() as counter:
        again = client.get(f"{base}/live.json?k={key}")  # the shared part comes from the process's cache
    assert again.json == first.json
    with count_queries() as revalidate:
        assert client.get(f"{base}/live.json?k={key}",
                          headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert revalidate.count <= counter.count and revalidate.count <= 2  # committee by slug + the version
    as_user(client, login, day["a"])
    mine = client.get(f"{base}/live.json").json
    assert mine["me"]["present"] is True and mine["hands"] == [] and mine["current_item"] == first.json["current_item"]


def test_a_cast_runs_few_statements_and_takes_the_hot_locks_last(app, client, login, day, count_queries, monkeypatch):
    """64 tablets cast at once: the rows every cast writes (the meeting's live version, the audit chain's lock, the
    page counters) are taken by the commit's last statements, after everything the cast reads or writes alone."""
    base = day["base"]
    as_user(client, login, day["staff"])
    assert client.form(f"{base}/console/vote/open", {"majority": "simple"}).status_code == 303
    vote_id = client.get(f"{base}/live.json").json["vote"]["id"]
    as_user(client, login, day["a"])
    data = {"vote_id": vote_id, "choice": "yes", "csrf_token": client.csrf_token()}
    postgres = app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    sent = []
    if postgres:  # what reaches the server: the hot statements must go as one query (one round trip)
        import psycopg

        execute = psycopg.Cursor.execute

        def recorded(cursor, query, *args, **kwargs):
            sent.append(" ".join(str(query).split()))
            return execute(cursor, query, *args, **kwargs)

        monkeypatch.setattr(psycopg.Cursor, "execute", recorded)
    with count_queries() as counter:
        answer = client.post(f"{base}/live/ballot", data=data, headers={"Accept": "application/json"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    statements = [" ".join(statement.split()) for statement in counter.statements]
    hot = next(i for i, statement in enumerate(statements) if statement.startswith("UPDATE meetings SET live_version"))
    after = statements[hot + 1:]
    expected = ["SELECT audit_events.seq, audit_events.row_hash", "UPDATE audit_events SET seq=", "INSERT INTO page_versions"]
    if postgres:
        assert "pg_notify" in statements[hot]  # queued by the version's own UPDATE
        # the ballot's audit row is written there, numbered and hashed by the same statement (record_at_commit)
        expected = ["SELECT pg_advisory_xact_lock(", "INSERT INTO audit_events (id, at,", "INSERT INTO page_versions"]
        # one round trip from the meeting's lock to COMMIT: the hooks' statements joined into one query
        hot_queries = [query for query in sent if "UPDATE meetings SET live_version" in query]
        assert len(hot_queries) == 1 and all(statement in hot_queries[0] for statement in statements[hot:]), sent
        assert sent[-1] == hot_queries[0] and sent[-1].endswith("; COMMIT")  # the last query, and it commits
        assert "'meetings'" in after[-1]  # the live version's UPDATE counts as a write of meetings (page counters)
    assert len(after) == len(expected) and all(map(str.startswith, after, expected)), after
    assert sum(statement.startswith("INSERT INTO page_versions") for statement in statements) == 1  # every table at once
    assert not any(statement.startswith("SELECT ballots") for statement in statements)  # the upsert RETURNs the row
    # the seal hashes the audit row's values as its INSERT wrote them: the row is not read back
    assert not any(statement.startswith("SELECT audit_events.id") for statement in statements), statements
    assert len(statements) <= (12 if postgres else 13), statements
    with app.app_context():
        ballot = db.session.scalar(select(Ballot).where(Ballot.vote_id == vote_id))
        assert (ballot.choice.value, ballot.revision) == ("yes", 1)
        audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "ballot.cast"))
        assert audit.object_id == ballot.id and audit.seq is not None and audit.row_hash
        assert audit.data == {"seat": audit.data["seat"], "by_secretariat": False, "vote_id": vote_id, "before": None,
                              "after": "yes"} and audit.actor_id is not None and audit.committee_id is not None
        assert audit_chain.verify(db.session).ok


def test_streams_share_a_versions_event_text_and_an_announced_version_costs_no_query(app, day, count_queries):
    """100 screens on one meeting: the event's text is built once per version and kind; a stream that heard the
    version from PostgreSQL's NOTIFY asks for it by number and, once it is built, reads nothing."""
    from flask import g

    from liaison.blueprints.live_stream import shared_states, state_event
    from liaison.domain.live_state import Viewer
    from liaison.models import Committee

    with app.test_request_context("/"):
        meeting = db.session.get(Meeting, day["meeting"])
        g.committee = db.session.get(Committee, meeting.committee_id)
        version, created_at = meeting.live_version, meeting.created_at
        shared_states(app).clear()
        screen = Viewer("screen")
        built = state_event(meeting.id, screen, created_at)  # the version read first, the state built
        with count_queries() as counter:
            heard = state_event(meeting.id, screen, created_at, known=version)
        assert counter.count == 0 and heard[0] == version and heard[1] is built[1]  # the same text, no query
        assert heard[1].startswith(f"id: {version}\nevent: state\ndata: {{") and heard[1].endswith("}\n\n")
        live.touch(meeting.id)
        db.session.commit()
        newer = state_event(meeting.id, screen, created_at, known=version + 1)  # not built yet: built from the row
        assert newer[0] == version + 1 and newer[1] != built[1]
        with count_queries() as unknown:
            state_event(meeting.id, screen, created_at)  # nothing heard (SQLite, listener down): the version is read
        assert unknown.count == 1
