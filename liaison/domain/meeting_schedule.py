"""Meetings: the schedule's rules — a day-off warning, the fields' validation, the next 第N回 number."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..i18n import locale
from ..dates import as_day, format_date, holiday_name, is_day_off
from ..extensions import db
from ..models import Committee, Meeting, MeetingFormat
from . import check

NEEDS_PLACE = (MeetingFormat.IN_PERSON, MeetingFormat.HYBRID)
NEEDS_URL = (MeetingFormat.ONLINE, MeetingFormat.HYBRID)
MAX_YEAR = 2100


def day_off_warning(starts_at: datetime) -> str | None:
    """A warning (not an error) for a meeting on a Saturday, Sunday or public holiday; never an error itself."""
    try:
        if not is_day_off(starts_at):
            return None
    except (OverflowError, ValueError):  # a date the holiday calendar cannot place: no warning, no crash
        return None
    name = holiday_name(starts_at)
    day = format_date(starts_at, locale=locale())
    if name:
        return _("%(day)sは祝日(%(holiday)s)です。日程に問題がないか確認してください。", day=day, holiday=name)
    if as_day(starts_at).weekday() == 5:
        return _("%(day)sは土曜日です。日程に問題がないか確認してください。", day=day)
    return _("%(day)sは日曜日です。日程に問題がないか確認してください。", day=day)


def _next_number(committee: Committee, fiscal_year: int) -> int:
    """第N回: one more than the committee's highest number in the fiscal year.

    The committee row is locked (PostgreSQL) so two secretaries creating at once get different numbers.
    """
    db.session.execute(select(Committee.id).where(Committee.id == committee.id).with_for_update())
    highest = db.session.scalar(
        select(func.max(Meeting.number)).where(Meeting.committee_id == committee.id, Meeting.fiscal_year == fiscal_year)
    )
    return (highest or 0) + 1


def _clean_schedule(values: dict, *, now: datetime, check_start: bool = True) -> dict:
    """Validate the schedule fields; returns them normalised. Raises DomainError (nothing changed yet)."""
    starts_at, ends_at = values.get("starts_at"), values.get("ends_at")
    check(starts_at is not None, _("開催日と開始時刻を入力してください。"), "starts_at")
    check(ends_at is not None, _("終了時刻を入力してください。"), "ends_at")
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValueError("meeting times must be timezone-aware")
    if check_start:
        check(starts_at > now, _("開始日時が過去になっています。これからの日時を入力してください。"), "starts_at")
    # A date like 9999-12-31 would overflow every later step (the JST day, the holiday calendar, the fiscal year).
    check(starts_at.year <= MAX_YEAR and ends_at.year <= MAX_YEAR,
          _("開催日は%(year)d年までの日付を入力してください。", year=MAX_YEAR), "starts_at")
    check(ends_at > starts_at, _("終了時刻は開始時刻より後にしてください。"), "ends_at")
    meeting_format = values.get("format")
    check(isinstance(meeting_format, MeetingFormat), _("開催方法を選んでください。"), "format")
    place = (values.get("place") or "").strip()
    online_url = (values.get("online_url") or "").strip()
    if meeting_format is MeetingFormat.WRITTEN:
        place, online_url = "", ""  # 書面開催: no place, no call
    if meeting_format in NEEDS_PLACE:
        check(place, _("会場を入力してください(対面・ハイブリッドの会議)。"), "place")
    if meeting_format in NEEDS_URL:
        check(online_url, _("オンライン会議のURLを入力してください。"), "online_url")
    if online_url:
        check(
            online_url.startswith(("https://", "http://")) and " " not in online_url,
            _("オンライン会議のURLは https:// で始まる形で入力してください。"),
            "online_url",
        )
    check(len(place) <= 200, _("会場は200文字以内で入力してください。"), "place")
    check(len(online_url) <= 500, _("URLは500文字以内で入力してください。"), "online_url")
    title = (values.get("title") or "").strip()
    check(len(title) <= 200, _("件名は200文字以内で入力してください。"), "title")
    for name, message in (
        ("answer_deadline", _("出欠の回答期限は開始日時より前にしてください。")),
        ("proposal_deadline", _("提案の締切は開始日時より前にしてください。")),
    ):
        deadline = values.get(name)
        if deadline is not None:
            check(deadline <= starts_at, message, name)
    return {
        "starts_at": starts_at, "ends_at": ends_at, "format": meeting_format, "place": place,
        "online_url": online_url, "title": title, "answer_deadline": values.get("answer_deadline"),
        "proposal_deadline": values.get("proposal_deadline"), "notes": (values.get("notes") or "").strip(),
    }
