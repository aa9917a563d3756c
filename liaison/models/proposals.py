"""Proposals (提案・議案) submitted by a seat for a committee, their revisions and comments."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import textsearch
from ..extensions import db
from .bodies import Body, PlanPolicy
from .committees import Committee
from .meetings import AgendaItem, Attachment, Meeting
from .types import UTCDateTime, now_utc, str_enum
from .users import User


class ProposalStatus(enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"  # 差戻し: back to the body with the secretariat's reason
    ACCEPTED = "accepted"  # 受理: numbered, waiting for a meeting
    ON_AGENDA = "on_agenda"
    ADOPTED = "adopted"  # 可決
    REJECTED = "rejected"  # 否決
    CONTINUED = "continued"  # 継続審議: may be put on a later meeting's agenda
    WITHDRAWN = "withdrawn"  # 取下げ


class Proposal(db.Model):
    """提案: written by a seat (a body, or a 埼玉県 department) for one committee.

    `fiscal_year` is the 年度 the proposal counts in (plan report, number): set when drafted and
    moved to the year of acceptance when the number (e.g. 企画-R7-003) is given.
    """

    __tablename__ = "proposals"
    __table_args__ = (
        UniqueConstraint("committee_id", "fiscal_year", "serial"),
        Index("ix_proposals_committee_status", "committee_id", "status"),
        Index("ix_proposals_fiscal_year_policy", "fiscal_year", "plan_policy_id"),
        # pg_trgm serves LIKE '%…%' on PostgreSQL; SQLite makes it a plain index (unused by the search).
        Index("ix_proposals_search_key", "search_key", postgresql_using="gin",
              postgresql_ops={"search_key": "gin_trgm_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committees.id"))
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    # The 埼玉県 department whose seat submitted it (県職員研修部会), "" for a body's seat.
    department: Mapped[str] = mapped_column(String(60), default="")
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown, shown only through liaison.markdown
    # title, summary and body normalised for the search (liaison.textsearch), kept on every write
    search_key: Mapped[str] = mapped_column(Text, default=textsearch.key_default("title", "summary", "body"))
    plan_policy_id: Mapped[int] = mapped_column(ForeignKey("plan_policies.id"))
    desired_meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"))
    status: Mapped[ProposalStatus] = mapped_column(str_enum(ProposalStatus), default=ProposalStatus.DRAFT, index=True)
    return_reason: Mapped[str] = mapped_column(Text, default="")
    fiscal_year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[str | None] = mapped_column(String(40), unique=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    committee: Mapped[Committee] = relationship()
    submitting_body: Mapped[Body] = relationship()
    submitted_by: Mapped[User | None] = relationship()
    plan_policy: Mapped[PlanPolicy] = relationship()
    desired_meeting: Mapped[Meeting | None] = relationship()
    revisions: Mapped[list[ProposalRevision]] = relationship(
        back_populates="proposal", order_by="ProposalRevision.number", cascade="all, delete-orphan"
    )
    comments: Mapped[list[ProposalComment]] = relationship(
        back_populates="proposal", order_by="ProposalComment.id", cascade="all, delete-orphan"
    )
    agenda_items: Mapped[list[AgendaItem]] = relationship(
        back_populates="proposal", order_by="AgendaItem.id", foreign_keys="AgendaItem.proposal_id"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        order_by="Attachment.id", foreign_keys="Attachment.proposal_id", viewonly=True
    )

    @property
    def seat_label(self) -> str:
        return f"{self.submitting_body.name} {self.department}".strip()

    def __repr__(self) -> str:
        return f"<Proposal {self.id} {self.status.value}>"


class ProposalRevision(db.Model):
    """One saved version of a proposal (版): its text and policy item; every saved change keeps one, numbered from 1."""

    __tablename__ = "proposal_revisions"
    __table_args__ = (UniqueConstraint("proposal_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    number: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    status: Mapped[ProposalStatus] = mapped_column(str_enum(ProposalStatus))  # the state it was saved in
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    plan_policy_id: Mapped[int] = mapped_column(ForeignKey("plan_policies.id"))

    proposal: Mapped[Proposal] = relationship(back_populates="revisions")
    author: Mapped[User | None] = relationship()
    plan_policy: Mapped[PlanPolicy] = relationship()


class ProposalComment(db.Model):
    """A comment by a committee member or the secretariat; edited only briefly, deleted softly."""

    __tablename__ = "proposal_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    proposal: Mapped[Proposal] = relationship(back_populates="comments")
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])


textsearch.keep_search_key(Proposal, "title", "summary", "body")
