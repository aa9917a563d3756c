"""Written sessions (書面開催) in the feeds: their day is their written votes' (書面表決) deadline, and the
votes' changes move the event (LAST-MODIFIED), so the feeds read the votes' latest deadline and change."""
from __future__ import annotations

from sqlalchemy import case, func, select
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import AgendaItem, Meeting, MeetingFormat, Vote, VoteMethod, VoteState
from . import ical


# A written vote's latest change: each state sets a later time, so look in this order.
VOTE_CHANGED_AT = func.coalesce(Vote.cancelled_at, Vote.closed_at, Vote.tallied_at, Vote.opened_at)

_SESSION = aliased(Meeting, name="written_session")


def written_votes(*columns):
    """SELECT columns FROM the written votes (書面表決) of written sessions (書面開催).

    The session is an alias, so the select can sit inside one over Meeting (correlated by the item).
    """
    return (
        select(*columns).select_from(Vote)
        .join(AgendaItem, AgendaItem.id == Vote.agenda_item_id).join(_SESSION, _SESSION.id == AgendaItem.meeting_id)
        .where(Vote.method == VoteMethod.WRITTEN, _SESSION.format == MeetingFormat.WRITTEN)
    )


def written_vote_columns(M) -> tuple:
    """Two labelled columns per meeting M for ical.WrittenVotes (NULL unless M is a written session):
    the latest deadline of its open, tied or closed written votes, and when its written votes last changed."""
    of_m = AgendaItem.meeting_id == M.id
    deadline = written_votes(func.max(Vote.closes_at)).where(of_m, Vote.state != VoteState.CANCELLED)
    changed_at = written_votes(func.max(VOTE_CHANGED_AT)).where(of_m)
    return deadline.scalar_subquery().label("vote_deadline"), changed_at.scalar_subquery().label("votes_changed_at")


def written_votes_of(meeting: Meeting) -> ical.WrittenVotes:
    """A written session's WrittenVotes in one query (nothing for other meetings)."""
    if meeting.format is not MeetingFormat.WRITTEN:
        return ical.NO_WRITTEN_VOTES
    deadline, changed_at = db.session.execute(
        select(*written_vote_columns(Meeting)).where(Meeting.id == meeting.id)
    ).one()
    return ical.WrittenVotes(deadline=deadline, changed_at=changed_at)


# written_vote_columns for all meetings at once: grouped once and joined, where the correlated
# subqueries cost PostgreSQL two lookups per meeting (half the query's time over 500 meetings).
WRITTEN_VOTES = (
    select(
        AgendaItem.meeting_id.label("meeting_id"),
        func.max(case((Vote.state != VoteState.CANCELLED, Vote.closes_at))).label("vote_deadline"),
        func.max(VOTE_CHANGED_AT).label("votes_changed_at"),
    )
    .join(AgendaItem, AgendaItem.id == Vote.agenda_item_id).where(Vote.method == VoteMethod.WRITTEN)
    .group_by(AgendaItem.meeting_id).subquery("written_votes")
)
