"""Writing to the outbox: rows added in the caller's transaction, duplicates ignored by idempotency key."""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import Membership, Notification, NotificationKind, NotificationState, User


def add(rows: list[dict]) -> None:
    """INSERT the rows; one whose idempotency_key exists already is skipped (never a second copy)."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Notification).on_conflict_do_nothing(index_elements=["idempotency_key"])
    db.session.execute(statement, rows)


def void_pending(object_type: str, object_id: int, kinds: Iterable[NotificationKind], *,
                 keep_keys: Iterable[str] = (), recipient_ids: Iterable[int] | None = None) -> dict[int, set]:
    """Void the object's pending rows of these kinds (but keep_keys); returns {recipient: {kinds voided}}."""
    query = select(Notification.id, Notification.recipient_id, Notification.kind).where(
        Notification.object_type == object_type,
        Notification.object_id == object_id,
        Notification.kind.in_(list(kinds)),
        Notification.state == NotificationState.PENDING,
    )
    keep = list(keep_keys)
    if keep:
        query = query.where(Notification.idempotency_key.not_in(keep))
    if recipient_ids is not None:
        query = query.where(Notification.recipient_id.in_(list(recipient_ids)))
    voided: dict[int, set] = {}
    ids = []
    for row_id, recipient_id, kind in db.session.execute(query):
        ids.append(row_id)
        voided.setdefault(recipient_id, set()).add(kind)
    if ids:
        db.session.execute(
            update(Notification)
            .where(Notification.id.in_(ids), Notification.state == NotificationState.PENDING)
            .values(state=NotificationState.VOID),
            execution_options={"synchronize_session": False},
        )
    return voided


def counts_by_recipient(object_type: str, object_id: int, kinds: Iterable[NotificationKind]) -> dict[int, int]:
    """How many rows of these kinds each recipient has for the object (to number the next one)."""
    query = (
        select(Notification.recipient_id, func.count())
        .where(
            Notification.object_type == object_type,
            Notification.object_id == object_id,
            Notification.kind.in_(list(kinds)),
        )
        .group_by(Notification.recipient_id)
    )
    return dict(db.session.execute(query).all())


def recipients_told(object_type: str, object_id: int, kinds: Iterable[NotificationKind]) -> set[int]:
    """Who has been sent (or is being sent) a notice of these kinds about the object."""
    return set(
        db.session.scalars(
            select(Notification.recipient_id).distinct().where(
                Notification.object_type == object_type,
                Notification.object_id == object_id,
                Notification.kind.in_(list(kinds)),
                Notification.state.in_([NotificationState.SENT, NotificationState.SENDING]),
            )
        )
    )


def seat_holders(committee_id: int, fiscal_year: int) -> list[Membership]:
    """Every current seat of a committee for the year whose holder's account is active (observers too)."""
    return list(
        db.session.scalars(
            select(Membership)
            .join(Membership.user)
            .where(
                Membership.committee_id == committee_id,
                Membership.fiscal_year == fiscal_year,
                Membership.ended_at.is_(None),
                User.active.is_(True),
            )
            .order_by(Membership.id)
        )
    )
