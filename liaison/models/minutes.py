"""Minutes (議事録) of a held meeting: versions, members' reviews (異議なし) and comments.

Versions are append-only: a saved version never changes, except that approval stamps it once
(`approved_at`, `approved_by_id`, `approver_role`). After that nothing about it changes at all;
`_refuse_changes_to_versions` below refuses it at flush time, whatever code tries.
"""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, event, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from .. import textsearch
from ..extensions import db
from .committees import Membership
from .meetings import AgendaItem, Meeting
from .types import UTCDateTime, now_utc, str_enum
from .users import User


class MinutesStatus(enum.Enum):
    DRAFT = "draft"  # 作成中: the secretariat edits
    IN_REVIEW = "in_review"  # 確認中: members comment and mark 異議なし
    APPROVED = "approved"  # 承認済み: the chair approved the latest version
    PUBLISHED = "published"  # 公開: every logged-in user of the union may read it


class Minutes(db.Model):
    """議事録: one per meeting; its text lives in its versions."""

    __tablename__ = "minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), unique=True)
    status: Mapped[MinutesStatus] = mapped_column(str_enum(MinutesStatus), default=MinutesStatus.DRAFT, index=True)
    review_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # 委員確認の回: 1 for the first review, +1 each time a review is (re)opened; earlier rounds' marks are kept.
    review_round: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The version number readable by the whole union, kept while a corrected version is drafted.
    published_version: Mapped[int | None] = mapped_column(Integer)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    meeting: Mapped[Meeting] = relationship()
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    versions: Mapped[list[MinutesVersion]] = relationship(
        back_populates="minutes", order_by="MinutesVersion.number", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Minutes meeting={self.meeting_id} {self.status.value}>"


class MinutesVersion(db.Model):
    """版: the generated facts (JSON, refreshed only by regenerating) and the secretariat's Markdown per section.

    `texts` maps a section key ("opening", "item-<agenda item id>", "closing") to Markdown; `search_text`
    is facts and texts as plain text, for the Japanese substring search.
    """

    __tablename__ = "minutes_versions"
    __table_args__ = (
        UniqueConstraint("minutes_id", "number"),
        # pg_trgm serves LIKE '%…%' on PostgreSQL; SQLite makes it a plain index (unused by the search).
        Index("ix_minutes_versions_search_key", "search_key", postgresql_using="gin",
              postgresql_ops={"search_key": "gin_trgm_ops"}),
        Index("ix_minutes_versions_public_search_key", "public_search_key", postgresql_using="gin",
              postgresql_ops={"public_search_key": "gin_trgm_ops"}),  # the public search (/public/?q=)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"))
    number: Mapped[int] = mapped_column(Integer)
    facts: Mapped[dict] = mapped_column(JSON)
    texts: Mapped[dict] = mapped_column(JSON)
    search_text: Mapped[str] = mapped_column(Text, default="")
    # search_text normalised for the search (liaison.textsearch)
    search_key: Mapped[str] = mapped_column(Text, default=textsearch.key_default("search_text"))
    reason: Mapped[str] = mapped_column(Text, default="")  # why this version was made (required after approval)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approver_role: Mapped[str] = mapped_column(String(20), default="")  # 議長 / 副部会長 … at the time
    # Why the chair approved before the review deadline without every seat's 異議なし (shown in the history).
    approval_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    # The public 会議録 page's copy (liaison.domain.public), kept for the published version when it is published
    # and when the committee's masking settings change: masked facts/texts/approval line and the settings used,
    # the masked text (snippets) and its normalised form (the public search), so /public/ never masks per request.
    public_copy: Mapped[dict | None] = mapped_column(JSON)
    public_text: Mapped[str | None] = mapped_column(Text)
    public_search_key: Mapped[str | None] = mapped_column(Text)

    minutes: Mapped[Minutes] = relationship(back_populates="versions")
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])

    def __repr__(self) -> str:
        return f"<MinutesVersion {self.minutes_id} v{self.number}>"


class MinutesReview(db.Model):
    """A member's 異議なし on one version (the version under review when it was given)."""

    __tablename__ = "minutes_reviews"
    __table_args__ = (UniqueConstraint("version_id", "round", "membership_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("minutes_versions.id"))
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    version: Mapped[MinutesVersion] = relationship()
    membership: Mapped[Membership] = relationship()
    user: Mapped[User] = relationship()


class MinutesSigner(db.Model):
    """議事録署名人: a seat named by the secretariat for one meeting's minutes (the chair and members who were
    present) and the holder's electronic confirmation (name and time; no seal)."""

    __tablename__ = "minutes_signers"
    __table_args__ = (UniqueConstraint("minutes_id", "membership_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)  # the chair first, then the members as named
    is_chair: Mapped[bool] = mapped_column(Boolean, default=False)
    named_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    named_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmed_version: Mapped[int | None] = mapped_column(Integer)  # the version number the signer confirmed

    membership: Mapped[Membership] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class MinutesComment(db.Model):
    """A member's comment on the whole minutes or on one agenda item; kept across review rounds."""

    __tablename__ = "minutes_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("minutes_versions.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    membership_id: Mapped[int | None] = mapped_column(ForeignKey("memberships.id"))
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id"))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    version: Mapped[MinutesVersion] = relationship()
    user: Mapped[User] = relationship()
    membership: Mapped[Membership | None] = relationship()
    agenda_item: Mapped[AgendaItem | None] = relationship()


class FrozenMinutesError(RuntimeError):
    """A flush tried to change a saved minutes version (a programming error, never user input)."""


APPROVAL_STAMP = ("approved_at", "approved_by_id", "approver_role", "approval_reason")
PUBLIC_COPY = ("public_copy", "public_text", "public_search_key")


def _persisted_approval(session: Session, version_id: int | None):
    if version_id is None:
        return None
    return session.execute(select(MinutesVersion.approved_at).where(MinutesVersion.id == version_id)).scalar_one_or_none()


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_versions(session: Session, flush_context, instances) -> None:
    """Saved versions are history: only the one-time approval stamp may be added to an unapproved one."""
    with session.no_autoflush:
        for obj in session.deleted:
            if isinstance(obj, MinutesVersion) and _persisted_approval(session, obj.id) is not None:
                raise FrozenMinutesError(f"minutes version {obj.id} is approved: it is never deleted")
        for obj in session.dirty:
            if not isinstance(obj, MinutesVersion) or not session.is_modified(obj):
                continue
            changed = {attr.key for attr in inspect(obj).attrs if attr.history.has_changes()} - set(PUBLIC_COPY)
            if not changed:
                continue  # the public page's copy is derived from the version, not part of it
            if _persisted_approval(session, obj.id) is not None:
                raise FrozenMinutesError(f"minutes version {obj.id} is approved: its text is frozen")
            if changed - set(APPROVAL_STAMP):
                raise FrozenMinutesError(f"minutes version {obj.id} is saved history: make a new version instead")


textsearch.keep_search_key(MinutesVersion, "search_text")
