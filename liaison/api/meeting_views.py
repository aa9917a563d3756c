"""/api/v1 meetings: upcoming, a committee's, one meeting, its live state, my attendance answer."""
from __future__ import annotations

from flask import url_for
from marshmallow import fields as f
from sqlalchemy.orm import joinedload

from ..domain import access, require
from ..domain import meetings as meeting_rules
from ..domain.live_state import live_state, viewer_for
from ..models import AttendanceResponse, Meeting
from . import core
from . import schemas as s
from .common import _agenda_item, _committee_or_404, _labelled, _meeting_or_404, _meeting_summary
from .views import blp


# ------------------------------------------------------------------------------------- meetings

@blp.get("/meetings/upcoming")
@blp.arguments(s.PageArgs, location="query")
@blp.response(200, s.MeetingPageSchema)
def upcoming(args):
    """My next meetings (the dashboard's list): the committees of my seats, soonest first."""
    user = core.user()
    staff = meeting_rules.can_manage(user)
    committee_ids = None if staff else sorted({m.committee_id for m in access.active_memberships(user)})
    query = meeting_rules.upcoming_query(committee_ids, include_drafts=staff)
    return core.paginate(query, args, lambda rows: [_meeting_summary(m) for m in rows])


@blp.get("/committees/<int:committee_id>/meetings")
@blp.arguments(s.PageArgs, location="query")
@blp.response(200, s.MeetingPageSchema)
def committee_meetings(args, committee_id):
    """The committee's meetings as its page lists them: upcoming first, then past ones, newest first."""
    committee = _committee_or_404(committee_id)
    query = meeting_rules.meetings_for_list(committee, core.user()).options(joinedload(Meeting.committee))
    return core.paginate(query, args, lambda rows: [_meeting_summary(m) for m in rows])


def _tally(sheet) -> dict:
    tally = sheet.tally
    return {**{r.value: tally.get(r.value, 0) for r in AttendanceResponse},
            "unanswered": len(sheet.unanswered), "seats": len(sheet.lines)}


@blp.get("/meetings/<int:meeting_id>")
@blp.response(200, s.MeetingSchema)
def meeting(meeting_id):
    """A meeting with its agenda, 資料 (metadata and download links), the attendance tally and my answer."""
    meeting = _meeting_or_404(meeting_id)
    user = core.user()
    sheet = meeting_rules.attendance_sheet(meeting)
    seat = access.membership_in(user, meeting.committee, meeting.fiscal_year)
    line = sheet.line_for(seat)
    my_answer = None
    if line is not None:
        attendance = line.attendance if line.answered else None
        my_answer = {
            "membership_id": seat.id, "seat_label": seat.seat_label, "response": _labelled(line.response),
            "proxy_name": attendance.proxy_name if attendance else "", "proxy_title": attendance.proxy_title if attendance else "",
            "answered_at": core.when(attendance.answered_at) if attendance else None,
            "can_answer": meeting_rules.can_answer_for(user, meeting, seat),
        }
    slug = meeting.committee.slug
    return {
        **_meeting_summary(meeting),
        "online_url": meeting.online_url, "notes": meeting.notes,
        "proposal_deadline": core.when(meeting.proposal_deadline),
        "session_opened_at": core.when(meeting.session_opened_at), "session_closed_at": core.when(meeting.session_closed_at),
        "agenda": [_agenda_item(item) for item in meeting_rules.agenda_of(meeting)],
        "attachments": [
            {"id": a.id, "name": a.original_name, "content_type": a.content_type, "size": a.size, "sha256": a.sha256,
             "agenda_item_id": a.agenda_item_id, "uploaded_at": core.when(a.uploaded_at),
             "download_url": url_for("meetings.download", committee=slug, meeting_id=meeting.id, attachment_id=a.id)}
            for a in meeting_rules.meeting_attachments(meeting)
        ],
        "attendance": _tally(sheet),
        "my_answer": my_answer,
    }


class LivePresentingSchema(s.ma.Schema):
    attachment_id = f.Integer(required=True)
    number = f.String(required=True, metadata={"description": "資料2-1; empty when the 資料 has no number"})
    title = f.String(required=True)
    label = f.String(required=True, metadata={"description": "the number and the title, as the pages show it"})
    page = f.Integer(required=True, metadata={"description": "the presenter's page, from 1"})
    url = f.String(required=True, metadata={"description": "the in-page viewer at that page"})


class LiveStateSchema(s.LiveSchema):
    presenting = f.Nested(LivePresentingSchema, allow_none=True, required=True, metadata={
        "description": "「この資料を全員に表示」: the 資料 and page the tablets and the screen follow"})


@blp.get("/meetings/<int:meeting_id>/live")
@blp.response(200, LiveStateSchema)
def live(meeting_id):
    """The meeting day's live state, as live.json gives it to the same user (liaison.domain.live_state)."""
    meeting = _meeting_or_404(meeting_id)
    state = live_state(meeting, viewer_for(core.user(), meeting))
    for document in [*state["meeting"]["documents"], *(d for item in state["items"] for d in item["documents"])]:
        document["url"] = url_for("meetings.download", committee=meeting.committee.slug, meeting_id=meeting.id,
                                  attachment_id=document["id"])
    if state["presenting"]:
        state["presenting"]["url"] = url_for("meetings.view_material", committee=meeting.committee.slug,
                                             meeting_id=meeting.id, attachment_id=state["presenting"]["attachment_id"],
                                             page=state["presenting"]["page"])
    return state


@blp.put("/meetings/<int:meeting_id>/attendance")
@blp.arguments(s.AttendanceIn)
@blp.response(200, s.MyAnswerSchema)
@blp.alt_response(409, description="Conflict")
@blp.alt_response(422, description="Refused")
def answer_attendance(data, meeting_id):
    """Answer attendance for my seat (出席 / 代理出席 with the proxy's name and title / 欠席 / 未定)."""
    meeting = _meeting_or_404(meeting_id)
    user = core.user()
    seat = access.membership_in(user, meeting.committee, meeting.fiscal_year)
    require(seat is not None and seat.has_vote, "only a voting seat of the meeting answers")
    attendance = meeting_rules.answer_attendance(
        meeting, seat, actor=user, response=AttendanceResponse(data["response"]),
        proxy_name=data["proxy_name"], proxy_title=data["proxy_title"],
    )
    return {
        "membership_id": seat.id, "seat_label": seat.seat_label, "response": _labelled(attendance.response),
        "proxy_name": attendance.proxy_name, "proxy_title": attendance.proxy_title,
        "answered_at": core.when(attendance.answered_at), "can_answer": meeting_rules.can_answer_for(user, meeting, seat),
    }
