"""Votes: the pages' loads and lists (seats with ballots, a committee's votes, 書面表決 owed, decisions) and the
tables the CSV exports write (liaison.blueprints.csv_export)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Select, and_, select
from sqlalchemy.orm import contains_eager, joinedload

from ..dates import fiscal_year_label, iso_tokyo, utcnow
from ..extensions import db
from ..labels import label
from ..models import (
    AgendaItem, Ballot, Committee, Meeting, Membership, Proposal, Role, Vote, VoteMethod, VoteOutcome, VoteSeat,
    VoteState,
)
from .memberships import SeatRow, seat_row, seat_row_columns
from .vote_permissions import may_see_choices


# ----------------------------------------------------------------------------------- pages and lists

@dataclass
class SeatLine:
    seat: VoteSeat
    ballot: Ballot | None

    @property
    def membership(self) -> Membership:
        return self.seat.membership


def seat_lines(vote: Vote) -> list[SeatLine]:
    """The frozen seats in order with their ballots: two queries whatever the number of seats."""
    seats = list(
        db.session.scalars(
            select(VoteSeat)
            .options(joinedload(VoteSeat.membership).joinedload(Membership.user),
                     joinedload(VoteSeat.membership).joinedload(Membership.body))
            .where(VoteSeat.vote_id == vote.id).order_by(VoteSeat.position)
        )
    )
    ballots = {b.membership_id: b for b in db.session.scalars(select(Ballot).where(Ballot.vote_id == vote.id))}
    return [SeatLine(seat, ballots.get(seat.membership_id)) for seat in seats]


@dataclass(frozen=True, slots=True)
class VoteSeatRow:
    """A frozen seat of a vote as the vote page reads it (`line.seat`)."""
    id: int
    membership_id: int
    present: bool | None
    may_cast: bool | None


@dataclass(frozen=True, slots=True)
class BallotRow:
    """A ballot as the vote page reads it (`line.ballot`)."""
    id: int
    choice: object
    recorded_by_secretariat: bool
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class SeatRowLine:
    """seat_lines()' line as rows: the vote page's seat list (issue 22: columns, not the ORM graph)."""
    seat: VoteSeatRow
    membership: SeatRow
    ballot: BallotRow | None


def seat_row_lines(vote: Vote) -> list[SeatRowLine]:
    """seat_lines() for the page: the frozen seats in order with their ballots, one query of the columns shown."""
    rows = db.session.execute(
        select(*seat_row_columns(), VoteSeat.id, VoteSeat.present, VoteSeat.may_cast,
               Ballot.id, Ballot.choice, Ballot.recorded_by_secretariat, Ballot.updated_at)
        .select_from(VoteSeat).join(VoteSeat.membership).join(Membership.body).join(Membership.user)
        .outerjoin(Ballot, (Ballot.vote_id == VoteSeat.vote_id) & (Ballot.membership_id == VoteSeat.membership_id))
        .where(VoteSeat.vote_id == vote.id).order_by(VoteSeat.position)
    ).all()
    return [SeatRowLine(VoteSeatRow(row[6], row[0], row[7], row[8]), seat_row(row),
                        None if row[9] is None else BallotRow(row[9], row[10], row[11], row[12])) for row in rows]


def load_vote(vote_id: int, committee: Committee) -> Vote | None:
    """A vote of the committee with its item, meeting and people (one query)."""
    return db.session.scalar(
        select(Vote)
        .options(
            joinedload(Vote.agenda_item).joinedload(AgendaItem.meeting),
            joinedload(Vote.committee), joinedload(Vote.opened_by), joinedload(Vote.closed_by),
            joinedload(Vote.casting_by),
        )
        .where(Vote.id == vote_id, Vote.committee_id == committee.id)
    )


def votes_of_item(item: AgendaItem) -> list[Vote]:
    return list(db.session.scalars(select(Vote).where(Vote.agenda_item_id == item.id).order_by(Vote.id.desc())))


def proposal_decisions(proposal: Proposal) -> list[tuple[AgendaItem, Vote | None]]:
    """The meetings' decisions on the proposal, oldest first: each decided agenda item with the vote that
    decided it (None for 継続審議 without a vote). Needs `agenda_items` loaded; one query for the votes."""
    items = [item for item in proposal.agenda_items if item.outcome is not None]
    votes = deciding_votes(items)
    return [(item, votes.get(item.id)) for item in items]


def deciding_votes(items) -> dict[int, Vote]:
    """The closed vote that decided each of these agenda items, by item id (one query).

    An item decided without a vote (継続審議, 報告了承) has none; a vote closed without quorum
    decided nothing, so it is left out.
    """
    ids = [item.id for item in items]
    if not ids:
        return {}
    return {
        vote.agenda_item_id: vote
        for vote in db.session.scalars(
            select(Vote).where(
                Vote.agenda_item_id.in_(ids), Vote.state == VoteState.CLOSED, Vote.outcome != VoteOutcome.NO_QUORUM,
            ).order_by(Vote.id)
        )
    }


def committee_votes_query(committee: Committee, fiscal_year: int):
    """The committee's votes of a fiscal year, open ones first, for a paginated list."""
    return (
        select(Vote).join(Vote.agenda_item).join(AgendaItem.meeting)
        .options(joinedload(Vote.agenda_item).joinedload(AgendaItem.meeting), joinedload(Vote.committee))
        .where(Vote.committee_id == committee.id, Meeting.fiscal_year == fiscal_year)
        .order_by((Vote.state == VoteState.OPEN).desc(), Vote.opened_at.desc(), Vote.id.desc())
    )


def has_voted(vote: Vote, user_id: int) -> bool:
    """The user's seat in the vote has a ballot (cast by the member, or recorded by the secretariat)."""
    return db.session.scalar(
        select(Ballot.id).join(Membership, Membership.id == Ballot.membership_id)
        .where(Ballot.vote_id == vote.id, Membership.user_id == user_id).limit(1)
    ) is not None


def written_ballots_owed(user, *columns) -> Select:
    """SELECT columns FROM the 書面表決 in which one of the user's seats still owes a ballot.

    The seats are the vote's frozen entitled seats (VoteSeat) held by the user, not ended, not an
    observer's; the vote is written, open and has a deadline; the seat has no ballot yet. Callers narrow
    it (the dashboard to the votes open for casting now) and add their columns and joins; the calendar
    feed and the dashboard ask this one rule.
    """
    return (
        select(*columns).select_from(Vote)
        .join(VoteSeat, VoteSeat.vote_id == Vote.id)
        .join(Membership, Membership.id == VoteSeat.membership_id)
        .outerjoin(Ballot, and_(Ballot.vote_id == Vote.id, Ballot.membership_id == VoteSeat.membership_id))
        .where(
            Membership.user_id == user.id, Membership.ended_at.is_(None), Membership.role != Role.OBSERVER,
            Vote.method == VoteMethod.WRITTEN, Vote.state == VoteState.OPEN, Vote.closes_at.is_not(None),
            Ballot.id.is_(None),
        )
    )


def pending_written_votes(user, now: datetime | None = None) -> list[tuple[Vote, VoteSeat]]:
    """書面表決 my seats still have to answer and may answer now, deadline first (one query)."""
    if not getattr(user, "is_authenticated", False):
        return []
    now = now or utcnow()
    rows = db.session.execute(
        written_ballots_owed(user, Vote, VoteSeat)
        .options(joinedload(Vote.agenda_item).joinedload(AgendaItem.meeting), joinedload(Vote.committee),
                 contains_eager(VoteSeat.membership).joinedload(Membership.body))
        .where(Vote.closes_at > now, (Vote.opens_at.is_(None)) | (Vote.opens_at <= now))
        .order_by(Vote.closes_at)
    )
    return [(vote, seat) for vote, seat in rows]


# ------------------------------------------------------------------------- tables for the CSV exports

def ballots_table(vote: Vote, user) -> tuple[list[str], list[list]]:
    """Header and rows: each seat with whether it voted, and its choice unless the vote is secret (or still hidden from the user).

    Written as CSV by liaison.blueprints.csv_export.
    """
    show = may_see_choices(user, vote)
    rows = []
    for line in seat_lines(vote):
        ballot = line.ballot
        rows.append([
            line.membership.seat_label, line.membership.user.name,
            _("投票済み") if ballot else _("未投票"),
            label(ballot.choice) if (ballot and show) else "",
            iso_tokyo(ballot.updated_at) if ballot else "",
            _("事務局記録") if (ballot and ballot.recorded_by_secretariat) else "",
            {True: _("出席"), False: _("欠席"), None: ""}[line.seat.present],
        ])
    return [_("議席"), _("委員"), _("投票"), _("表決"), _("日時"), _("記録"), _("出席")], rows


def decisions(committee: Committee, fiscal_year: int) -> list[tuple[AgendaItem, Vote | None]]:
    """The fiscal year's decided agenda items with the closed vote that decided them (two queries)."""
    items = list(
        db.session.scalars(
            select(AgendaItem).join(AgendaItem.meeting)
            .options(joinedload(AgendaItem.meeting))
            .where(Meeting.committee_id == committee.id, Meeting.fiscal_year == fiscal_year,
                   AgendaItem.outcome.is_not(None))
            .order_by(Meeting.number, AgendaItem.position)
        )
    )
    closed = {
        v.agenda_item_id: v
        for v in db.session.scalars(
            select(Vote).where(Vote.agenda_item_id.in_([i.id for i in items]), Vote.state == VoteState.CLOSED)
            .order_by(Vote.id)
        )
    } if items else {}
    return [(item, closed.get(item.id)) for item in items]


def decisions_table(committee: Committee, fiscal_year: int) -> tuple[list[str], list[list]]:
    """Header and rows of the fiscal year's decisions with their tallies (the decisions.csv export)."""
    rows = []
    for item, vote in decisions(committee, fiscal_year):
        meeting = item.meeting
        row = [fiscal_year_label(meeting.fiscal_year), meeting.number, iso_tokyo(meeting.starts_at),
               item.position, item.title, label(item.outcome),
               iso_tokyo(item.decided_at) if item.decided_at else ""]
        if vote is not None:
            row += [label(vote.method), label(vote.majority), vote.yes_count, vote.no_count,
                    vote.abstain_count, vote.not_voting_count, vote.present_count, vote.entitled_count, vote.base,
                    _("充足") if vote.quorum_met else _("不足"), label(vote.casting_vote)]
        else:
            row += [""] * 11
        rows.append(row)
    header = [_("年度"), _("回"), _("開催日時"), _("議事番号"), _("議事"), _("結果"), _("決定日時"), _("表決方法"),
              _("必要な賛成数"), _("賛成"), _("反対"), _("棄権"), _("未投票"), _("出席"), _("議席数"), _("母数"),
              _("定足数"), _("議長裁決")]
    return header, rows
