"""Which meetings a feed holds (its Scope: the user's or a committee's), and the version of that data.

The version is one aggregate query (count, id sum and latest change of the feed's meetings and of its
written sessions' votes, the user's seats and settings; with the user's deadlines, one more query per kind
that has data of its own): it keys the cache, so a revalidation that ends in 304 never builds the calendar."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, case, exists, func, or_, select
from sqlalchemy.orm import aliased

from ..dates import current_fiscal_year, fiscal_year_bounds, utcnow
from ..domain.access import is_staff
from ..extensions import db
from ..models import AgendaItem, Committee, Meeting, MeetingStatus, Membership, Role, User
from . import deadlines as providers
from .written import VOTE_CHANGED_AT, written_votes


# Drafts are never published; cancelled meetings stay (struck) for a while, then drop out.
FEED_STATUSES = (MeetingStatus.CONVENED, MeetingStatus.POSTPONED, MeetingStatus.IN_SESSION, MeetingStatus.HELD,
                 MeetingStatus.CANCELLED)
CANCELLED_KEPT_FOR = timedelta(days=90)


# Aliases made once: building an alias's column proxies anew on every request costs more than the queries.
_FEED_MEETING = aliased(Meeting, name="feed_meeting")
_VERSIONED = aliased(Meeting, name="versioned")
_GONE = aliased(Meeting, name="gone")
_SEAT = aliased(Membership, name="seat")


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

    def criteria(self, M, values: dict | None = None) -> list:
        """The meetings in the feed now; `values`: those of `parameters()` or bind parameters of their names
        (`bound_criteria`), else they are computed."""
        values = values or self.parameters()
        return [
            M.status.in_(FEED_STATUSES),
            or_(M.status != MeetingStatus.CANCELLED, M.updated_at >= values["cancelled_since"]),
            *self.window(M, values),
        ]

    def parameters(self) -> dict:
        """What the criteria compare with: the moment cancelled meetings are kept from, the fiscal years,
        the committee's or the user's id."""
        fiscal_year = current_fiscal_year()
        values = {"cancelled_since": self.now - CANCELLED_KEPT_FOR, "first_year": fiscal_year - 1}
        shape = self.shape()
        if shape == "committee":
            values["committee_id"] = self.committee.id
        elif shape == "seats":
            values |= {"user_id": self.user.id, "this_year": fiscal_year}
        return values

    def shape(self) -> str:
        """What decides the form of the criteria (all else is in `parameters()`): a committee's feed, a
        member's (their seats), or everything (staff)."""
        if self.committee is not None:
            return "committee"
        return "all" if self.user is None or is_staff(self.user) else "seats"

    def bound_criteria(self, M) -> list:
        """`criteria` with bind parameters named as in `parameters()`: the same for every scope of this
        shape, so a statement built with them once runs with any such scope's parameters."""
        return self.criteria(M, {name: bindparam(name) for name in self.parameters()})

    def dropped_cancellations(self, M) -> list:
        """Cancelled meetings the feed showed until their 90 days were over."""
        return [
            M.status == MeetingStatus.CANCELLED,
            M.updated_at < self.now - CANCELLED_KEPT_FOR,
            *self.window(M),
        ]

    def window(self, M, values: dict | None = None) -> list:
        """The previous and current fiscal years and every later one, as far as the scope may see."""
        values = values or self.parameters()
        return [M.fiscal_year >= values["first_year"], *self._visibility(M, values)]

    def _visibility(self, M, values: dict) -> list:
        shape = self.shape()
        if shape == "committee":
            return [M.committee_id == values["committee_id"]]
        if shape == "all":
            return []
        fiscal_year = values["this_year"]
        # A seat shows its committee's meetings of its own fiscal year (until the seat ended);
        # this year's seat also shows the meetings already planned for later years.
        seat = _SEAT
        return [
            exists().where(
                seat.user_id == values["user_id"],
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


def latest(*values: datetime | None) -> datetime | None:
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
        written_votes(func.max(VOTE_CHANGED_AT))
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
        versions = tuple(provider.version(scope.user, meeting_ids) for provider in providers.DEADLINE_PROVIDERS)
        parts.append(versions)
        deadline_changes = [value for version in versions for value in version if isinstance(value, datetime)]
    last_modified = latest(
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
