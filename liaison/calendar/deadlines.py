"""The user's deadlines in the personal feed: one provider per kind (出欠, 書面表決, 議事録の確認), each
with the version of its data (for the feed's ETag) and the deadlines themselves, one query each."""
from __future__ import annotations

from functools import cache
from typing import Iterable, Protocol

from sqlalchemy import Integer, and_, bindparam, exists, func, select

from ..domain import votes as vote_rules
from ..extensions import db
from ..i18n import gettext as _
from ..models import (
    AgendaItem, Ballot, Committee, Meeting, MeetingStatus, Membership, Minutes, MinutesReview, MinutesStatus,
    MinutesVersion, Role, User, Vote, VoteMethod, VoteSeat,
)
from ..urls import internal_path
from . import ical
from .rows import plain_rows_of
from .written import VOTE_CHANGED_AT


class _BoundUser:
    """A stand-in user whose id is the bind parameter user_id: the deadlines' statements are built once per
    process and run with the user's id (building one costs more than running it, a feed asks three)."""

    id = bindparam("user_id", type_=Integer)


_USER = _BoundUser()


class DeadlineProvider(Protocol):
    """A source of the user's deadlines; each kind (出欠, 書面表決, 議事録の確認) is one in DEADLINE_PROVIDERS.

    Both methods may run one query each, never one per meeting. `version` returns what the
    deadlines depend on beyond the feed's meetings and the user's seats (e.g. the count and latest
    change of the votes), so the feed's ETag changes with it; the datetimes in it are changes, and
    the feed's Last-Modified is at least the latest of them. `deadlines` gets the feed's meetings
    as rows of FEED_COLUMNS (id, committee_id, fiscal_year, status, answer_deadline, starts_at,
    ends_at, updated_at, sequence); the calendar loads a meeting itself when an event needs it.
    """

    def version(self, user: User, meeting_ids) -> tuple: ...

    def deadlines(self, user: User, meetings: list) -> Iterable[ical.Deadline]: ...


class AttendanceDeadlines:
    """出欠の回答期限 of announced meetings in which the user holds a voting seat."""

    statuses = (MeetingStatus.CONVENED, MeetingStatus.POSTPONED, MeetingStatus.IN_SESSION, MeetingStatus.HELD)

    def version(self, user: User, meeting_ids) -> tuple:
        return ()  # the deadline is a meeting column; the seats are in the feed's version already

    @staticmethod
    @cache
    def _statement():
        return select(Membership.committee_id, Membership.fiscal_year).where(
            Membership.user_id == _USER.id, Membership.role != Role.OBSERVER, Membership.ended_at.is_(None)
        )

    def deadlines(self, user: User, meetings: list) -> list[ical.Deadline]:
        seats = {tuple(row) for row in plain_rows_of(self._statement(), {"user_id": user.id})}
        label, note = _("出欠の回答期限"), _("出欠は会議のページから回答してください。")
        return [
            ical.Deadline(
                key=f"attendance-{meeting.id}", label=label, meeting_id=meeting.id, due_at=meeting.answer_deadline,
                updated_at=meeting.updated_at, sequence=meeting.sequence, note=note,
            )
            for meeting in meetings
            if meeting.answer_deadline is not None
            and meeting.status in self.statuses
            and (meeting.committee_id, meeting.fiscal_year) in seats
        ]


def _scalars(*subqueries) -> tuple:
    """Several aggregates of different selects in one statement."""
    return tuple(db.session.execute(select(*(query.scalar_subquery() for query in subqueries))).one())


class WrittenVoteDeadlines:
    """書面表決の期限 of open written votes in which one of the user's seats has not voted yet.

    Decided: a deadline in the feed is something still due from the user, so it leaves the feed once
    the seat has voted, or the secretariat closes or cancels the vote — the dashboard lists the same
    votes (`votes.pending_written_votes`). The seats are the vote's frozen entitled seats held by the
    user and not ended (the seat's holder when the vote opened keeps it, also across an April
    handover). Whether the deadline has passed does not matter, so the feed changes with the data only.
    """

    @staticmethod
    def _pending(user: User, *columns):
        return (
            vote_rules.written_ballots_owed(user, *columns)
            .join(AgendaItem, AgendaItem.id == Vote.agenda_item_id)
            .join(Meeting, Meeting.id == AgendaItem.meeting_id)
        )

    def version(self, user: User, meeting_ids) -> tuple:
        # Every change of the set moves one of these: a vote opened, closed, tied or cancelled (its
        # time), a ballot cast or changed (its time) or withdrawn (the count of ballots).
        mine = Membership.user_id == user.id
        seat_votes = (
            select(func.max(VOTE_CHANGED_AT)).join(VoteSeat, VoteSeat.vote_id == Vote.id)
            .join(Membership, Membership.id == VoteSeat.membership_id).where(mine, Vote.method == VoteMethod.WRITTEN)
        )
        ballots = (
            select().select_from(Ballot).join(Membership, Membership.id == Ballot.membership_id)
            .join(Vote, Vote.id == Ballot.vote_id).where(mine, Vote.method == VoteMethod.WRITTEN)
        )
        return _scalars(
            self._pending(user, func.count(Vote.id)),
            self._pending(user, func.coalesce(func.sum(Vote.id), 0)),
            self._pending(user, func.max(Meeting.updated_at)),
            seat_votes,
            ballots.add_columns(func.count(Ballot.id)),
            ballots.add_columns(func.max(Ballot.updated_at)),
        )

    @classmethod
    @cache
    def _statement(cls):
        return cls._pending(_USER, Vote.id.label("vote_id")).add_columns(
            Vote.closes_at, Vote.opened_at, AgendaItem.meeting_id, AgendaItem.position, AgendaItem.title,
            Meeting.updated_at, Meeting.sequence, Committee.slug,
        ).join(Committee, Committee.id == Meeting.committee_id)

    def deadlines(self, user: User, meetings: list) -> list[ical.Deadline]:
        rows = plain_rows_of(self._statement(), {"user_id": user.id})
        label, note = _("書面表決の期限"), _("表決のページから賛否を入力してください。")
        return [
            ical.Deadline(
                key=f"written-vote-{row.vote_id}", label=label, meeting_id=row.meeting_id, due_at=row.closes_at,
                # The item's title is in the event: editing the agenda refreshes the meeting's updated_at.
                updated_at=max(row.opened_at, row.updated_at), sequence=row.sequence, note=note,
                subject=_("議事%(n)d %(title)s", n=row.position, title=row.title), path=internal_path("votes.show", committee=row.slug, vote_id=row.vote_id),
            )
            for row in rows
        ]


class MinutesReviewDeadlines:
    """議事録の確認期限 of minutes in review that the user's seat has not yet marked 異議なし.

    The reviewers are the voting seats of the meeting's fiscal year, as in `minutes.reviewer_seat`
    (after an April handover the members who sat in the meeting review its minutes). Like written
    votes, the deadline leaves the feed once done: 異議なし on the version under review, or the
    minutes leave review. A new round of review (a new version) brings it back.
    """

    @staticmethod
    def _seats(user: User):
        return and_(
            Membership.user_id == user.id, Membership.committee_id == Meeting.committee_id,
            Membership.fiscal_year == Meeting.fiscal_year, Membership.ended_at.is_(None),
            Membership.role != Role.OBSERVER,
        )

    @classmethod
    def _pending(cls, user: User, *columns):
        under_review = (
            select(func.max(MinutesVersion.id)).where(MinutesVersion.minutes_id == Minutes.id).scalar_subquery()
        )
        reviewed = exists().where(
            MinutesReview.minutes_id == Minutes.id, MinutesReview.membership_id == Membership.id,
            MinutesReview.version_id == under_review,
        )
        return (
            select(*columns).select_from(Minutes)
            .join(Meeting, Meeting.id == Minutes.meeting_id)
            .join(Membership, cls._seats(user))
            .where(Minutes.status == MinutesStatus.IN_REVIEW, Minutes.review_deadline.is_not(None), ~reviewed)
        )

    def version(self, user: User, meeting_ids) -> tuple:
        # Opening, returning, approving and publishing all touch the minutes' updated_at; a review adds a row.
        seat_minutes = (
            select(func.max(Minutes.updated_at)).join(Meeting, Meeting.id == Minutes.meeting_id)
            .join(Membership, self._seats(user))
        )
        reviews = select().select_from(MinutesReview).where(MinutesReview.user_id == user.id)
        return _scalars(
            self._pending(user, func.count(Minutes.id)),
            self._pending(user, func.coalesce(func.sum(Minutes.id), 0)),
            seat_minutes,
            reviews.add_columns(func.count(MinutesReview.id)),
            reviews.add_columns(func.max(MinutesReview.at)),
        )

    @classmethod
    @cache
    def _statement(cls):
        return cls._pending(_USER, Minutes.id.label("minutes_id")).add_columns(
            Minutes.meeting_id, Minutes.review_deadline, Minutes.updated_at.label("minutes_updated_at"),
            Meeting.updated_at, Meeting.sequence, Committee.slug,
        ).join(Committee, Committee.id == Meeting.committee_id)

    def deadlines(self, user: User, meetings: list) -> list[ical.Deadline]:
        rows = plain_rows_of(self._statement(), {"user_id": user.id})
        label, note = _("議事録の確認期限"), _("議事録を確認し、「異議なし」または意見を送ってください。")
        return [
            ical.Deadline(
                key=f"minutes-review-{row.minutes_id}", label=label, meeting_id=row.meeting_id, due_at=row.review_deadline,
                updated_at=max(row.minutes_updated_at, row.updated_at), sequence=row.sequence, note=note,
                path=internal_path("minutes.show", committee=row.slug, meeting_id=row.meeting_id),
            )
            for row in rows
        ]


DEADLINE_PROVIDERS: list[DeadlineProvider] = [AttendanceDeadlines(), WrittenVoteDeadlines(), MinutesReviewDeadlines()]
