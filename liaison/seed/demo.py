"""A believable demo union: fixed logins, seats in every committee (through the domain functions), and the
meetings, votes, proposals and minutes of a year, with a 企画運営部会 meeting dated today to run from the console.

The parts: demo_people.py (logins, seats), demo_meetings.py (meetings, votes), demo_proposals.py (proposals,
minutes), demo_today.py (today's meeting with its 資料). `seed_demo()` is idempotent.
"""
from __future__ import annotations

from sqlalchemy import select

from ..dates import current_fiscal_year
from ..extensions import db
from ..models import Body, BodyKind, Committee, Role, User
from .demo_meetings import (  # noqa: F401 (tests import them from here)
    held_meeting_starts, seed_demo_meetings, seed_demo_today, seed_demo_votes,
)
from .demo_people import (  # noqa: F401
    DEMO_PASSWORD, HANDED_OVER, MUNICIPAL_TRAINING_BODIES, PLANNING_BODIES, PREFECTURAL_DEPARTMENTS, _seat, _user,
    person_name,
)
from .demo_proposals import decided_demo_proposals, seed_demo_minutes, seed_demo_proposals  # noqa: F401


def seed_demo() -> dict[str, User]:
    """Create the demo users and seats for the current (and, for the council, the previous) fiscal year."""
    fiscal_year = current_fiscal_year()
    bodies = list(db.session.scalars(select(Body).order_by(Body.position)))
    body_by_name = {b.name: b for b in bodies}
    committees = {c.slug: c for c in db.session.scalars(select(Committee))}
    prefecture = next(b for b in bodies if b.kind is BodyKind.PREFECTURE)

    users = {
        "admin": _user("admin@example.jp", "システム 管理者", title="システム管理者", is_admin=True),
        "secretariat": _user(
            "secretariat@example.jp", "事務局 担当", title="彩の国さいたま人づくり広域連合 事務局 主査",
            is_secretariat=True,
        ),
    }
    members = []
    for index, body in enumerate(bodies, start=1):
        title = "人材育成課長" if body.kind is BodyKind.PREFECTURE else ("職員課長" if index % 3 else "人事課長")
        members.append(_user(f"member{index:02d}@example.jp", person_name(index), title=title, body=body))
    departments = [
        _user(f"pref{index:02d}@example.jp", person_name(100 + index), title=f"{department} 総務課長",
              body=prefecture, department=department)
        for index, department in enumerate(PREFECTURAL_DEPARTMENTS, start=1)
    ]
    member_by_body = {m.body_id: m for m in members}
    db.session.flush()

    council = committees["council"]
    for index, member in enumerate(members):
        role = Role.CHAIR if index == 0 else Role.VICE_CHAIR if index == 1 else Role.MEMBER
        _seat(council, fiscal_year, member, member.body, role)
    # Last year's council: the same seats, a few held by predecessors moved on at the handover.
    for index, member in enumerate(members):
        holder = member
        if member.body.name in HANDED_OVER:
            holder = _user(
                f"former-{member.email}", person_name(200 + index), title="(前任)職員課長", body=member.body
            )
        role = Role.CHAIR if index == 0 else Role.VICE_CHAIR if index == 1 else Role.MEMBER
        _seat(council, fiscal_year - 1, holder, member.body, role)

    for slug, names in (("planning", PLANNING_BODIES), ("municipal-training", MUNICIPAL_TRAINING_BODIES)):
        for index, name in enumerate(names):
            body = body_by_name[name]
            role = Role.CHAIR if index == 0 else Role.VICE_CHAIR if index == 1 else Role.MEMBER
            _seat(committees[slug], fiscal_year, member_by_body[body.id], body, role)
    # An observer seat (no vote) shows the role.
    _seat(committees["planning"], fiscal_year, member_by_body[body_by_name["戸田市"].id], body_by_name["戸田市"], Role.OBSERVER)

    prefectural = committees["prefectural-training"]
    for index, user in enumerate(departments):
        role = Role.CHAIR if index == 0 else Role.VICE_CHAIR if index == 1 else Role.MEMBER
        _seat(prefectural, fiscal_year, user, prefecture, role, department=user.department)
    _seat(prefectural, fiscal_year, members[0], prefecture, Role.OBSERVER, department="人材育成課")

    users.update({"members": members, "departments": departments})
    db.session.flush()
    seed_demo_meetings(users)
    seed_demo_votes(users)
    seed_demo_proposals(users)
    seed_demo_minutes(users)
    seed_demo_today(users)
    leave_history_unsent()
    return users


def leave_history_unsent(now=None) -> int:
    """The demo's history was never mailed: its due notices that the sender would not send any more
    (convocations of meetings held months ago, reminders whose time has passed) are voided at seed
    time, by the sender's own rule, so the first scheduler pass sends only the present's news.
    Notices due later are left to the sender. Returns how many."""
    from ..dates import utcnow
    from ..models import Notification, NotificationState
    from ..notify.sender import void_reason

    now = now or utcnow()
    voided = 0
    for notification in db.session.scalars(select(Notification).where(
            Notification.state == NotificationState.PENDING, Notification.due_at <= now)):
        reason = void_reason(notification, now)
        if reason:
            notification.state, notification.last_error = NotificationState.VOID, f"demo history, not sent: {reason}"
            voided += 1
    db.session.flush()
    return voided
