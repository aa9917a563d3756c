"""Votes (表決) on agenda items: the frozen entitled seats, one ballot (票) per seat, the stored result.

A closed or cancelled vote never changes: `_refuse_changes_to_decided_votes` below refuses, at
flush time, any change to such a vote and any ballot change once a vote has left the open state.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean, ForeignKey, ForeignKeyConstraint, Index, Integer, Text, UniqueConstraint, event, select, text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from ..extensions import db
from .committees import Committee, Membership
from .meetings import AgendaItem
from .types import UTCDateTime, now_utc, str_enum
from .users import User


class VoteMethod(enum.Enum):
    IN_MEETING = "in_meeting"  # recorded by the secretariat: show of hands (挙手) or roll call (点呼)
    ELECTRONIC = "electronic"  # members cast on their device during the meeting
    WRITTEN = "written"  # 書面表決: opens and closes at set times


class Majority(enum.Enum):
    SIMPLE = "simple"  # 過半数: more yes than no
    TWO_THIRDS = "two_thirds"  # 3分の2以上
    UNANIMITY = "unanimity"  # 全会一致


class VoteState(enum.Enum):
    OPEN = "open"
    TIED = "tied"  # ballots closed on a tie under simple majority; the chair's casting vote decides
    CLOSED = "closed"
    CANCELLED = "cancelled"

    @property
    def accepts_ballots(self) -> bool:
        return self is VoteState.OPEN

    @property
    def is_final(self) -> bool:
        return self in (VoteState.CLOSED, VoteState.CANCELLED)


class VoteOutcome(enum.Enum):
    ADOPTED = "adopted"  # 可決
    REJECTED = "rejected"  # 否決
    NO_QUORUM = "no_quorum"  # 定足数不足


class Choice(enum.Enum):
    YES = "yes"  # 賛成
    NO = "no"  # 反対
    ABSTAIN = "abstain"  # 棄権


class Vote(db.Model):
    """表決 on an agenda item; settings fixed at opening, result stored on close."""

    __tablename__ = "votes"
    __table_args__ = (
        # One live (open or tied) vote per agenda item; cancelled and no-quorum votes stay as history.
        Index(
            "uq_votes_live_item", "agenda_item_id", unique=True,
            sqlite_where=text("state IN ('open', 'tied')"), postgresql_where=text("state IN ('open', 'tied')"),
        ),
        Index("ix_votes_committee_state", "committee_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agenda_item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id"), index=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committees.id"))
    method: Mapped[VoteMethod] = mapped_column(str_enum(VoteMethod))
    majority: Mapped[Majority] = mapped_column(str_enum(Majority))
    abstentions_in_base: Mapped[bool] = mapped_column(Boolean, default=False)
    secret: Mapped[bool] = mapped_column(Boolean, default=False)
    # The committee's quorum rule, copied at opening so a later change of the rule leaves this vote alone.
    quorum_numerator: Mapped[int] = mapped_column(Integer)
    quorum_denominator: Mapped[int] = mapped_column(Integer)
    quorum_at_least: Mapped[bool] = mapped_column(Boolean)
    # The committee's chair rule, copied at opening, and the seat presiding at opening (chair, or the vice
    # chair standing in for an absent chair); under the default rule that seat does not vote and decides a tie.
    chair_votes: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    presiding_membership_id: Mapped[int | None] = mapped_column(ForeignKey("memberships.id"))
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    state: Mapped[VoteState] = mapped_column(str_enum(VoteState), default=VoteState.OPEN)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The stored result (filled when ballots close; final once state is closed).
    entitled_count: Mapped[int] = mapped_column(Integer, default=0)
    yes_count: Mapped[int | None] = mapped_column(Integer)
    no_count: Mapped[int | None] = mapped_column(Integer)
    abstain_count: Mapped[int | None] = mapped_column(Integer)
    present_count: Mapped[int | None] = mapped_column(Integer)
    base: Mapped[int | None] = mapped_column(Integer)
    quorum_met: Mapped[bool | None] = mapped_column(Boolean)
    outcome: Mapped[VoteOutcome | None] = mapped_column(str_enum(VoteOutcome))
    casting_vote: Mapped[Choice | None] = mapped_column(str_enum(Choice))
    casting_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    casting_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    tallied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str] = mapped_column(Text, default="")

    agenda_item: Mapped[AgendaItem] = relationship()
    committee: Mapped[Committee] = relationship()
    opened_by: Mapped[User | None] = relationship(foreign_keys=[opened_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    casting_by: Mapped[User | None] = relationship(foreign_keys=[casting_by_id])
    seats: Mapped[list[VoteSeat]] = relationship(back_populates="vote", cascade="all, delete-orphan")

    @property
    def not_voting_count(self) -> int | None:
        if self.yes_count is None:
            return None
        return self.entitled_count - self.yes_count - self.no_count - self.abstain_count

    def __repr__(self) -> str:
        return f"<Vote {self.id} item={self.agenda_item_id} {self.state.value}>"


class VoteSeat(db.Model):
    """An entitled seat, frozen when the vote opens; `present` is stored when the ballots close."""

    __tablename__ = "vote_seats"
    __table_args__ = (UniqueConstraint("vote_id", "membership_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id"))
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    present: Mapped[bool | None] = mapped_column(Boolean)
    # A vote of the sitting: may this seat cast (present at the opening, or admitted later)? None: no sitting rule.
    may_cast: Mapped[bool | None] = mapped_column(Boolean)
    admitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    admitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    admit_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    vote: Mapped[Vote] = relationship(back_populates="seats")
    membership: Mapped[Membership] = relationship()


class Ballot(db.Model):
    """票: one per entitled seat (the composite key points at the frozen seat), changeable while the vote is open.

    In a secret vote the choice is erased when the ballots close: who voted is kept, not how.
    """

    __tablename__ = "ballots"
    __table_args__ = (
        UniqueConstraint("vote_id", "membership_id"),
        ForeignKeyConstraint(["vote_id", "membership_id"], ["vote_seats.vote_id", "vote_seats.membership_id"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("votes.id"))
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"))
    choice: Mapped[Choice | None] = mapped_column(str_enum(Choice))
    cast_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_by_secretariat: Mapped[bool] = mapped_column(Boolean, default=False)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    cast_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    vote: Mapped[Vote] = relationship()
    membership: Mapped[Membership] = relationship()
    cast_by: Mapped[User | None] = relationship()


class ClosedVoteError(RuntimeError):
    """A flush tried to change a decided vote or its ballots (a programming error, never user input)."""


def _persisted_state(session: Session, vote_id: int | None, cache: dict) -> VoteState | None:
    """The vote's state as the database holds it before this flush (None for a vote not yet written)."""
    if vote_id is None:
        return None
    if vote_id not in cache:
        cache[vote_id] = session.execute(select(Vote.state).where(Vote.id == vote_id)).scalar_one_or_none()
    return cache[vote_id]


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_decided_votes(session: Session, flush_context, instances) -> None:
    cache: dict = {}
    with session.no_autoflush:
        for obj in list(session.dirty) + list(session.deleted):
            if isinstance(obj, Vote) and (obj in session.deleted or session.is_modified(obj)):
                state = _persisted_state(session, obj.id, cache)
                if state is not None and state.is_final:
                    raise ClosedVoteError(f"vote {obj.id} is {state.value}: it never changes")
        for obj in list(session.new) + list(session.dirty) + list(session.deleted):
            if not isinstance(obj, (Ballot, VoteSeat)) or (obj in session.dirty and not session.is_modified(obj)):
                continue
            vote_id = obj.vote_id if obj.vote_id is not None else getattr(obj.vote, "id", None)
            state = _persisted_state(session, vote_id, cache)
            if state is not None and not state.accepts_ballots:
                raise ClosedVoteError(f"vote {vote_id} is {state.value}: its seats and ballots never change")
