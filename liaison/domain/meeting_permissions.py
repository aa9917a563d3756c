"""Meetings: who may do what, and the states a rule reads (announced, editable, attachable, presence).

`touch` refreshes a meeting's `updated_at` (the calendar's LAST-MODIFIED) for the lifecycle, the agenda and 資料.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..dates import utcnow
from ..extensions import db
from ..models import Attendance, AttendanceResponse, Meeting, MeetingStatus, Membership
from . import access

# Announced: the members have the notice, so changes are news to them.
ANNOUNCED = (MeetingStatus.CONVENED, MeetingStatus.POSTPONED)
EDITABLE = (MeetingStatus.DRAFT, *ANNOUNCED)
# 資料 may still be posted after the meeting (当日配布資料), not for a cancelled one.
ATTACHABLE = (*EDITABLE, MeetingStatus.IN_SESSION, MeetingStatus.HELD)
# Presence and attendance are recorded from the notice through the sitting to afterwards.
PRESENCE_STATUSES = (*ANNOUNCED, MeetingStatus.IN_SESSION, MeetingStatus.HELD)


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



def touch(meeting: Meeting) -> None:
    meeting.updated_at = utcnow()
