"""A shared page's view kind (issue 22): what its HTML depends on about the viewer.

The pages whose view is shared by nature (`SHARED`) are keyed by the viewer's kind, not the viewer: the
administrator and secretariat flags, and the viewer's seats (not ended) in the page's committee as fiscal
year and role — with the seat's body and department on the proposal pages, where
`proposal_permissions.holds_seat_of` lets a body's seat edit and withdraw its proposals. These are the facts
the permission functions read (access.is_staff, membership_in, chairs, meetings.can_manage, minutes'
reviewer and chair seats, votes' may_see_choices): two viewers of one kind see the same page apart from its
personal slots (liaison/pages/slots.py), and may open the same pages.

The seats come as one text column of the logged-in user's query (web.load_user), like the page counters: a
hit costs no query of its own. Without it (the user was loaded another way) they are read through access.py.
"""
from __future__ import annotations

from flask import g, request
from flask_login import current_user
from sqlalchemy import String, cast, func, select
from sqlalchemy.sql import literal, literal_column

from ..domain import access
from ..models import Committee, Membership, User

SHARED = frozenset({"meetings.index", "meetings.show", "proposals.index", "proposals.show", "votes.show",
                    "minutes.show"})
BY_BODY = frozenset({"proposals.index", "proposals.show"})
_SEATS = "_liaison_page_kind_seats"
_columns: dict[tuple[str, bool], object] = {}


# Constants written into the statement (literal_column), not bound: a bound literal is processed on every
# execution, and the separator of aggregate_strings is bound as literal_execute (the SQL rewritten each time).
_EMPTY, _COLON, _BAR = literal_column("''"), literal_column("':'"), literal_column("'|'")


def _text(column):
    return func.coalesce(cast(column, String), _EMPTY)


def seats_column(slug: str, by_body: bool):
    """The viewer's seats in the committee `slug`, as text (one column of the user's query; built once)."""
    key = (slug, by_body)
    if key not in _columns:
        seat = _text(Membership.fiscal_year) + _COLON + _text(Membership.role)
        if by_body:
            seat = seat + _COLON + _text(Membership.body_id) + _COLON + _text(Membership.department)
        committee = select(Committee.id).where(Committee.slug == literal(slug)).scalar_subquery()
        _columns[key] = (
            select(func.aggregate_strings(seat, _BAR))
            .where(Membership.user_id == User.id, Membership.committee_id == committee, Membership.ended_at.is_(None))
            .scalar_subquery()
        )
    return _columns[key]


def wanted() -> tuple:
    """For the user's query (pages/cache.py counters_wanted): the seats column of this request's page, if shared."""
    slug = g.get("committee_slug")
    if request.endpoint not in SHARED or not slug:
        return ()
    return (seats_column(slug, request.endpoint in BY_BODY),)


def keep(value) -> None:
    setattr(g, _SEATS, value or "")


def _seats() -> tuple:
    known = g.pop(_SEATS, None)
    if known is not None:
        return ("q",) + tuple(sorted(known.split("|")))
    slug, by_body = g.get("committee_slug"), request.endpoint in BY_BODY
    return ("a",) + tuple(sorted(
        (seat.fiscal_year, seat.role.value, (seat.body_id, seat.department) if by_body else None)
        for seat in access.all_seats(current_user) if seat.committee.slug == slug))


def view_kind() -> tuple:
    user = current_user._get_current_object()
    return ("admin" if user.is_admin else "", "secretariat" if user.is_secretariat else "",
            _seats())


class CommitteeBySlug:
    """A hit's g.committee: its slug for url_for (blueprints/scoping.py fills links with it) and the header,
    without a query; any other attribute loads the committee (access.py, kept for the request)."""

    def __init__(self, slug: str):
        self.slug = slug

    def __getattr__(self, name):
        return getattr(access.committee_by_slug(self.slug), name)
