"""Votes: who may do what (open, cast, see the choices, decide a tie, set the quorum), and a vote's label."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..dates import fiscal_year_label, utcnow
from ..extensions import db
from ..models import Membership, Role, Vote, VoteMethod, VoteSeat, VoteState
from . import access


# --------------------------------------------------------------------------------------------- labels

def vote_label(vote: Vote) -> str:
    item = vote.agenda_item
    meeting = item.meeting
    return f"{fiscal_year_label(meeting.fiscal_year)}第{meeting.number}回{vote.committee.name} {item.title}"


# ---------------------------------------------------------------------------------------- permissions

def can_manage(user) -> bool:
    """The secretariat (and administrators) open, record, close and cancel votes."""
    return access.is_staff(user)


def seat_of(user, vote: Vote) -> VoteSeat | None:
    """The user's frozen seat in this vote, if any (one query)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(VoteSeat).join(VoteSeat.membership)
        .options(joinedload(VoteSeat.membership).joinedload(Membership.body))
        .where(VoteSeat.vote_id == vote.id, Membership.user_id == user.id)
    )


def in_window(vote: Vote, now: datetime | None = None) -> bool:
    """A written vote takes members' ballots between opens_at and closes_at; the others while open."""
    now = now or utcnow()
    if vote.method is not VoteMethod.WRITTEN:
        return True
    return (vote.opens_at is None or vote.opens_at <= now) and (vote.closes_at is None or now < vote.closes_at)


def can_cast(user, vote: Vote, seat: VoteSeat | None, now: datetime | None = None) -> bool:
    """The seat's own member, on an open electronic or written vote, within its time window."""
    return (
        seat is not None
        and seat.membership.user_id == getattr(user, "id", None)
        and seat.membership.has_vote
        and vote.state.accepts_ballots
        and vote.method is not VoteMethod.IN_MEETING
        and in_window(vote, now)
        and seat.may_cast is not False
        and not presides_without_vote(vote, seat.membership_id)
    )


def presides_without_vote(vote: Vote, membership_id: int) -> bool:
    """Under the committee's default rule the presiding chair (議長) does not vote: it decides a tie instead."""
    return not vote.chair_votes and vote.presiding_membership_id is not None and vote.presiding_membership_id == membership_id


def may_see_choices(user, vote: Vote) -> bool:
    """Each seat's choice: never for a secret vote; for others after close, and to the secretariat throughout."""
    if vote.secret:
        return False
    return vote.state in (VoteState.CLOSED, VoteState.TIED) or can_manage(user)


def casting_seat(user, vote: Vote) -> VoteSeat | None:
    """The seat from which the user may give the casting vote: the chair's, or the vice chair's standing in."""
    if vote.state is not VoteState.TIED or not getattr(user, "is_authenticated", False) or vote.chair_votes:
        return None
    return casting_seat_among(user, vote, db.session.scalars(
        select(VoteSeat).join(VoteSeat.membership).options(joinedload(VoteSeat.membership))
        .where(VoteSeat.vote_id == vote.id, Membership.role.in_([Role.CHAIR, Role.VICE_CHAIR]))
    ))


def casting_seat_among(user, vote: Vote, chair_seats) -> VoteSeat | None:
    """Of a tied vote's chair and vice-chair seats, the one from which the user decides the tie: the seat that
    presided when the vote opened; for votes opened before that was stored, the chair's, or the vice chair's
    when the chair was not present (the vice chair stands in)."""
    chair_seats = list(chair_seats)
    if vote.presiding_membership_id is not None:
        presiding = next((s for s in chair_seats if s.membership_id == vote.presiding_membership_id), None)
        return presiding if presiding is not None and presiding.membership.user_id == user.id else None
    chairs = {s.membership.role: s for s in chair_seats}
    chair, vice = chairs.get(Role.CHAIR), chairs.get(Role.VICE_CHAIR)
    if chair is not None and chair.membership.user_id == user.id:
        return chair
    if vice is not None and vice.membership.user_id == user.id and (chair is None or not chair.present):
        return vice
    return None


# ------------------------------------------------------------------------------ committee quorum rule

def can_set_quorum(user) -> bool:
    """定足数 is a committee setting for administrators (not the secretariat)."""
    return bool(getattr(user, "is_authenticated", False) and user.is_admin)
