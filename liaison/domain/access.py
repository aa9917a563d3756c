"""Who may see and do what: questions asked of the domain by views and templates alike."""
from __future__ import annotations

from sqlalchemy import select

from ..dates import current_fiscal_year
from ..extensions import db
from ..models import Committee, Membership, Role


def is_staff(user) -> bool:
    """The secretariat (事務局) and administrators see every committee."""
    return bool(getattr(user, "is_authenticated", False) and (user.is_admin or user.is_secretariat))


def active_memberships(user, fiscal_year: int | None = None) -> list[Membership]:
    """The user's seats for a fiscal year (default: the current one), not ended."""
    if not getattr(user, "is_authenticated", False):
        return []
    fiscal_year = fiscal_year or current_fiscal_year()
    return list(
        db.session.scalars(
            select(Membership)
            .where(Membership.user_id == user.id, Membership.fiscal_year == fiscal_year)
            .where(Membership.ended_at.is_(None))
        )
    )


def membership_in(user, committee: Committee, fiscal_year: int | None = None) -> Membership | None:
    if not getattr(user, "is_authenticated", False):
        return None
    fiscal_year = fiscal_year or current_fiscal_year()
    return db.session.scalar(
        select(Membership).where(
            Membership.user_id == user.id,
            Membership.committee_id == committee.id,
            Membership.fiscal_year == fiscal_year,
            Membership.ended_at.is_(None),
        )
    )


def can_view_committee(user, committee: Committee) -> bool:
    """Members of the committee (this fiscal year), the secretariat and administrators."""
    return is_staff(user) or membership_in(user, committee) is not None


def chairs(user, committee: Committee, fiscal_year: int | None = None) -> bool:
    membership = membership_in(user, committee, fiscal_year)
    return membership is not None and membership.role in (Role.CHAIR, Role.VICE_CHAIR)


def visible_committees(user) -> list[Committee]:
    """The committees in the user's navigation: all for staff, else this year's seats (one query)."""
    if not getattr(user, "is_authenticated", False):
        return []
    query = select(Committee).order_by(Committee.position)
    if not is_staff(user):
        query = query.where(
            Committee.id.in_(
                select(Membership.committee_id).where(
                    Membership.user_id == user.id,
                    Membership.fiscal_year == current_fiscal_year(),
                    Membership.ended_at.is_(None),
                )
            )
        )
    return list(db.session.scalars(query))
