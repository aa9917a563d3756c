"""Tenure (任期) on the dashboard: seats that begin in a later fiscal year, and seats that ended or are ending.

A successor appointed in March sees from when and where they sit, with the new year's meetings; a
predecessor is told which seats ended (their last year's minutes review stays in やること).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select, tuple_
from sqlalchemy.orm import joinedload

from ..dates import current_fiscal_year, era_year_label, fiscal_year_bounds, to_tokyo, utcnow
from ..extensions import db
from ..models import Committee, Meeting, Membership
from . import access
from . import meetings as meeting_rules


@dataclass(frozen=True)
class FutureTenure:
    """The seats of one later fiscal year: 「令和9年4月1日から 連絡調整会議・企画運営部会 の委員です」."""
    fiscal_year: int
    starts_on: date
    committees: list[Committee]
    meetings: list[Meeting]

    @property
    def starts_label(self) -> str:
        """令和9年4月1日 (as the notice reads, without the weekday)."""
        day = self.starts_on
        return f"{era_year_label(day.year, day.month, day.day)}{day.month}月{day.day}日"

    @property
    def committee_names(self) -> str:
        """連絡調整会議・企画運営部会."""
        return "・".join(committee.name for committee in self.committees)


@dataclass(frozen=True)
class EndedSeat:
    seat: Membership
    ended_on: date  # the last day of the seat


def future_tenures(user, now: datetime | None = None, limit: int = 10) -> list[FutureTenure]:
    """Seats of fiscal years not yet begun, per year, with that year's announced meetings (one query)."""
    current = current_fiscal_year()
    by_year: dict[int, list[Membership]] = {}
    for seat in access.all_seats(user):
        if seat.fiscal_year > current:
            by_year.setdefault(seat.fiscal_year, []).append(seat)
    if not by_year:
        return []
    keys = [(seat.committee_id, year) for year, seats in by_year.items() for seat in seats]
    meetings = list(db.session.scalars(
        select(Meeting).options(joinedload(Meeting.committee))
        .where(tuple_(Meeting.committee_id, Meeting.fiscal_year).in_(keys), Meeting.status.in_(meeting_rules.ANNOUNCED), Meeting.ends_at >= (now or utcnow()))
        .order_by(Meeting.starts_at).limit(limit)
    ))
    tenures = []
    for year in sorted(by_year):
        seats = sorted(by_year[year], key=lambda s: (s.committee.position, s.committee_id))
        tenures.append(FutureTenure(
            fiscal_year=year, starts_on=fiscal_year_bounds(year)[0].date(), committees=[s.committee for s in seats],
            meetings=[m for m in meetings if m.fiscal_year == year],
        ))
    return tenures


def ended_seats(user) -> list[EndedSeat]:
    """Last year's seats in committees where the user sits no more this year, and this year's ended seats (one query)."""
    if access.is_staff(user) and not access.all_seats(user):
        return []  # the secretariat's and administrators' own accounts, which hold no seat
    current = current_fiscal_year()
    sitting_now = {seat.committee_id for seat in access.active_memberships(user, current)}
    rows = db.session.scalars(
        select(Membership).options(joinedload(Membership.committee), joinedload(Membership.body))
        .where(Membership.user_id == user.id,
               or_(Membership.fiscal_year == current - 1,
                   (Membership.fiscal_year == current) & Membership.ended_at.is_not(None)))
        .order_by(Membership.fiscal_year, Membership.committee_id)
    )
    ended = []
    for seat in rows:
        if seat.fiscal_year == current:
            ended.append(EndedSeat(seat, to_tokyo(seat.ended_at).date()))
        elif seat.committee_id not in sitting_now:
            last_day = date(seat.fiscal_year + 1, 3, 31)
            ended.append(EndedSeat(seat, to_tokyo(seat.ended_at).date() if seat.ended_at else last_day))
    return ended
