"""What each calendar feed holds, its version, and the cache of built feeds.

A feed is answered in two steps: one aggregate query gives the version of its data (count,
id sum and latest change of its meetings and of its written sessions' votes, the user's seats and
settings; with the user's deadlines, one more query per kind that has data of its own); the built bytes
are kept in one cache per process under that version, so a revalidation that ends in 304 never builds
the calendar, and a rebuild after one change takes the serialised events that did not change from the
feed's previous build. A personal feed revalidated within FEED_RECHECK_SECONDS of its last check gets
its 304 from the same cache entry without a query. Nothing else is cached: a process that has just
started builds each feed once in full. Building reads the feed's meetings in one query, their agendas
in one more, whatever their number.
"""
from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict, namedtuple
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Iterable, Protocol

from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlalchemy import and_, any_, bindparam, case, exists, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased

from ..dates import current_fiscal_year, fiscal_year_bounds, utcnow
from ..domain import votes as vote_rules
from ..domain.access import is_staff
from ..extensions import db
from ..i18n import pinned_locale
from ..models import (
    AgendaItem, AgendaKind, Ballot, Body, Committee, Meeting, MeetingFormat, MeetingStatus, Membership, Minutes, MinutesReview,
    MinutesStatus, MinutesVersion, Role, User, Vote, VoteMethod, VoteSeat, VoteState,
)
from ..urls import internal_path
from . import ical

# Drafts are never published; cancelled meetings stay (struck) for a while, then drop out.
FEED_STATUSES = (MeetingStatus.CONVENED, MeetingStatus.POSTPONED, MeetingStatus.IN_SESSION, MeetingStatus.HELD,
                 MeetingStatus.CANCELLED)
CANCELLED_KEPT_FOR = timedelta(days=90)
FEED_CACHE_SIZE = 4096
FEED_CACHE_BYTES = 64 * 1024 * 1024
# A written vote's latest change: each state sets a later time, so look in this order.
VOTE_CHANGED_AT = func.coalesce(Vote.cancelled_at, Vote.closed_at, Vote.tallied_at, Vote.opened_at)

# Aliases made once: building an alias's column proxies anew on every request costs more than the queries.
_SESSION = aliased(Meeting, name="written_session")
_FEED_MEETING = aliased(Meeting, name="feed_meeting")
_VERSIONED = aliased(Meeting, name="versioned")
_GONE = aliased(Meeting, name="gone")
_SEAT = aliased(Membership, name="seat")


@dataclass(frozen=True)
class Feed:
    body: bytes
    etag: str  # strong, over the bytes
    last_modified: datetime


# ------------------------------------------------------------------------------------------ deadlines

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

    def deadlines(self, user: User, meetings: list) -> list[ical.Deadline]:
        seats = {
            tuple(row)
            for row in db.session.execute(
                select(Membership.committee_id, Membership.fiscal_year).where(
                    Membership.user_id == user.id, Membership.role != Role.OBSERVER, Membership.ended_at.is_(None)
                )
            )
        }
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

    def deadlines(self, user: User, meetings: list) -> list[ical.Deadline]:
        rows = db.session.execute(
            self._pending(user, Vote.id.label("vote_id")).add_columns(
                Vote.closes_at, Vote.opened_at, AgendaItem.meeting_id, AgendaItem.position, AgendaItem.title,
                Meeting.updated_at, Meeting.sequence, Committee.slug,
            ).join(Committee, Committee.id == Meeting.committee_id)
        )
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

    def _pending(self, user: User, *columns):
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
            .join(Membership, self._seats(user))
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

    def deadlines(self, user: User, meetings: list) -> list[ical.Deadline]:
        rows = db.session.execute(
            self._pending(user, Minutes.id.label("minutes_id")).add_columns(
                Minutes.meeting_id, Minutes.review_deadline, Minutes.updated_at.label("minutes_updated_at"),
                Meeting.updated_at, Meeting.sequence, Committee.slug,
            ).join(Committee, Committee.id == Meeting.committee_id)
        )
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


# ------------------------------------------------------------------------------- written sessions

def _written_votes(*columns):
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
    deadline = _written_votes(func.max(Vote.closes_at)).where(of_m, Vote.state != VoteState.CANCELLED)
    changed_at = _written_votes(func.max(VOTE_CHANGED_AT)).where(of_m)
    return deadline.scalar_subquery().label("vote_deadline"), changed_at.scalar_subquery().label("votes_changed_at")


def written_votes_of(meeting: Meeting) -> ical.WrittenVotes:
    """A written session's WrittenVotes in one query (nothing for other meetings)."""
    if meeting.format is not MeetingFormat.WRITTEN:
        return ical.NO_WRITTEN_VOTES
    deadline, changed_at = db.session.execute(
        select(*written_vote_columns(Meeting)).where(Meeting.id == meeting.id)
    ).one()
    return ical.WrittenVotes(deadline=deadline, changed_at=changed_at)


# ------------------------------------------------------------------------------------------ scopes

@dataclass
class Scope:
    """The meetings of one feed: `criteria(M)` filters an alias M of Meeting."""

    key: tuple
    name: str
    now: datetime
    committee: Committee | None = None
    user: User | None = None
    include_deadlines: bool = False
    extra: tuple = field(default=())

    def criteria(self, M) -> list:
        """The meetings in the feed now."""
        return [
            M.status.in_(FEED_STATUSES),
            or_(M.status != MeetingStatus.CANCELLED, M.updated_at >= self.now - CANCELLED_KEPT_FOR),
            *self.window(M),
        ]

    def dropped_cancellations(self, M) -> list:
        """Cancelled meetings the feed showed until their 90 days were over."""
        return [
            M.status == MeetingStatus.CANCELLED,
            M.updated_at < self.now - CANCELLED_KEPT_FOR,
            *self.window(M),
        ]

    def window(self, M) -> list:
        """The previous and current fiscal years and every later one, as far as the scope may see."""
        fiscal_year = current_fiscal_year()
        return [M.fiscal_year >= fiscal_year - 1, *self._visibility(M, fiscal_year)]

    def _visibility(self, M, fiscal_year: int) -> list:
        if self.committee is not None:
            return [M.committee_id == self.committee.id]
        if self.user is None or is_staff(self.user):
            return []
        # A seat shows its committee's meetings of its own fiscal year (until the seat ended);
        # this year's seat also shows the meetings already planned for later years.
        seat = _SEAT
        return [
            exists().where(
                seat.user_id == self.user.id,
                seat.committee_id == M.committee_id,
                or_(seat.fiscal_year == M.fiscal_year, and_(seat.fiscal_year == fiscal_year, M.fiscal_year > fiscal_year)),
                or_(seat.ended_at.is_(None), seat.ended_at > M.starts_at),
            )
        ]


def user_scope(user: User, now: datetime | None = None) -> Scope:
    return Scope(
        key=("user", user.id), name=_("人づくり広域連合 会議予定"), now=now or utcnow(), user=user,
        include_deadlines=user.feed_include_deadlines,
        extra=(user.feed_include_deadlines, user.feed_updated_at, is_staff(user)),
    )


def committee_scope(committee: Committee, now: datetime | None = None) -> Scope:
    return Scope(
        key=("committee", committee.id), name=_("%(committee)s 会議予定", committee=committee.name),
        now=now or utcnow(), committee=committee,
    )


# ------------------------------------------------------------------------------------------ version

@dataclass(frozen=True)
class Version:
    key: str
    last_modified: datetime


def _latest(*values: datetime | None) -> datetime | None:
    present = [value for value in values if value is not None]
    return max(present) if present else None


def feed_version(scope: Scope, base_url: str) -> Version:
    """The version of a feed's data in one query, and its Last-Modified."""
    M, gone = _VERSIONED, _GONE
    # The latest cancellation that has dropped out: the feed changed when it did.
    dropped = select(func.max(gone.updated_at)).where(*scope.dropped_cancellations(gone)).scalar_subquery()
    # Written votes move a written session's day: the latest change of any of the feed's.
    W = _FEED_MEETING
    votes_changed = (
        _written_votes(func.max(VOTE_CHANGED_AT))
        .where(exists().where(W.id == AgendaItem.meeting_id, *scope.criteria(W))).scalar_subquery()
    )
    columns = [func.count(M.id), func.coalesce(func.sum(M.id), 0), func.max(M.updated_at), dropped, votes_changed]
    if scope.user is not None:
        # The user's seats decide what the feed shows (and which deadlines are theirs).
        seats = select(Membership).where(Membership.user_id == scope.user.id).subquery()
        voting_ids = func.coalesce(func.sum(case((seats.c.role != Role.OBSERVER, seats.c.id), else_=0)), 0)
        columns += [
            select(aggregate).select_from(seats).scalar_subquery()
            for aggregate in (func.count(), voting_ids, func.max(seats.c.created_at), func.max(seats.c.ended_at))
        ]
    row = tuple(db.session.execute(select(*columns).where(*scope.criteria(M))).one())
    latest_change, latest_drop, votes_changed = row[2], row[3], row[4]
    seat_changes = row[7:9] if scope.user is not None else ()
    parts: list = [scope.key, str(get_locale() or "ja"), base_url, row, scope.extra]
    deadline_changes: list = []
    if scope.user is not None and scope.include_deadlines:
        meeting_ids = select(M.id).where(*scope.criteria(M))
        versions = tuple(provider.version(scope.user, meeting_ids) for provider in DEADLINE_PROVIDERS)
        parts.append(versions)
        deadline_changes = [value for version in versions for value in version if isinstance(value, datetime)]
    last_modified = _latest(
        latest_change,
        latest_drop + CANCELLED_KEPT_FOR if latest_drop is not None else None,
        votes_changed,
        *seat_changes,
        *deadline_changes,
        scope.user.feed_updated_at if scope.user is not None else None,
        # Meetings of older fiscal years left the feed when this one began.
        fiscal_year_bounds(current_fiscal_year())[0].astimezone(timezone.utc),
    )
    return Version(key=hashlib.sha256(repr(parts).encode()).hexdigest(), last_modified=min(last_modified, scope.now))


# ------------------------------------------------------------------------------------------ the cache

def _weight(entry) -> int:
    return entry.weight


class _LRU:
    """At most `size` entries and at most `max_bytes` by their weight (`weigh`; the least recently used go first)."""

    def __init__(self, size: int, *, max_bytes: int, weigh=_weight):
        self.size = size
        self.max_bytes = max_bytes
        self._weigh = weigh
        self._bytes = 0
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            old = self._items.get(key)
            self._bytes += self._weigh(value) - (self._weigh(old) if old is not None else 0)
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size or (self._bytes > self.max_bytes and len(self._items) > 1):
                _key, dropped = self._items.popitem(last=False)
                self._bytes -= self._weigh(dropped)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


@dataclass
class CachedFeed:
    """The one cache's entry for a feed: its bytes under the version they were built for.

    `events` are the serialised VEVENTs of that build by their own keys (a meeting's change and
    sequence, a deadline's): the next build of the same feed, after a change, writes only the
    events whose key moved. `checked_until`: a personal feed's revalidation with this ETag gets its
    304 without a query until then (FEED_RECHECK_SECONDS after its last full check).
    """

    version: str
    feed: Feed
    events: dict
    checked_until: float = 0.0

    @property
    def weight(self) -> int:
        return 2 * len(self.feed.body)  # the body, and the same bytes again as events


@dataclass
class CalendarState:
    """Per-app state (each process has its own): the one cache of built feeds."""

    cache: _LRU
    builds: int = 0  # how many feeds were built (tests check a 304 built none)

    def clear(self) -> None:
        self.cache.clear()
        self.builds = 0


def state() -> CalendarState:
    extensions = current_app.extensions
    if "liaison.calendar" not in extensions:
        extensions["liaison.calendar"] = CalendarState(
            # A council member's feed over five years is about 1 MB (2 MB with its events): 64 MB per process.
            cache=_LRU(FEED_CACHE_SIZE, max_bytes=FEED_CACHE_BYTES),
        )
    return extensions["liaison.calendar"]


# ------------------------------------------------------------------------------------------ building

# What a feed needs to know of each meeting before deciding which events to (re)build.
FEED_COLUMNS = (
    Meeting.id, Meeting.committee_id, Meeting.fiscal_year, Meeting.status, Meeting.answer_deadline,
    Meeting.starts_at, Meeting.ends_at, Meeting.updated_at, Meeting.sequence,
)
# And what its event says besides (read in the same query: reading a meeting's row twice costs more).
EVENT_COLUMNS = (
    Meeting.number, Meeting.title, Meeting.format, Meeting.place, Meeting.online_url, Meeting.cancel_reason,
    Meeting.original_starts_at, Meeting.postpone_reason,
    Meeting.created_at, Committee.slug.label("committee_slug"), Committee.name.label("committee_name"),
)


# written_vote_columns for all meetings at once: grouped once and joined, where the correlated
# subqueries cost PostgreSQL two lookups per meeting (half the query's time over 500 meetings).
_WRITTEN_VOTES = (
    select(
        AgendaItem.meeting_id.label("meeting_id"),
        func.max(case((Vote.state != VoteState.CANCELLED, Vote.closes_at))).label("vote_deadline"),
        func.max(VOTE_CHANGED_AT).label("votes_changed_at"),
    )
    .join(AgendaItem, AgendaItem.id == Vote.agenda_item_id).where(Vote.method == VoteMethod.WRITTEN)
    .group_by(AgendaItem.meeting_id).subquery("written_votes")
)


def feed_rows(scope: Scope) -> list:
    """The feed's meetings as rows (FEED_COLUMNS, vote_deadline, votes_changed_at, EVENT_COLUMNS), in the feed's order (one query).

    vote_deadline and votes_changed_at are those of written_vote_columns: NULL unless a written session's.
    """
    query = (
        select(*FEED_COLUMNS, _WRITTEN_VOTES.c.vote_deadline, _WRITTEN_VOTES.c.votes_changed_at, *EVENT_COLUMNS)
        .join(Committee, Committee.id == Meeting.committee_id)
        .outerjoin(_WRITTEN_VOTES, and_(_WRITTEN_VOTES.c.meeting_id == Meeting.id, Meeting.format == MeetingFormat.WRITTEN))
        .where(*scope.criteria(Meeting)).order_by(Meeting.starts_at, Meeting.id)
    )
    return _plain_rows(db.session.execute(query))


@lru_cache(maxsize=16)
def _row_type(fields: tuple):
    return namedtuple("FeedRow", fields)


def _plain_rows(result) -> list:
    """A result's rows as namedtuples: a feed reads each row's columns several times, and reading
    a column of a SQLAlchemy Row by name costs ten times more."""
    make = _row_type(tuple(result.keys()))._make
    return [make(row) for row in result]


@dataclass(slots=True)
class Named:
    """What an event reads of a committee (slug, name) or of an item's presenting body (name)."""

    name: str
    slug: str = ""


@dataclass(slots=True)
class AgendaItemView:
    kind: AgendaKind
    title: str
    presenter_body: Named | None


@dataclass(slots=True)
class MeetingView:
    """A meeting as its events read it (the attributes of Meeting that ical uses), from plain rows:
    loading hundreds of meetings and their agendas as ORM objects costs more than writing their events."""

    id: int
    committee: Named
    fiscal_year: int
    number: int
    title: str
    format: MeetingFormat
    status: MeetingStatus
    starts_at: datetime
    ends_at: datetime
    place: str
    online_url: str
    answer_deadline: datetime | None
    cancel_reason: str
    original_starts_at: datetime | None  # 延期: the date it moved from
    postpone_reason: str
    sequence: int
    created_at: datetime
    updated_at: datetime
    agenda_items: tuple[AgendaItemView, ...]


def one_of(column, values):
    """column IN values: on PostgreSQL as = ANY(one array parameter), cheaper than a thousand parameters."""
    values = list(values)
    if db.engine.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def _agendas(ids) -> dict[int, tuple[AgendaItemView, ...]]:
    """The agenda items (with presenters) of meetings, in one query."""
    agendas: dict[int, list[AgendaItemView]] = {}
    bodies: dict[str, Named] = {}
    items = db.session.execute(
        select(AgendaItem.meeting_id, AgendaItem.kind, AgendaItem.title, Body.name)
        .outerjoin(Body, Body.id == AgendaItem.presenter_body_id)
        .where(one_of(AgendaItem.meeting_id, ids)).order_by(AgendaItem.meeting_id, AgendaItem.position, AgendaItem.id)
    )
    for meeting_id, kind, title, body in items:
        presenter = None if body is None else bodies.get(body) or bodies.setdefault(body, Named(body))
        agendas.setdefault(meeting_id, []).append(AgendaItemView(kind, title, presenter))
    return {meeting_id: tuple(items) for meeting_id, items in agendas.items()}


def _views(rows, agendas: dict) -> dict[int, MeetingView]:
    """MeetingViews of rows with FEED_COLUMNS and EVENT_COLUMNS."""
    committees: dict[tuple, Named] = {}
    views = {}
    for row in rows:
        key = (row.committee_slug, row.committee_name)
        committee = committees.get(key) or committees.setdefault(key, Named(row.committee_name, row.committee_slug))
        views[row.id] = MeetingView(
            id=row.id, committee=committee, fiscal_year=row.fiscal_year, number=row.number, title=row.title,
            format=row.format, status=row.status, starts_at=row.starts_at, ends_at=row.ends_at, place=row.place,
            online_url=row.online_url, answer_deadline=row.answer_deadline, cancel_reason=row.cancel_reason,
            original_starts_at=row.original_starts_at, postpone_reason=row.postpone_reason or "", sequence=row.sequence, created_at=row.created_at, updated_at=row.updated_at,
            agenda_items=agendas.get(row.id, ()),
        )
    return views


def load_meetings(ids, rows=()) -> dict[int, MeetingView]:
    """MeetingViews of the meetings `ids`: from `rows` (of feed_rows) where there, else read; one query
    for the agendas and one for meetings not in `rows`, whatever their number."""
    ids = set(ids)
    if not ids:
        return {}
    rows = [row for row in rows if row.id in ids]
    missing = ids - {row.id for row in rows}
    if missing:  # e.g. the meeting of a deadline that is not in the feed itself
        rows += _plain_rows(db.session.execute(
            select(*FEED_COLUMNS, *EVENT_COLUMNS).join(Committee, Committee.id == Meeting.committee_id)
            .where(one_of(Meeting.id, missing))
        ))
    return _views(rows, _agendas(ids))


def _meeting_key(row, locale: str, base_url: str) -> tuple:
    return ("meeting", row.id, row.updated_at, row.sequence, row.vote_deadline, row.votes_changed_at, locale, base_url)


def _row_written_votes(row) -> ical.WrittenVotes:
    return ical.WrittenVotes(deadline=row.vote_deadline, changed_at=row.votes_changed_at)


def _deadline_key(deadline: ical.Deadline, locale: str, base_url: str) -> tuple:
    return ("deadline", deadline.key, deadline.due_at, deadline.updated_at, deadline.sequence, locale, base_url)


def build_events(scope: Scope, base_url: str, reuse: dict | None = None) -> tuple[bytes, dict]:
    """The feed's bytes and its serialised events by their keys.

    `reuse`: the events of an earlier build of this feed (CachedFeed.events); those whose key has not
    moved are taken as they are, and only the meetings of the others are loaded (as MeetingView rows)
    and written.
    """
    locale = str(get_locale() or "ja")
    reuse = reuse or {}
    rows = feed_rows(scope)
    deadlines: list[ical.Deadline] = []
    if scope.user is not None and scope.include_deadlines:
        deadlines = [deadline for provider in DEADLINE_PROVIDERS for deadline in provider.deadlines(scope.user, rows)]
        deadlines.sort(key=lambda deadline: (deadline.due_at, deadline.key))
    meeting_keys = [_meeting_key(row, locale, base_url) for row in rows]
    deadline_keys = [_deadline_key(deadline, locale, base_url) for deadline in deadlines]
    wanted = {row.id for row, key in zip(rows, meeting_keys) if key not in reuse}
    wanted |= {deadline.meeting_id for deadline, key in zip(deadlines, deadline_keys) if key not in reuse}
    meetings = load_meetings(wanted, rows)
    events: dict = {}

    def chunk(key: tuple, make, *args) -> bytes:
        data = reuse.get(key)
        if data is None:
            data = make(*args)
        events[key] = data
        return data

    with pinned_locale():
        chunks = [
            chunk(key, ical.meeting_event_bytes, meetings.get(row.id), base_url, _row_written_votes(row))
            for row, key in zip(rows, meeting_keys)
        ]
        chunks += [
            chunk(key, ical.deadline_event_bytes, deadline, meetings.get(deadline.meeting_id), base_url)
            for deadline, key in zip(deadlines, deadline_keys)
        ]
        body = ical.calendar_bytes(scope.name, chunks)
    return body, events


def build_feed(scope: Scope, base_url: str) -> bytes:
    """The feed's bytes, every event written."""
    return build_events(scope, base_url)[0]


def make_feed(body: bytes, last_modified: datetime) -> Feed:
    return Feed(body=body, etag=hashlib.sha256(body).hexdigest()[:40], last_modified=last_modified)


def cached_feed(scope: Scope, *, key: tuple | None = None, recheck_seconds: int = 0) -> Feed:
    """The feed for a scope: from the cache when its version has not changed, else built and cached.

    `key` names the feed in the cache (default: its scope and language); with `recheck_seconds`, a
    revalidation under that key within so many seconds needs no query (recently_checked).
    """
    base_url = current_app.config["BASE_URL"]
    calendar_state = state()
    key = key or ("scope", scope.key, str(get_locale() or "ja"))
    version = feed_version(scope, base_url)
    entry = calendar_state.cache.get(key)
    if entry is None or entry.version != version.key:
        body, events = build_events(scope, base_url, entry.events if entry is not None else None)
        entry = CachedFeed(version=version.key, feed=make_feed(body, version.last_modified), events=events)
        calendar_state.builds += 1
    entry.checked_until = time.monotonic() + recheck_seconds if recheck_seconds else 0.0
    calendar_state.cache.put(key, entry)
    return entry.feed


def recently_checked(token: str) -> Feed | None:
    """The personal feed of `token` as checked within FEED_RECHECK_SECONDS, or None."""
    entry = state().cache.get(("token", token))
    if entry is None or entry.checked_until < time.monotonic():
        return None
    return entry.feed


def user_feed(user: User, *, locale: str | None = None, token: str | None = None) -> Feed:
    """The personal feed, in the user's own language; requested by its `token`, it is cached under it and
    its next revalidations within FEED_RECHECK_SECONDS need no query."""
    with force_locale(locale or user.locale or "ja"):
        if token is None:
            return cached_feed(user_scope(user))
        return cached_feed(user_scope(user), key=("token", token),
                           recheck_seconds=current_app.config.get("FEED_RECHECK_SECONDS", 0))


def committee_feed(committee: Committee) -> Feed:
    return cached_feed(committee_scope(committee))


def meeting_ics(meeting: Meeting, base_url: str) -> bytes:
    """A single meeting's .ics, a written session on its written votes' deadline like in the feeds."""
    return ical.meeting_calendar_bytes(meeting, base_url, written_votes_of(meeting))


def meeting_feed(meeting: Meeting) -> Feed:
    votes = written_votes_of(meeting)
    body = ical.meeting_calendar_bytes(meeting, current_app.config["BASE_URL"], votes)
    return make_feed(body, _latest(meeting.updated_at, votes.changed_at))
