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

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from . import attachments as files
from .. import events
from ..events import Event
from ..dates import fiscal_year_of, format_date, to_tokyo, utcnow
from ..extensions import db
from ..i18n import locale
from ..labels import label, meeting_name
from ..models import AgendaItem, Attachment, Attendance, Committee, Meeting, MeetingFormat, MeetingStatus
from . import audit, check, documents, lock, materials, once, require
from .live import touch as touch_live
from .meeting_agenda import (  # noqa: F401 (callers use them from here)
    MAX_MINUTES, add_agenda_item, add_attachment, move_agenda_item, remove_agenda_item, remove_attachment,
    update_agenda_item,
)
from .meeting_attendance import (  # noqa: F401
    AttendanceSheet, SeatLine, answer_attendance, ask_attendance_again, attendance_sheet, attendance_sheet_rows, check_in,
    record_presence, voting_seats,
)
from .meeting_permissions import (  # noqa: F401
    ANNOUNCED, ATTACHABLE, EDITABLE, PRESENCE_STATUSES, answer_deadline_of, can_answer_for, can_manage, can_view,
    has_answered,
)
from .meeting_permissions import touch as _touch
from .meeting_queries import (  # noqa: F401
    agenda_by_kind, agenda_of, agenda_rows, meeting_attachments, meetings_for_list, my_upcoming, upcoming_in, upcoming_query,
)
from .meeting_schedule import (  # noqa: F401
    MAX_YEAR, NEEDS_PLACE, NEEDS_URL, _clean_schedule, _next_number, day_off_warning,
)

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


# ------------------------------------------------------------------------------------ meeting changes

def _snapshot(meeting: Meeting, names=MEETING_FIELDS + ("status", "fiscal_year", "number", "sequence")) -> dict:
    return {name: getattr(meeting, name) for name in names}


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
    _sitting_step_done(meeting, actor, "meeting.session_opened", before, now, Event.MEETING_SESSION_OPENED)


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
    meeting.presented_attachment_id = meeting.presented_page = None  # 「この資料を全員に表示」 ends with the sitting
    _sitting_step_done(meeting, actor, "meeting.session_closed", before, now, Event.MEETING_HELD)


def _sitting_step_done(meeting: Meeting, actor, action: str, before, now: datetime, event: Event) -> None:
    """The end of 開会 / 閉会: audited (before → after, at the step's time), the live pages told, the event emitted."""
    db.session.flush()
    audit.record(actor, action, meeting, label=meeting_name(meeting), before=before, after=meeting.status, at=now)
    touch_live(meeting.id)
    events.emit(event, meeting)


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
