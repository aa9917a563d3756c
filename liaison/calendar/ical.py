"""iCalendar (RFC 5545) text for meetings and deadlines: pure functions over the models.

An event is described as a list of properties (`meeting_properties`, `deadline_properties`), which
the small writer of `writer.py` writes as bytes; the feeds write the same bytes from templates
(`meeting_event_bytes`, `deadline_event_bytes`, a test checks them byte for byte), with one `Wording`
per build. What the texts say is in `texts.py`, and `reference.py` builds the same with the
`icalendar` library, the tests' reference.

Everything an event says comes from the meeting itself (DTSTAMP and LAST-MODIFIED are the
meeting's `updated_at`), so the bytes stay the same while nothing changes and feeds can be
cached and answered with 304. Feeds carry no METHOD: METHOD:REQUEST belongs to invitations.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from .. import urls
from ..dates import to_tokyo
from ..i18n import pinned_locale
from ..labels import meeting_name
from ..models import Meeting, MeetingFormat, MeetingStatus
from .texts import (
    NO_WRITTEN_VOTES, Wording, WrittenVotes, host_of, meeting_description, meeting_summary, meeting_uid,
    written_day,
)
from .writer import (
    TZID, Raw, Uri, date_text, escape, text_line, tokyo_text, uri_text, utc_text, write_component, written_line,
)


PRODID = "-//彩の国さいたま人づくり広域連合//liaison 会議システム//JA"
# How often subscribed clients should fetch the feed again.
REFRESH_INTERVAL = timedelta(hours=1)
_DAY = timedelta(days=1)

# Enum members as module constants: reading MeetingFormat.WRITTEN goes through the enum's metaclass
# (about 0.4 µs on Python 3.11), and a feed asks it a few times per event (texts.py: ten times).
_WRITTEN, _ONLINE = MeetingFormat.WRITTEN, MeetingFormat.ONLINE


EVENT_STATUS = {
    MeetingStatus.DRAFT: "TENTATIVE",  # only staff ever get a draft (its single .ics)
    MeetingStatus.CONVENED: "CONFIRMED",
    MeetingStatus.POSTPONED: "CONFIRMED",  # 延期: announced again at its new time
    MeetingStatus.IN_SESSION: "CONFIRMED",
    MeetingStatus.HELD: "CONFIRMED",
    MeetingStatus.CANCELLED: "CANCELLED",
}


@dataclass(frozen=True)
class Deadline:
    """A moment something is due from the user (出欠の回答期限, 書面表決の期限, 議事録の確認期限).

    It becomes an event of its own at `due_at`, linked to its meeting; `key` is stable and unique
    per deadline (e.g. "attendance-12"), giving the UID deadline-<key>@<host>.
    """

    key: str
    label: str
    meeting_id: int
    due_at: datetime
    updated_at: datetime
    sequence: int
    note: str = ""
    subject: str = ""  # what is due, when the meeting's name is not enough (e.g. the agenda item voted on)
    path: str = ""  # the page where it is done (e.g. /council/votes/12), when not the meeting's page


def _utc(value: datetime) -> datetime:
    """DTSTAMP, CREATED and LAST-MODIFIED are always in UTC (RFC 5545 3.8.7)."""
    return value if value.tzinfo is timezone.utc else value.astimezone(timezone.utc)


# UTC as tzinfo: psycopg reads timestamptz in a UTC session as timezone.utc or a UTC ZoneInfo (rows.py
# reads the feed's datetimes raw); their fields are UTC already, astimezone from a ZoneInfo costs 0.3 µs.
_UTC_ZONES = frozenset({timezone.utc, ZoneInfo("UTC"), ZoneInfo("Etc/UTC")})


def _utc_text(value: datetime) -> str:
    """utc_text of _utc(value)."""
    return utc_text(value if value.tzinfo in _UTC_ZONES else value.astimezone(timezone.utc))


def _stamp(value: datetime, w: Wording) -> str:
    """_utc_text, once per moment of the build (a deadline's DTSTAMP is mostly its meeting's)."""
    text = w.stamps.get(value)
    if text is None:
        text = w.stamps[value] = _utc_text(value)
    return text


def meeting_properties(meeting: Meeting, base_url: str, votes: WrittenVotes = NO_WRITTEN_VOTES,
                       wording: Wording | None = None) -> list[tuple]:
    """A meeting's VEVENT as (NAME, value, parameters or None); a written session (書面開催) is an
    all-day event on its vote deadline.

    The UID stays the meeting's whatever moves the day; `votes` only matter for a written session.
    The properties come in icalendar's order (SUMMARY, DTSTART, DTEND, DTSTAMP, UID, SEQUENCE, then
    alphabetical), so the bytes are the same as icalendar writes.
    """
    wording = wording or Wording(base_url)
    written = meeting.format is _WRITTEN
    if not written:
        votes = NO_WRITTEN_VOTES
    updated_at = _utc(max(meeting.updated_at, votes.changed_at or meeting.updated_at))
    if written:
        day = written_day(meeting, votes)
        start, end, transp = day, day + timedelta(days=1), "TRANSPARENT"  # nobody has to be anywhere
    else:
        start, end, transp = to_tokyo(meeting.starts_at), to_tokyo(meeting.ends_at), "OPAQUE"
    url = wording.url(meeting)
    properties = [
        ("SUMMARY", meeting_summary(meeting, wording), None),
        ("DTSTART", start, None),
        ("DTEND", end, None),
        ("DTSTAMP", updated_at, None),
        ("UID", meeting_uid(meeting, base_url), None),
        ("SEQUENCE", meeting.sequence, None),
        ("CATEGORIES", (meeting.committee.name,), None),
    ]
    if meeting.online_url:
        conference = {"FEATURE": "VIDEO", "LABEL": wording.conference, "VALUE": "URI"}
        properties.append(("CONFERENCE", Uri(meeting.online_url), conference))
    properties += [
        ("CREATED", _utc(meeting.created_at), None),
        ("DESCRIPTION", meeting_description(meeting, base_url, votes, url, wording), None),
        ("LAST-MODIFIED", updated_at, None),
    ]
    location = meeting.place or (meeting.online_url if meeting.format is _ONLINE else "")
    if location:
        properties.append(("LOCATION", location, None))
    properties += [
        ("STATUS", EVENT_STATUS[meeting.status], None),
        ("TRANSP", transp, None),
        ("URL", Uri(url), None),
    ]
    return properties


def deadline_texts(deadline: Deadline, meeting: Meeting, wording: Wording) -> tuple[str, str, str]:
    """A deadline's title (出欠の回答期限: 令和7年度第2回…), description and URL."""
    name = wording.name(meeting)
    summary = wording.deadline_title % {"label": deadline.label, "name": name}
    if deadline.subject:
        summary = f"{summary} {deadline.subject}"
    lines = [
        wording.deadline_due % {"label": deadline.label, "due": wording.datetime(deadline.due_at)},
        wording.deadline_meeting % {"name": name},
    ]
    if deadline.subject:
        lines.append(deadline.subject)
    if deadline.note:
        lines.append(deadline.note)
    lines.append("")
    page = wording.url(meeting)
    url = page
    if deadline.path:
        url = urls.absolute(deadline.path, wording.base_url)
        lines.append(wording.deadline_details % {"url": url})
    lines.append(wording.page % {"url": page})
    return summary, "\n".join(lines), url


def deadline_properties(deadline: Deadline, meeting: Meeting, base_url: str) -> list[tuple]:
    """A deadline of `meeting` as a moment (DTSTART, no DTEND) in free time."""
    wording = Wording(base_url)
    updated_at = _utc(deadline.updated_at)
    summary, description, url = deadline_texts(deadline, meeting, wording)
    return [
        ("SUMMARY", summary, None),
        ("DTSTART", to_tokyo(deadline.due_at), None),
        ("DTSTAMP", updated_at, None),
        ("UID", f"deadline-{deadline.key}@{host_of(base_url)}", None),
        ("SEQUENCE", deadline.sequence, None),
        ("CATEGORIES", (meeting.committee.name, wording.deadline_category), None),
        ("DESCRIPTION", description, None),
        ("LAST-MODIFIED", updated_at, None),
        ("STATUS", "CONFIRMED", None),
        ("TRANSP", "TRANSPARENT", None),
        ("URL", Uri(url), None),
    ]


# ------------------------------------------------------------------------------------------ events

# The events as bytes, from templates of the properties above: the same bytes as write_component of
# meeting_properties and deadline_properties (tests/domain/test_ical_writer.py checks it), without building
# the property lists and dispatching on each value's type (a five-year feed writes 1,000 events).

@lru_cache(maxsize=16)
def _conference_prefix(label: str) -> str:
    return write_component("X", [("CONFERENCE", Uri("x"), {"FEATURE": "VIDEO", "LABEL": label, "VALUE": "URI"})]).decode()[
        len("BEGIN:X\r\n"):].partition(":x\r\n")[0] + ":"


def meeting_event_bytes(meeting: Meeting, base_url: str, votes: WrittenVotes = NO_WRITTEN_VOTES,
                        wording: Wording | None = None) -> bytes:
    """meeting_properties written; `wording`: the build's (one is made when not given)."""
    w = wording or Wording(base_url)
    written = meeting.format is _WRITTEN
    if not written:
        votes = NO_WRITTEN_VOTES
    stamp = _stamp(max(meeting.updated_at, votes.changed_at or meeting.updated_at), w)
    if written:
        day = written_day(meeting, votes)
        times = f"DTSTART;VALUE=DATE:{date_text(day)}\r\nDTEND;VALUE=DATE:{date_text(day + _DAY)}\r\nDTSTAMP:{stamp}"
        transp = "TRANSPARENT"
    else:
        times = (f"DTSTART;TZID={TZID}:{tokyo_text(w.tokyo(meeting.starts_at))}\r\n"
                 f"DTEND;TZID={TZID}:{tokyo_text(w.tokyo(meeting.ends_at))}\r\nDTSTAMP:{stamp}")
        transp = "OPAQUE"
    url = w.url(meeting)
    made = w.lines  # the lines that are the same in many events, written once per build
    categories = made.get(("CATEGORIES", meeting.committee.name))
    if categories is None:
        categories = made["CATEGORIES", meeting.committee.name] = text_line("CATEGORIES:", meeting.committee.name)
    uid_host = made.get("UID")  # the host as TEXT: an id's digits need no escaping
    if uid_host is None:
        uid_host = made["UID"] = escape(w.host)
    lines = [
        b"BEGIN:VEVENT",
        text_line("SUMMARY:", meeting_summary(meeting, w)),
        times.encode(),
        written_line(f"UID:meeting-{meeting.id}@{uid_host}"),
        f"SEQUENCE:{meeting.sequence:d}".encode(),
        categories,
    ]
    online_url = meeting.online_url
    if online_url:
        conference = made.get(("CONFERENCE", online_url))
        if conference is None:
            conference = made["CONFERENCE", online_url] = written_line(_conference_prefix(w.conference) + uri_text(online_url))
        lines.append(conference)
    lines += [
        f"CREATED:{_utc_text(meeting.created_at)}".encode(),
        text_line("DESCRIPTION:", meeting_description(meeting, base_url, votes, url, w)),
        f"LAST-MODIFIED:{stamp}".encode(),
    ]
    location = meeting.place or (meeting.online_url if meeting.format is _ONLINE else "")
    if location:  # a committee meets in the same few places
        line = made.get(("LOCATION", location))
        if line is None:
            line = made["LOCATION", location] = text_line("LOCATION:", location)
        lines.append(line)
    lines += [f"STATUS:{EVENT_STATUS[meeting.status]}\r\nTRANSP:{transp}".encode(), written_line("URL:" + uri_text(url)),
              b"END:VEVENT\r\n"]
    return b"\r\n".join(lines)


def deadline_event_bytes(deadline: Deadline, meeting: Meeting, base_url: str, wording: Wording | None = None) -> bytes:
    """deadline_properties written; `wording`: the build's (one is made when not given)."""
    w = wording or Wording(base_url)
    stamp = _stamp(deadline.updated_at, w)
    summary, description, url = deadline_texts(deadline, meeting, w)
    categories = w.lines.get(("DEADLINE", meeting.committee.name))
    if categories is None:
        categories = w.lines["DEADLINE", meeting.committee.name] = written_line(
            f"CATEGORIES:{escape(meeting.committee.name)},{escape(w.deadline_category)}")
    return b"\r\n".join((
        b"BEGIN:VEVENT",
        text_line("SUMMARY:", summary),
        f"DTSTART;TZID={TZID}:{tokyo_text(w.tokyo(deadline.due_at))}\r\nDTSTAMP:{stamp}".encode(),
        text_line("UID:", f"deadline-{deadline.key}@{w.host}"),
        f"SEQUENCE:{deadline.sequence:d}".encode(),
        categories,
        text_line("DESCRIPTION:", description),
        f"LAST-MODIFIED:{stamp}\r\nSTATUS:CONFIRMED\r\nTRANSP:TRANSPARENT".encode(),
        written_line("URL:" + uri_text(url)),
        b"END:VEVENT\r\n",
    ))


# ------------------------------------------------------------------------------------------ calendars

# Asia/Tokyo has been +09:00 without daylight saving since 1951: one STANDARD block. The same as
# icalendar's Timezone.from_tzid(TZID) from 1970 writes without its COMMENT (a test checks it).
TOKYO_VTIMEZONE = (
    b"BEGIN:VTIMEZONE\r\nTZID:Asia/Tokyo\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZNAME:JST\r\n"
    b"TZOFFSETFROM:+0900\r\nTZOFFSETTO:+0900\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
)
CALENDAR_END = b"END:VCALENDAR\r\n"


def tokyo_timezone_bytes() -> bytes:
    """VTIMEZONE for Asia/Tokyo."""
    return TOKYO_VTIMEZONE


def calendar_properties(name: str) -> list[tuple]:
    """The VCALENDAR headers subscribed clients read (in icalendar's order)."""
    return [
        ("VERSION", "2.0", None),
        ("PRODID", PRODID, None),
        ("CALSCALE", "GREGORIAN", None),
        ("X-WR-CALNAME", Raw(name), None),
        # RFC 7986 wants VALUE=DURATION on REFRESH-INTERVAL; X-PUBLISHED-TTL is the older clients' name.
        ("REFRESH-INTERVAL", REFRESH_INTERVAL, {"VALUE": "DURATION"}),
        ("X-PUBLISHED-TTL", REFRESH_INTERVAL, None),
        ("X-WR-TIMEZONE", TZID, None),
    ]


@lru_cache(maxsize=256)
def _calendar_head(name: str) -> bytes:
    return write_component("VCALENDAR", calendar_properties(name)).removesuffix(CALENDAR_END) + TOKYO_VTIMEZONE


def calendar_bytes(name: str, event_chunks) -> bytes:
    """A VCALENDAR named `name` with the Tokyo VTIMEZONE and already serialised VEVENTs inside.

    Equal to serialising build_calendar with icalendar (a test checks it), but lets feeds reuse the
    bytes of events that have not changed.
    """
    return b"".join((_calendar_head(name), *event_chunks, CALENDAR_END))


def meeting_calendar_bytes(meeting: Meeting, base_url: str, votes: WrittenVotes = NO_WRITTEN_VOTES) -> bytes:
    """A single meeting's .ics (the meeting page's download and the mails' attachment)."""
    with pinned_locale():
        return calendar_bytes(meeting_name(meeting), [meeting_event_bytes(meeting, base_url, votes)])
