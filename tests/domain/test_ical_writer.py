"""The small iCalendar writer of liaison.calendar.ical against icalendar, the reference.

What the writer writes must parse with icalendar to the same components as icalendar's own
serialisation of the same properties, for tricky text too (Japanese, commas, semicolons,
backslashes, line breaks, lines far longer than 75 octets); lines are folded at 75 octets,
never inside a UTF-8 character.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Timezone
from sqlalchemy import select

from liaison.calendar import deadlines as deadline_providers
from liaison.calendar import feeds, ical, scopes, writer
from liaison.calendar import reference as icalendar_reference
from liaison.calendar import rows as feed_rows
from liaison.dates import TOKYO
from liaison.models import AgendaItem, AgendaKind, Body, MeetingFormat, MeetingStatus

from ..calendar_helpers import MeetingBuilder, reset_calendar_state, tokyo_day_at

BASE_URL = "http://liaison.test"
LONG_JAPANESE = "人づくり広域連合における職員研修の在り方と市町村職員の能力開発に関する検討について(第二次報告)"
TRICKY = [
    "研修計画, 予算; 日程\\案",
    "改行\nあり\r\n二行目\rCRだけ",
    "x" * 73 + "\\," + "日本語" * 30,
    "カンマ,セミコロン;コロン: \"引用\" ^キャレット ’",
    LONG_JAPANESE * 3,
    "a" * 72 + "日本" + "b" * 71 + "𠮷野家🍣" * 10,  # 3- and 4-octet characters across the folds
    "b" * 73 + "\\n は改行ではなく文字" + "c" * 70 + ";",
]
# icalendar's writer turns a literal backslash-N into a line break: compared with the original text only.
BACKSLASH_N = "C:\\Nagoya\\new"


@pytest.fixture()
def meetings(app):
    reset_calendar_state(app)
    return MeetingBuilder(app)


def reparsed(body: bytes) -> bytes:
    """icalendar's reading of a calendar, written again by icalendar: equal when the components are."""
    return Calendar.from_ical(body).to_ical()


def lf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def physical_lines(body: bytes) -> list[bytes]:
    assert body.endswith(b"\r\n")
    return body[:-2].split(b"\r\n")


def assert_well_folded(body: bytes) -> None:
    for line in physical_lines(body):
        assert len(line) <= 75, line
        line.decode("utf-8")  # a fold never splits a character


def tricky_meetings(meetings, ctx) -> list:
    body = ctx.scalar(select(Body).where(Body.name == "川越市"))
    made = []
    for n, text in enumerate(TRICKY):
        meeting = meetings.make(
            "planning", days=3 + n, title=text, place=text if n % 2 else "", cancel_reason=text,
            online_url="https://meet.example.jp/j/1,2;3" if n % 3 else "",
            format=[MeetingFormat.HYBRID, MeetingFormat.ONLINE, MeetingFormat.WRITTEN, MeetingFormat.IN_PERSON][n % 4],
            status=[MeetingStatus.CONVENED, MeetingStatus.CANCELLED, MeetingStatus.POSTPONED, MeetingStatus.HELD][n % 4],
            answer_deadline=tokyo_day_at(1 + n, 17), agenda=[text, TRICKY[(n + 1) % len(TRICKY)]],
        )
        meeting.agenda_items[0].presenter_body = body
        made.append(meeting)
    ctx.commit()
    return made


def deadlines_of(meetings_list) -> list[ical.Deadline]:
    return [
        ical.Deadline(
            key=f"attendance-{m.id}", label="出欠の回答期限", meeting_id=m.id, due_at=m.answer_deadline,
            updated_at=m.updated_at, sequence=m.sequence, note=TRICKY[m.id % len(TRICKY)],
            subject=TRICKY[(m.id + 3) % len(TRICKY)] if m.id % 2 else "", path=f"/planning/votes/{m.id}" if m.id % 3 else "",
        )
        for m in meetings_list
    ]


# ------------------------------------------------------------------------------------------ whole calendars

@pytest.mark.parametrize("locale", ["ja", "en"])
def test_writer_parses_to_the_same_components_as_icalendar(app, ctx, meetings, locale):
    from flask_babel import force_locale

    made = tricky_meetings(meetings, ctx)
    deadlines = deadlines_of(made)
    with app.test_request_context(), force_locale(locale):
        reference = icalendar_reference.build_calendar("会議予定, 企画; 運営\\部会", made, BASE_URL, deadlines).to_ical()
        chunks = [ical.meeting_event_bytes(m, BASE_URL) for m in made]
        chunks += [ical.deadline_event_bytes(d, next(m for m in made if m.id == d.meeting_id), BASE_URL) for d in deadlines]
        written = ical.calendar_bytes("会議予定, 企画; 運営\\部会", chunks)
    assert reparsed(written) == reparsed(reference)
    assert_well_folded(written)
    events = Calendar.from_ical(written).walk("VEVENT")
    assert len(events) == 2 * len(made)
    with app.test_request_context(), force_locale(locale):
        for meeting, event in zip(made, events):  # line breaks come back as \n
            assert str(event["SUMMARY"]) == lf(ical.meeting_summary(meeting))
            assert str(event["DESCRIPTION"]) == lf(ical.meeting_description(meeting, BASE_URL))
            if meeting.place:
                assert str(event["LOCATION"]) == lf(meeting.place)


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_event_templates_write_the_bytes_of_the_properties(app, ctx, meetings, locale):
    """meeting_event_bytes and deadline_event_bytes write from templates, with one Wording per build: byte for
    byte what the writer makes of meeting_properties and deadline_properties (the reference's properties)."""
    from flask_babel import force_locale

    from liaison.calendar.texts import WrittenVotes

    made = tricky_meetings(meetings, ctx)
    with app.test_request_context(), force_locale(locale):
        wording = ical.Wording(BASE_URL)
        for meeting in made:
            votes = WrittenVotes(deadline=meeting.ends_at + timedelta(days=2), changed_at=meeting.updated_at + timedelta(hours=1))
            for given in (ical.NO_WRITTEN_VOTES, votes):
                expected = writer.write_component("VEVENT", ical.meeting_properties(meeting, BASE_URL, given))
                assert ical.meeting_event_bytes(meeting, BASE_URL, given, wording) == expected
                assert ical.meeting_event_bytes(meeting, BASE_URL, given) == expected
        for deadline in deadlines_of(made):
            meeting = next(m for m in made if m.id == deadline.meeting_id)
            expected = writer.write_component("VEVENT", ical.deadline_properties(deadline, meeting, BASE_URL))
            assert ical.deadline_event_bytes(deadline, meeting, BASE_URL, wording) == expected
            assert ical.deadline_event_bytes(deadline, meeting, BASE_URL) == expected
    assert {m.format for m in made} >= {MeetingFormat.WRITTEN, MeetingFormat.ONLINE} and any(m.online_url for m in made)


def test_one_wording_for_meetings_that_share_places_formats_and_moments(app, ctx, meetings):
    """What one build's Wording keeps (lines by place and format, Tokyo times and UTC stamps by moment, a
    deadline's DTSTAMP from its meeting's) writes the same bytes as a Wording per event, in any order."""
    made = tricky_meetings(meetings, ctx)
    for meeting in made:  # in memory only: the same place, moments and stamp in every meeting
        meeting.place, meeting.format = "同じ会場, 2階;", MeetingFormat.HYBRID
        meeting.starts_at, meeting.ends_at = made[0].starts_at, made[0].ends_at
        meeting.updated_at, meeting.answer_deadline = made[0].updated_at, made[0].answer_deadline
    deadlines = deadlines_of(made)
    with app.test_request_context():
        alone = [ical.meeting_event_bytes(m, BASE_URL) for m in made]
        alone_deadlines = [ical.deadline_event_bytes(d, made[n], BASE_URL) for n, d in enumerate(deadlines)]
        for order in (1, -1):
            wording = ical.Wording(BASE_URL)
            assert [ical.meeting_event_bytes(m, BASE_URL, wording=wording) for m in made[::order]] == alone[::order]
            assert [ical.deadline_event_bytes(d, m, BASE_URL, wording)
                    for d, m in list(zip(deadlines, made))[::order]] == alone_deadlines[::order]
    assert all("LOCATION:同じ会場\\, 2階\\;\r\n".encode() in event for event in alone)
    ctx.rollback()


def test_stamps_are_the_six_zero_padded_fields():
    """utc_text, tokyo_text and date_text write two zero-padded numbers: the digits of six %02d fields."""
    for value in (datetime(1, 1, 1), datetime(9, 9, 9, 9, 9, 9), datetime(999, 12, 31, 23, 59, 59),
                  datetime(2026, 4, 1, 0, 0, 0), datetime(2026, 10, 10, 10, 10, 10), datetime(9999, 12, 31, 23, 59, 59)):
        fields = (value.year, value.month, value.day, value.hour, value.minute, value.second)
        assert writer.utc_text(value) == "%04d%02d%02dT%02d%02d%02dZ" % fields
        assert writer.tokyo_text(value) == "%04d%02d%02dT%02d%02d%02d" % fields
        assert writer.date_text(value.date()) == "%04d%02d%02d" % fields[:3]


def test_writer_writes_what_icalendar_writes_for_single_meetings(ctx, meetings):
    """The single meeting's .ics (page and mails): the same components as icalendar's whole calendar."""
    for meeting in tricky_meetings(meetings, ctx):
        written = ical.meeting_calendar_bytes(meeting, BASE_URL)
        reference = icalendar_reference.build_calendar(ical.meeting_name(meeting), [meeting], BASE_URL).to_ical()
        assert reparsed(written) == reparsed(reference)
        assert_well_folded(written)


def test_feed_from_rows_equals_the_reference_from_orm_objects(ctx, factory, meetings):
    """build_feed reads meetings as plain rows (MeetingView): the same events as from the ORM objects."""
    user = factory.member("planning", email="rows@example.jp")
    made = tricky_meetings(meetings, ctx)
    scope = scopes.user_scope(user)
    body = feeds.build_feed(scope, BASE_URL)
    rows = feed_rows.feed_rows(scope)
    deadlines = sorted(deadline_providers.AttendanceDeadlines().deadlines(user, rows), key=lambda d: (d.due_at, d.key))
    assert deadlines, "the member has deadlines"
    ordered = sorted(made, key=lambda m: (m.starts_at, m.id))
    assert [row.id for row in rows] == [m.id for m in ordered]
    reference = icalendar_reference.build_calendar(scope.name, ordered, BASE_URL, deadlines).to_ical()
    assert reparsed(body) == reparsed(reference)
    assert_well_folded(body)


def test_tokyo_vtimezone_is_icalendars(ctx):
    generated = Timezone.from_tzid(ical.TZID, first_date=date(1970, 1, 1), last_date=date(2100, 1, 1))
    generated.pop("COMMENT", None)
    assert Timezone.from_ical(ical.TOKYO_VTIMEZONE).to_ical() == generated.to_ical()


# ------------------------------------------------------------------------------------------ values

def parse_property(line: bytes, name: str):
    [event] = Calendar.from_ical(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n" + line + b"\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").walk("VEVENT")
    return event[name]


@pytest.mark.parametrize("text", TRICKY + [BACKSLASH_N, "", "only ascii", "末尾に改行\n", "\\\\;;,,\n\n"])
def test_text_values_round_trip(text):
    line = writer.content_line("SUMMARY", text)
    assert_well_folded(line + b"\r\n")
    assert str(parse_property(line, "SUMMARY")) == lf(text)


def test_escapes_and_folds():
    assert writer.content_line("SUMMARY", "a,b;c\\d\ne") == b"SUMMARY:a\\,b\\;c\\\\d\\ne"
    assert writer.content_line("URL", ical.Uri("https://x.jp/a,b;c")) == b"URL:https://x.jp/a,b;c"  # a URI is not TEXT
    assert writer.content_line("CATEGORIES", ("企画,運営", "期限")) == "CATEGORIES:企画\\,運営,期限".encode()
    folded = writer.content_line("DESCRIPTION", "あ" * 40)  # 12 + 120 octets: 12 + 20 characters, then 20
    first, second = folded.split(b"\r\n")
    assert len(first) == 72 and second == b" " + "あ".encode() * 20
    assert len(writer.content_line("SUMMARY", "x" * 66)) == 74  # 74 octets fit, 75 are folded
    assert writer.content_line("SUMMARY", "x" * 67).split(b"\r\n") == [b"SUMMARY:" + b"x" * 66, b" x"]
    # a backslash never ends a line before the character it escapes (as icalendar folds)
    escaped = writer.content_line("SUMMARY", "x" * 65 + ",")
    assert escaped.split(b"\r\n") == [b"SUMMARY:" + b"x" * 65, b" \\,"]


def test_parameters_are_escaped_and_quoted():
    line = writer.content_line("CONFERENCE", ical.Uri("https://meet.example.jp/j/1"),
                             {"VALUE": "URI", "LABEL": 'オンライン: "参加" ^ ,;', "FEATURE": "VIDEO"})
    assert line.startswith(b"CONFERENCE;FEATURE=VIDEO;LABEL=\"")
    conference = parse_property(line, "CONFERENCE")
    assert conference.params["LABEL"] == 'オンライン: "参加" ^ ,;'
    assert str(conference) == "https://meet.example.jp/j/1"


def test_times_dates_numbers_and_durations():
    utc = datetime(2026, 4, 1, 5, 6, 7, 890, tzinfo=timezone.utc)
    assert writer.content_line("DTSTAMP", utc) == b"DTSTAMP:20260401T050607Z"
    assert writer.content_line("DTSTART", utc.astimezone(TOKYO)) == b"DTSTART;TZID=Asia/Tokyo:20260401T140607"
    assert writer.content_line("DTSTART", date(2026, 4, 1)) == b"DTSTART;VALUE=DATE:20260401"
    assert writer.content_line("SEQUENCE", 12) == b"SEQUENCE:12"
    assert writer.content_line("X-PUBLISHED-TTL", timedelta(hours=1)) == b"X-PUBLISHED-TTL:PT1H"
    assert writer.content_line("X-TTL", timedelta(days=2, minutes=30)) == b"X-TTL:P2DT30M"
    for name, value, expected in [
        ("DTSTAMP", utc, utc.replace(microsecond=0)),
        ("DTSTART", utc.astimezone(TOKYO), utc.replace(microsecond=0)),
        ("DTSTART", date(2026, 4, 1), date(2026, 4, 1)),
    ]:
        assert parse_property(writer.content_line(name, value), name).dt == expected
    with pytest.raises(ValueError):  # no VTIMEZONE for it in the feed
        writer.content_line("DTSTART", utc.astimezone(ZoneInfo("America/New_York")))
    with pytest.raises(ValueError):  # floating times are not written
        writer.content_line("DTSTART", datetime(2026, 4, 1, 14, 0))


def test_stamps_are_written_in_utc(ctx, meetings):
    meeting = meetings.make("planning")
    meeting.updated_at = meeting.updated_at.astimezone(TOKYO)  # as a model may hold it before a flush
    properties = dict((name, value) for name, value, _parameters in ical.meeting_properties(meeting, BASE_URL))
    assert properties["DTSTAMP"].tzinfo is timezone.utc and properties["LAST-MODIFIED"].tzinfo is timezone.utc


def test_agenda_item_views_read_like_the_models():
    """ical reads an agenda item's kind, title and presenter's name, from the models or from the feed's rows."""
    view = feed_rows.AgendaItemView(AgendaKind.REPORT, "報告", feed_rows.Named("川越市"))
    item = AgendaItem(kind=AgendaKind.REPORT, title="報告", presenter_body=Body(name="川越市"))
    assert (view.kind, view.title, view.presenter_body.name) == (item.kind, item.title, item.presenter_body.name)
