"""Who may see and do what: questions asked of the domain by views and templates alike."""
from __future__ import annotations

from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from ..dates import current_fiscal_year
from ..extensions import db
from ..models import Committee, Membership, Role
from . import memo


def is_staff(user) -> bool:
    """The secretariat (事務局) and administrators see every committee."""
    return bool(getattr(user, "is_authenticated", False) and (user.is_admin or user.is_secretariat))


# A page asks "is this user a member / the chair?" several times (the blueprint's access check, the
# domain's permissions, the navigation), and committee pages need the committee and, for the staff,
# the navigation's list of committees. Each is kept for the unit of work (memo.py: the web layer keeps it
# for the request); it is dropped on commit and rollback and when a flush writes a seat or a committee.
# Without a store (CLI, scheduler, domain tests) nothing is kept.

_cache = memo.keep("access", (Membership, Committee), on_commit=True)


def forget() -> None:
    """Drop what the request has cached (the next question loads it again)."""
    _cache.forget()


_SEATS = (  # built once (every request asks it): the user id bound
    select(Membership).options(joinedload(Membership.committee), joinedload(Membership.body))
    .where(Membership.user_id == bindparam("user_id"), Membership.ended_at.is_(None))
)
_COMMITTEES = select(Committee).order_by(Committee.position, Committee.id)


def _seats(user) -> dict[int, dict[int, Membership]]:
    """The user's seats that have not ended, every fiscal year, by year and committee id (one query;
    committee and body loaded)."""

    def load():
        by_year: dict[int, dict[int, Membership]] = {}
        for seat in db.session.scalars(_SEATS, {"user_id": user.id}):
            by_year.setdefault(seat.fiscal_year, {})[seat.committee_id] = seat
        return by_year

    return _cache.get(("seats", user.id), load)


def all_committees() -> list[Committee]:
    """Every committee, in navigation order (a handful of reference rows; one query)."""
    return _cache.get("committees", lambda: list(db.session.scalars(_COMMITTEES)))


def committee_by_slug(slug: str) -> Committee | None:
    return next((committee for committee in all_committees() if committee.slug == slug), None)


def active_memberships(user, fiscal_year: int | None = None) -> list[Membership]:
    """The user's seats for a fiscal year (default: the current one), not ended."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(_seats(user).get(fiscal_year or current_fiscal_year(), {}).values())


def all_seats(user) -> list[Membership]:
    """The user's seats that have not ended, of every fiscal year (past, current and starting later)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [seat for by_committee in _seats(user).values() for seat in by_committee.values()]


def membership_in(user, committee: Committee, fiscal_year: int | None = None) -> Membership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return _seats(user).get(fiscal_year or current_fiscal_year(), {}).get(committee.id)


def can_view_committee(user, committee: Committee) -> bool:
    """Members of the committee (this fiscal year), the secretariat and administrators."""
    return is_staff(user) or membership_in(user, committee) is not None


def chairs(user, committee: Committee, fiscal_year: int | None = None) -> bool:
    membership = membership_in(user, committee, fiscal_year)
    return membership is not None and membership.role in (Role.CHAIR, Role.VICE_CHAIR)


def visible_committees(user) -> list[Committee]:
    """The committees in the user's navigation: all for staff, else this year's seats (no query of its own)."""
    if not getattr(user, "is_authenticated", False):
        return []
    if not is_staff(user):
        committees = [seat.committee for seat in active_memberships(user)]
        return sorted(committees, key=lambda committee: (committee.position, committee.id))
    return list(all_committees())
