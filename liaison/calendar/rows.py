"""A feed's meetings read as plain rows in one query (and their agendas in one more), and the light
MeetingView objects the events are written from: loading hundreds of meetings and their agendas as ORM
objects costs more than writing their events."""
from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, String, and_, any_, bindparam, select, type_coerce
from sqlalchemy.dialects.postgresql import ARRAY

from ..extensions import db
from ..models import AgendaItem, AgendaKind, Body, Committee, Meeting, MeetingFormat, MeetingStatus
from .written import WRITTEN_VOTES

if TYPE_CHECKING:  # scopes.py imports deadlines.py, which reads its rows with `plain_rows_of`
    from .scopes import Scope


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

def feed_rows(scope: Scope) -> list:
    """The feed's meetings as rows (FEED_COLUMNS, vote_deadline, votes_changed_at, EVENT_COLUMNS), in the feed's order (one query).

    vote_deadline and votes_changed_at are those of written_vote_columns: NULL unless a written session's.
    """
    key = (scope.shape(), _reads_utc())
    statement = _FEED_STATEMENTS.get(key)
    if statement is None:  # built once per shape of scope (building and keying it costs a third of running it)
        statement = _FEED_STATEMENTS[key] = (
            select(*(_RAW_COLUMNS if key[1] else _COLUMNS))
            .join(Committee, Committee.id == Meeting.committee_id)
            .outerjoin(WRITTEN_VOTES, and_(WRITTEN_VOTES.c.meeting_id == Meeting.id, Meeting.format == MeetingFormat.WRITTEN))
            .where(*scope.bound_criteria(Meeting)).order_by(Meeting.starts_at, Meeting.id)
        )
    return _plain_rows(plain_rows_of(statement, scope.parameters()))


_FEED_STATEMENTS: dict[tuple, object] = {}


_COLUMNS = (*FEED_COLUMNS, WRITTEN_VOTES.c.vote_deadline, WRITTEN_VOTES.c.votes_changed_at, *EVENT_COLUMNS)
# The same with their datetimes as the driver reads them: UTCDateTime's processing (two Python calls and an
# astimezone per value) is 4,000 calls in a five-year feed, and psycopg already gives aware datetimes in
# the session's time zone: in UTC (timezone.utc or a UTC ZoneInfo) the same moments UTCDateTime makes of
# them, and whatever the calendar writes of a datetime goes through to_tokyo or ical._utc first.
_RAW_COLUMNS = tuple(
    type_coerce(column, DateTime(timezone=True)).label(column.key)
    if isinstance(column.type, DateTime) or isinstance(getattr(column.type, "impl", None), DateTime) else column
    for column in _COLUMNS
)


def _reads_utc() -> bool:
    """Whether this session's connection reads timestamptz as aware datetimes in UTC (PostgreSQL with
    TimeZone UTC): then the raw values are the moments UTCDateTime returns. Not on SQLite (text, read naive)."""
    if db.engine.dialect.name != "postgresql":
        return False
    info = getattr(db.session.connection().connection.dbapi_connection, "info", None)
    zone = getattr(info, "timezone", None)
    return zone is timezone.utc or getattr(zone, "key", None) in _UTC_ZONES


_UTC_ZONES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu"})


@lru_cache(maxsize=16)
def _row_type(fields: tuple):
    return namedtuple("FeedRow", fields)


def _plain_rows(result) -> list:
    """A result's rows as namedtuples: a feed reads each row's columns several times, and reading
    a column of a SQLAlchemy Row by name costs ten times more."""
    make = _row_type(tuple(result.keys()))._make
    return [make(row) for row in result.all()]  # all(): one fetchall, iterating fetches row by row


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


def plain_rows_of(statement, parameters: dict | None = None):
    """The result of a select of columns (no entities), run on the session's connection: the same rows as
    db.session.execute gives, without the ORM's result loading (a quarter of the CPU of a 1,500-row read).
    The session is flushed first when it would autoflush, like db.session.execute does."""
    session = db.session
    if session.autoflush:
        session.flush()
    return session.connection().execute(statement, parameters)


def one_of(column, values):
    """column IN values: on PostgreSQL as = ANY(one array parameter), cheaper than a thousand parameters."""
    values = list(values)
    if db.engine.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def one_of_bound(column, name: str, dialect: str):
    """one_of with the values in the bind parameter `name` (a list), for a statement built once."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


@lru_cache(maxsize=4)
def _agenda_statement(dialect: str):
    """The agenda items of the meetings `ids`: built once per dialect (building it costs more than running it)."""
    return (
        select(AgendaItem.meeting_id, type_coerce(AgendaItem.kind, String), AgendaItem.title, Body.name)
        .outerjoin(Body, Body.id == AgendaItem.presenter_body_id)
        .where(one_of_bound(AgendaItem.meeting_id, "ids", dialect))
        .order_by(AgendaItem.meeting_id, AgendaItem.position, AgendaItem.id)
    )


# An item's kind as stored (its value) to the member: the Enum type's own processing is two Python calls a value.
_KINDS = {kind.value: kind for kind in AgendaKind}


def _agendas(ids) -> dict[int, tuple[AgendaItemView, ...]]:
    """The agenda items (with presenters) of meetings, in one query."""
    kinds = _KINDS
    agendas: dict[int, list[AgendaItemView]] = {}
    bodies: dict[str, Named] = {}
    items = plain_rows_of(_agenda_statement(db.engine.dialect.name), {"ids": list(ids)}).all()
    for meeting_id, kind, title, body in items:
        presenter = None if body is None else bodies.get(body) or bodies.setdefault(body, Named(body))
        agenda = agendas.get(meeting_id)
        if agenda is None:
            agenda = agendas[meeting_id] = []
        agenda.append(AgendaItemView(kinds[kind], title, presenter))
    return {meeting_id: tuple(items) for meeting_id, items in agendas.items()}


def _views(rows, agendas: dict) -> dict[int, MeetingView]:
    """MeetingViews of rows with FEED_COLUMNS and EVENT_COLUMNS."""
    committees: dict[tuple, Named] = {}
    views = {}
    for row in rows:
        key = (row.committee_slug, row.committee_name)
        committee = committees.get(key) or committees.setdefault(key, Named(row.committee_name, row.committee_slug))
        views[row.id] = MeetingView(  # positional, in MeetingView's order (keywords cost a third more)
            row.id, committee, row.fiscal_year, row.number, row.title, row.format, row.status, row.starts_at,
            row.ends_at, row.place, row.online_url, row.answer_deadline, row.cancel_reason, row.original_starts_at,
            row.postpone_reason or "", row.sequence, row.created_at, row.updated_at, agendas.get(row.id, ()),
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
        rows += _plain_rows(plain_rows_of(
            select(*FEED_COLUMNS, *EVENT_COLUMNS).join(Committee, Committee.id == Meeting.committee_id)
            .where(one_of(Meeting.id, missing))
        ))
    return _views(rows, _agendas(ids))
