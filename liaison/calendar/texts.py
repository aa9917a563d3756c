"""What a meeting's event says: its title (SUMMARY), its description, its URL and UID, and a written
session's day. Messages go through liaison.i18n's one memo (a feed asks the same few dozen for every event)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit

from flask import current_app

from .. import urls
from ..dates import format_date, to_tokyo
from ..i18n import gettext as _
from ..i18n import locale as _locale
from ..labels import label, meeting_name
from ..models import Meeting, MeetingFormat, MeetingStatus


# Enum members as module constants: reading MeetingStatus.CANCELLED goes through the enum's metaclass
# (about 0.4 µs on Python 3.11), and a feed asks it some ten times per event.
_CANCELLED, _POSTPONED = MeetingStatus.CANCELLED, MeetingStatus.POSTPONED
_WRITTEN, _ONLINE = MeetingFormat.WRITTEN, MeetingFormat.ONLINE


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


@lru_cache(maxsize=16)
def host_of(base_url: str) -> str:
    return urlsplit(base_url).hostname or "localhost"


def meeting_uid(meeting: Meeting, base_url: str) -> str:
    """Never changes for a meeting, whatever happens to it."""
    return f"meeting-{meeting.id}@{host_of(base_url)}"


# A stand-in meeting id: the URL map builds one URL per committee and base, the id goes in its place.
_SOME_ID = 987654321


def meeting_url(meeting: Meeting, base_url: str) -> str:
    """urls.meeting_url, with the URL map asked once per committee and base (a feed links 1,000 events)."""
    head, tail = _meeting_url_around_id(current_app.url_map, meeting.committee.slug, base_url)
    return f"{head}{meeting.id}{tail}"


@lru_cache(maxsize=256)
def _meeting_url_around_id(url_map, slug: str, base_url: str) -> tuple[str, str]:
    head, _id, tail = urls.meeting_url(_Stand(_Named(slug), _SOME_ID), base_url).rpartition(str(_SOME_ID))
    return head, tail


@dataclass(frozen=True)
class _Named:
    slug: str


@dataclass(frozen=True)
class _Stand:
    """What urls.meeting_url reads of a meeting."""

    committee: _Named
    id: int


class Wording:
    """What the events of one build say, in its one language: every message translated once per build
    (not once per event), the host, the meeting pages' URLs by committee, and the names of meetings and
    the times already written in this build (a deadline says its meeting's answer deadline again).

    Made inside the build's pinned locale; one per build, so nothing of the data outlives it."""

    def __init__(self, base_url: str):
        self.locale = _locale()
        self.base_url = base_url
        self.host = host_of(base_url)
        # Messages with placeholders are filled with %, as gettext fills them.
        self.written = _("%(name)s(書面開催)")
        self.cancelled_title = _("【中止】%(name)s")
        self.postponed_from_title = _("【延期】%(name)s(%(old)sから延期)")
        self.postponed_title = _("【延期】%(name)s")
        self.cancelled = _("この会議は中止になりました。")
        self.cancel_reason = _("中止の理由: %(reason)s")
        self.postponed_from = _("この会議は%(old)sから%(new)sに延期されました。")
        self.postpone_reason = _("延期の理由: %(reason)s")
        self.postponed = _("この会議は延期され、日時が変更されました。")
        self.format = _("開催方法: %(format)s")
        self.written_deadline = _("書面表決の期限: %(deadline)s")
        self.when = _("日時: %(when)s")
        self.place = _("会場: %(place)s")
        self.online = _("オンライン参加: %(url)s")
        self.answer_deadline = _("出欠の回答期限: %(deadline)s")
        self.agenda = _("議事")
        self.undecided = _("(未定)")
        self.presenter = _("(%(presenter)s)")
        self.page = _("会議のページ: %(url)s")
        self.conference = _("オンライン参加")
        self.deadline_title = _("%(label)s: %(name)s")
        self.deadline_due = _("%(label)s: %(due)s")
        self.deadline_meeting = _("会議: %(name)s")
        self.deadline_details = _("詳細: %(url)s")
        self.deadline_category = _("期限")
        self.labels: dict = {}
        self.names: dict = {}
        self.locals: dict = {}
        self.stamps: dict = {}  # UTC stamps (DTSTAMP…) by moment: a deadline repeats its meeting's
        self.times: dict = {}
        self.days: dict = {}
        self.lines: dict = {}  # content lines the writer made once for this build (ical's templates)
        self.said: dict = {}  # description lines said of many meetings (by format member's id, by place)
        self.urls: dict = {}

    def label(self, value) -> str:
        """labels.label, by the member's id (an enum member's own hash is a Python call)."""
        text = self.labels.get(id(value))
        if text is None:
            text = self.labels[id(value)] = label(value)
        return text

    def name(self, meeting) -> str:
        """labels.meeting_name, once per meeting of the build."""
        name = self.names.get(meeting.id)
        if name is None:
            name = self.names[meeting.id] = meeting_name(meeting)
        return name

    def tokyo(self, value: datetime) -> datetime:
        """to_tokyo, once per moment of the build (an event says its start and end two or three times)."""
        local = self.locals.get(value)
        if local is None:
            local = self.locals[value] = to_tokyo(value)
        return local

    def datetime(self, value: datetime) -> str:
        """format_datetime in the build's locale, once per moment (and format_date once per day)."""
        text = self.times.get(value)
        if text is None:
            local = self.tokyo(value)
            day = local.date()
            day_text = self.days.get(day)
            if day_text is None:
                day_text = self.days[day] = format_date(day, locale=self.locale)
            text = self.times[value] = f"{day_text} {local.hour:02d}:{local.minute:02d}"
        return text

    def url(self, meeting) -> str:
        """meeting_url, the URL map asked once per committee."""
        slug = meeting.committee.slug
        around = self.urls.get(slug)
        if around is None:
            around = self.urls[slug] = _meeting_url_around_id(current_app.url_map, slug, self.base_url)
        return f"{around[0]}{meeting.id}{around[1]}"


def meeting_summary(meeting: Meeting, wording: Wording | None = None) -> str:
    """The event title: 令和7年度第2回企画運営部会 and the meeting's own title, marked when cancelled or moved."""
    w = wording or Wording("")
    summary = w.name(meeting)
    if meeting.title:
        summary = f"{summary} {meeting.title}"
    if meeting.format is _WRITTEN:
        summary = w.written % {"name": summary}
    # Some clients (Google) show a cancelled event without striking it: say it in the title too.
    status = meeting.status
    if status is _CANCELLED:
        summary = w.cancelled_title % {"name": summary}
    elif status is _POSTPONED and meeting.original_starts_at is not None:
        # 延期 is said of the old date (「12月11日から延期」), never as if it were a label of the new one
        summary = w.postponed_from_title % {"name": summary, "old": format_date(meeting.original_starts_at, locale=w.locale)}
    elif status is _POSTPONED:
        summary = w.postponed_title % {"name": summary}
    return summary


def written_deadline(meeting: Meeting, votes: WrittenVotes = NO_WRITTEN_VOTES) -> datetime:
    """When a written session's votes are due: its written votes' deadline, else the end of its period."""
    return votes.deadline or meeting.ends_at


def written_day(meeting: Meeting, votes: WrittenVotes = NO_WRITTEN_VOTES) -> date:
    """The Tokyo day a written session's votes are due (a deadline at 00:00 belongs to the day before)."""
    return to_tokyo(written_deadline(meeting, votes) - timedelta(microseconds=1)).date()


def _when(meeting: Meeting, w: Wording) -> str:
    start, end = w.tokyo(meeting.starts_at), w.tokyo(meeting.ends_at)
    if start.date() == end.date():
        return f"{w.datetime(start)}〜{end.hour:02d}:{end.minute:02d}"
    return f"{w.datetime(start)}〜{w.datetime(end)}"


def meeting_description(meeting: Meeting, base_url: str, votes: WrittenVotes = NO_WRITTEN_VOTES,
                        url: str | None = None, wording: Wording | None = None) -> str:
    """What, when, where, the agenda (議事) and the link to the meeting's page (`url`, when already built)."""
    w = wording or Wording(base_url)
    lines = [w.name(meeting)]
    if meeting.title:
        lines.append(meeting.title)
    lines.append("")
    status = meeting.status
    if status is _CANCELLED:
        lines.append(w.cancelled)
        if meeting.cancel_reason:
            lines.append(w.cancel_reason % {"reason": meeting.cancel_reason})
        lines.append("")
    elif status is _POSTPONED and meeting.original_starts_at is not None:
        lines.append(w.postponed_from % {"old": w.datetime(meeting.original_starts_at), "new": w.datetime(meeting.starts_at)})
        if meeting.postpone_reason:
            lines.append(w.postpone_reason % {"reason": meeting.postpone_reason})
        lines.append("")
    elif status is _POSTPONED:
        lines += [w.postponed, ""]
    said = w.said  # lines that many meetings share (開催方法, 会場), made once per build
    format_line = said.get(id(meeting.format))
    if format_line is None:
        format_line = said[id(meeting.format)] = w.format % {"format": w.label(meeting.format)}
    if meeting.format is _WRITTEN:
        lines.append(format_line)
        lines.append(w.written_deadline % {"deadline": w.datetime(written_deadline(meeting, votes))})
    else:
        lines.append(w.when % {"when": _when(meeting, w)})
        lines.append(format_line)
        if meeting.place:
            place = said.get(meeting.place)
            if place is None:
                place = said[meeting.place] = w.place % {"place": meeting.place}
            lines.append(place)
        if meeting.online_url:
            lines.append(w.online % {"url": meeting.online_url})
    if meeting.answer_deadline and status is not _CANCELLED:
        lines.append(w.answer_deadline % {"deadline": w.datetime(meeting.answer_deadline)})
    lines += ["", w.agenda]
    if meeting.agenda_items:
        number = 0
        labels = w.labels
        for item in meeting.agenda_items:
            number += 1
            line = f"{number}. [{labels.get(id(item.kind)) or w.label(item.kind)}] {item.title}"
            if item.presenter_body is not None:
                line += w.presenter % {"presenter": item.presenter_body.name}
            lines.append(line)
    else:
        lines.append(w.undecided)
    lines += ["", w.page % {"url": url or meeting_url(meeting, base_url)}]
    return "\n".join(lines)
