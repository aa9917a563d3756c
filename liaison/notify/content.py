"""What notices say: subjects and bodies in Japanese, the page they link to, the meeting's .ics."""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from ..calendar import feeds
from ..dates import format_date, format_datetime, to_tokyo
from ..domain import meetings
from ..models import Meeting, NotificationKind


def meeting_label(meeting: Meeting) -> str:
    """令和7年度第2回企画運営部会."""
    return meetings.meeting_name(meeting)


def meeting_path(meeting: Meeting) -> str:
    """The meeting's stable page (DESIGN: /<slug>/meetings/<id>)."""
    return f"/{meeting.committee.slug}/meetings/{meeting.id}"


def base_url() -> str:
    return current_app.config["BASE_URL"].rstrip("/")


def absolute(path: str) -> str:
    return f"{base_url()}{path}"


def _when(meeting: Meeting) -> str:
    start, end = to_tokyo(meeting.starts_at), to_tokyo(meeting.ends_at)
    if start.date() == end.date():
        return f"{format_datetime(start, wareki=True)}〜{end:%H:%M}"
    return f"{format_datetime(start, wareki=True)}〜{format_datetime(end, wareki=True)}"


def meeting_summary(meeting: Meeting) -> str:
    """The facts a member needs: name, time, format, place, answer deadline, agenda, link."""
    lines = [
        _("会議: %(name)s", name=meeting_label(meeting) + (f" {meeting.title}" if meeting.title else "")),
        _("日時: %(when)s", when=_when(meeting)),
        _("開催方法: %(format)s", format=meetings.format_label(meeting.format)),
    ]
    if meeting.place:
        lines.append(_("場所: %(place)s", place=meeting.place))
    if meeting.online_url:
        lines.append(_("オンライン会議: %(url)s", url=meeting.online_url))
    if meeting.answer_deadline:
        lines.append(_("出欠の回答期限: %(when)s", when=format_datetime(meeting.answer_deadline, wareki=True)))
    if meeting.agenda_items:
        lines.append(_("議事:"))
        for index, item in enumerate(meeting.agenda_items, start=1):
            lines.append(f"  {index}. 【{meetings.kind_label(item.kind)}】{item.title}")
    lines.append(_("詳細: %(url)s", url=absolute(meeting_path(meeting))))
    return "\n".join(lines)


def meeting_ics(meeting: Meeting) -> bytes:
    """The meeting as .ics, from the calendar area's generator (the same one the feeds use)."""
    return feeds.meeting_ics(meeting, base_url())


def meeting_notice(kind: NotificationKind, meeting: Meeting) -> tuple[str, str]:
    """Subject and body of a convocation, change or cancellation notice, always in Japanese."""
    with force_locale("ja"):
        label, when = meeting_label(meeting), format_datetime(meeting.starts_at, wareki=True)
        if kind is NotificationKind.CONVOCATION:
            return _("【招集通知】%(label)s(%(when)s)", label=label, when=when), meetings.convocation_text(meeting, base_url())
        if kind is NotificationKind.MEETING_CHANGED:
            intro = _("下記の会議の内容が変更されました。変更後の内容をご確認ください。")
            return _("【変更】%(label)s(%(when)s)", label=label, when=when), f"{intro}\n\n{meeting_summary(meeting)}"
        intro = _("下記の会議は中止となりました。")
        if meeting.cancel_reason:
            intro += "\n" + _("理由: %(reason)s", reason=meeting.cancel_reason)
        return _("【中止】%(label)s(%(when)s)", label=label, when=when), f"{intro}\n\n{meeting_summary(meeting)}"


def meeting_reminder(meeting: Meeting, days: int) -> tuple[str, str]:
    with force_locale("ja"):
        label, when = meeting_label(meeting), format_datetime(meeting.starts_at, wareki=True)
        ahead = _("明日") if days == 1 else _("%(days)d日後", days=days)
        subject = _("【開催のお知らせ】%(ahead)s: %(label)s(%(when)s)", ahead=ahead, label=label, when=when)
        intro = _("%(ahead)sに下記の会議が開催されます。", ahead=ahead)
        return subject, f"{intro}\n\n{meeting_summary(meeting)}"


def attendance_reminder(meeting: Meeting) -> tuple[str, str]:
    with force_locale("ja"):
        deadline = format_datetime(meeting.answer_deadline, wareki=True)
        subject = _("【出欠回答のお願い】%(label)s(回答期限 %(deadline)s)", label=meeting_label(meeting), deadline=deadline)
        intro = _("下記の会議の出欠がまだ回答されていません。%(deadline)sまでに会議のページから回答してください。", deadline=deadline)
        return subject, f"{intro}\n\n{meeting_summary(meeting)}"


def digest(day: datetime, items: list) -> tuple[str, str]:
    """One mail with the day's notices (subjects and links), for users who chose the daily digest."""
    with force_locale("ja"):
        subject = _("【まとめ】%(day)sまでのお知らせ(%(count)d件)", day=format_date(day, wareki=True), count=len(items))
        lines = [_("前回のまとめ以降のお知らせです。")]
        for item in items:
            lines += ["", f"■ {item.subject}", absolute(item.link) if item.link else ""]
        lines += ["", _("お知らせの一覧: %(url)s", url=absolute("/notifications/"))]
        return subject, "\n".join(line for line in lines if line is not None)


def kind_label(kind: NotificationKind) -> str:
    return {
        NotificationKind.CONVOCATION: _("招集通知"),
        NotificationKind.MEETING_CHANGED: _("会議の変更"),
        NotificationKind.MEETING_CANCELLED: _("会議の中止"),
        NotificationKind.MEETING_REMINDER: _("開催前のお知らせ"),
        NotificationKind.ATTENDANCE_DEADLINE: _("出欠回答期限のお知らせ"),
        NotificationKind.DIGEST: _("1日分のまとめ"),
    }[kind]
