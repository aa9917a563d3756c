"""Load-or-404-and-check-or-403, once per kind of object (flaskr's get_post, liaison's visibility rules).

Each loader finds the object inside the committee of the URL (another committee's id is a 404, as a
missing one is), then asks the domain whether the current user may see it (403 otherwise). The rule is
the domain's; a loader never re-derives it.
"""
from __future__ import annotations

from flask import abort, g
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..domain import meetings as meeting_rules
from ..domain import minutes as minutes_rules
from ..domain import proposal_permissions as proposal_access
from ..domain import proposal_queries
from ..domain import require
from ..domain import votes as vote_rules
from ..extensions import db
from ..models import AgendaItem, Attachment, Meeting, Minutes, MinutesVersion, Notification, Proposal, ProposalComment, Vote


def found_or_404(obj):
    """The object, or 404 when there is none."""
    if obj is None:
        abort(404)
    return obj


def _owned_or_404(model, object_id: int, **owner):
    """A row by primary key whose columns hold the given values (None: not asked): another's is not found."""
    obj = db.session.get(model, object_id)
    if obj is None or any(value is not None and getattr(obj, column) != value for column, value in owner.items()):
        abort(404)
    return obj


def get_or_404(model, object_id: int):
    """A row by primary key, for the pages whose access is the blueprint's (the administrators')."""
    return _owned_or_404(model, object_id)


def _meeting_row(meeting_id: int, options) -> Meeting:
    return found_or_404(db.session.scalar(
        select(Meeting).options(joinedload(Meeting.committee), *options)
        .where(Meeting.id == meeting_id, Meeting.committee_id == g.committee.id)
    ))


def meeting_or_404(meeting_id: int, *options) -> Meeting:
    """A meeting of this committee the user may see (a draft is the secretariat's)."""
    meeting = _meeting_row(meeting_id, options)
    require(meeting_rules.can_view(current_user, meeting), "not allowed to see this meeting")
    return meeting


def agenda_item_or_404(meeting: Meeting, item_id: int) -> AgendaItem:
    return _owned_or_404(AgendaItem, item_id, meeting_id=meeting.id)


def item_with_meeting_or_404(meeting_id: int, item_id: int) -> AgendaItem:
    """An agenda item with its meeting (one query), the meeting visible to the user."""
    item = found_or_404(db.session.scalar(
        select(AgendaItem).join(AgendaItem.meeting)
        .options(joinedload(AgendaItem.meeting).joinedload(Meeting.committee))
        .where(AgendaItem.id == item_id, AgendaItem.meeting_id == meeting_id, Meeting.committee_id == g.committee.id)
    ))
    require(meeting_rules.can_view(current_user, item.meeting), "not allowed to see this meeting")
    return item


def minutes_or_404(meeting_id: int) -> tuple[Meeting, Minutes | None]:
    """A meeting and its minutes (None before they are drafted), if the user may see them.

    Not the meeting's rule alone: anyone logged in reads published minutes, and last year's members
    still review the minutes of the meetings they sat in.
    """
    meeting = _meeting_row(meeting_id, (joinedload(Meeting.convened_by), joinedload(Meeting.created_by)))
    minutes = minutes_rules.minutes_of(meeting)
    require(minutes_rules.can_see(current_user, meeting, minutes), "not allowed to see these minutes")
    return meeting, minutes


def version_or_404(minutes: Minutes, number: int | None) -> MinutesVersion:
    """A version of the minutes (the latest when number is None) the user may read."""
    version = found_or_404(
        minutes_rules.latest_version(minutes) if number is None else minutes_rules.load_version(minutes, number))
    require(minutes_rules.can_read_version(current_user, minutes, version), "not allowed to read this version")
    return version


def proposal_or_404(proposal_id: int, *, for_page: bool = False) -> Proposal:
    """A proposal of this committee the user may see (a draft is its body's)."""
    proposal = proposal_queries.load_for_page(proposal_id) if for_page else db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.committee_id != g.committee.id:
        abort(404)
    require(proposal_access.can_view(current_user, proposal), "not visible to this user")
    return proposal


def comment_or_404(proposal: Proposal, comment_id: int) -> ProposalComment:
    return _owned_or_404(ProposalComment, comment_id, proposal_id=proposal.id)


def vote_or_404(vote_id: int) -> Vote:
    """A vote of this committee, on a meeting the user may see."""
    vote = found_or_404(vote_rules.load_vote(vote_id, g.committee))
    require(meeting_rules.can_view(current_user, vote.agenda_item.meeting), "not allowed to see this meeting")
    return vote


def attachment_or_404(attachment_id: int, *, meeting: Meeting | None = None, proposal: Proposal | None = None) -> Attachment:
    """A document of the meeting or proposal already loaded (and checked) by the view."""
    return _owned_or_404(Attachment, attachment_id, meeting_id=meeting and meeting.id, proposal_id=proposal and proposal.id)


def own_notification_or_404(notification_id: int) -> Notification:
    """One of the user's own notifications (someone else's is not found)."""
    return _owned_or_404(Notification, notification_id, recipient_id=current_user.id)
