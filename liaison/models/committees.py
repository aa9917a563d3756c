"""Committees (連絡調整会議 and its 部会) and their seats (Membership, 委員)."""
from __future__ import annotations

import enum
from datetime import datetime, time

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, Time, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .bodies import Body
from .types import UTCDateTime, now_utc, str_enum
from .users import User


class CommitteeKind(enum.Enum):
    COUNCIL = "council"
    SUBCOMMITTEE = "subcommittee"


class Committee(db.Model):
    """連絡調整会議 or one of its 部会; each is served under its own URL slug."""

    __tablename__ = "committees"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    short_name: Mapped[str] = mapped_column(String(20))
    kind: Mapped[CommitteeKind] = mapped_column(str_enum(CommitteeKind))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("committees.id"))
    purpose: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer)
    # Quorum (定足数): present seats must be more than (or, with quorum_at_least, at least)
    # numerator/denominator of the entitled seats. Default: more than half.
    quorum_numerator: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    quorum_denominator: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    quorum_at_least: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # Reminder defaults for its meetings: days before the meeting, at this time of day (Asia/Tokyo),
    # and the attendance reminder this many days before the answer deadline.
    reminder_days: Mapped[str] = mapped_column(String(40), default="7,1", server_default="7,1")
    reminder_time: Mapped[time] = mapped_column(Time, default=time(9, 0), server_default="09:00:00")
    answer_reminder_days: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    # Deadline reminders: days before a meeting's proposal deadline (提案締切), before a written vote's
    # deadline ("2,0": two days before and on the day, 09:00 Tokyo) and before a minutes review deadline.
    proposal_reminder_days: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    vote_reminder_days: Mapped[str] = mapped_column(String(40), default="2,0", server_default="2,0")
    review_reminder_days: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # The chair's role in a vote. False (default, 地方自治法第116条 by analogy): the presiding chair does not
    # vote and decides a tie. True: the chair votes as a member and a tie is rejected. Never both.
    chair_votes: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # 文書番号 prefix of its official documents (「彩人広連第」): the 招集通知 reads 彩人広連第12号.
    document_prefix: Mapped[str] = mapped_column(String(40), default="", server_default="")
    # 情報公開: the committee's published minutes and decisions on the public pages (/public/), names
    # masked as 「さいたま市委員」 unless public_mask_names is off; the secretariat's and the chair's names
    # kept when public_keep_officers is on.
    public_minutes: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    public_mask_names: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    public_keep_officers: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # 議事録署名人 (issue 20 item 3): whether minutes have signers, how many members besides the chair, and
    # whether the chair may approve only once every named signer has confirmed.
    minutes_signers: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    minutes_signer_members: Mapped[int] = mapped_column(Integer, default=2, server_default="2")
    signers_before_approval: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))

    parent: Mapped[Committee | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Committee {self.slug}>"


class Role(enum.Enum):
    CHAIR = "chair"
    VICE_CHAIR = "vice_chair"
    MEMBER = "member"
    OBSERVER = "observer"

    @property
    def has_vote(self) -> bool:
        return self is not Role.OBSERVER


ROLE_ORDER = {Role.CHAIR: 0, Role.VICE_CHAIR: 1, Role.MEMBER: 2, Role.OBSERVER: 3}


class Membership(db.Model):
    """A seat (委員) for a fiscal year: user × committee × year, representing a body or a 埼玉県 department.

    One vote per seat: voting seats are unique per (committee, year, body, department).
    Past years' rows are never rewritten, so records keep the person who acted.
    """

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("committee_id", "fiscal_year", "user_id"),
        Index(
            "uq_memberships_voting_seat",
            "committee_id",
            "fiscal_year",
            "body_id",
            "department",
            unique=True,
            sqlite_where=text("role != 'observer' AND ended_at IS NULL"),
            postgresql_where=text("role != 'observer' AND ended_at IS NULL"),
        ),
        Index("ix_memberships_user_year", "user_id", "fiscal_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committees.id"))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"))
    department: Mapped[str] = mapped_column(String(60), default="")
    role: Mapped[Role] = mapped_column(str_enum(Role))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    committee: Mapped[Committee] = relationship()
    user: Mapped[User] = relationship()
    body: Mapped[Body] = relationship()

    @property
    def seat_label(self) -> str:
        return f"{self.body.name} {self.department}".strip()

    @property
    def has_vote(self) -> bool:
        return self.role.has_vote and self.ended_at is None

    def __repr__(self) -> str:
        return f"<Membership {self.committee_id}/{self.fiscal_year} {self.user_id} {self.role.value}>"
