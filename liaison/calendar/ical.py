"""iCalendar (RFC 5545) text for meetings and deadlines: pure functions over the models.

An event is first described as a list of properties (`meeting_properties`, `deadline_properties`),
then written as bytes by the small writer below (`write_component`), which knows exactly the value
types this module emits (TEXT, URI, DATE-TIME in UTC or Asia/Tokyo, DATE, INTEGER, DURATION): a
feed of 500+ meetings is written in milliseconds, where the `icalendar` library takes about a
millisecond per event. `icalendar` stays the reference: `meeting_event`, `deadline_event` and
`build_calendar` put the same properties in its objects, and the tests check that what the writer
writes parses with it to the same components. (The bytes are those icalendar 7 writes, but for a
literal backslash-N in a text, which icalendar turns into a line break and the writer keeps.)

Everything an event says comes from the meeting itself (DTSTAMP and LAST-MODIFIED are the
meeting's `updated_at`), so the bytes stay the same while nothing changes and feeds can be
cached and answered with 304. Feeds carry no METHOD: METHOD:REQUEST belongs to invitations.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from urllib.parse import urlsplit

from icalendar import Calendar, Component, Event, Timezone, vDuration, vUri

from .. import urls
from ..dates import format_date, format_datetime, to_tokyo
from ..i18n import gettext as _
from ..i18n import locale as _locale
from ..i18n import pinned_locale
from ..labels import label, meeting_name
from ..models import Meeting, MeetingFormat, MeetingStatus

PRODID = "-//彩の国さいたま人づくり広域連合//liaison 会議システム//JA"
TZID = "Asia/Tokyo"
# How often subscribed clients should fetch the feed again.
REFRESH_INTERVAL = timedelta(hours=1)

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


@dataclass(frozen=True)
class WrittenVotes:
    """What a written session's (書面開催) event takes from its written votes (書面表決).

    `deadline`: the latest deadline of its open or closed written votes (None when it has none: the
    meeting's end stands in). `changed_at`: when those votes last changed (opened, closed, cancelled),
    so LAST-MODIFIED rises when the event's day moves although the meeting row did not change.
    """

    deadline: datetime | None = None
    changed_at: datetime | None = None


NO_WRITTEN_VOTES = WrittenVotes()


# ------------------------------------------------------------------------------------------ texts
# Messages go through liaison.i18n's one memo (a feed asks the same few dozen for every event).


@lru_cache(maxsize=16)
def host_of(base_url: str) -> str:
    return urlsplit(base_url).hostname or "localhost"


def meeting_uid(meeting: Meeting, base_url: str) -> str:
    """Never changes for a meeting, whatever happens to it."""
    return f"meeting-{meeting.id}@{host_of(base_url)}"


def meeting_url(meeting: Meeting, base_url: str) -> str:
    return urls.meeting_url(meeting, base_url)


def meeting_summary(meeting: Meeting) -> str:
    """The event title: 令和7年度第2回企画運営部会 and the meeting's own title, marked when cancelled or moved."""
    summary = meeting_name(meeting)
    if meeting.title:
        summary = f"{summary} {meeting.title}"
    if meeting.format is MeetingFormat.WRITTEN:
        summary = _("%(name)s(書面開催)", name=summary)
    # Some clients (Google) show a cancelled event without striking it: say it in the title too.
    if meeting.status is MeetingStatus.CANCELLED:
        summary = _("【中止】%(name)s", name=summary)
    elif meeting.status is MeetingStatus.POSTPONED and meeting.original_starts_at is not None:
        # 延期 is said of the old date (「12月11日から延期」), never as if it were a label of the new one
        summary = _("【延期】%(name)s(%(old)sから延期)", name=summary,
                    old=format_date(meeting.original_starts_at, locale=_locale()))
    elif meeting.status is MeetingStatus.POSTPONED:
        summary = _("【延期】%(name)s", name=summary)
    return summary


def written_deadline(meeting: Meeting, votes: WrittenVotes = NO_WRITTEN_VOTES) -> datetime:
    """When a written session's votes are due: its written votes' deadline, else the end of its period."""
    return votes.deadline or meeting.ends_at


def _written_day(meeting: Meeting, votes: WrittenVotes = NO_WRITTEN_VOTES) -> date:
    """The Tokyo day a written session's votes are due (a deadline at 00:00 belongs to the day before)."""
    return to_tokyo(written_deadline(meeting, votes) - timedelta(microseconds=1)).date()


def _when(meeting: Meeting) -> str:
    locale = _locale()
    start, end = to_tokyo(meeting.starts_at), to_tokyo(meeting.ends_at)
    if start.date() == end.date():
        return f"{format_datetime(start, locale=locale)}〜{end.hour:02d}:{end.minute:02d}"
    return f"{format_datetime(start, locale=locale)}〜{format_datetime(end, locale=locale)}"


def meeting_description(meeting: Meeting, base_url: str, votes: WrittenVotes = NO_WRITTEN_VOTES,
                        url: str | None = None) -> str:
    """What, when, where, the agenda (議事) and the link to the meeting's page (`url`, when already built)."""
    lines = [meeting_name(meeting)]
    if meeting.title:
        lines.append(meeting.title)
    lines.append("")
    if meeting.status is MeetingStatus.CANCELLED:
        lines.append(_("この会議は中止になりました。"))
        if meeting.cancel_reason:
            lines.append(_("中止の理由: %(reason)s", reason=meeting.cancel_reason))
        lines.append("")
    elif meeting.status is MeetingStatus.POSTPONED and meeting.original_starts_at is not None:
        lines.append(_("この会議は%(old)sから%(new)sに延期されました。",
                       old=format_datetime(meeting.original_starts_at, locale=_locale()),
                       new=format_datetime(meeting.starts_at, locale=_locale())))
        if meeting.postpone_reason:
            lines.append(_("延期の理由: %(reason)s", reason=meeting.postpone_reason))
        lines.append("")
    elif meeting.status is MeetingStatus.POSTPONED:
        lines += [_("この会議は延期され、日時が変更されました。"), ""]
    if meeting.format is MeetingFormat.WRITTEN:
        lines.append(_("開催方法: %(format)s", format=label(meeting.format)))
        deadline = written_deadline(meeting, votes)
        lines.append(_("書面表決の期限: %(deadline)s", deadline=format_datetime(deadline, locale=_locale())))
    else:
        lines.append(_("日時: %(when)s", when=_when(meeting)))
        lines.append(_("開催方法: %(format)s", format=label(meeting.format)))
        if meeting.place:
            lines.append(_("会場: %(place)s", place=meeting.place))
        if meeting.online_url:
            lines.append(_("オンライン参加: %(url)s", url=meeting.online_url))
    if meeting.answer_deadline and meeting.status is not MeetingStatus.CANCELLED:
        lines.append(_("出欠の回答期限: %(deadline)s", deadline=format_datetime(meeting.answer_deadline, locale=_locale())))
    lines += ["", _("議事")]
    if meeting.agenda_items:
        for number, item in enumerate(meeting.agenda_items, start=1):
            line = f"{number}. [{label(item.kind)}] {item.title}"
            if item.presenter_body is not None:
                line += _("(%(presenter)s)", presenter=item.presenter_body.name)
            lines.append(line)
    else:
        lines.append(_("(未定)"))
    lines += ["", _("会議のページ: %(url)s", url=url or meeting_url(meeting, base_url))]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------ events

class Raw(str):
    """A value written as it is, not escaped like TEXT (line breaks become spaces): what clients read
    unescaped, like X-WR-CALNAME (icalendar writes and reads it so, and so does ical.js)."""


class Uri(Raw):
    """A URI value."""


def _utc(value: datetime) -> datetime:
    """DTSTAMP, CREATED and LAST-MODIFIED are always in UTC (RFC 5545 3.8.7)."""
    return value if value.tzinfo is timezone.utc else value.astimezone(timezone.utc)


def meeting_properties(meeting: Meeting, base_url: str, votes: WrittenVotes = NO_WRITTEN_VOTES) -> list[tuple]:
    """A meeting's VEVENT as (NAME, value, parameters or None); a written session (書面開催) is an
    all-day event on its vote deadline.

    The UID stays the meeting's whatever moves the day; `votes` only matter for a written session.
    The properties come in icalendar's order (SUMMARY, DTSTART, DTEND, DTSTAMP, UID, SEQUENCE, then
    alphabetical), so the bytes are the same as icalendar writes.
    """
    written = meeting.format is MeetingFormat.WRITTEN
    if not written:
        votes = NO_WRITTEN_VOTES
    updated_at = _utc(max(meeting.updated_at, votes.changed_at or meeting.updated_at))
    if written:
        day = _written_day(meeting, votes)
        start, end, transp = day, day + timedelta(days=1), "TRANSPARENT"  # nobody has to be anywhere
    else:
        start, end, transp = to_tokyo(meeting.starts_at), to_tokyo(meeting.ends_at), "OPAQUE"
    url = meeting_url(meeting, base_url)
    properties = [
        ("SUMMARY", meeting_summary(meeting), None),
        ("DTSTART", start, None),
        ("DTEND", end, None),
        ("DTSTAMP", updated_at, None),
        ("UID", meeting_uid(meeting, base_url), None),
        ("SEQUENCE", meeting.sequence, None),
        ("CATEGORIES", (meeting.committee.name,), None),
    ]
    if meeting.online_url:
        conference = {"FEATURE": "VIDEO", "LABEL": _("オンライン参加"), "VALUE": "URI"}
        properties.append(("CONFERENCE", Uri(meeting.online_url), conference))
    properties += [
        ("CREATED", _utc(meeting.created_at), None),
        ("DESCRIPTION", meeting_description(meeting, base_url, votes, url), None),
        ("LAST-MODIFIED", updated_at, None),
    ]
    location = meeting.place or (meeting.online_url if meeting.format is MeetingFormat.ONLINE else "")
    if location:
        properties.append(("LOCATION", location, None))
    properties += [
        ("STATUS", EVENT_STATUS[meeting.status], None),
        ("TRANSP", transp, None),
        ("URL", Uri(url), None),
    ]
    return properties


def deadline_properties(deadline: Deadline, meeting: Meeting, base_url: str) -> list[tuple]:
    """A deadline of `meeting` as a moment (DTSTART, no DTEND) in free time, titled 出欠の回答期限: 令和7年度第2回…."""
    updated_at = _utc(deadline.updated_at)
    name = meeting_name(meeting)
    summary = _("%(label)s: %(name)s", label=deadline.label, name=name)
    if deadline.subject:
        summary = f"{summary} {deadline.subject}"
    lines = [
        _("%(label)s: %(due)s", label=deadline.label, due=format_datetime(deadline.due_at, locale=_locale())),
        _("会議: %(name)s", name=name),
    ]
    if deadline.subject:
        lines.append(deadline.subject)
    if deadline.note:
        lines.append(deadline.note)
    lines.append("")
    page = meeting_url(meeting, base_url)
    url = page
    if deadline.path:
        url = urls.absolute(deadline.path, base_url)
        lines.append(_("詳細: %(url)s", url=url))
    lines.append(_("会議のページ: %(url)s", url=page))
    return [
        ("SUMMARY", summary, None),
        ("DTSTART", to_tokyo(deadline.due_at), None),
        ("DTSTAMP", updated_at, None),
        ("UID", f"deadline-{deadline.key}@{host_of(base_url)}", None),
        ("SEQUENCE", deadline.sequence, None),
        ("CATEGORIES", (meeting.committee.name, _("期限")), None),
        ("DESCRIPTION", "\n".join(lines), None),
        ("LAST-MODIFIED", updated_at, None),
        ("STATUS", "CONFIRMED", None),
        ("TRANSP", "TRANSPARENT", None),
        ("URL", Uri(url), None),
    ]


def meeting_event_bytes(meeting: Meeting, base_url: str, votes: WrittenVotes = NO_WRITTEN_VOTES) -> bytes:
    return write_component("VEVENT", meeting_properties(meeting, base_url, votes))


def deadline_event_bytes(deadline: Deadline, meeting: Meeting, base_url: str) -> bytes:
    return write_component("VEVENT", deadline_properties(deadline, meeting, base_url))


# ------------------------------------------------------------------------------------------ the writer

FOLD_OCTETS = 74  # octets of content per line; a continuation line adds its leading space (RFC 5545 3.1: at most 75)


def _text(value: str) -> str:
    """A TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma and line breaks escaped."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\n", "\\n")


def _parameter(value: str) -> str:
    """A parameter value: RFC 6868 escapes (^, line breaks, double quotes), quoted when it holds , ; or :."""
    value = value.replace("^", "^^").replace("\r\n", "^n").replace("\n", "^n").replace("\r", "^n").replace('"', "^'")
    if any(character in value for character in ",;:’"):  # noqa: RUF001 (icalendar quotes ’ too)
        return f'"{value}"'
    return value


def _duration(value: timedelta) -> str:
    if value <= timedelta(0):
        raise ValueError("only positive durations are written")
    minutes, seconds = divmod(value.seconds, 60)
    hours, minutes = divmod(minutes, 60)
    text = f"P{value.days}D" if value.days else "P"
    if hours or minutes or seconds:
        text += "T" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "") + (f"{seconds}S" if seconds else "")
    return text


def _datetime(value: datetime) -> tuple[str, str]:
    zone = value.tzinfo
    if zone is timezone.utc or getattr(zone, "key", None) in ("UTC", "Etc/UTC"):
        return "", "%04d%02d%02dT%02d%02d%02dZ" % (value.year, value.month, value.day, value.hour, value.minute, value.second)
    if getattr(zone, "key", None) == TZID:
        return _TZID, "%04d%02d%02dT%02d%02d%02d" % (value.year, value.month, value.day, value.hour, value.minute, value.second)
    raise ValueError(f"a feed's times are in UTC or {TZID} (its one VTIMEZONE), not {zone!r}")


_TZID = f";TZID={TZID}"


def _value(value) -> tuple[str, str]:
    """(implicit parameters, the value as text) by the value's type."""
    kind = type(value)
    if kind is str:
        return "", _text(value)
    if kind is Uri or kind is Raw:
        text = str.__str__(value)
        return "", text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ") if "\n" in text or "\r" in text else text
    if kind is datetime:
        return _datetime(value)
    if kind is date:
        return ";VALUE=DATE", "%04d%02d%02d" % (value.year, value.month, value.day)
    if kind is int:
        return "", str(value)
    if kind is tuple or kind is list:
        return "", ",".join(_text(item) for item in value)
    if kind is timedelta:
        return "", _duration(value)
    raise TypeError(f"no iCalendar type for {value!r}")


def _fold(line: bytes) -> bytes:
    """RFC 5545 3.1 folding: at most 75 octets a line, never inside a UTF-8 character, and (like
    icalendar) never between a backslash or ^ and the character it escapes."""
    if len(line) <= FOLD_OCTETS:
        return line
    parts, start, end = [], 0, len(line)
    while end - start > FOLD_OCTETS:
        cut = start + FOLD_OCTETS
        while line[cut] & 0xC0 == 0x80:  # a continuation byte: back to the character's first byte
            cut -= 1
        if line[cut - 1] in b"\\^" and cut - 1 > start:
            cut -= 1
        parts.append(line[start:cut])
        start = cut
    parts.append(line[start:])
    return b"\r\n ".join(parts)


def _parameters(parameters: dict, implicit: str) -> str:
    return _written_parameters(tuple(parameters.items()), implicit)


@lru_cache(maxsize=256)
def _written_parameters(parameters: tuple, implicit: str) -> str:
    """;KEY=value… sorted by key (a feed gives the same few parameters to hundreds of events)."""
    given = dict(parameters)
    if implicit:  # e.g. ;TZID=Asia/Tokyo
        key, _equals, implied = implicit[1:].partition("=")
        given.setdefault(key, implied)
    return "".join(f";{key}={_parameter(str(given[key]))}" for key in sorted(given))


def content_line(name: str, value, parameters: dict | None = None) -> bytes:
    """One property as a folded content line (without its CRLF)."""
    implicit, text = _value(value)
    if parameters:
        implicit = _parameters(parameters, implicit)
    return _fold(f"{name}{implicit}:{text}".encode())


def write_component(name: str, properties) -> bytes:
    """BEGIN:name, the (NAME, value, parameters) properties, END:name; lines end in CRLF.

    `content_line` for each property, with the common cases inlined (a feed writes ~15,000 lines).
    """
    lines = [f"BEGIN:{name}".encode()]
    append = lines.append
    stamp = stamp_text = None
    for prop, value, parameters in properties:
        kind = type(value)
        implicit = ""
        if kind is str:
            text = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            if "\r" in text:
                text = text.replace("\r\n", "\n").replace("\r", "\n")
            text = text.replace("\n", "\\n")
        elif kind is datetime:
            if value is not stamp:  # DTSTAMP and LAST-MODIFIED are one value
                stamp, stamp_text = value, _datetime(value)
            implicit, text = stamp_text
        else:
            implicit, text = _value(value)
        if parameters:
            implicit = _parameters(parameters, implicit)
        line = f"{prop}{implicit}:{text}".encode()
        append(line if len(line) <= FOLD_OCTETS else _fold(line))
    append(f"END:{name}\r\n".encode())
    return b"\r\n".join(lines)


# ------------------------------------------------------------------------------------------ icalendar, the reference

def icalendar_component(component: Component, properties) -> Component:
    """The same properties added to an icalendar component (the tests compare both)."""
    for name, value, parameters in properties:
        if isinstance(value, Uri):
            value = vUri(str(value))
        elif isinstance(value, Raw):
            value = str(value)
        elif isinstance(value, timedelta):
            value = vDuration(value)
        elif isinstance(value, tuple):
            value = list(value)
        component.add(name.lower(), value, parameters=dict(parameters) if parameters else None)
    return component


def meeting_event(meeting: Meeting, base_url: str, votes: WrittenVotes = NO_WRITTEN_VOTES) -> Event:
    """meeting_properties as an icalendar Event."""
    return icalendar_component(Event(), meeting_properties(meeting, base_url, votes))


def deadline_event(deadline: Deadline, meeting: Meeting, base_url: str) -> Event:
    """deadline_properties as an icalendar Event."""
    return icalendar_component(Event(), deadline_properties(deadline, meeting, base_url))


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


def tokyo_timezone() -> Timezone:
    return Timezone.from_ical(TOKYO_VTIMEZONE)


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


def new_calendar(name: str) -> Calendar:
    """An empty icalendar VCALENDAR with the headers and the Tokyo VTIMEZONE (the reference of `calendar_bytes`)."""
    calendar = icalendar_component(Calendar(), calendar_properties(name))
    calendar.add_component(tokyo_timezone())
    return calendar


@lru_cache(maxsize=256)
def _calendar_head(name: str) -> bytes:
    return write_component("VCALENDAR", calendar_properties(name)).removesuffix(CALENDAR_END) + TOKYO_VTIMEZONE


def calendar_bytes(name: str, event_chunks) -> bytes:
    """A VCALENDAR named `name` with the Tokyo VTIMEZONE and already serialised VEVENTs inside.

    Equal to serialising build_calendar with icalendar (a test checks it), but lets feeds reuse the
    bytes of events that have not changed.
    """
    return b"".join((_calendar_head(name), *event_chunks, CALENDAR_END))


def build_calendar(name: str, meetings, base_url: str, deadlines=(), written_votes: dict | None = None) -> Calendar:
    """An icalendar Calendar of meetings (in the order given) followed by deadlines (of those meetings).

    `written_votes` maps a written session's id to its WrittenVotes.
    """
    calendar = new_calendar(name)
    by_id = {meeting.id: meeting for meeting in meetings}
    written_votes = written_votes or {}
    for meeting in meetings:
        calendar.add_component(meeting_event(meeting, base_url, written_votes.get(meeting.id, NO_WRITTEN_VOTES)))
    for deadline in deadlines:
        calendar.add_component(deadline_event(deadline, by_id[deadline.meeting_id], base_url))
    return calendar


def meeting_calendar_bytes(meeting: Meeting, base_url: str, votes: WrittenVotes = NO_WRITTEN_VOTES) -> bytes:
    """A single meeting's .ics (the meeting page's download and the mails' attachment)."""
    with pinned_locale():
        return calendar_bytes(meeting_name(meeting), [meeting_event_bytes(meeting, base_url, votes)])
