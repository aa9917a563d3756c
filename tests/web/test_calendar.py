"""Calendar feeds over HTTP: the secret personal feed, revalidation, rate limiting, the account page,
the committee feed and a single meeting's .ics; and ical.js (Thunderbird's parser) reading a feed."""
from __future__ import annotations

import json
import shutil
import subprocess
from datetime import timedelta, timezone
from email.utils import format_datetime as http_date
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import select

from liaison.calendar import cache, tokens
from liaison.dates import to_tokyo, utcnow
from liaison.extensions import db
from liaison.models import MeetingFormat, MeetingStatus, User

from ..calendar_helpers import MeetingBuilder, reset_calendar_state, tokyo_day_at

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def meetings(app):
    reset_calendar_state(app)
    return MeetingBuilder(app)


def feed_path(app, email: str) -> str:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        return f"/calendar/{tokens.feed_token(user)}.ics"


def builds(app) -> int:
    with app.app_context():
        return cache.state().builds


def events(response) -> dict:
    return {str(event["UID"]): event for event in Calendar.from_ical(response.data).walk("VEVENT")}


# ------------------------------------------------------------------------------------------ personal feed

def test_feed_is_served_as_text_calendar_with_validators(app, client, factory, meetings):
    factory.member("planning", email="member@example.jp")
    meeting = meetings.make("planning", agenda=["研修計画"])
    response = client.get(feed_path(app, "member@example.jp"), headers={"Accept-Encoding": "gzip, deflate"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "Content-Disposition" not in response.headers
    assert "Content-Encoding" not in response.headers
    etag = response.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert response.last_modified is not None and response.last_modified >= meeting.updated_at.replace(microsecond=0)
    assert "private" in response.headers["Cache-Control"]
    assert f"meeting-{meeting.id}@liaison.test" in events(response)
    assert b"METHOD" not in response.data


def test_revalidation_with_the_etag_is_304_and_builds_nothing(app, client, factory, meetings):
    factory.member("planning", email="member@example.jp")
    meetings.make("planning")
    path = feed_path(app, "member@example.jp")
    first = client.get(path)
    built = builds(app)
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    assert builds(app) == built
    # a second worker-like cold cache still answers the same bytes and ETag
    reset_calendar_state(app)
    assert client.get(path).headers["ETag"] == first.headers["ETag"]


def test_a_revalidation_soon_after_a_check_needs_no_query(app, client, factory, meetings, count_queries):
    factory.member("planning", email="member@example.jp")
    meeting = meetings.make("planning", days=10, updated_at=utcnow() - timedelta(minutes=5))
    path = feed_path(app, "member@example.jp")
    app.config["FEED_RECHECK_SECONDS"] = 60
    try:
        first = client.get(path)
        etag = first.headers["ETag"]
        with count_queries() as counter:
            again = client.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and counter.count == 0
        assert again.headers["ETag"] == etag
        assert "private" in again.headers["Cache-Control"]
        with count_queries() as counter:  # a weak or listed ETag is parsed and matches too
            assert client.get(path, headers={"If-None-Match": f'"x", W/{etag}'}).status_code == 304
        assert counter.count == 0
        # another ETag, or none at all, is checked in full
        assert client.get(path, headers={"If-None-Match": '"another"'}).status_code == 200
        assert client.get(path).status_code == 200
        # a change shows in the feed once the window has passed
        meetings.change(meeting.id, place="第2会議室")
        assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
        reset_calendar_state(app)  # as when FEED_RECHECK_SECONDS have passed
        changed = client.get(path, headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["ETag"] != etag
        assert "第2会議室" in changed.get_data(as_text=True)
        # a wrong token is never remembered: it stays a 404, whatever ETag it sends
        wrong = path.replace(".ics", "x.ics")
        assert client.get(wrong, headers={"If-None-Match": etag}).status_code == 404
        assert client.get(wrong, headers={"If-None-Match": etag}).status_code == 404
    finally:
        app.config["FEED_RECHECK_SECONDS"] = 0
        reset_calendar_state(app)


def test_if_none_match_decides_before_if_modified_since(app, client, factory, meetings):
    factory.member("planning", email="member@example.jp")
    meetings.make("planning")
    path = feed_path(app, "member@example.jp")
    first = client.get(path)
    future = http_date(first.last_modified + timedelta(days=1), usegmt=True)
    stale = client.get(path, headers={"If-None-Match": '"not-the-current-one"', "If-Modified-Since": future})
    assert stale.status_code == 200 and stale.data == first.data


def test_if_modified_since_alone(app, client, factory, meetings):
    factory.member("planning", email="member@example.jp")
    meetings.make("planning")
    path = feed_path(app, "member@example.jp")
    first = client.get(path)
    same = client.get(path, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert same.status_code == 304
    earlier = http_date(first.last_modified - timedelta(seconds=1), usegmt=True)
    assert client.get(path, headers={"If-Modified-Since": earlier}).status_code == 200


def test_postponing_moves_the_event_and_raises_sequence(app, client, factory, meetings):
    factory.member("planning", email="member@example.jp")
    meeting = meetings.make("planning", days=10, updated_at=utcnow() - timedelta(minutes=5))
    path = feed_path(app, "member@example.jp")
    first = client.get(path)
    uid = f"meeting-{meeting.id}@liaison.test"
    before = events(first)[uid]
    new_start = tokyo_day_at(24, 10)
    meetings.change(meeting.id, status=MeetingStatus.POSTPONED, starts_at=new_start, ends_at=new_start + timedelta(hours=2))
    after_response = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert after_response.status_code == 200
    assert after_response.headers["ETag"] != first.headers["ETag"]
    after = events(after_response)[uid]
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert after.decoded("DTSTART") == new_start
    assert after.decoded("LAST-MODIFIED") > before.decoded("LAST-MODIFIED")


def test_cancelling_strikes_the_event(app, client, factory, meetings):
    factory.member("planning", email="member@example.jp")
    meeting = meetings.make("planning")
    path = feed_path(app, "member@example.jp")
    client.get(path)
    meetings.change(meeting.id, status=MeetingStatus.CANCELLED, cancel_reason="会場の都合のため")
    event = events(client.get(path))[f"meeting-{meeting.id}@liaison.test"]
    assert str(event["STATUS"]) == "CANCELLED"


def test_uids_are_unique_and_stable_across_requests(app, client, factory, meetings):
    factory.member("planning", email="member@example.jp")
    for days in (3, 10, 17, 24):
        meetings.make("planning", days=days, answer_deadline=tokyo_day_at(days - 2, 17))
    path = feed_path(app, "member@example.jp")
    first = Calendar.from_ical(client.get(path).data).walk("VEVENT")
    uids = [str(event["UID"]) for event in first]
    assert len(uids) == len(set(uids)) == 8  # four meetings, four answer deadlines
    reset_calendar_state(app)
    assert [str(event["UID"]) for event in Calendar.from_ical(client.get(path).data).walk("VEVENT")] == uids


def test_a_member_never_sees_another_committees_meetings(app, client, factory, meetings):
    factory.member("planning", body="川越市", email="planning@example.jp")
    factory.member("municipal-training", body="所沢市", email="training@example.jp")
    planning = meetings.make("planning", title="企画の会議")
    training = meetings.make("municipal-training", title="研修の会議")
    planning_feed = client.get(feed_path(app, "planning@example.jp"))
    training_feed = client.get(feed_path(app, "training@example.jp"))
    assert set(events(planning_feed)) == {f"meeting-{planning.id}@liaison.test"}
    assert set(events(training_feed)) == {f"meeting-{training.id}@liaison.test"}
    assert "研修の会議".encode() not in planning_feed.data


def test_wrong_and_regenerated_tokens_answer_404(app, client, factory, login, meetings):
    factory.member("planning", email="member@example.jp")
    old_path = feed_path(app, "member@example.jp")
    assert client.get(old_path).status_code == 200
    assert client.get(old_path[:-5] + "x.ics").status_code == 404
    assert client.get("/calendar/1-nothing.ics").status_code == 404
    login(client, "member@example.jp")
    response = client.form("/account/calendar/regenerate")
    assert response.status_code == 303 and response.headers["Location"].endswith("/account#calendar")
    new_path = feed_path(app, "member@example.jp")
    assert new_path != old_path
    assert client.get(old_path).status_code == 404
    assert client.get(new_path).status_code == 200


def test_regenerate_without_csrf_token_changes_nothing(app, client, factory, login):
    factory.member("planning", email="member@example.jp")
    path = feed_path(app, "member@example.jp")
    login(client, "member@example.jp")
    assert client.post("/account/calendar/regenerate").status_code == 400
    assert feed_path(app, "member@example.jp") == path


def test_settings_need_login(client):
    response = client.form("/account/calendar/regenerate")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_wrong_tokens_are_rate_limited_per_address(app, client, factory, meetings):
    factory.member("planning", email="member@example.jp")
    good = feed_path(app, "member@example.jp")
    attacker = {"REMOTE_ADDR": "198.51.100.7"}
    for n in range(app.config["FEED_TOKEN_MAX_FAILURES"]):
        assert client.get(f"/calendar/1-guess{n}.ics", environ_base=attacker).status_code == 404
    blocked = client.get("/calendar/1-guess-again.ics", environ_base=attacker)
    assert blocked.status_code == 429
    assert "誤ったカレンダーURLへのアクセスが続いたため" in blocked.get_data(as_text=True)
    assert int(blocked.headers["Retry-After"]) > 0
    # Issue 17: a valid URL is never refused for other URLs' failures (one address may be a whole town hall).
    assert client.get(good, environ_base=attacker).status_code == 200
    assert client.get("/calendar/1-guess-more.ics", environ_base=attacker).status_code == 429  # guessing still is
    assert client.get(good, environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 200


def test_feed_query_count_does_not_grow_with_meetings(app, client, factory, meetings, count_queries):
    factory.member("planning", email="member@example.jp")
    path = feed_path(app, "member@example.jp")
    token = path.removeprefix("/calendar/").removesuffix(".ics")

    def counted(*, previous_build: bool = False) -> tuple[int, int]:
        """Reads and writes of one feed request that builds the feed: from nothing, or after a change
        with the events of the feed's previous build at hand."""
        with app.app_context():
            if previous_build:
                cache.state().cache.get(("token", token)).version = "an older version"
            else:
                cache.state().clear()
        with count_queries() as counter:
            assert client.get(path).status_code == 200
        writes = [s for s in counter.statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE", "SET"))]
        return counter.count - len(writes), len(writes)

    meetings.many(5, "planning")
    reads, writes = counted()
    assert writes == 0  # a feed request writes nothing
    meetings.many(95, "planning", first_day=6)
    assert len(events(client.get(path))) == 200  # 100 meetings and their answer deadlines
    assert counted() == (reads, 0)  # every event written: the feed's rows and the agendas, whatever their number
    # every event at hand from the previous build: no agenda (the meetings come with the feed's rows)
    assert counted(previous_build=True) == (reads - 1, 0)
    with count_queries() as counter:  # a cached feed: the user, one aggregate query, and one per deadline provider
        client.get(path)  # that has a version of its own (written votes, minutes review)
    assert counter.count == 4


def test_a_rebuild_after_one_change_writes_only_that_meetings_events(app, client, factory, meetings, monkeypatch):
    from liaison.calendar import ical

    factory.member("planning", email="member@example.jp")
    path = feed_path(app, "member@example.jp")
    made = [meetings.make("planning", days=days) for days in (3, 4, 5)]
    first = client.get(path)
    written = []
    real = ical.meeting_event_bytes
    monkeypatch.setattr(ical, "meeting_event_bytes", lambda meeting, *args: written.append(meeting.id) or real(meeting, *args))
    meetings.change(made[0].id, place="第2会議室")
    changed = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and "第2会議室" in changed.get_data(as_text=True)
    assert written == [made[0].id]  # the other meetings' events come from the previous build
    # a worker that has just started writes every event, and the same bytes
    reset_calendar_state(app)
    written.clear()
    again = client.get(path)
    assert again.data == changed.data and again.headers["ETag"] == changed.headers["ETag"]
    assert sorted(written) == sorted(m.id for m in made)


def test_a_cached_feed_weighs_its_bytes_and_its_events(app):
    from liaison.calendar.cache import CachedFeed, make_feed

    feed = make_feed(b"x" * 300, utcnow())
    assert CachedFeed(version="v", feed=feed, events={("meeting", 1): b"x" * 300}).weight == 600


def _open_written_votes(app, session_id: int, count: int) -> list[int]:
    """`count` written votes on new items of a written session, through the votes domain."""
    from liaison.domain import meetings as meeting_rules
    from liaison.domain import votes as vote_rules
    from liaison.models import AgendaKind, Majority, Meeting, VoteMethod

    with app.app_context():
        staff = db.session.scalar(select(User).where(User.is_secretariat.is_(True)).limit(1))
        session = db.session.get(Meeting, session_id)
        ids = []
        for _ in range(count):
            item = meeting_rules.add_agenda_item(session, actor=staff, kind=AgendaKind.RESOLUTION, title="議案")
            vote = vote_rules.open_vote(item, actor=staff, method=VoteMethod.WRITTEN, majority=Majority.SIMPLE,
                                        closes_at=tokyo_day_at(8, 17))
            ids.append(vote.id)
        db.session.commit()
        return ids


def test_feed_query_count_does_not_grow_with_written_votes_and_minutes_in_review(app, client, factory, meetings,
                                                                                count_queries):
    factory.member("planning", body="さいたま市", role="chair", email="chair@example.jp")
    factory.member("planning", email="member@example.jp")
    factory.secretariat()
    path = feed_path(app, "member@example.jp")
    session = meetings.make("planning", format=MeetingFormat.WRITTEN, days=1, hours=5 * 24)

    def counted() -> int:
        with app.app_context():
            cache.state().clear()
        with count_queries() as counter:
            assert client.get(path).status_code == 200
        return counter.count

    _open_written_votes(app, session.id, 1)
    factory.minutes(factory.meeting("planning", status="held", agenda=1), status="in_review")
    few = counted()
    _open_written_votes(app, session.id, 3)
    for _ in range(2):
        factory.minutes(factory.meeting("planning", status="held", agenda=1), status="in_review")
    uids = set(events(client.get(path)))
    assert len({uid for uid in uids if uid.startswith("deadline-written-vote-")}) == 4
    assert len({uid for uid in uids if uid.startswith("deadline-minutes-review-")}) == 3
    assert counted() == few


def test_casting_the_ballot_changes_the_feed_and_drops_the_deadline(app, client, factory, meetings):
    from liaison.domain import votes as vote_rules
    from liaison.models import Choice, Membership, Vote

    factory.member("planning", email="member@example.jp")
    factory.secretariat()
    path = feed_path(app, "member@example.jp")
    session = meetings.make("planning", format=MeetingFormat.WRITTEN, days=1, hours=5 * 24)
    [vote_id] = _open_written_votes(app, session.id, 1)
    first = client.get(path)
    assert f"deadline-written-vote-{vote_id}@liaison.test" in events(first)
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "member@example.jp"))
        seat = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
        vote_rules.cast_ballot(db.session.get(Vote, vote_id), seat, Choice.ABSTAIN, actor=user)
        db.session.commit()
    again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and again.headers["ETag"] != first.headers["ETag"]
    assert f"deadline-written-vote-{vote_id}@liaison.test" not in events(again)
    assert client.get(path, headers={"If-None-Match": again.headers["ETag"]}).status_code == 304


def test_feed_follows_the_users_language(app, client, factory, meetings):
    factory.member("planning", body="川越市", email="japanese@example.jp")
    english = factory.member("planning", body="所沢市", email="english@example.jp")
    meetings.make("planning")
    with app.app_context():
        db.session.get(User, english.id).locale = "en"
        db.session.commit()
    assert "令和".encode() in client.get(feed_path(app, "japanese@example.jp")).data
    english_feed = client.get(feed_path(app, "english@example.jp")).data
    assert b"SUMMARY:FY" in english_feed and "令和".encode() not in english_feed


# ------------------------------------------------------------------------------------------ account page and CLI

def test_account_page_offers_the_feed(app, client, factory, login):
    factory.member("planning", email="member@example.jp")
    path = feed_path(app, "member@example.jp")
    login(client, "member@example.jp")
    page = client.get("/account").get_data(as_text=True)
    url = f"http://liaison.test{path}"
    assert f'value="{url}"' in page
    assert 'data-copy-target="calendar-feed-url"' in page and "URLをコピー" in page
    assert f'href="webcal://liaison.test{path}"' in page
    assert "https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2Fliaison.test%2Fcalendar%2F" in page
    assert "https://outlook.office.com/calendar/0/addfromweb?url=http%3A%2F%2Fliaison.test%2Fcalendar%2F" in page
    assert 'action="/account/calendar/regenerate"' in page
    assert 'action="/account/calendar/settings"' in page and 'name="include_deadlines"' in page


def test_turning_deadlines_off_removes_them_from_the_feed(app, client, factory, login, meetings):
    factory.member("planning", email="member@example.jp")
    meeting = meetings.make("planning", answer_deadline=tokyo_day_at(3, 17))
    path = feed_path(app, "member@example.jp")
    first = client.get(path)
    assert f"deadline-attendance-{meeting.id}@liaison.test" in events(first)
    login(client, "member@example.jp")
    response = client.form("/account/calendar/settings", {})  # the box unticked
    assert response.status_code == 303
    assert 'name="include_deadlines" type="checkbox" value="y">' in client.get("/account").get_data(as_text=True)
    second = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert set(events(second)) == {f"meeting-{meeting.id}@liaison.test"}
    assert second.last_modified >= first.last_modified
    client.form("/account/calendar/settings", {"include_deadlines": "y"})
    assert f"deadline-attendance-{meeting.id}@liaison.test" in events(client.get(path))


def test_cli_prints_the_feed_url(app, factory):
    factory.member("planning", email="member@example.jp")
    result = app.test_cli_runner().invoke(args=["users", "feed-url", "Member@example.jp"])
    assert result.exit_code == 0
    assert result.output == f"http://liaison.test{feed_path(app, 'member@example.jp')}\n"
    missing = app.test_cli_runner().invoke(args=["users", "feed-url", "nobody@example.jp"])
    assert missing.exit_code != 0 and "登録されていません" in missing.output


# ------------------------------------------------------------------------------------------ committee feed and single meeting

@pytest.mark.parametrize(
    "target, who, expected",
    [
        ("committee", "planning", 200),
        ("committee", "council", 403),
        ("committee", "secretariat", 200),
        ("committee", None, 302),
        ("meeting", "planning", 200),
        ("meeting", "council", 403),
        ("meeting", None, 302),
        ("draft", "planning", 404),
        ("draft", "secretariat", 200),
        ("wrong-committee", "secretariat", 404),
    ],
)
def test_committee_calendar_access(app, client, factory, login, meetings, target, who, expected):
    factory.member("planning", body="川越市", email="planning@example.jp")
    factory.member("council", body="所沢市", email="council@example.jp")
    factory.secretariat(email="secretariat@example.jp")
    meeting = meetings.make("planning")
    draft = meetings.make("planning", status=MeetingStatus.DRAFT, days=30)
    path = {
        "committee": "/planning/calendar.ics",
        "meeting": f"/planning/meetings/{meeting.id}.ics",
        "draft": f"/planning/meetings/{draft.id}.ics",
        "wrong-committee": f"/council/meetings/{meeting.id}.ics",
    }[target]
    if who:
        login(client, f"{who}@example.jp")
    response = client.get(path)
    assert response.status_code == expected
    if expected == 200:
        assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"


def test_committee_feed_and_single_meeting(app, client, factory, login, meetings):
    factory.member("planning", email="planning@example.jp")
    meeting = meetings.make("planning", title="予算")
    cancelled = meetings.make("planning", status=MeetingStatus.CANCELLED, days=12)
    other = meetings.make("council")
    login(client, "planning@example.jp")
    committee_feed = client.get("/planning/calendar.ics")
    assert set(events(committee_feed)) == {f"meeting-{m.id}@liaison.test" for m in (meeting, cancelled)}
    assert f"meeting-{other.id}" not in committee_feed.get_data(as_text=True)
    assert client.get("/planning/calendar.ics", headers={"If-None-Match": committee_feed.headers["ETag"]}).status_code == 304
    single = client.get(f"/planning/meetings/{meeting.id}.ics")
    assert single.headers["Content-Disposition"] == f'inline; filename="meeting-{meeting.id}.ics"'
    assert set(events(single)) == {f"meeting-{meeting.id}@liaison.test"}
    assert client.get(f"/planning/meetings/{meeting.id}.ics", headers={"If-None-Match": single.headers["ETag"]}).status_code == 304


# ------------------------------------------------------------------------------------------ a real client's parser

def utc_iso(value) -> str:
    """How JavaScript's Date.toISOString() writes an instant."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_ical_js_reads_the_feed_at_the_meetings_times(app, client, factory, meetings, tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the ical.js check (Thunderbird's parser) needs Node.js")
    if not (ROOT / "node_modules" / "ical.js").is_dir():
        pytest.skip("ical.js is not installed (node_modules/ical.js): `make test` or `npm ci` installs it")
    factory.member("planning", email="member@example.jp")
    timed = [
        meetings.make("planning", days=3, hour=9, answer_deadline=tokyo_day_at(1, 17), agenda=["報告"]),
        meetings.make("planning", days=40, hour=13, status=MeetingStatus.POSTPONED),
        meetings.make("planning", days=-200, hour=15, status=MeetingStatus.HELD),  # across a change of month
        meetings.make("planning", days=12, hour=10, status=MeetingStatus.CANCELLED),
    ]
    written = meetings.make("planning", days=20, hour=9, hours=24 * 5, format=MeetingFormat.WRITTEN)
    # text to escape and fold: commas, semicolons, backslashes, line breaks, long Japanese, 4-octet characters
    tricky_title = "研修計画, 予算; 日程\\案 " + "人づくり広域連合における職員研修の在り方について" * 3 + "𠮷🍣"
    tricky_place = "浦和合同庁舎;5階,大会議室\nA・B " + "x" * 70
    tricky = meetings.make("planning", days=25, title=tricky_title, place=tricky_place, agenda=[tricky_title])
    feed = tmp_path / "feed.ics"
    feed.write_bytes(client.get(feed_path(app, "member@example.jp")).data)
    result = subprocess.run(
        [node, str(ROOT / "tests" / "js" / "parse_feed.mjs"), str(feed)],
        capture_output=True, text=True, timeout=30, env={"TZ": "America/New_York", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    parsed = json.loads(result.stdout)
    assert parsed["method"] is None and parsed["refreshInterval"] == "PT1H" and parsed["zones"] == ["Asia/Tokyo"]
    by_uid = {event["uid"]: event for event in parsed["events"]}
    for meeting in timed:
        event = by_uid[f"meeting-{meeting.id}@liaison.test"]
        assert event["start"] == utc_iso(meeting.starts_at)
        assert event["end"] == utc_iso(meeting.ends_at)
        assert event["startTzid"] == "Asia/Tokyo"
    assert by_uid[f"meeting-{timed[3].id}@liaison.test"]["status"] == "CANCELLED"
    assert by_uid[f"deadline-attendance-{timed[0].id}@liaison.test"]["start"] == utc_iso(timed[0].answer_deadline)
    all_day = by_uid[f"meeting-{written.id}@liaison.test"]
    assert all_day["allDay"] is True and all_day["start"] == to_tokyo(written.ends_at).date().isoformat()
    assert "報告" in by_uid[f"meeting-{timed[0].id}@liaison.test"]["description"]
    escaped = by_uid[f"meeting-{tricky.id}@liaison.test"]
    assert escaped["summary"].endswith(tricky_title) and escaped["location"] == tricky_place
    assert f"1. [協議事項] {tricky_title}" in escaped["description"]
