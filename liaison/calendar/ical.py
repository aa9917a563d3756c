"""iCalendar (RFC 5545) text for meetings and deadlines: pure functions over the models, using `icalendar`.

Everything an event says comes from the meeting itself (DTSTAMP and LAST-MODIFIED are the
meeting's `updated_at`), so the bytes stay the same while nothing changes and feeds can be
cached and answered with 304. Feeds carry no METHOD: METHOD:REQUEST belongs to invitations.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from icalendar import Calendar, Event, Timezone, vDuration, vUri

from ..dates import fiscal_year_label, format_datetime, to_tokyo
from ..models import AgendaKind, Meeting, MeetingFormat, MeetingStatus

PRODID = "-//彩の国さいたま人づくり広域連合//liaison 会議システム//JA"
TZID = "Asia/Tokyo"
# How often subscribed clients should fetch the feed again.
REFRESH_INTERVAL = timedelta(hours=1)

EVENT_STATUS = {
    MeetingStatus.DRAFT: "TENTATIVE",  # only staff ever get a draft (its single .ics)
    MeetingStatus.CONVENED: "CONFIRMED",
    MeetingStatus.POSTPONED: "CONFIRMED",  # 延期: announced again at its new time
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


def _locale() -> str:
    return str(get_locale() or "ja")


def host_of(base_url: str) -> str:
    return urlsplit(base_url).hostname or "localhost"


def meeting_uid(meeting: Meeting, base_url: str) -> str:
    """Never changes for a meeting, whatever happens to it."""
    return f"meeting-{meeting.id}@{host_of(base_url)}"


def meeting_url(meeting: Meeting, base_url: str) -> str:
    return f"{base_url}/{meeting.committee.slug}/meetings/{meeting.id}"


def meeting_name(meeting: Meeting) -> str:
    """令和7年度第2回企画運営部会."""
    return _(
        "%(year)s第%(number)d回%(committee)s",
        year=fiscal_year_label(meeting.fiscal_year, _locale()), number=meeting.number, committee=meeting.committee.name,
    )


FORMAT_LABELS = {
    MeetingFormat.IN_PERSON: _l("対面"),
    MeetingFormat.ONLINE: _l("オンライン"),
    MeetingFormat.HYBRID: _l("ハイブリッド"),
    MeetingFormat.WRITTEN: _l("書面開催"),
}
KIND_LABELS = {AgendaKind.REPORT: _l("報告事項"), AgendaKind.DISCUSSION: _l("協議事項"), AgendaKind.RESOLUTION: _l("議決事項")}


def format_label(meeting_format: MeetingFormat) -> str:
    return str(FORMAT_LABELS[meeting_format])


def kind_label(kind: AgendaKind) -> str:
    return str(KIND_LABELS[kind])


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
        return f"{format_datetime(start, locale=locale)}〜{end:%H:%M}"
    return f"{format_datetime(start, locale=locale)}〜{format_datetime(end, locale=locale)}"


def meeting_description(meeting: Meeting, base_url: str, votes: WrittenVotes = NO_WRITTEN_VOTES) -> str:
    """What, when, where, the agenda (議事) and the link to the meeting's page."""
    lines = [meeting_name(meeting)]
    if meeting.title:
        lines.append(meeting.title)
    lines.append("")
    if meeting.status is MeetingStatus.CANCELLED:
        lines.append(_("この会議は中止になりました。"))
        if meeting.cancel_reason:
            lines.append(_("中止の理由: %(reason)s", reason=meeting.cancel_reason))
        lines.append("")
    elif meeting.status is MeetingStatus.POSTPONED:
        lines += [_("この会議は延期され、日時が変更されました。"), ""]
    if meeting.format is MeetingFormat.WRITTEN:
        lines.append(_("開催方法: %(format)s", format=format_label(meeting.format)))
        deadline = written_deadline(meeting, votes)
        lines.append(_("書面表決の期限: %(deadline)s", deadline=format_datetime(deadline, locale=_locale())))
    else:
        lines.append(_("日時: %(when)s", when=_when(meeting)))
        lines.append(_("開催方法: %(format)s", format=format_label(meeting.format)))
        if meeting.place:
            lines.append(_("会場: %(place)s", place=meeting.place))
        if meeting.online_url:
            lines.append(_("オンライン参加: %(url)s", url=meeting.online_url))
    if meeting.answer_deadline and meeting.status is not MeetingStatus.CANCELLED:
        lines.append(_("出欠の回答期限: %(deadline)s", deadline=format_datetime(meeting.answer_deadline, locale=_locale())))
    lines += ["", _("議事")]
    if meeting.agenda_items:
        for number, item in enumerate(meeting.agenda_items, start=1):
            line = f"{number}. [{kind_label(item.kind)}] {item.title}"
            if item.presenter_body is not None:
                line += _("(%(presenter)s)", presenter=item.presenter_body.name)
            lines.append(line)
    else:
        lines.append(_("(未定)"))
    lines += ["", _("会議のページ: %(url)s", url=meeting_url(meeting, base_url))]
    return "\n".join(lines)


def _stamp(event: Event, *, uid: str, updated_at: datetime, sequence: int) -> None:
    event.add("uid", uid)
    event.add("dtstamp", updated_at)
    event.add("last-modified", updated_at)
    event.add("sequence", sequence)


def meeting_event(meeting: Meeting, base_url: str, votes: WrittenVotes = NO_WRITTEN_VOTES) -> Event:
    """One VEVENT for a meeting; a written session (書面開催) is an all-day event on its vote deadline.

    The UID stays the meeting's whatever moves the day; `votes` only matter for a written session.
    """
    written = meeting.format is MeetingFormat.WRITTEN
    if not written:
        votes = NO_WRITTEN_VOTES
    updated_at = max(meeting.updated_at, votes.changed_at or meeting.updated_at)
    event = Event()
    _stamp(event, uid=meeting_uid(meeting, base_url), updated_at=updated_at, sequence=meeting.sequence)
    event.add("created", meeting.created_at)
    if written:
        day = _written_day(meeting, votes)
        event.add("dtstart", day)
        event.add("dtend", day + timedelta(days=1))
        event.add("transp", "TRANSPARENT")  # nobody has to be anywhere
    else:
        event.add("dtstart", to_tokyo(meeting.starts_at))
        event.add("dtend", to_tokyo(meeting.ends_at))
        event.add("transp", "OPAQUE")
    event.add("summary", meeting_summary(meeting))
    location = meeting.place or (meeting.online_url if meeting.format is MeetingFormat.ONLINE else "")
    if location:
        event.add("location", location)
    if meeting.online_url:
        event.add(
            "conference", vUri(meeting.online_url),
            parameters={"VALUE": "URI", "FEATURE": "VIDEO", "LABEL": _("オンライン参加")},
        )
    event.add("description", meeting_description(meeting, base_url, votes))
    event.add("url", meeting_url(meeting, base_url))
    event.add("categories", [meeting.committee.name])
    event.add("status", EVENT_STATUS[meeting.status])
    return event


def deadline_event(deadline: Deadline, meeting: Meeting, base_url: str) -> Event:
    """A deadline of `meeting` as a moment (DTSTART, no DTEND) in free time, titled 出欠の回答期限: 令和7年度第2回…."""
    event = Event()
    _stamp(
        event, uid=f"deadline-{deadline.key}@{host_of(base_url)}",
        updated_at=deadline.updated_at, sequence=deadline.sequence,
    )
    event.add("dtstart", to_tokyo(deadline.due_at))
    event.add("transp", "TRANSPARENT")
    name = meeting_name(meeting)
    summary = _("%(label)s: %(name)s", label=deadline.label, name=name)
    if deadline.subject:
        summary = f"{summary} {deadline.subject}"
    event.add("summary", summary)
    lines = [
        _("%(label)s: %(due)s", label=deadline.label, due=format_datetime(deadline.due_at, locale=_locale())),
        _("会議: %(name)s", name=name),
    ]
    if deadline.subject:
        lines.append(deadline.subject)
    if deadline.note:
        lines.append(deadline.note)
    lines.append("")
    url = meeting_url(meeting, base_url)
    if deadline.path:
        url = f"{base_url}{deadline.path}"
        lines.append(_("詳細: %(url)s", url=url))
    lines.append(_("会議のページ: %(url)s", url=meeting_url(meeting, base_url)))
    event.add("description", "\n".join(lines))
    event.add("url", url)
    event.add("categories", [meeting.committee.name, _("期限")])
    event.add("status", "CONFIRMED")
    return event


@lru_cache(maxsize=1)
def tokyo_timezone_bytes() -> bytes:
    """VTIMEZONE for Asia/Tokyo (+09:00 without daylight saving since 1951, so one STANDARD block)."""
    timezone = Timezone.from_tzid(TZID, first_date=date(1970, 1, 1), last_date=date(2100, 1, 1))
    timezone.pop("COMMENT", None)  # icalendar notes the date range it computed; here the offset never changes
    return timezone.to_ical()


def tokyo_timezone() -> Timezone:
    return Timezone.from_ical(tokyo_timezone_bytes())


def new_calendar(name: str) -> Calendar:
    """An empty VCALENDAR with the headers subscribed clients read, and the Tokyo VTIMEZONE."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", TZID)
    # icalendar's own helpers write REFRESH-INTERVAL without VALUE=DURATION (RFC 7986 requires it)
    # and X-PUBLISHED-TTL as Python's "1:00:00": both are written as durations here.
    calendar.add("refresh-interval", vDuration(REFRESH_INTERVAL), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH_INTERVAL))
    calendar.add_component(tokyo_timezone())
    return calendar


def build_calendar(name: str, meetings, base_url: str, deadlines=(), written_votes: dict | None = None) -> Calendar:
    """A calendar of meetings (in the order given) followed by deadlines (of those meetings).

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


def calendar_bytes(name: str, event_chunks) -> bytes:
    """The bytes of new_calendar(name) with already serialised VEVENTs inside.

    Equal to serialising the whole Calendar object (a test checks it), but lets feeds reuse the
    bytes of events that have not changed.
    """
    end = b"END:VCALENDAR\r\n"
    head = new_calendar(name).to_ical().removesuffix(end)
    return b"".join((head, *event_chunks, end))


def meeting_calendar_bytes(meeting: Meeting, base_url: str, votes: WrittenVotes = NO_WRITTEN_VOTES) -> bytes:
    """A single meeting's .ics (the meeting page's download and the mails' attachment)."""
    return build_calendar(meeting_name(meeting), [meeting], base_url, written_votes={meeting.id: votes}).to_ical()
