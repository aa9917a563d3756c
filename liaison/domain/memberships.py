"""Seats (委員): appointing members and the yearly handover (人事異動)."""
from __future__ import annotations

from flask_babel import gettext as _
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..dates import fiscal_year_label, utcnow
from ..i18n import locale
from ..extensions import db
from ..labels import role_label
from ..models import ROLE_ORDER, Body, Committee, Membership, Role, User
from . import DomainError, check, require
from . import audit


def seats_query(committee: Committee, fiscal_year: int):
    """SELECT the committee's current memberships for a year (user and body loaded), in body order."""
    return (
        select(Membership)
        .join(Membership.body)
        .options(joinedload(Membership.user), joinedload(Membership.body))
        .where(
            Membership.committee_id == committee.id,
            Membership.fiscal_year == fiscal_year,
            Membership.ended_at.is_(None),
        )
        .order_by(Body.position, Membership.department, Membership.id)
    )


@dataclass(frozen=True, slots=True)
class Holder:
    """A seat holder as a page shows them: the name (the pages read `seat.user.name`)."""
    name: str


@dataclass(frozen=True, slots=True)
class SeatRow:
    """A seat as a page shows it, read as columns instead of a Membership with its user and body (issue 22):
    the attributes the pages' templates and permission checks read of a Membership, nothing else."""
    id: int
    user_id: int
    role: Role
    seat_label: str
    user: Holder

    @property
    def has_vote(self) -> bool:
        return self.role.has_vote  # seat_row_columns() reads current seats only (ended_at IS NULL)


def seat_row_columns() -> tuple:
    """The columns of a SeatRow (seat_row() builds it); the statement joins Membership's body and user."""
    return (Membership.id, Membership.user_id, Membership.role, Body.name, Membership.department, User.name)


def seat_row(row) -> SeatRow:
    membership_id, user_id, role, body_name, department, user_name = row[:6]
    return SeatRow(membership_id, user_id, role, f"{body_name} {department}".strip(), Holder(user_name))


def seat_rows_query(committee: Committee, fiscal_year: int):
    """seats_query() as the columns of SeatRow, in body order (by_role() orders by role)."""
    return (
        select(*seat_row_columns())
        .join(Membership.body).join(Membership.user)
        .where(
            Membership.committee_id == committee.id,
            Membership.fiscal_year == fiscal_year,
            Membership.ended_at.is_(None),
        )
        .order_by(Body.position, Membership.department, Membership.id)
    )


def by_role(rows: list, seat=lambda row: row) -> list:
    """Rows of seats_query() ordered by role (chair first), body order within a role."""
    return sorted(rows, key=lambda row: ROLE_ORDER[seat(row).role])


def seats(committee: Committee, fiscal_year: int, *, include_observers: bool = True) -> list[Membership]:
    """The committee's current memberships for a year, ordered by role then body order."""
    rows = list(db.session.scalars(seats_query(committee, fiscal_year)).unique())
    if not include_observers:
        rows = [m for m in rows if m.role.has_vote]
    return by_role(rows)


def _check_free(committee: Committee, fiscal_year: int, user: User, body: Body, department: str, role: Role, exclude_id=None) -> None:
    taken_by_user = db.session.scalar(
        select(Membership.id).where(
            Membership.committee_id == committee.id,
            Membership.fiscal_year == fiscal_year,
            Membership.user_id == user.id,
            Membership.id != (exclude_id or 0),
        )
    )
    check(taken_by_user is None, _("%(name)sさんはこの年度の委員として既に登録されています。", name=user.name), "user")
    if role.has_vote:
        seat_taken = db.session.scalar(
            select(Membership.id).where(
                Membership.committee_id == committee.id,
                Membership.fiscal_year == fiscal_year,
                Membership.body_id == body.id,
                Membership.department == department,
                Membership.role != Role.OBSERVER,
                Membership.ended_at.is_(None),
                Membership.id != (exclude_id or 0),
            )
        )
        label = f"{body.name} {department}".strip()
        check(seat_taken is None, _("%(seat)sの議席には既に委員がいます(1議席1票)。", seat=label), "body")
    if role in (Role.CHAIR, Role.VICE_CHAIR):
        holder = db.session.scalar(
            select(Membership.id).where(
                Membership.committee_id == committee.id,
                Membership.fiscal_year == fiscal_year,
                Membership.role == role,
                Membership.ended_at.is_(None),
                Membership.id != (exclude_id or 0),
            )
        )
        check(holder is None, _("この年度の%(role)sは既に決まっています。", role=role_label(role)), "role")


def appoint(
    *, actor, committee: Committee, fiscal_year: int, user: User, body: Body, role: Role, department: str = ""
) -> Membership:
    """Give a user a seat for a fiscal year (administrators only)."""
    if actor is not None:
        require(actor.is_admin, "only administrators manage memberships")
    check(user.active, _("無効なアカウントは委員にできません。"), "user")
    department = (department or "").strip()
    _check_free(committee, fiscal_year, user, body, department, role)
    membership = Membership(
        committee=committee, fiscal_year=fiscal_year, user=user, body=body, department=department, role=role
    )
    db.session.add(membership)
    audit.record(
        actor, "membership.appointed", membership,
        label=f"{committee.name} {fiscal_year} {user.name}",
        committee=committee.slug, fiscal_year=fiscal_year, user=user.email, seat=membership.seat_label, role=role,
    )
    return membership


def change_role(membership: Membership, role: Role, *, actor) -> None:
    require(actor.is_admin, "only administrators manage memberships")
    check(membership.ended_at is None, _("終了した委員の役割は変更できません。"))
    if membership.role is role:
        return
    _check_free(
        membership.committee, membership.fiscal_year, membership.user, membership.body,
        membership.department, role, exclude_id=membership.id,
    )
    before = membership.role
    membership.role = role
    audit.record(actor, "membership.role_changed", membership, label=membership.user.name, before=before, after=role)


def end(membership: Membership, *, actor) -> None:
    """End a seat mid-year (the record stays, so past acts keep their person)."""
    require(actor.is_admin, "only administrators manage memberships")
    check(membership.ended_at is None, _("この委員は既に終了しています。"))
    membership.ended_at = utcnow()
    audit.record(actor, "membership.ended", membership, label=membership.user.name,
                 changes={"ended_at": (None, membership.ended_at)})


def handover(
    *, actor, committee: Committee, from_year: int, replacements: dict[int, User] | None = None
) -> list[Membership]:
    """人事異動: carry the committee's seats of `from_year` into the next fiscal year.

    `replacements` maps a membership id of `from_year` to the person who holds that seat next
    year; seats without one keep their holder. Seats already filled next year are left alone, so
    running the handover twice changes nothing. Past memberships are never modified.
    """
    if actor is not None:
        require(actor.is_admin, "only administrators run the handover")
    replacements = replacements or {}
    to_year = from_year + 1
    current = seats(committee, from_year)
    check(current, _("%(year)sの委員がいないため、引き継ぐものがありません。", year=fiscal_year_label(from_year, locale())))
    existing = {
        (m.body_id, m.department, m.role.has_vote, m.user_id if not m.role.has_vote else None)
        for m in seats(committee, to_year)
    }
    taken_users = {m.user_id for m in seats(committee, to_year)}
    created = []
    for old in current:
        key = (old.body_id, old.department, old.role.has_vote, old.user_id if not old.role.has_vote else None)
        if key in existing:
            continue
        holder = replacements.get(old.id, old.user)
        check(holder.active, _("%(name)sさんのアカウントは無効です。", name=holder.name), "user")
        if holder.id in taken_users:
            raise DomainError(_("%(name)sさんに二つの議席を割り当てることはできません。", name=holder.name), "user")
        taken_users.add(holder.id)
        membership = Membership(
            committee=committee, fiscal_year=to_year, user=holder, body=old.body,
            department=old.department, role=old.role,
        )
        db.session.add(membership)
        created.append(membership)
    db.session.flush()
    audit.record(
        actor, "committee.handover", committee,
        from_year=from_year, to_year=to_year, created=len(created),
        replaced=[{"seat": m.seat_label, "user": replacements[m.id].email} for m in current if m.id in replacements],
    )
    return created
