"""Meetings (会議): scheduling, convening (招集), postponing (延期), cancelling (中止), the agenda (議事),
attendance (出欠) and what the convocation notice (招集通知) lists; its text is templates/meetings/convocation.txt.

Every change of the meeting, its agenda or its 資料 refreshes `updated_at` (the calendar's
LAST-MODIFIED; attendance answers do not, they are not part of the event); a change of time, place or
status, or of an announced meeting's agenda, raises `sequence` (the calendar's SEQUENCE).

Events (liaison.events; listeners get the object and these keywords):
  "meeting.convened"   meeting                                   once per convene()
  "meeting.postponed"  meeting, previous_starts_at, reason       once per postpone()
  "meeting.cancelled"  meeting, reason                           once per cancel()
  "meeting.changed"    meeting, changed=[field names or "agenda"], before= / what=
                       time, place or agenda of a convened or postponed meeting changed
  "meeting.deadlines_changed"  meeting, changed=[answer_deadline / proposal_deadline], before=
                       only a deadline of a convened or postponed meeting changed (no notice to the
                       members, no SEQUENCE; the reminders that depend on it are planned again).
                       An edit that also moves time or place emits "meeting.changed" alone: one
                       event per change.
  "meeting.held"       meeting
  "agenda_item.removed" item (before it is deleted; a linked proposal may go back)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby

from flask_babel import gettext as _
from sqlalchemy import case, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..i18n import locale
from . import attachments as files
from .. import events
from ..events import Event
from ..dates import as_day, fiscal_year_of, format_date, format_datetime, holiday_name, is_day_off, to_tokyo, utcnow
from ..extensions import db
from ..labels import label, meeting_name
from ..models import (
    AgendaItem, AgendaKind, Attachment, Attendance, AttendanceResponse, Body, Committee, Meeting, MeetingFormat,
    MeetingStatus, Membership,
)
from . import access, audit, check, documents, lock, materials, once, require
from .live import touch as touch_live
from .memberships import seats

# Announced: the members have the notice, so changes are news to them.
ANNOUNCED = (MeetingStatus.CONVENED, MeetingStatus.POSTPONED)
EDITABLE = (MeetingStatus.DRAFT, *ANNOUNCED)
# 資料 may still be posted after the meeting (当日配布資料), not for a cancelled one.
ATTACHABLE = (*EDITABLE, MeetingStatus.IN_SESSION, MeetingStatus.HELD)
# Presence and attendance are recorded from the notice through the sitting to afterwards.
PRESENCE_STATUSES = (*ANNOUNCED, MeetingStatus.IN_SESSION, MeetingStatus.HELD)
# 開会 … 閉会 is the normal way to held; an announced meeting may still be recorded as held after the fact
# (the secretariat then records its show-of-hands votes, never electronic ones).
TRANSITIONS = {
    MeetingStatus.DRAFT: {MeetingStatus.CONVENED},
    MeetingStatus.CONVENED: {MeetingStatus.POSTPONED, MeetingStatus.CANCELLED, MeetingStatus.IN_SESSION, MeetingStatus.HELD},
    MeetingStatus.POSTPONED: {MeetingStatus.POSTPONED, MeetingStatus.CANCELLED, MeetingStatus.IN_SESSION, MeetingStatus.HELD},
    MeetingStatus.IN_SESSION: {MeetingStatus.HELD},
    MeetingStatus.HELD: set(),
    MeetingStatus.CANCELLED: set(),
}
NEEDS_PLACE = (MeetingFormat.IN_PERSON, MeetingFormat.HYBRID)
NEEDS_URL = (MeetingFormat.ONLINE, MeetingFormat.HYBRID)
# Fields whose change the calendar must announce (SEQUENCE + 1).
SCHEDULE_FIELDS = ("starts_at", "ends_at", "format", "place", "online_url")
# Fields whose change re-plans the deadline reminders (出欠回答, 提案締切).
DEADLINE_FIELDS = ("answer_deadline", "proposal_deadline")
MEETING_FIELDS = SCHEDULE_FIELDS + ("title", *DEADLINE_FIELDS, "notes")
MAX_MINUTES = 600
MAX_YEAR = 2100


# ---------------------------------------------------------------------------------------------- warnings

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


# ---------------------------------------------------------------------------------------- permissions

def can_manage(user) -> bool:
    """The secretariat and administrators schedule, convene and change meetings."""
    return access.is_staff(user)


def can_view(user, meeting: Meeting) -> bool:
    """Staff see every meeting; the committee's members see it once it is no longer a draft."""
    if access.is_staff(user):
        return True
    return meeting.status is not MeetingStatus.DRAFT and access.can_view_committee(user, meeting.committee)


def has_answered(meeting: Meeting, user_id: int) -> bool:
    """The user's seat has answered attendance for the meeting (anything but 未定)."""
    return db.session.scalar(
        select(Attendance.id)
        .join(Attendance.membership)
        .where(
            Attendance.meeting_id == meeting.id,
            Membership.user_id == user_id,
            Attendance.response != AttendanceResponse.UNDECIDED,
        )
        .limit(1)
    ) is not None


def answer_deadline_of(meeting: Meeting) -> datetime:
    return meeting.answer_deadline or meeting.starts_at


def can_answer_for(user, meeting: Meeting, membership: Membership, now: datetime | None = None) -> bool:
    """A seat holder answers for their own seat until the deadline; the secretariat for any seat, any time."""
    if can_manage(user):
        return meeting.status in PRESENCE_STATUSES
    return (
        membership.user_id == getattr(user, "id", None)
        and meeting.status in ANNOUNCED
        and (now or utcnow()) <= answer_deadline_of(meeting)
    )


# ------------------------------------------------------------------------------------ meeting changes

def _snapshot(meeting: Meeting, names=MEETING_FIELDS + ("status", "fiscal_year", "number", "sequence")) -> dict:
    return {name: getattr(meeting, name) for name in names}


def _touch(meeting: Meeting) -> None:
    meeting.updated_at = utcnow()


def _check_transition(meeting: Meeting, target: MeetingStatus) -> None:
    check(
        target in TRANSITIONS[meeting.status],
        _("「%(status)s」の会議はこの操作ができません。", status=label(meeting.status)),
        "status",
    )


def _transition(meeting: Meeting, target: MeetingStatus) -> None:
    _check_transition(meeting, target)
    meeting.status = target
    meeting.sequence += 1
    _touch(meeting)


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


def create_meeting(
    committee: Committee, *, actor, starts_at: datetime, ends_at: datetime, format: MeetingFormat,
    place: str = "", online_url: str = "", title: str = "", answer_deadline: datetime | None = None,
    proposal_deadline: datetime | None = None, notes: str = "", now: datetime | None = None,
) -> Meeting:
    """A draft meeting, numbered 第N回 within the fiscal year of its start (April to March)."""
    require(can_manage(actor), "only the secretariat schedules meetings")
    values = _clean_schedule(
        dict(starts_at=starts_at, ends_at=ends_at, format=format, place=place, online_url=online_url, title=title,
             answer_deadline=answer_deadline, proposal_deadline=proposal_deadline, notes=notes),
        now=now or utcnow(),
    )
    fiscal_year = fiscal_year_of(values["starts_at"])
    meeting = Meeting(
        committee=committee, fiscal_year=fiscal_year, number=_next_number(committee, fiscal_year),
        status=MeetingStatus.DRAFT, sequence=0, cancel_reason="", postpone_reason="",
        created_by_id=actor.id, created_at=utcnow(), updated_at=utcnow(), **values,
    )
    db.session.add(meeting)
    db.session.flush()
    audit.record(actor, "meeting.created", meeting, label=meeting_name(meeting), after=_snapshot(meeting))
    return meeting


def update_meeting(
    meeting: Meeting, *, actor, starts_at: datetime, ends_at: datetime, format: MeetingFormat, place: str = "",
    online_url: str = "", title: str = "", answer_deadline: datetime | None = None,
    proposal_deadline: datetime | None = None, notes: str = "", now: datetime | None = None,
) -> dict:
    """Change a meeting's details; returns the changed fields ({} when nothing changed).

    A draft moved into another fiscal year takes the next number there; once convened the number
    (and so the fiscal year) is fixed.
    """
    require(can_manage(actor), "only the secretariat edits meetings")
    check(meeting.status in EDITABLE, _("開催済み・中止の会議は編集できません。"), "status")
    values = _clean_schedule(
        dict(starts_at=starts_at, ends_at=ends_at, format=format, place=place, online_url=online_url, title=title,
             answer_deadline=answer_deadline, proposal_deadline=proposal_deadline, notes=notes),
        now=now or utcnow(), check_start=starts_at != meeting.starts_at,
    )
    changed = {name: value for name, value in values.items() if getattr(meeting, name) != value}
    if not changed:
        return {}
    before = _snapshot(meeting)
    new_year = fiscal_year_of(values["starts_at"])
    if new_year != meeting.fiscal_year:
        check(
            meeting.status is MeetingStatus.DRAFT,
            _("招集後の会議は年度をまたいで日程を変更できません。中止して、新しい年度の会議を作成してください。"),
            "starts_at",
        )
        number = _next_number(meeting.committee, new_year)
        meeting.fiscal_year, meeting.number = new_year, number
    for name, value in changed.items():
        setattr(meeting, name, value)
    schedule_changed = [name for name in SCHEDULE_FIELDS if name in changed]
    if schedule_changed:
        meeting.sequence += 1
    _touch(meeting)
    db.session.flush()
    after = _snapshot(meeting)
    audit.record(
        actor, "meeting.updated", meeting, label=meeting_name(meeting),
        before={k: v for k, v in before.items() if after[k] != v}, after={k: v for k, v in after.items() if before[k] != v},
    )
    deadlines_changed = [name for name in DEADLINE_FIELDS if name in changed]
    if schedule_changed and meeting.status in ANNOUNCED:
        events.emit(Event.MEETING_CHANGED, meeting, changed=schedule_changed, before=before)
    elif deadlines_changed and meeting.status in ANNOUNCED:
        events.emit(Event.MEETING_DEADLINES_CHANGED, meeting, changed=deadlines_changed, before=before)
    return changed


def convene(meeting: Meeting, *, actor, now: datetime | None = None) -> None:
    """招集: announce the draft to the members (the notifier sends the convocation notice)."""
    require(can_manage(actor), "only the secretariat convenes meetings")
    now = now or utcnow()
    lock(meeting)
    once(meeting.status is not MeetingStatus.CONVENED, _("この会議はすでに招集されています。"))
    _check_transition(meeting, MeetingStatus.CONVENED)
    check(meeting.starts_at > now, _("開始日時を過ぎた会議は招集できません。日時を変更してください。"), "starts_at")
    before = meeting.status
    _transition(meeting, MeetingStatus.CONVENED)
    meeting.convened_at = now
    meeting.convened_by_id = actor.id
    documents.assign_document_number(meeting, now)
    materials.freeze(meeting)
    db.session.flush()
    audit.record(actor, "meeting.convened", meeting, label=meeting_name(meeting), before=before, after=meeting.status)
    events.emit(Event.MEETING_CONVENED, meeting)


def postpone(
    meeting: Meeting, *, actor, starts_at: datetime, ends_at: datetime, reason: str = "",
    answer_deadline: datetime | None = None, now: datetime | None = None,
) -> None:
    """延期: move an announced meeting to a new time (the first announced time is kept)."""
    require(can_manage(actor), "only the secretariat postpones meetings")
    now = now or utcnow()
    lock(meeting)
    once(
        not (meeting.status is MeetingStatus.POSTPONED and (starts_at, ends_at) == (meeting.starts_at, meeting.ends_at)),
        _("この会議はすでにこの日時に延期されています。"),
    )
    check(
        meeting.status in ANNOUNCED,
        _("「%(status)s」の会議は延期できません。", status=label(meeting.status)),
        "status",
    )
    check(starts_at is not None and ends_at is not None, _("新しい開催日と時刻を入力してください。"), "starts_at")
    check(starts_at > now, _("開始日時が過去になっています。これからの日時を入力してください。"), "starts_at")
    check(starts_at.year <= MAX_YEAR and ends_at.year <= MAX_YEAR,
          _("開催日は%(year)d年までの日付を入力してください。", year=MAX_YEAR), "starts_at")
    check(ends_at > starts_at, _("終了時刻は開始時刻より後にしてください。"), "ends_at")
    check(
        (starts_at, ends_at) != (meeting.starts_at, meeting.ends_at),
        _("新しい日時が現在の日時と同じです。"),
        "starts_at",
    )
    check(
        fiscal_year_of(starts_at) == meeting.fiscal_year,
        _("招集後の会議は年度をまたいで日程を変更できません。中止して、新しい年度の会議を作成してください。"),
        "starts_at",
    )
    deadline = answer_deadline or meeting.answer_deadline
    check(
        deadline is None or deadline <= starts_at,
        _("出欠の回答期限は開始日時より前にしてください。"),
        "answer_deadline",
    )
    reason = (reason or "").strip()
    before = _snapshot(meeting, ("status", "starts_at", "ends_at", "answer_deadline", "sequence"))
    _transition(meeting, MeetingStatus.POSTPONED)
    meeting.original_starts_at = meeting.original_starts_at or meeting.starts_at
    meeting.starts_at, meeting.ends_at, meeting.answer_deadline = starts_at, ends_at, deadline
    meeting.postpone_reason = reason
    db.session.flush()
    moved_day = to_tokyo(before["starts_at"]).date() != to_tokyo(starts_at).date()
    reset = ask_attendance_again(meeting, actor=actor) if moved_day else 0
    audit.record(
        actor, "meeting.postponed", meeting, label=meeting_name(meeting), reason=reason, before=before,
        after=_snapshot(meeting, ("status", "starts_at", "ends_at", "answer_deadline", "sequence")),
        attendance_asked_again=moved_day, answers_reset=reset,
    )
    events.emit(Event.MEETING_POSTPONED, meeting, previous_starts_at=before["starts_at"], reason=reason)


def ask_attendance_again(meeting: Meeting, *, actor) -> int:
    """延期で日が変わった: every answer goes back to 未回答; the earlier answer is kept in the audit history."""
    answered = list(db.session.scalars(
        select(Attendance).options(joinedload(Attendance.membership).joinedload(Membership.body))
        .where(Attendance.meeting_id == meeting.id, Attendance.answered_at.is_not(None))
    ))
    for attendance in answered:
        audit.record(
            actor, "attendance.asked_again", attendance,
            label=f"{meeting_name(meeting)} {attendance.membership.seat_label}", meeting_id=meeting.id,
            seat=attendance.membership.seat_label,
            before={"response": attendance.response, "proxy_name": attendance.proxy_name,
                    "proxy_title": attendance.proxy_title, "answered_at": attendance.answered_at},
            after={"response": AttendanceResponse.UNDECIDED},
        )
        attendance.response, attendance.proxy_name, attendance.proxy_title = AttendanceResponse.UNDECIDED, "", ""
        attendance.answered_at, attendance.answered_by_id = None, None
    db.session.flush()
    return len(answered)


def cancel(meeting: Meeting, *, actor, reason: str) -> None:
    """中止: the meeting will not take place; it stays listed (and in calendars, as cancelled)."""
    require(can_manage(actor), "only the secretariat cancels meetings")
    lock(meeting)
    once(meeting.status is not MeetingStatus.CANCELLED, _("この会議はすでに中止されています。"))
    reason = (reason or "").strip()
    check(reason, _("中止の理由を入力してください。"), "reason")
    check(len(reason) <= 1000, _("中止の理由は1000文字以内で入力してください。"), "reason")
    check(
        meeting.status in ANNOUNCED,
        _("「%(status)s」の会議は中止できません。", status=label(meeting.status)),
        "status",
    )
    before = meeting.status
    _transition(meeting, MeetingStatus.CANCELLED)
    meeting.cancel_reason = reason
    db.session.flush()
    audit.record(actor, "meeting.cancelled", meeting, label=meeting_name(meeting), reason=reason, before=before, after=meeting.status)
    events.emit(Event.MEETING_CANCELLED, meeting, reason=reason)


def _begin_step(meeting: Meeting, actor, now: datetime | None, *, done: MeetingStatus, may: str, already: str) -> datetime:
    """The start of a step of the meeting day: the secretariat's, on the locked row, once (a repeat is a 409)."""
    require(can_manage(actor), may)
    lock(meeting)
    once(meeting.status is not done, already)
    return now or utcnow()


def open_session(meeting: Meeting, *, actor, now: datetime | None = None) -> None:
    """開会: the secretariat opens the sitting on the meeting's day; votes of the sitting may open from now."""
    now = _begin_step(meeting, actor, now, done=MeetingStatus.IN_SESSION, may="only the secretariat opens the sitting",
                      already=_("この会議はすでに開会しています。"))
    check(
        meeting.status in ANNOUNCED,
        _("「%(status)s」の会議は開会できません。", status=label(meeting.status)),
        "status",
    )
    check(
        to_tokyo(now).date() >= to_tokyo(meeting.starts_at).date(),
        _("開会できるのは開催日(%(day)s)からです。", day=format_date(meeting.starts_at, locale=locale())),
        "status",
    )
    before = meeting.status
    meeting.status = MeetingStatus.IN_SESSION  # not a change members need a new calendar entry for
    meeting.session_opened_at = now
    _touch(meeting)
    db.session.flush()
    audit.record(actor, "meeting.session_opened", meeting, label=meeting_name(meeting), before=before,
                 after=meeting.status, at=now)
    touch_live(meeting.id)
    events.emit(Event.MEETING_SESSION_OPENED, meeting)


def close_session(meeting: Meeting, *, actor, now: datetime | None = None) -> None:
    """閉会: the sitting ends and the meeting is held; votes of the sitting must be closed or cancelled first."""
    now = _begin_step(meeting, actor, now, done=MeetingStatus.HELD, may="only the secretariat closes the sitting",
                      already=_("この会議はすでに閉会しています。"))
    check(meeting.status is MeetingStatus.IN_SESSION, _("開会中の会議だけを閉会できます。"), "status")
    from ..models import Vote, VoteMethod, VoteState

    live = db.session.scalar(
        select(func.count()).select_from(Vote).join(AgendaItem, AgendaItem.id == Vote.agenda_item_id)
        .where(AgendaItem.meeting_id == meeting.id, Vote.method != VoteMethod.WRITTEN,
               Vote.state.in_([VoteState.OPEN, VoteState.TIED]))
    )
    check(not live, _("受付中の表決があります。先に表決を締め切るか取り消してから閉会してください。"), "status")
    before = meeting.status
    _transition(meeting, MeetingStatus.HELD)
    meeting.session_closed_at = now
    db.session.flush()
    audit.record(actor, "meeting.session_closed", meeting, label=meeting_name(meeting), before=before,
                 after=meeting.status, at=now)
    touch_live(meeting.id)
    events.emit(Event.MEETING_HELD, meeting)


def check_in(meeting: Meeting, membership: Membership, *, actor, present: bool = True,
             now: datetime | None = None) -> Attendance:
    """出席確認 during the sitting: the seat's member checks in, or the secretariat for the member or the proxy."""
    if not can_manage(actor):
        require(membership.user_id == getattr(actor, "id", None), "members check in only their own seat")
        check(present, _("退席の記録は事務局が行います。"), "present")
    check(
        membership.committee_id == meeting.committee_id and membership.fiscal_year == meeting.fiscal_year
        and membership.has_vote,
        _("この会議の議席ではありません。"),
        "membership",
    )
    check(meeting.status is MeetingStatus.IN_SESSION or (can_manage(actor) and meeting.status in PRESENCE_STATUSES),
          _("出席の確認は開会中に行います。"), "status")
    attendance = db.session.scalar(
        select(Attendance).where(Attendance.meeting_id == meeting.id, Attendance.membership_id == membership.id)
    ) or _new_attendance_row(meeting, membership)
    before = attendance.present
    attendance.present = bool(present)
    db.session.flush()
    audit.record(actor, "attendance.checked_in" if present else "attendance.checked_out", attendance,
                 label=f"{meeting_name(meeting)} {membership.seat_label}", meeting_id=meeting.id,
                 seat=membership.seat_label, proxy=attendance.response is AttendanceResponse.PROXY,
                 before=before, after=attendance.present, at=now or utcnow())
    touch_live(meeting.id)
    return attendance


def mark_held(meeting: Meeting, *, actor, now: datetime | None = None) -> None:
    """開催済み: the meeting took place (from its start time on), recorded after the fact without a sitting."""
    now = _begin_step(meeting, actor, now, done=MeetingStatus.HELD, may="only the secretariat records meetings as held",
                      already=_("この会議はすでに開催済みです。"))
    check(
        meeting.status in ANNOUNCED,
        _("「%(status)s」の会議は開催済みにできません。", status=label(meeting.status)),
        "status",
    )
    check(meeting.starts_at <= now, _("開始日時より前の会議は開催済みにできません。"), "status")
    before = meeting.status
    _transition(meeting, MeetingStatus.HELD)
    db.session.flush()
    audit.record(actor, "meeting.held", meeting, label=meeting_name(meeting), before=before, after=meeting.status)
    events.emit(Event.MEETING_HELD, meeting)


def delete_draft(meeting: Meeting, *, actor) -> None:
    """Delete a draft that was never convened, with its agenda and 資料."""
    require(can_manage(actor), "only the secretariat deletes draft meetings")
    check(meeting.status is MeetingStatus.DRAFT, _("招集した会議は削除できません。中止の手続きをしてください。"), "status")
    audit.record(actor, "meeting.deleted", meeting, label=meeting_name(meeting), before=_snapshot(meeting))
    for attachment in db.session.scalars(select(Attachment).where(Attachment.meeting_id == meeting.id)):
        files.remove(attachment)
    db.session.flush()
    db.session.execute(delete(Attendance).where(Attendance.meeting_id == meeting.id))
    for item in list(meeting.agenda_items):
        events.emit(Event.AGENDA_ITEM_REMOVED, item)
    db.session.delete(meeting)
    db.session.flush()


# --------------------------------------------------------------------------------------------- agenda

def _check_agenda_editable(meeting: Meeting) -> None:
    check(meeting.status in EDITABLE, _("開催済み・中止の会議の議事は変更できません。"), "status")


def _agenda_changed(meeting: Meeting, what: str) -> None:
    _touch(meeting)
    if meeting.status in ANNOUNCED:
        meeting.sequence += 1
        events.emit(Event.MEETING_CHANGED, meeting, changed=["agenda"], what=what)


def _clean_item(kind, title, minutes_allotted, notes) -> dict:
    check(isinstance(kind, AgendaKind), _("議事の種類を選んでください。"), "kind")
    title = (title or "").strip()
    check(title, _("議事の件名を入力してください。"), "title")
    check(len(title) <= 200, _("件名は200文字以内で入力してください。"), "title")
    if minutes_allotted is not None:
        check(
            0 < minutes_allotted <= MAX_MINUTES,
            _("所要時間は1〜%(max)d分で入力してください。", max=MAX_MINUTES),
            "minutes_allotted",
        )
    return {"kind": kind, "title": title, "minutes_allotted": minutes_allotted, "notes": (notes or "").strip()}


def _item_snapshot(item: AgendaItem) -> dict:
    return {
        "position": item.position, "kind": item.kind, "title": item.title, "presenter_body_id": item.presenter_body_id,
        "minutes_allotted": item.minutes_allotted, "notes": item.notes,
    }


def add_agenda_item(
    meeting: Meeting, *, actor, kind: AgendaKind, title: str, presenter_body: Body | None = None,
    minutes_allotted: int | None = None, notes: str = "",
) -> AgendaItem:
    """Append an item (議事) to the agenda; presenter None means the secretariat (事務局)."""
    require(can_manage(actor), "only the secretariat builds agendas")
    _check_agenda_editable(meeting)
    values = _clean_item(kind, title, minutes_allotted, notes)
    position = max((item.position for item in meeting.agenda_items), default=0) + 1
    item = AgendaItem(meeting=meeting, position=position, presenter_body=presenter_body, **values)
    db.session.add(item)
    db.session.flush()
    _agenda_changed(meeting, "added")
    audit.record(actor, "agenda_item.added", item, label=item.title, after=_item_snapshot(item))
    return item


def update_agenda_item(
    item: AgendaItem, *, actor, kind: AgendaKind, title: str, presenter_body: Body | None = None,
    minutes_allotted: int | None = None, notes: str = "",
) -> bool:
    require(can_manage(actor), "only the secretariat builds agendas")
    _check_agenda_editable(item.meeting)
    values = _clean_item(kind, title, minutes_allotted, notes)
    values["presenter_body_id"] = presenter_body.id if presenter_body else None
    before = _item_snapshot(item)
    changed = {name: value for name, value in values.items() if getattr(item, name) != value}
    if not changed:
        return False
    for name, value in changed.items():
        setattr(item, name, value)
    item.presenter_body = presenter_body
    db.session.flush()
    _agenda_changed(item.meeting, "updated")
    after = _item_snapshot(item)
    audit.record(
        actor, "agenda_item.updated", item, label=item.title,
        before={k: v for k, v in before.items() if after[k] != v}, after={k: v for k, v in after.items() if before[k] != v},
    )
    return True


def remove_agenda_item(item: AgendaItem, *, actor) -> None:
    """Remove an item and its 資料; the rest close up. Emits "agenda_item.removed" first (a linked proposal returns)."""
    require(can_manage(actor), "only the secretariat builds agendas")
    meeting = item.meeting
    _check_agenda_editable(meeting)
    audit.record(actor, "agenda_item.removed", item, label=item.title, before=_item_snapshot(item))
    events.emit(Event.AGENDA_ITEM_REMOVED, item)
    for attachment in db.session.scalars(select(Attachment).where(Attachment.agenda_item_id == item.id)):
        files.remove(attachment)
    db.session.flush()  # the files' rows go before the item they point to
    meeting.agenda_items.remove(item)
    db.session.flush()
    for position, other in enumerate(meeting.agenda_items, start=1):
        other.position = position
    _agenda_changed(meeting, "removed")
    db.session.flush()


def move_agenda_item(item: AgendaItem, *, actor, direction: str) -> None:
    """Swap an item with its neighbour above ("up") or below ("down")."""
    require(can_manage(actor), "only the secretariat builds agendas")
    meeting = item.meeting
    _check_agenda_editable(meeting)
    check(direction in ("up", "down"), _("移動の方向が正しくありません。"))
    items = sorted(meeting.agenda_items, key=lambda i: i.position)
    index = items.index(item)
    other_index = index - 1 if direction == "up" else index + 1
    check(0 <= other_index < len(items), _("これ以上移動できません。"))
    other = items[other_index]
    before = item.position
    item.position, other.position = other.position, item.position
    db.session.flush()
    db.session.expire(meeting, ["agenda_items"])
    _agenda_changed(meeting, "moved")
    audit.record(actor, "agenda_item.moved", item, label=item.title, before=before, after=item.position)


# ------------------------------------------------------------------------------------------- 資料

def _check_attachable(meeting: Meeting) -> None:
    check(meeting.status in ATTACHABLE, _("中止した会議の資料は変更できません。"), "file")


def add_attachment(meeting: Meeting, file_storage, *, actor, agenda_item: AgendaItem | None = None) -> Attachment:
    """Attach an uploaded 資料 to the meeting, or to one of its agenda items."""
    require(can_manage(actor), "only the secretariat attaches documents")
    _check_attachable(meeting)
    check(agenda_item is None or agenda_item.meeting_id == meeting.id, _("議事が見つかりません。"), "agenda_item")
    attachment = files.store_upload(file_storage, actor=actor)
    attachment.meeting_id = meeting.id
    attachment.agenda_item_id = agenda_item.id if agenda_item else None
    db.session.flush()
    materials.number_new(meeting, attachment)
    _touch(meeting)
    audit.record(
        actor, "attachment.added", attachment, label=attachment.original_name,
        meeting_id=meeting.id, agenda_item_id=attachment.agenda_item_id, size=attachment.size,
    )
    return attachment


def remove_attachment(attachment: Attachment, *, actor) -> None:
    require(can_manage(actor), "only the secretariat removes documents")
    meeting = db.session.get(Meeting, attachment.meeting_id)
    _check_attachable(meeting)
    audit.record(actor, "attachment.removed", attachment, label=attachment.original_name, meeting_id=meeting.id)
    files.remove(attachment)
    _touch(meeting)
    db.session.flush()


def meeting_attachments(meeting: Meeting) -> list[Attachment]:
    return list(
        db.session.scalars(
            select(Attachment).where(Attachment.meeting_id == meeting.id).order_by(Attachment.agenda_item_id.is_not(None), Attachment.id)
        )
    )


# ----------------------------------------------------------------------------------------- attendance

def voting_seats(meeting: Meeting) -> list[Membership]:
    """The seats that answer: the committee's voting members for the meeting's fiscal year."""
    return seats(meeting.committee, meeting.fiscal_year, include_observers=False)


def answer_attendance(
    meeting: Meeting, membership: Membership, *, actor, response: AttendanceResponse, proxy_name: str = "",
    proxy_title: str = "", now: datetime | None = None,
) -> Attendance:
    """出欠: one answer per seat, replaced by a later one. A proxy (代理出席) needs a name and title."""
    now = now or utcnow()
    check(
        membership.committee_id == meeting.committee_id and membership.fiscal_year == meeting.fiscal_year
        and membership.has_vote,
        _("この会議の議席ではありません。"),
        "membership",
    )
    if can_manage(actor):
        check(
            meeting.status in PRESENCE_STATUSES,
            _("「%(status)s」の会議は出欠を受け付けていません。", status=label(meeting.status)),
            "response",
        )
    else:
        require(membership.user_id == getattr(actor, "id", None), "members answer only for their own seat")
        check(
            meeting.status in ANNOUNCED,
            _("「%(status)s」の会議は出欠を受け付けていません。", status=label(meeting.status)),
            "response",
        )
        check(
            now <= answer_deadline_of(meeting),
            _("出欠の回答期限(%(deadline)s)を過ぎています。変更は事務局にご連絡ください。",
              deadline=format_datetime(answer_deadline_of(meeting), locale=locale())),
            "response",
        )
    check(isinstance(response, AttendanceResponse), _("出欠を選んでください。"), "response")
    proxy_name, proxy_title = (proxy_name or "").strip(), (proxy_title or "").strip()
    if response is AttendanceResponse.PROXY:
        check(proxy_name, _("代理出席者の氏名を入力してください。"), "proxy_name")
        check(proxy_title, _("代理出席者の職名を入力してください。"), "proxy_title")
        check(len(proxy_name) <= 100 and len(proxy_title) <= 100, _("氏名・職名は100文字以内で入力してください。"), "proxy_name")
    else:
        proxy_name, proxy_title = "", ""
    attendance = db.session.scalar(
        select(Attendance).where(Attendance.meeting_id == meeting.id, Attendance.membership_id == membership.id)
    )
    if attendance is None:
        attendance = _new_attendance_row(meeting, membership)
        before = None
    else:
        before = {"response": attendance.response, "proxy_name": attendance.proxy_name, "proxy_title": attendance.proxy_title} \
            if attendance.answered_at else None
    attendance.response, attendance.proxy_name, attendance.proxy_title = response, proxy_name, proxy_title
    attendance.answered_at = now
    attendance.answered_by_id = actor.id
    db.session.flush()
    audit.record(
        actor, "attendance.answered", attendance, label=f"{meeting_name(meeting)} {membership.seat_label}",
        meeting_id=meeting.id, seat=membership.seat_label, by_secretariat=membership.user_id != actor.id,
        before=before, after={"response": response, "proxy_name": proxy_name, "proxy_title": proxy_title},
    )
    return attendance


def _new_attendance_row(meeting: Meeting, membership: Membership) -> Attendance:
    """Insert the seat's attendance row; when a concurrent request inserted it first, use that one."""
    try:
        with db.session.begin_nested():
            attendance = Attendance(meeting_id=meeting.id, membership_id=membership.id,
                                    response=AttendanceResponse.UNDECIDED, proxy_name="", proxy_title="")
            db.session.add(attendance)
            db.session.flush()
        return attendance
    except IntegrityError:
        return db.session.scalar(
            select(Attendance).where(Attendance.meeting_id == meeting.id, Attendance.membership_id == membership.id)
        )


def record_presence(meeting: Meeting, *, actor, present_membership_ids, now: datetime | None = None) -> int:
    """Record who was actually present (出席確認) for every seat; returns how many were present."""
    require(can_manage(actor), "only the secretariat records presence")
    check(
        meeting.status in PRESENCE_STATUSES,
        _("「%(status)s」の会議は出席を記録できません。", status=label(meeting.status)),
        "status",
    )
    seat_list = voting_seats(meeting)
    present_ids = {int(i) for i in present_membership_ids}
    check(present_ids <= {m.id for m in seat_list}, _("この会議の議席ではない委員が含まれています。"), "present")
    existing = {
        a.membership_id: a for a in db.session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))
    }
    before = sorted(m.seat_label for m in seat_list if existing.get(m.id) and existing[m.id].present)
    for membership in seat_list:
        attendance = existing.get(membership.id)
        if attendance is None:
            attendance = Attendance(meeting_id=meeting.id, membership_id=membership.id,
                                    response=AttendanceResponse.UNDECIDED, proxy_name="", proxy_title="")
            db.session.add(attendance)
        attendance.present = membership.id in present_ids
    db.session.flush()
    after = sorted(m.seat_label for m in seat_list if m.id in present_ids)
    audit.record(actor, "meeting.presence_recorded", meeting, label=meeting_name(meeting), before=before, after=after)
    touch_live(meeting.id)
    return len(present_ids)


@dataclass
class SeatLine:
    membership: Membership
    attendance: Attendance | None

    @property
    def answered(self) -> bool:
        return self.attendance is not None and self.attendance.answered_at is not None

    @property
    def response(self) -> AttendanceResponse | None:
        return self.attendance.response if self.answered else None


@dataclass
class AttendanceSheet:
    """The meeting's seats with their answers: tally, who has not answered, presence."""

    lines: list[SeatLine]
    counts: dict = field(default_factory=dict)

    @property
    def tally(self) -> dict[str, int]:
        """Answers by response value ("attend", "proxy", "absent", "undecided")."""
        return {response.value: n for response, n in self.counts.items()}

    @property
    def unanswered(self) -> list[Membership]:
        return [line.membership for line in self.lines if not line.answered]

    @property
    def present(self) -> int:
        return sum(1 for line in self.lines if line.attendance and line.attendance.present)

    @property
    def presence_recorded(self) -> bool:
        return any(line.attendance and line.attendance.present is not None for line in self.lines)

    @property
    def expected(self) -> int:
        """Seats expected at the meeting: attending in person or by proxy."""
        return self.counts[AttendanceResponse.ATTEND] + self.counts[AttendanceResponse.PROXY]

    def line_for(self, membership: Membership | None) -> SeatLine | None:
        if membership is None:
            return None
        return next((line for line in self.lines if line.membership.id == membership.id), None)


def attendance_sheet(meeting: Meeting) -> AttendanceSheet:
    """Two queries whatever the number of seats."""
    seat_list = voting_seats(meeting)
    answers = {
        a.membership_id: a
        for a in db.session.scalars(
            select(Attendance).options(joinedload(Attendance.answered_by)).where(Attendance.meeting_id == meeting.id)
        )
    }
    lines = [SeatLine(m, answers.get(m.id)) for m in seat_list]
    counts = {response: 0 for response in AttendanceResponse}
    for line in lines:
        if line.answered:
            counts[line.response] += 1
    return AttendanceSheet(lines=lines, counts=counts)


# ------------------------------------------------------------------------------------ lists and dashboard

def upcoming_query(committee_ids, *, include_drafts: bool, now: datetime | None = None):
    """Meetings not yet over, soonest first (a sitting still open is not over, even past its planned end);
    committee_ids None means every committee."""
    statuses = list(ANNOUNCED) + ([MeetingStatus.DRAFT] if include_drafts else [])
    query = (
        select(Meeting)
        .options(joinedload(Meeting.committee))
        .where(or_(Meeting.status == MeetingStatus.IN_SESSION,
                   Meeting.status.in_(statuses) & (Meeting.ends_at >= (now or utcnow()))))
        .order_by(Meeting.starts_at, Meeting.id)
    )
    if committee_ids is not None:
        query = query.where(Meeting.committee_id.in_(committee_ids))
    return query


def upcoming_in(committee: Committee, user, limit: int = 5) -> list[Meeting]:
    """The committee's next meetings (drafts too, for the secretariat)."""
    return list(db.session.scalars(upcoming_query([committee.id], include_drafts=can_manage(user)).limit(limit)))


def my_upcoming(user, memberships: list[Membership], limit: int = 10) -> tuple[list[Meeting], list[tuple[Meeting, Membership]]]:
    """My next meetings, and those whose attendance I still owe (two queries)."""
    staff = can_manage(user)
    committee_ids = None if staff else sorted({m.committee_id for m in memberships})
    meetings = list(db.session.scalars(upcoming_query(committee_ids, include_drafts=staff).limit(limit)))
    seat_by_key = {(m.committee_id, m.fiscal_year): m for m in memberships if m.has_vote}
    candidates = [
        (meeting, seat_by_key[(meeting.committee_id, meeting.fiscal_year)])
        for meeting in meetings
        if (meeting.committee_id, meeting.fiscal_year) in seat_by_key and utcnow() <= answer_deadline_of(meeting)
    ]
    if not candidates:
        return meetings, []
    answered = set(
        db.session.execute(
            select(Attendance.meeting_id, Attendance.membership_id).where(
                Attendance.meeting_id.in_([meeting.id for meeting, _seat in candidates]),
                Attendance.membership_id.in_([seat.id for _meeting, seat in candidates]),
                Attendance.answered_at.is_not(None),
            )
        ).all()
    )
    return meetings, [(meeting, seat) for meeting, seat in candidates if (meeting.id, seat.id) not in answered]


# ---------------------------------------------------------------------------------- convocation notice

def agenda_of(meeting: Meeting) -> list[AgendaItem]:
    """The agenda in order, presenters, proposals and 前回議事録 links loaded (one query)."""
    return list(
        db.session.scalars(
            select(AgendaItem).options(
                joinedload(AgendaItem.presenter_body), joinedload(AgendaItem.confirmed_minutes),
                joinedload(AgendaItem.proposal),
            )
            .where(AgendaItem.meeting_id == meeting.id).order_by(AgendaItem.position)
        )
    )


def agenda_by_kind(agenda: list[AgendaItem]) -> list[tuple[AgendaKind, list[AgendaItem]]]:
    """The agenda as a notice lists it, strictly in the meeting's own item order (issue 20 item 2): consecutive
    items of one kind under one heading (報告事項 ア, イ …); when the kinds alternate, a kind's heading comes again
    rather than an item moving out of its place."""
    ordered = sorted(agenda, key=lambda item: item.position)
    return [(kind, list(items)) for kind, items in groupby(ordered, key=lambda item: item.kind)]


def meetings_for_list(committee: Committee, user):
    """Upcoming first (soonest first), then past ones newest first; drafts only for staff."""
    now = utcnow()
    query = select(Meeting).where(Meeting.committee_id == committee.id)
    if not can_manage(user):
        query = query.where(Meeting.status != MeetingStatus.DRAFT)
    upcoming = Meeting.ends_at >= now
    return query.order_by(
        case((upcoming, 0), else_=1),
        case((upcoming, Meeting.starts_at), else_=None),
        Meeting.fiscal_year.desc(),
        Meeting.starts_at.desc(),
        Meeting.id,
    )
