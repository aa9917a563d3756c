"""/api/v1: what the resource views share — the dicts the schemas dump, and the loaders (404 when the object does
not exist, 403 when the token's user may not see it)."""
from __future__ import annotations

from flask import abort, url_for
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..domain import access, require
from ..domain import meetings as meeting_rules
from ..domain import proposal_permissions, proposal_queries
from ..extensions import db
from ..labels import label, meeting_name
from ..models import AgendaItem, Committee, Meeting, Membership, Proposal, Vote
from . import core


def _labelled(value):
    return None if value is None else {"value": value.value, "label": label(value)}


# ------------------------------------------------------------------------------------- dumping

def _committee(committee: Committee) -> dict:
    return {"id": committee.id, "slug": committee.slug, "name": committee.name, "short_name": committee.short_name}


def _seat(seat: Membership) -> dict:
    return {
        "id": seat.id, "committee_id": seat.committee_id, "fiscal_year": core.fiscal_year(seat.fiscal_year),
        "role": _labelled(seat.role), "body": {"id": seat.body.id, "name": seat.body.name},
        "department": seat.department, "seat_label": seat.seat_label, "user_name": seat.user.name,
        "has_vote": seat.has_vote,
    }


def _meeting_summary(meeting: Meeting) -> dict:
    return {
        "id": meeting.id, "committee": _committee(meeting.committee), "fiscal_year": core.fiscal_year(meeting.fiscal_year),
        "number": meeting.number, "title": meeting.title, "name": meeting_name(meeting),
        "status": _labelled(meeting.status), "format": _labelled(meeting.format),
        "starts_at": core.when(meeting.starts_at), "ends_at": core.when(meeting.ends_at), "place": meeting.place,
        "answer_deadline": core.when(meeting_rules.answer_deadline_of(meeting)),
        "url": url_for("meetings.show", committee=meeting.committee.slug, meeting_id=meeting.id, _external=False),
    }


def _agenda_item(item: AgendaItem) -> dict:
    return {
        "id": item.id, "position": item.position, "kind": _labelled(item.kind), "title": item.title,
        "presenter": item.presenter_body.name if item.presenter_body else None,
        "minutes_allotted": item.minutes_allotted, "proposal_id": item.proposal_id,
        "outcome": _labelled(item.outcome), "decided_at": core.when(item.decided_at),
    }


def _vote_summary(vote: Vote) -> dict:
    return {"id": vote.id, "agenda_item_id": vote.agenda_item_id, "state": _labelled(vote.state),
            "method": _labelled(vote.method), "secret": vote.secret, "opened_at": core.when(vote.opened_at),
            "closes_at": core.when(vote.closes_at)}


# ------------------------------------------------------------------------------------- loading

def _meeting_or_404(meeting_id: int) -> Meeting:
    meeting = db.session.scalar(select(Meeting).options(joinedload(Meeting.committee)).where(Meeting.id == meeting_id))
    if meeting is None:
        abort(404)
    require(meeting_rules.can_view(core.user(), meeting), "not allowed to see this meeting")
    return meeting


def _committee_or_404(committee_id: int) -> Committee:
    committee = next((c for c in access.all_committees() if c.id == committee_id), None)
    if committee is None:
        abort(404)
    require(access.can_view_committee(core.user(), committee), "not a member of this committee")
    return committee


def _proposal_or_404(proposal_id: int) -> Proposal:
    proposal = proposal_queries.load_for_page(proposal_id)
    if proposal is None:
        abort(404)
    require(proposal_permissions.can_view(core.user(), proposal), "not visible to this user")
    return proposal


def _vote_or_404(vote_id: int) -> Vote:
    vote = db.session.scalar(
        select(Vote).options(joinedload(Vote.agenda_item).joinedload(AgendaItem.meeting).joinedload(Meeting.committee))
        .where(Vote.id == vote_id)
    )
    if vote is None:
        abort(404)
    require(meeting_rules.can_view(core.user(), vote.agenda_item.meeting), "not allowed to see this meeting")
    return vote
