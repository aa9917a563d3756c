"""Meetings: attendance (出欠) — the answers per seat, asking again, presence (出席確認), the sheet."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from ..i18n import locale
from ..dates import format_datetime, utcnow
from ..extensions import db
from ..labels import label, meeting_name
from ..models import Attendance, AttendanceResponse, Meeting, MeetingStatus, Membership
from . import audit, check, require
from .live import touch as touch_live
from .meeting_permissions import ANNOUNCED, PRESENCE_STATUSES, answer_deadline_of, can_manage
from .memberships import by_role, seat_row, seat_rows_query, seats

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


@dataclass(frozen=True, slots=True)
class AnswerRow:
    """An attendance answer as the meeting page reads it (`line.attendance`)."""
    response: AttendanceResponse
    proxy_name: str
    proxy_title: str
    present: bool | None
    answered_at: datetime | None


def attendance_sheet_rows(meeting: Meeting) -> AttendanceSheet:
    """attendance_sheet() for the meeting page, one query of the columns it shows (issue 22): the lines' seats are
    memberships.SeatRow and their answers AnswerRow instead of the ORM graph of seats, users, bodies and answers."""
    rows = db.session.execute(
        seat_rows_query(meeting.committee, meeting.fiscal_year)
        .add_columns(Attendance.id, Attendance.response, Attendance.proxy_name, Attendance.proxy_title,
                     Attendance.present, Attendance.answered_at)
        .outerjoin(Attendance, (Attendance.meeting_id == meeting.id) & (Attendance.membership_id == Membership.id))
    ).all()
    lines = by_role([SeatLine(seat_row(row), None if row[6] is None else AnswerRow(*row[7:12]))
                     for row in rows if row[2].has_vote], lambda line: line.membership)
    counts = {response: 0 for response in AttendanceResponse}
    for line in lines:
        if line.answered:
            counts[line.response] += 1
    return AttendanceSheet(lines=lines, counts=counts)


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
