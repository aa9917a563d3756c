"""What a meeting's event says: its title (SUMMARY), its description, its URL and UID, and a written
session's day. Messages go through liaison.i18n's one memo (a feed asks the same few dozen for every event)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit

from flask import current_app

from .. import urls
from ..dates import format_date, format_datetime, to_tokyo
from ..i18n import gettext as _
from ..i18n import locale as _locale
from ..labels import label, meeting_name
from ..models import Meeting, MeetingFormat, MeetingStatus


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


def written_day(meeting: Meeting, votes: WrittenVotes = NO_WRITTEN_VOTES) -> date:
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
