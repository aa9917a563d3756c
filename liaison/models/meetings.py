"""Meetings (会議, 第N回), their agenda (議事), attendance (出欠) and attached documents (資料)."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..extensions import db
from .bodies import Body
from .committees import Committee, Membership
from .types import UTCDateTime, now_utc, str_enum
from .users import User

if TYPE_CHECKING:
    from .proposals import Proposal
    from .minutes import Minutes


class MeetingStatus(enum.Enum):
    DRAFT = "draft"
    CONVENED = "convened"
    IN_SESSION = "in_session"  # 開会 … 閉会: the sitting is open
    HELD = "held"
    CANCELLED = "cancelled"
    POSTPONED = "postponed"


class MeetingFormat(enum.Enum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    HYBRID = "hybrid"
    WRITTEN = "written"  # 書面開催: no place; items decided by written votes


class Meeting(db.Model):
    """第N回 of a committee in a fiscal year; sequence rises on every change of time, place or status."""

    __tablename__ = "meetings"
    __table_args__ = (
        UniqueConstraint("committee_id", "fiscal_year", "number"),
        UniqueConstraint("committee_id", "document_year", "document_number", name="uq_meetings_document_number"),
        Index("ix_meetings_committee_starts", "committee_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(ForeignKey("committees.id"))
    fiscal_year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    format: Mapped[MeetingFormat] = mapped_column(str_enum(MeetingFormat))
    place: Mapped[str] = mapped_column(String(200), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="")
    answer_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    proposal_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[MeetingStatus] = mapped_column(str_enum(MeetingStatus), default=MeetingStatus.DRAFT, index=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    # The first announced start, kept when the meeting is postponed (延期), and why it was.
    original_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    postpone_reason: Mapped[str] = mapped_column(Text, default="")
    convened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    convened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The sitting (開会 … 閉会) as the secretariat recorded it.
    session_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    session_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    # Reminders (開催前のお知らせ): off for this meeting, or other days than the committee's ("3,1").
    reminders_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    reminder_days: Mapped[str | None] = mapped_column(String(40))
    # 文書番号 of the 招集通知: given once at 招集, numbered per committee and fiscal year of issue, kept.
    document_year: Mapped[int | None] = mapped_column(Integer)
    document_number: Mapped[int | None] = mapped_column(Integer)
    # The meeting day (会議進行, liaison.domain.sitting): the live state's version, raised in the transaction of
    # every change the live pages show; the agenda item under discussion (no FK: items are fixed while in
    # session); the screen link's generation (revoking the link raises it).
    live_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    current_item_id: Mapped[int | None] = mapped_column(Integer)
    screen_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # 「この資料を全員に表示」: the 資料 the presenter shows and its page (no FK, as current_item_id); cleared at 閉会.
    presented_attachment_id: Mapped[int | None] = mapped_column(Integer)
    presented_page: Mapped[int | None] = mapped_column(Integer)

    committee: Mapped[Committee] = relationship()
    convened_by: Mapped[User | None] = relationship(foreign_keys=[convened_by_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    agenda_items: Mapped[list[AgendaItem]] = relationship(
        back_populates="meeting", order_by="AgendaItem.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Meeting {self.committee_id} {self.fiscal_year}-{self.number}>"


class AgendaKind(enum.Enum):
    REPORT = "report"  # 報告事項
    DISCUSSION = "discussion"  # 協議事項
    RESOLUTION = "resolution"  # 議決事項


class AgendaOutcome(enum.Enum):
    ADOPTED = "adopted"  # 可決
    REJECTED = "rejected"  # 否決
    CONTINUED = "continued"  # 継続審議: deferred by the secretariat instead of voting
    NOTED = "noted"  # 報告了承: a report item taken note of without a vote


class AgendaItem(db.Model):
    """議事: an ordered item of a meeting; presenter is a body, or the secretariat when none."""

    __tablename__ = "agenda_items"
    __table_args__ = (Index("ix_agenda_items_meeting_position", "meeting_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[AgendaKind] = mapped_column(str_enum(AgendaKind))
    title: Mapped[str] = mapped_column(String(200))
    presenter_body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"))
    minutes_allotted: Mapped[int | None] = mapped_column(Integer)
    notes: Mapped[str] = mapped_column(Text, default="")
    # 前回議事録の確認: the earlier minutes this item asks the members to confirm.
    minutes_id: Mapped[int | None] = mapped_column(ForeignKey("minutes.id"), index=True)
    outcome: Mapped[AgendaOutcome | None] = mapped_column(str_enum(AgendaOutcome))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the sitting first took this item up (次へ), for the elapsed time against minutes_allotted.
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    meeting: Mapped[Meeting] = relationship(back_populates="agenda_items")
    presenter_body: Mapped[Body | None] = relationship()
    # The proposal this item discusses (put on the agenda by proposals.schedule), if any.
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"), index=True)
    proposal: Mapped[Proposal | None] = relationship(back_populates="agenda_items")
    confirmed_minutes: Mapped[Minutes | None] = relationship(foreign_keys=[minutes_id])


class SpeakerRequest(db.Model):
    """挙手: a seat asks to speak during the sitting; lowered by the member, or called (指名) by the chair or the
    secretariat, which records the speaker on the item under discussion at that moment (agenda_item_id)."""

    __tablename__ = "speaker_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"))
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id"))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    lowered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    called_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    membership: Mapped[Membership] = relationship()


class AttendanceResponse(enum.Enum):
    UNDECIDED = "undecided"
    ATTEND = "attend"
    ABSENT = "absent"
    PROXY = "proxy"  # 代理出席, with the proxy's name and title


class Attendance(db.Model):
    """出欠: one answer per seat (membership) and meeting; `present` is recorded at the meeting."""

    __tablename__ = "attendances"
    __table_args__ = (UniqueConstraint("meeting_id", "membership_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"))
    response: Mapped[AttendanceResponse] = mapped_column(str_enum(AttendanceResponse), default=AttendanceResponse.UNDECIDED)
    proxy_name: Mapped[str] = mapped_column(String(100), default="")
    proxy_title: Mapped[str] = mapped_column(String(100), default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    present: Mapped[bool | None] = mapped_column(Boolean)

    meeting: Mapped[Meeting] = relationship()
    membership: Mapped[Membership] = relationship()
    answered_by: Mapped[User | None] = relationship()


class Attachment(db.Model):
    """資料: an uploaded file, kept in the database (content) so that every web host serves it.

    Rows from before migration 0014 whose file could not be copied keep content NULL and are read
    from UPLOAD_FOLDER under stored_name.

    A meeting's document has meeting_id; one of an agenda item has both meeting_id and agenda_item_id.
    """

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"), index=True)
    agenda_item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    # Loaded only when the file is sent: lists of 資料 never read the bytes.
    content: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))

    uploaded_by: Mapped[User | None] = relationship()
    # A proposal's document (提案資料).
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"), index=True)
    # 資料番号 frozen at 招集 ("2-1", "3", "R1" for 参考資料1; liaison.domain.materials); NULL before.
    material_number: Mapped[str | None] = mapped_column(String(20))
