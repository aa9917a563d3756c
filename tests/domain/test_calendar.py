"""Calendar building and feed contents, without HTTP: what a subscribed calendar app will read."""
from __future__ import annotations

import re
import time
from datetime import datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from liaison.calendar import cache as feed_cache
from liaison.calendar import deadlines, feeds, ical, reference, rows, scopes, tokens
from liaison.dates import current_fiscal_year, fiscal_year_label, format_date, format_datetime, to_tokyo, utcnow
from liaison.domain import calendar as calendar_rules
from liaison.extensions import db
from liaison.models import AuditEvent, Meeting, MeetingFormat, MeetingStatus, User
from liaison.security import Throttle

from ..calendar_helpers import MeetingBuilder, reset_calendar_state, tokyo_day_at

BASE_URL = "http://liaison.test"


@pytest.fixture()
def meetings(app):
    reset_calendar_state(app)
    return MeetingBuilder(app)


def parse(body: bytes) -> Calendar:
    return Calendar.from_ical(body)


def events_by_uid(body: bytes) -> dict:
    return {str(event["UID"]): event for event in parse(body).walk("VEVENT")}


def feed_uids(user) -> set[str]:
    return set(events_by_uid(feeds.user_feed(user).body))


# ------------------------------------------------------------------------------------------ one meeting

def test_meeting_round_trips_through_icalendar(ctx, meetings):
    meeting = meetings.make(
        "planning", title="研修計画について", agenda=["令和8年度研修計画(案)", "講師派遣事業の見直し"],
        format=MeetingFormat.HYBRID, online_url="https://meet.example.jp/j/123", answer_deadline=tokyo_day_at(5, 17),
    )
    calendar = parse(ical.meeting_calendar_bytes(meeting, BASE_URL))
    [event] = calendar.walk("VEVENT")
    name = f"{fiscal_year_label(meeting.fiscal_year)}第{meeting.number}回企画運営部会"
    assert str(event["SUMMARY"]) == f"{name} 研修計画について"
    assert str(event["UID"]) == f"meeting-{meeting.id}@liaison.test"
    assert event.decoded("DTSTART") == meeting.starts_at
    assert event.decoded("DTEND") == meeting.ends_at
    assert event["DTSTART"].params["TZID"] == "Asia/Tokyo"
    assert event.decoded("DTSTAMP") == event.decoded("LAST-MODIFIED") == meeting.updated_at.replace(microsecond=0)
    assert event["SEQUENCE"] == meeting.sequence
    assert str(event["LOCATION"]) == "彩の国すこやかプラザ 会議室"
    assert str(event["URL"]) == f"{BASE_URL}/planning/meetings/{meeting.id}"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event["CATEGORIES"].cats == ["企画運営部会"]
    assert str(event["CONFERENCE"]) == "https://meet.example.jp/j/123"
    description = str(event["DESCRIPTION"])
    assert "1. [協議事項] 令和8年度研修計画(案)" in description
    assert "2. [協議事項] 講師派遣事業の見直し" in description
    assert "オンライン参加: https://meet.example.jp/j/123" in description
    assert f"会議のページ: {BASE_URL}/planning/meetings/{meeting.id}" in description
    assert "出欠の回答期限" in description


def test_calendar_headers_are_written_as_clients_expect(ctx, meetings):
    meeting = meetings.make("planning")
    body = ical.meeting_calendar_bytes(meeting, BASE_URL)
    lines = body.decode().split("\r\n")
    assert lines[0] == "BEGIN:VCALENDAR" and body.endswith(b"END:VCALENDAR\r\n")
    assert "VERSION:2.0" in lines
    assert any(line.startswith("PRODID:-//") for line in lines)
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in lines
    assert "X-PUBLISHED-TTL:PT1H" in lines
    assert not any(line.startswith("METHOD") for line in lines)
    calendar = parse(body)
    assert str(calendar["X-WR-CALNAME"]).endswith("企画運営部会")


def test_every_tzid_has_a_vtimezone(ctx, factory, meetings):
    user = factory.member("planning", email="tz@example.jp")
    meetings.make("planning", answer_deadline=tokyo_day_at(3, 17))
    meetings.make("planning", days=20, format=MeetingFormat.WRITTEN)
    body = feeds.user_feed(user).body
    used = set(re.findall(rb"TZID=([^:;]+)[:;]", body))
    defined = {str(tz["TZID"]).encode() for tz in parse(body).walk("VTIMEZONE")}
    assert used == {b"Asia/Tokyo"}
    assert used <= defined
    assert parse(body).get_missing_tzids() == set()


def test_japanese_text_survives_line_folding(ctx, meetings):
    title = "人づくり広域連合における職員研修の在り方と市町村職員の能力開発に関する検討について(第二次報告)"
    agenda = ["彩の国さいたま人づくり広域連合第6次広域計画の中間見直しに係る各構成団体への意見照会の結果報告"]
    meeting = meetings.make("planning", title=title, agenda=agenda, place="さいたま市浦和区 埼玉県県民健康センター 2階 大会議室A・B")
    body = ical.meeting_calendar_bytes(meeting, BASE_URL)
    for line in body.split(b"\r\n"):
        assert len(line) <= 75, line
        line.decode("utf-8")  # a fold never splits a character
    assert any(line.startswith(b" ") for line in body.split(b"\r\n")), "the long lines were folded"
    [event] = parse(body).walk("VEVENT")
    assert str(event["SUMMARY"]).endswith(title)
    assert agenda[0] in str(event["DESCRIPTION"])
    assert str(event["LOCATION"]) == meeting.place


def test_written_session_is_an_all_day_event_on_its_deadline(ctx, meetings):
    meeting = meetings.make("planning", format=MeetingFormat.WRITTEN, days=7, hour=9, hours=8 * 24)
    [event] = parse(ical.meeting_calendar_bytes(meeting, BASE_URL)).walk("VEVENT")
    deadline_day = to_tokyo(meeting.ends_at).date()
    assert event.decoded("DTSTART") == deadline_day and not hasattr(event.decoded("DTSTART"), "hour")
    assert event.decoded("DTEND") == deadline_day + timedelta(days=1)
    assert "LOCATION" not in event
    assert "書面開催" in str(event["SUMMARY"])
    assert "書面表決の期限" in str(event["DESCRIPTION"])


def test_status_follows_the_meeting(ctx, meetings):
    cancelled = meetings.make("planning", status=MeetingStatus.CANCELLED, cancel_reason="台風の接近のため")
    postponed = meetings.make("planning", status=MeetingStatus.POSTPONED, days=30)
    draft = meetings.make("planning", status=MeetingStatus.DRAFT, days=40)
    [event] = parse(ical.meeting_calendar_bytes(cancelled, BASE_URL)).walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["SUMMARY"]).startswith("【中止】")
    assert "中止の理由: 台風の接近のため" in str(event["DESCRIPTION"])
    [event] = parse(ical.meeting_calendar_bytes(postponed, BASE_URL)).walk("VEVENT")
    assert str(event["STATUS"]) == "CONFIRMED" and str(event["SUMMARY"]).startswith("【延期】")
    [event] = parse(ical.meeting_calendar_bytes(draft, BASE_URL)).walk("VEVENT")
    assert str(event["STATUS"]) == "TENTATIVE"


def test_bytes_stay_the_same_while_nothing_changes(ctx, meetings):
    meeting = meetings.make("planning", agenda=["議題"])
    first = ical.meeting_calendar_bytes(meeting, BASE_URL)
    assert ical.meeting_calendar_bytes(db.session.get(Meeting, meeting.id), BASE_URL) == first


def test_assembled_feed_equals_the_whole_calendar_serialised(ctx, meetings):
    one, two = meetings.make("planning"), meetings.make("council", days=12, agenda=["報告"])
    whole = reference.build_calendar("会議予定", [one, two], BASE_URL).to_ical()
    chunks = [reference.meeting_event(m, BASE_URL).to_ical() for m in (one, two)]
    assert ical.calendar_bytes("会議予定", chunks) == whole


def test_deadline_is_its_own_moment(ctx, meetings):
    meeting = meetings.make("planning", answer_deadline=tokyo_day_at(4, 17))
    deadline = ical.Deadline(
        key=f"attendance-{meeting.id}", label="出欠の回答期限", meeting_id=meeting.id, due_at=meeting.answer_deadline,
        updated_at=meeting.updated_at, sequence=meeting.sequence,
    )
    [_meeting_event, event] = parse(reference.build_calendar("x", [meeting], BASE_URL, [deadline]).to_ical()).walk("VEVENT")
    assert str(event["UID"]) == f"deadline-attendance-{meeting.id}@liaison.test"
    assert event.decoded("DTSTART") == meeting.answer_deadline
    assert "DTEND" not in event and str(event["TRANSP"]) == "TRANSPARENT"
    assert str(event["SUMMARY"]).startswith("出欠の回答期限: ")


# ------------------------------------------------------------------------------------------ feed contents

def test_member_feed_holds_own_committees_published_meetings_only(ctx, factory, meetings):
    member = factory.member("planning", body="川越市", email="planning@example.jp")
    convened = meetings.make("planning")
    held = meetings.make("planning", status=MeetingStatus.HELD, days=-20)
    postponed = meetings.make("planning", status=MeetingStatus.POSTPONED, days=15)
    cancelled = meetings.make("planning", status=MeetingStatus.CANCELLED, days=8)
    draft = meetings.make("planning", status=MeetingStatus.DRAFT, days=9)
    other = meetings.make("municipal-training", days=11)
    uids = feed_uids(member)
    host = "liaison.test"
    assert uids == {f"meeting-{m.id}@{host}" for m in (convened, held, postponed, cancelled)}
    assert f"meeting-{draft.id}@{host}" not in uids and f"meeting-{other.id}@{host}" not in uids


def test_cancelled_meetings_drop_out_after_90_days(ctx, factory, meetings):
    member = factory.member("planning", email="planning@example.jp")
    recent = meetings.make("planning", status=MeetingStatus.CANCELLED, days=-30, updated_at=utcnow() - timedelta(days=89))
    old = meetings.make("planning", status=MeetingStatus.CANCELLED, days=-60, updated_at=utcnow() - timedelta(days=91))
    uids = feed_uids(member)
    assert f"meeting-{recent.id}@liaison.test" in uids
    assert f"meeting-{old.id}@liaison.test" not in uids


def test_feed_covers_previous_current_and_future_fiscal_years(ctx, factory, meetings):
    fiscal_year = current_fiscal_year()
    member = factory.member("planning", email="planning@example.jp")
    factory_seat(ctx, member, "planning", fiscal_year - 1)
    factory_seat(ctx, member, "planning", fiscal_year - 2)
    last_year = meetings.make("planning", status=MeetingStatus.HELD, days=-370)
    two_years_ago = meetings.make("planning", status=MeetingStatus.HELD, days=-800)
    next_year = meetings.make("planning", days=400)
    uids = feed_uids(member)
    assert f"meeting-{last_year.id}@liaison.test" in uids
    assert f"meeting-{next_year.id}@liaison.test" in uids
    assert f"meeting-{two_years_ago.id}@liaison.test" not in uids


def factory_seat(ctx, user, slug: str, fiscal_year: int) -> None:
    from liaison.domain import memberships
    from liaison.models import Body, Committee, Role

    committee = ctx.scalar(select(Committee).where(Committee.slug == slug))
    body = ctx.scalar(select(Body).where(Body.name == "川越市"))
    memberships.appoint(actor=None, committee=committee, fiscal_year=fiscal_year, user=ctx.get(User, user.id),
                        body=body, role=Role.MEMBER)
    ctx.commit()


def test_a_seat_left_last_year_shows_last_years_meetings_only(ctx, factory, meetings):
    former = factory.member("council", body="川越市", email="former@example.jp")  # sits on the council now
    factory_seat(ctx, former, "planning", current_fiscal_year() - 1)  # sat on 企画運営部会 last year
    last_year = meetings.make("planning", status=MeetingStatus.HELD, days=-370)
    this_year = meetings.make("planning", days=5)
    uids = feed_uids(former)
    assert f"meeting-{last_year.id}@liaison.test" in uids
    assert f"meeting-{this_year.id}@liaison.test" not in uids


def test_staff_feed_holds_every_committee(ctx, factory, meetings):
    secretariat = factory.secretariat()
    made = [meetings.make(slug) for slug in ("council", "planning", "municipal-training", "prefectural-training")]
    assert feed_uids(secretariat) == {f"meeting-{m.id}@liaison.test" for m in made}


def test_deadlines_follow_the_users_setting_and_seat(ctx, factory, meetings):
    member = factory.member("planning", email="member@example.jp")
    observer = factory.member("planning", body="所沢市", role="observer", email="observer@example.jp")
    meeting = meetings.make("planning", answer_deadline=tokyo_day_at(3, 17))
    meetings.make("planning", status=MeetingStatus.CANCELLED, days=12, answer_deadline=tokyo_day_at(4, 17))
    deadline_uid = f"deadline-attendance-{meeting.id}@liaison.test"
    assert {uid for uid in feed_uids(member) if uid.startswith("deadline-")} == {deadline_uid}
    assert not any(uid.startswith("deadline-") for uid in feed_uids(observer))
    calendar_rules.set_feed_options(member, actor=member, include_deadlines=False)
    ctx.commit()
    assert not any(uid.startswith("deadline-") for uid in feed_uids(member))


def test_feed_rows_read_raw_datetimes_on_postgresql_and_write_the_same_bytes(ctx, factory, meetings, monkeypatch):
    """On PostgreSQL in UTC the feed reads its rows' datetimes as psycopg gives them (no UTCDateTime
    processing): the same moments, and the same feed, as through UTCDateTime."""
    member = factory.member("planning", email="member@example.jp")
    meetings.make("planning", agenda=["報告"], answer_deadline=tokyo_day_at(8, 17))
    meetings.make("planning", status=MeetingStatus.POSTPONED, days=15, original_starts_at=tokyo_day_at(12, 10),
                  answer_deadline=tokyo_day_at(13, 17))
    meetings.make("planning", format=MeetingFormat.WRITTEN, days=7, hour=9, hours=8 * 24)
    assert rows._reads_utc() is (db.engine.dialect.name == "postgresql")
    scope = scopes.user_scope(member)
    read = rows.feed_rows(scope)
    fast = feeds.build_feed(scope, BASE_URL)
    monkeypatch.setattr(rows, "_reads_utc", lambda: False)
    processed = rows.feed_rows(scope)
    assert read == processed and len(read) == 3
    assert all(value.utcoffset() == timedelta(0) for row in read for value in row if isinstance(value, datetime))
    assert feeds.build_feed(scope, BASE_URL) == fast
    assert fast.count(b"BEGIN:VEVENT") == 5  # three meetings, two answer deadlines


def test_feed_rows_run_one_statement_per_shape_with_each_scopes_values(ctx, factory, meetings):
    """feed_rows builds its statement once per shape of scope (a member's seats, a committee's, everything),
    with bind parameters, and runs it with each scope's values: the meetings of the criteria with the values
    written in (what the version query selects), for each scope in turn."""
    from liaison.models import Committee

    planning = factory.member("planning", email="planning@example.jp")
    council = factory.member("council", body="所沢市", email="council@example.jp")
    staff = factory.secretariat(email="staff@example.jp")
    made = [meetings.make(slug, days=3 + n) for n, slug in enumerate(("planning", "council", "planning", "municipal-training"))]
    meetings.make("planning", status=MeetingStatus.CANCELLED, days=-60, updated_at=utcnow() - timedelta(days=91))
    meetings.make("planning", status=MeetingStatus.HELD, days=-800)
    committee = ctx.scalar(select(Committee).where(Committee.slug == "council"))
    made_scopes = [scopes.user_scope(planning), scopes.user_scope(council), scopes.committee_scope(committee),
                   scopes.user_scope(staff)]
    assert [scope.shape() for scope in made_scopes] == ["seats", "seats", "committee", "all"]
    for scope in made_scopes:
        literal = ctx.scalars(select(Meeting.id).where(*scope.criteria(Meeting)).order_by(Meeting.starts_at, Meeting.id)).all()
        assert literal and [row.id for row in rows.feed_rows(scope)] == literal, scope.key
    seats = rows._FEED_STATEMENTS[("seats", rows._reads_utc())]
    assert [row.id for row in rows.feed_rows(made_scopes[0])] == [made[0].id, made[2].id]
    assert [row.id for row in rows.feed_rows(made_scopes[1])] == [made[1].id]
    assert [row.id for row in rows.feed_rows(made_scopes[2])] == [made[1].id]
    assert rows._FEED_STATEMENTS[("seats", rows._reads_utc())] is seats  # built once, run with each member's values


def test_feed_rows_see_changes_not_yet_flushed(ctx, factory, meetings):
    """The rows are read on the session's connection, after the flush that db.session.execute would make."""
    member = factory.member("planning", email="member@example.jp")
    meeting = ctx.get(Meeting, meetings.make("planning", agenda=["報告"]).id)
    scope = scopes.user_scope(member)  # (reading the member's expired row would flush too)
    meeting.title = "まだ書き出していない題名"
    meeting.agenda_items[0].title = "まだ書き出していない議題"
    assert ctx.dirty
    [row] = rows.feed_rows(scope)
    assert row.title == "まだ書き出していない題名"
    [view] = rows.load_meetings({row.id}, [row]).values()
    assert [item.title for item in view.agenda_items] == ["まだ書き出していない議題"]


def test_deadline_providers_are_an_extension_point(ctx, factory, meetings, monkeypatch):
    member = factory.member("planning", email="member@example.jp")
    meeting = meetings.make("planning")

    class ReviewDeadlines:
        def version(self, user, meeting_ids):
            return ("reviews", 1)

        def deadlines(self, user, meetings):
            return [ical.Deadline(key=f"minutes-{m.id}", label="議事録の確認期限", meeting_id=m.id,
                                  due_at=m.ends_at + timedelta(days=7), updated_at=m.updated_at, sequence=m.sequence)
                    for m in meetings]

    monkeypatch.setattr(deadlines, "DEADLINE_PROVIDERS", [*deadlines.DEADLINE_PROVIDERS, ReviewDeadlines()])
    events = events_by_uid(feeds.user_feed(member).body)
    assert str(events[f"deadline-minutes-{meeting.id}@liaison.test"]["SUMMARY"]).startswith("議事録の確認期限")


def test_feed_version_changes_with_the_data_not_with_time(ctx, factory, meetings):
    member = factory.member("planning", email="member@example.jp")
    meeting = meetings.make("planning")
    first = scopes.feed_version(scopes.user_scope(member), BASE_URL)
    assert scopes.feed_version(scopes.user_scope(member), BASE_URL) == first
    assert first.last_modified >= meeting.updated_at.replace(microsecond=0)
    meetings.change(meeting.id, place="別の会議室")
    assert scopes.feed_version(scopes.user_scope(member), BASE_URL).key != first.key


# ------------------------------------------------------------------------------------------ tokens

def test_token_is_long_derived_and_not_stored(ctx, factory):
    user = factory.member("planning", email="member@example.jp")
    token = tokens.feed_token(user)
    user_part, mac = token.split("-", 1)
    assert user_part == str(user.id) and len(mac) * 6 >= 128
    assert tokens.user_for_token(token) == user
    row = ctx.execute(select(User.__table__).where(User.id == user.id)).one()
    assert not any(mac in str(value) for value in row)


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),
    lambda t: t.split("-", 1)[0],
    lambda t: "x" + t,
    lambda t: "999999-" + t.split("-", 1)[1],
    lambda t: "",
])
def test_wrong_tokens_find_nobody(ctx, factory, mangle):
    user = factory.member("planning", email="member@example.jp")
    assert tokens.user_for_token(mangle(tokens.feed_token(user))) is None


def test_token_depends_on_the_secret_key(app, ctx, factory):
    user = factory.member("planning", email="member@example.jp")
    token = tokens.feed_token(user)
    app.config["SECRET_KEY"], secret = "another-secret-key-0123456789-0123456789", app.config["SECRET_KEY"]
    try:
        assert tokens.feed_token(user) != token
    finally:
        app.config["SECRET_KEY"] = secret


def test_regenerate_stops_the_old_token_and_is_audited(ctx, factory):
    user = factory.member("planning", email="member@example.jp")
    old = tokens.feed_token(user)
    calendar_rules.regenerate_feed_token(user, actor=user)
    ctx.commit()
    assert tokens.user_for_token(old) is None
    assert tokens.user_for_token(tokens.feed_token(user)) == user
    assert ctx.scalar(select(AuditEvent.action).where(AuditEvent.object_id == user.id, AuditEvent.action.like("calendar.%"))) == "calendar.feed_regenerated"


def test_only_the_user_or_an_administrator_manages_a_feed(ctx, factory):
    user = factory.member("planning", email="member@example.jp")
    other = factory.member("planning", body="所沢市", email="other@example.jp")
    admin = factory.admin()
    with pytest.raises(Forbidden):
        calendar_rules.regenerate_feed_token(user, actor=other)
    with pytest.raises(Forbidden):
        calendar_rules.set_feed_options(user, actor=other, include_deadlines=False)
    counter = user.feed_counter
    calendar_rules.regenerate_feed_token(user, actor=admin)
    assert user.feed_counter == counter + 1


def test_inactive_users_feed_is_gone(ctx, factory):
    user = factory.member("planning", email="member@example.jp")
    token = tokens.feed_token(user)
    user.active = False
    ctx.commit()
    assert tokens.user_for_token(token) is None


def test_failure_limiter_blocks_after_the_limit_and_forgets_after_the_window(ctx):
    """The wrong-token throttle (Flask-Limiter's storage, liaison.security) per address, over a moving window."""
    throttle = Throttle("test-feed-token", lambda config: "3 per 1 second")
    for _ in range(2):
        throttle.fail("192.0.2.1")
    assert throttle.retry_after("192.0.2.1") == 0
    throttle.fail("192.0.2.1")
    assert throttle.retry_after("192.0.2.1") > 0
    assert throttle.retry_after("192.0.2.2") == 0
    time.sleep(1.1)
    assert throttle.retry_after("192.0.2.1") == 0


def test_subscribe_links_carry_the_feed_url():
    url = "https://liaison.example.jp/calendar/1-abc.ics"
    assert tokens.webcal_url(url) == "webcal://liaison.example.jp/calendar/1-abc.ics"
    assert tokens.google_subscribe_url(url) == (
        "https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2Fliaison.example.jp%2Fcalendar%2F1-abc.ics"
    )
    outlook = tokens.outlook_subscribe_url(url, "会議予定")
    assert outlook.startswith("https://outlook.office.com/calendar/0/addfromweb?url=https%3A%2F%2Fliaison.example.jp")
    assert "name=%E4%BC%9A" in outlook



# ------------------------------------------------------------------ written votes and minutes review

@pytest.fixture()
def written(ctx, factory, meetings):
    """A planning written session (書面開催) from tomorrow for a week, two items; its seats, an observer, an outsider."""
    people = {
        "chair": factory.member("planning", body="さいたま市", role="chair", email="chair@example.jp"),
        "member": factory.member("planning", body="川越市", email="member@example.jp"),
        "voted": factory.member("planning", body="熊谷市", email="voted@example.jp"),
        "observer": factory.member("planning", body="所沢市", role="observer", email="observer@example.jp"),
        "outsider": factory.member("council", body="秩父市", email="outsider@example.jp"),
        "staff": factory.secretariat(email="staff@example.jp"),
    }
    session = meetings.make("planning", format=MeetingFormat.WRITTEN, days=1, hour=9, hours=7 * 24,
                            agenda=["議案第1号 研修計画", "議案第2号 予算"])
    return people, session


def open_written(item, staff, closes_at):
    from liaison.domain import votes as vote_rules
    from liaison.models import Majority, VoteMethod

    item.meeting.committee.chair_votes = True  # every seat answers here; the chair's rule has its own tests
    vote = vote_rules.open_vote(item, actor=staff, method=VoteMethod.WRITTEN, majority=Majority.SIMPLE, closes_at=closes_at)
    db.session.commit()
    return vote


def cast_written(vote, user, choice_value="yes"):
    from liaison.domain import votes as vote_rules
    from liaison.models import Choice, Membership

    seat = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    vote_rules.cast_ballot(vote, seat, Choice(choice_value), actor=user)
    db.session.commit()


def test_written_vote_deadline_stays_until_the_seat_has_voted(ctx, written):
    from liaison.domain import votes as vote_rules

    people, session = written
    first, second = session.agenda_items
    due = tokyo_day_at(6, 17)
    vote = open_written(first, people["staff"], due)
    cast_written(vote, people["voted"])
    uid = f"deadline-written-vote-{vote.id}@liaison.test"

    event = events_by_uid(feeds.user_feed(people["member"]).body)[uid]
    assert event.decoded("DTSTART") == due and "DTEND" not in event
    assert str(event["SUMMARY"]) == f"書面表決の期限: {ical.meeting_name(session)} 議事1 議案第1号 研修計画"
    assert str(event["URL"]) == f"{BASE_URL}/planning/votes/{vote.id}"
    assert f"{BASE_URL}/planning/meetings/{session.id}" in str(event["DESCRIPTION"])
    assert uid in feed_uids(people["chair"])
    for who in ("voted", "observer", "outsider", "staff"):  # voted already, no vote, another committee, no seat
        assert uid not in feed_uids(people[who]), who

    before = scopes.feed_version(scopes.user_scope(people["member"]), BASE_URL)
    cast_written(vote, people["member"], "no")
    after = scopes.feed_version(scopes.user_scope(people["member"]), BASE_URL)
    assert uid not in feed_uids(people["member"])
    assert after.key != before.key and after.last_modified > before.last_modified

    other = open_written(second, people["staff"], tokyo_day_at(7, 12))
    assert f"deadline-written-vote-{other.id}@liaison.test" in feed_uids(people["member"])
    vote_rules.cancel_vote(other, actor=people["staff"], reason="議案の差替え")
    vote_rules.close_vote(vote, actor=people["staff"], now=due + timedelta(minutes=1))
    ctx.commit()
    assert not any(uid.startswith("deadline-written-vote-") for uid in feed_uids(people["member"]) | feed_uids(people["chair"]))


def test_written_session_is_all_day_on_its_vote_deadline_with_the_same_uid(ctx, written):
    from liaison.domain import votes as vote_rules

    people, session = written
    first, second = session.agenda_items
    uid = f"meeting-{session.id}@liaison.test"

    def session_event():
        return events_by_uid(feeds.user_feed(people["member"]).body)[uid]

    end_day = to_tokyo(session.ends_at).date()
    assert session_event().decoded("DTSTART") == end_day  # no written vote yet: the end of its period
    before = scopes.feed_version(scopes.user_scope(people["member"]), BASE_URL)

    due = tokyo_day_at(12, 17)
    vote = open_written(first, people["staff"], due)
    event = session_event()
    assert event.decoded("DTSTART") == due.date() and event.decoded("DTEND") == due.date() + timedelta(days=1)
    assert event.decoded("LAST-MODIFIED") >= vote.opened_at.replace(microsecond=0)
    assert int(event["SEQUENCE"]) == session.sequence
    assert f"書面表決の期限: {format_datetime(due)}" in str(event["DESCRIPTION"])
    assert scopes.feed_version(scopes.user_scope(people["member"]), BASE_URL).key != before.key
    [single] = parse(feeds.meeting_ics(session, BASE_URL)).walk("VEVENT")  # the page's .ics and the mails agree
    assert str(single["UID"]) == uid and single.decoded("DTSTART") == due.date()

    vote_rules.cancel_vote(vote, actor=people["staff"], reason="議案の差替え")
    ctx.commit()
    assert session_event().decoded("DTSTART") == end_day

    # a closed written vote keeps the session on its deadline
    closed = open_written(second, people["staff"], tokyo_day_at(10, 17))
    for who in ("chair", "member", "voted"):
        cast_written(closed, people[who])
    vote_rules.close_vote(closed, actor=people["staff"])
    ctx.commit()
    assert session_event().decoded("DTSTART") == tokyo_day_at(10, 17).date()
    assert str(session_event()["UID"]) == uid


def test_minutes_review_deadline_for_the_reviewers_until_no_objection(ctx, factory, meetings):
    from liaison.domain import minutes as minutes_rules

    chair = factory.member("planning", body="さいたま市", role="chair", email="chair@example.jp")
    member = factory.member("planning", body="川越市", email="member@example.jp")
    observer = factory.member("planning", body="所沢市", role="observer", email="observer@example.jp")
    outsider = factory.member("council", body="秩父市", email="outsider@example.jp")
    staff = factory.secretariat(email="staff@example.jp")
    meeting = factory.meeting("planning", status="held", agenda=1)
    minutes = factory.minutes(meeting, status="in_review")
    uid = f"deadline-minutes-review-{minutes.id}@liaison.test"

    event = events_by_uid(feeds.user_feed(member).body)[uid]
    assert event.decoded("DTSTART") == minutes.review_deadline.replace(microsecond=0)
    assert str(event["SUMMARY"]) == f"議事録の確認期限: {ical.meeting_name(meeting)}"
    assert str(event["URL"]) == f"{BASE_URL}/planning/meetings/{meeting.id}/minutes"
    assert uid in feed_uids(chair)
    assert uid not in feed_uids(observer) | feed_uids(outsider) | feed_uids(staff)

    minutes_rules.mark_no_objection(minutes, actor=member)
    ctx.commit()
    assert uid not in feed_uids(member) and uid in feed_uids(chair)
    minutes_rules.return_to_draft(minutes, actor=staff)
    ctx.commit()
    assert uid not in feed_uids(chair)

    # a new round of review on a new version asks everyone again, by the new deadline
    minutes_rules.save_text(minutes, actor=staff, texts={"closing": "16時、閉会した。"})
    new_deadline = tokyo_day_at(9, 17)
    minutes_rules.open_review(minutes, actor=staff, deadline=new_deadline)
    ctx.commit()
    assert events_by_uid(feeds.user_feed(member).body)[uid].decoded("DTSTART") == new_deadline


def test_after_the_april_handover_the_meetings_own_seats_review_its_minutes(ctx, factory, meetings):
    """A meeting of last fiscal year: its seat holders review it (as minutes.reviewer_seat says), not their successors."""
    from datetime import datetime

    from liaison.dates import TOKYO
    from liaison.domain import minutes as minutes_rules

    last_year = current_fiscal_year() - 1
    factory.member("planning", body="さいたま市", role="chair", fiscal_year=last_year, email="old-chair@example.jp")
    former = factory.member("planning", body="川越市", fiscal_year=last_year, email="former@example.jp")
    successor = factory.member("planning", body="川越市", email="successor@example.jp")
    march = datetime(last_year + 1, 3, 10, 14, 0, tzinfo=TOKYO)
    meeting = factory.meeting("planning", status="held", starts_at=march, agenda=1)
    assert meeting.fiscal_year == last_year
    minutes = factory.minutes(meeting, status="in_review")
    uid = f"deadline-minutes-review-{minutes.id}@liaison.test"
    assert minutes_rules.can_review(former, minutes) and not minutes_rules.can_review(successor, minutes)
    assert uid in feed_uids(former) and uid not in feed_uids(successor)


def test_the_feed_cache_keeps_to_its_byte_budget():
    cache = feed_cache._LRU(100, max_bytes=10, weigh=len)
    cache.put("a", b"1234")
    cache.put("b", b"1234")
    assert cache.get("a") == b"1234"  # a is now the most recently used
    cache.put("c", b"1234")  # 12 bytes: the least recently used (b) goes
    assert cache.get("b") is None and cache.get("a") and cache.get("c")
    cache.put("c", b"12")  # replacing an entry counts its new size only
    cache.put("d", b"1234")
    assert cache.get("a") and cache.get("c") and cache.get("d")
    cache.put("huge", b"x" * 50)  # one entry over the budget is still kept, alone
    assert cache.get("huge") and cache.get("a") is None


def test_a_postponed_meeting_says_in_the_feed_from_which_date_it_moved(ctx, meetings):
    """Issue 15: 延期 is said of the old date (「12月11日から延期」), not as a label of the new one."""
    postponed = meetings.make("planning", status=MeetingStatus.POSTPONED, days=30)
    with ctx.no_autoflush:
        meeting = ctx.get(Meeting, postponed.id)
        old = meeting.starts_at - timedelta(days=14)
        meeting.original_starts_at, meeting.postpone_reason = old, "議案の準備のため"
        ctx.commit()
    [event] = parse(ical.meeting_calendar_bytes(meeting, BASE_URL)).walk("VEVENT")
    summary, description = str(event["SUMMARY"]), str(event["DESCRIPTION"])
    assert summary.startswith("【延期】") and f"{format_date(old)}から延期" in summary
    assert f"{format_datetime(old)}から{format_datetime(meeting.starts_at)}に延期されました" in description
    assert "延期の理由: 議案の準備のため" in description
