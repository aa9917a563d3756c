"""Votes: the arithmetic (quorum, majorities, the casting vote) and the count of a vote's ballots.

Who is present for the quorum and how a majority is reckoned: see liaison.domain.votes' docstring.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, select

from ..extensions import db
from ..models import (
    AgendaOutcome, Attendance, AttendanceResponse, Ballot, Choice, Majority, Vote, VoteMethod, VoteOutcome, VoteSeat,
)


# ------------------------------------------------------------------------------------- the arithmetic

def quorum_met(present: int, entitled: int, numerator: int = 1, denominator: int = 2, at_least: bool = False) -> bool:
    """定足数: present × d > entitled × n (or ≥ with at_least); exactly half is not quorum by default."""
    if entitled <= 0:
        return False
    if at_least:
        return present * denominator >= entitled * numerator
    return present * denominator > entitled * numerator


def base_of(yes: int, no: int, abstain: int, abstentions_in_base: bool) -> int:
    return yes + no + (abstain if abstentions_in_base else 0)


def outcome_of(yes: int, no: int, abstain: int, majority: Majority, abstentions_in_base: bool) -> VoteOutcome | None:
    """Adopted or rejected by the required majority; None for a tie under simple majority (the chair decides)."""
    base = base_of(yes, no, abstain, abstentions_in_base)
    if base == 0:
        return VoteOutcome.REJECTED
    if majority is Majority.SIMPLE:
        if yes * 2 == base:
            return None
        return VoteOutcome.ADOPTED if yes * 2 > base else VoteOutcome.REJECTED
    if majority is Majority.TWO_THIRDS:
        return VoteOutcome.ADOPTED if yes * 3 >= base * 2 else VoteOutcome.REJECTED
    return VoteOutcome.ADOPTED if yes == base else VoteOutcome.REJECTED


def casting_outcome(choice: Choice) -> VoteOutcome:
    """A tie decided by the chair's casting vote (議長裁決): yes adopts, no rejects."""
    return VoteOutcome.ADOPTED if choice is Choice.YES else VoteOutcome.REJECTED


def agenda_outcome_of(outcome: VoteOutcome) -> AgendaOutcome | None:
    """The item's outcome a closed vote gives it; None without a quorum (the item stays undecided)."""
    if outcome is VoteOutcome.NO_QUORUM:
        return None
    return AgendaOutcome.ADOPTED if outcome is VoteOutcome.ADOPTED else AgendaOutcome.REJECTED


# ---------------------------------------------------------------------------------- presence and count

def present_seats(vote: Vote) -> set[int]:
    """Membership ids of the present seats (see liaison.domain.votes' docstring), two queries."""
    cast = set(db.session.scalars(select(Ballot.membership_id).where(Ballot.vote_id == vote.id)))
    if vote.method is VoteMethod.WRITTEN:
        return cast
    sitting = dict(db.session.execute(
        select(VoteSeat.membership_id, VoteSeat.may_cast).where(VoteSeat.vote_id == vote.id, VoteSeat.may_cast.is_not(None))
    ).all())
    if sitting:  # a vote of the sitting: the seats present at its opening and those admitted since
        return cast | {membership_id for membership_id, may_cast in sitting.items() if may_cast}
    attended = set()
    rows = db.session.execute(
        select(Attendance.membership_id, Attendance.present, Attendance.response)
        .join(VoteSeat, and_(VoteSeat.membership_id == Attendance.membership_id, VoteSeat.vote_id == vote.id))
        .where(Attendance.meeting_id == vote.agenda_item.meeting_id)
    )
    for membership_id, present, response in rows:
        was_there = present if present is not None else response in (AttendanceResponse.ATTEND, AttendanceResponse.PROXY)
        if was_there:
            attended.add(membership_id)
    return cast | attended


@dataclass
class Tally:
    yes: int
    no: int
    abstain: int
    present: int
    entitled: int
    base: int
    quorum_met: bool
    outcome: VoteOutcome | None  # None: a tie for the chair
    present_ids: frozenset[int] = frozenset()

    @property
    def not_voting(self) -> int:
        return self.entitled - self.yes - self.no - self.abstain


def count(vote: Vote) -> Tally:
    """The count of the ballots as they stand (one grouped query and the presence queries)."""
    counts = {choice: 0 for choice in Choice}
    for choice, number in db.session.execute(
        select(Ballot.choice, func.count()).where(Ballot.vote_id == vote.id).group_by(Ballot.choice)
    ):
        counts[choice] += number
    present_ids = frozenset(present_seats(vote))
    yes, no, abstain = counts[Choice.YES], counts[Choice.NO], counts[Choice.ABSTAIN]
    met = quorum_met(len(present_ids), vote.entitled_count, vote.quorum_numerator, vote.quorum_denominator,
                     vote.quorum_at_least)
    outcome = outcome_of(yes, no, abstain, vote.majority, vote.abstentions_in_base) if met else VoteOutcome.NO_QUORUM
    return Tally(yes, no, abstain, len(present_ids), vote.entitled_count,
                 base_of(yes, no, abstain, vote.abstentions_in_base), met, outcome, present_ids)
