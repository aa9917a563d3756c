"""/api/v1 votes: one vote, my ballot."""
from __future__ import annotations

from sqlalchemy import select

from ..domain import require
from ..domain import votes as vote_rules
from ..extensions import db
from ..models import Choice, Vote, VoteState
from . import core
from . import schemas as s
from .common import _labelled, _vote_or_404, _vote_summary
from .views import blp


# ------------------------------------------------------------------------------------- votes

def _vote(vote: Vote) -> dict:
    user = core.user()
    closed = vote.state in (VoteState.CLOSED, VoteState.TIED)
    tally = None
    if closed and vote.yes_count is not None:
        tally = {"yes": vote.yes_count, "no": vote.no_count or 0, "abstain": vote.abstain_count or 0,
                 "present": vote.present_count, "entitled": vote.entitled_count, "base": vote.base,
                 "quorum_met": vote.quorum_met, "outcome": _labelled(vote.outcome)}
    ballots = None
    if vote_rules.may_see_choices(user, vote):
        ballots = [{"membership_id": line.membership.id, "seat_label": line.membership.seat_label,
                    "choice": _labelled(line.ballot.choice) if line.ballot else None}
                   for line in vote_rules.seat_lines(vote)]
    seat = vote_rules.seat_of(user, vote)
    my_choice = None
    if seat is not None:
        from ..models import Ballot
        my_choice = db.session.scalar(select(Ballot.choice).where(Ballot.vote_id == vote.id,
                                                                  Ballot.membership_id == seat.membership_id))
    return {
        **_vote_summary(vote), "meeting_id": vote.agenda_item.meeting_id, "majority": vote.majority.value,
        "tally": tally, "ballots": ballots, "my_seat": seat.membership_id if seat else None,
        "my_choice": _labelled(my_choice), "can_cast": vote_rules.can_cast(user, vote, seat),
    }


@blp.get("/votes/<int:vote_id>")
@blp.response(200, s.VoteSchema)
def vote(vote_id):
    """A vote: its state, the tally once closed, each seat's ballot unless the vote is secret, my ballot."""
    return _vote(_vote_or_404(vote_id))


@blp.put("/votes/<int:vote_id>/ballot")
@blp.arguments(s.BallotIn)
@blp.response(200, s.VoteSchema)
@blp.alt_response(409, description="Conflict")
@blp.alt_response(422, description="Refused")
def cast(data, vote_id):
    """Cast or change my seat's ballot (賛成 / 反対 / 棄権) while the vote takes ballots."""
    vote = _vote_or_404(vote_id)
    user = core.user()
    seat = vote_rules.seat_of(user, vote)
    require(seat is not None, "only the seat's member casts its ballot")
    vote_rules.cast_ballot(vote, seat.membership, Choice(data["choice"]), actor=user)
    return _vote(vote)
