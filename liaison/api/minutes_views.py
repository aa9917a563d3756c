"""/api/v1 minutes: the meeting's minutes, 異議なし, comments."""
from __future__ import annotations

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..domain import require
from ..domain import minutes as minutes_rules
from ..extensions import db
from ..models import Meeting
from . import core
from . import schemas as s
from .common import _labelled
from .views import blp


# ------------------------------------------------------------------------------------- minutes

def _minutes(meeting: Meeting) -> dict:
    user = core.user()
    minutes = minutes_rules.minutes_of(meeting)
    require(minutes_rules.can_see(user, meeting, minutes), "not allowed to see these minutes")
    if minutes is None:
        return {"meeting_id": meeting.id, "exists": False, "status": None, "version": None, "published_version": None,
                "published_at": None, "text": None, "review": None}
    version = minutes_rules.visible_version(user, minutes)
    seat = minutes_rules.reviewer_seat(user, minutes)
    review = None
    if seat is not None:
        review = {"seat": seat.id, "can_review": minutes_rules.can_review(user, minutes),
                  "reviewed": minutes_rules.has_reviewed(minutes, user.id), "round": minutes.review_round,
                  "deadline": core.when(minutes.review_deadline)}
    return {
        "meeting_id": meeting.id, "exists": True, "status": _labelled(minutes.status),
        "version": version.number if version else None, "published_version": minutes.published_version,
        "published_at": core.when(minutes.published_at), "text": version.texts if version else None, "review": review,
    }


def _minutes_meeting(meeting_id: int) -> Meeting:
    meeting = db.session.scalar(select(Meeting).options(joinedload(Meeting.committee)).where(Meeting.id == meeting_id))
    if meeting is None:
        abort(404)
    return meeting


@blp.get("/meetings/<int:meeting_id>/minutes")
@blp.response(200, s.MinutesSchema)
def minutes(meeting_id):
    """The meeting's minutes as I may read them (the published version for everyone) and my review state."""
    return _minutes(_minutes_meeting(meeting_id))


def _minutes_or_404(meeting_id: int):
    meeting = _minutes_meeting(meeting_id)
    found = minutes_rules.minutes_of(meeting)
    require(minutes_rules.can_see(core.user(), meeting, found), "not allowed to see these minutes")
    if found is None:
        abort(404)
    return meeting, found


@blp.post("/meetings/<int:meeting_id>/minutes/no-objection")
@blp.response(200, s.MinutesSchema)
@blp.alt_response(409, description="Conflict")
@blp.alt_response(422, description="Refused")
def no_objection(meeting_id):
    """Mark the minutes under review 異議なし for my seat."""
    meeting, found = _minutes_or_404(meeting_id)
    minutes_rules.mark_no_objection(found, actor=core.user())
    return _minutes(meeting)


@blp.post("/meetings/<int:meeting_id>/minutes/comments")
@blp.arguments(s.CommentIn)
@blp.response(201, s.CommentSchema)
@blp.alt_response(422, description="Refused")
def comment(data, meeting_id):
    """Comment on the minutes under review (the whole, or one agenda item)."""
    _meeting, found = _minutes_or_404(meeting_id)
    made = minutes_rules.add_comment(found, actor=core.user(), text=data["text"], agenda_item_id=data["agenda_item_id"])
    return {"id": made.id, "text": made.text, "at": core.when(made.at)}
