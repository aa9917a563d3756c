"""Notifications: the outbox of mails and in-app notices, per-user preferences, the sender's lease."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, now_utc, str_enum
from .users import User


class NotificationKind(enum.Enum):
    CONVOCATION = "convocation"  # 招集通知
    MEETING_CHANGED = "meeting_changed"  # 変更通知
    MEETING_CANCELLED = "meeting_cancelled"  # 中止通知
    MEETING_REMINDER = "meeting_reminder"  # 開催前のお知らせ
    ATTENDANCE_DEADLINE = "attendance_deadline"  # 出欠回答期限のお知らせ
    PROPOSAL_DEADLINE = "proposal_deadline"  # 提案締切のお知らせ
    PROPOSAL_RETURNED = "proposal_returned"  # 提案の差戻し
    PROPOSAL_ACCEPTED = "proposal_accepted"  # 提案の受理
    PROPOSAL_SCHEDULED = "proposal_scheduled"  # 提案の議事掲載
    VOTE_DEADLINE = "vote_deadline"  # 書面表決の締切のお知らせ
    VOTE_RESULT = "vote_result"  # 表決の結果
    MINUTES_REVIEW = "minutes_review"  # 議事録の確認依頼
    MINUTES_REVIEW_DEADLINE = "minutes_review_deadline"  # 議事録の確認期限のお知らせ
    MINUTES_PUBLISHED = "minutes_published"  # 議事録の公開
    DIGEST = "digest"  # 1日分のまとめ (one mail at 08:00 JST)
    ACCOUNT_INVITATION = "account_invitation"  # アカウントへの招待
    PASSWORD_RESET = "password_reset"  # パスワードの再設定
    EMAIL_CONFIRMATION = "email_confirmation"  # メールアドレスの確認

    @property
    def is_account_mail(self) -> bool:
        """Carries a personal link: always by mail, never in a digest or turned off, and not listed in-app."""
        return self in ACCOUNT_MAIL_KINDS

    @property
    def is_meeting_notice(self) -> bool:
        return self in MEETING_NOTICE_KINDS


ACCOUNT_MAIL_KINDS = frozenset(
    {NotificationKind.ACCOUNT_INVITATION, NotificationKind.PASSWORD_RESET, NotificationKind.EMAIL_CONFIRMATION}
)
MEETING_NOTICE_KINDS = frozenset(
    {NotificationKind.CONVOCATION, NotificationKind.MEETING_CHANGED, NotificationKind.MEETING_CANCELLED}
)


class NotificationState(enum.Enum):
    PENDING = "pending"  # waiting for its due time (or its next attempt)
    SENDING = "sending"  # claimed by the sender; back to pending if the sender died
    SENT = "sent"  # delivered (by mail, in a digest, or in-app only)
    FAILED = "failed"  # gave up after the last attempt; shown to administrators
    VOID = "void"  # its reason went away (rescheduled, cancelled, answered, too late)


class Delivery(enum.Enum):
    EMAIL = "email"
    DIGEST = "digest"  # listed in the recipient's next daily digest mail
    IN_APP = "in_app"  # the recipient turned mails of this kind off


class Notification(db.Model):
    """One notice to one user: an outbox row for the scheduler and an entry of the user's in-app list.

    `idempotency_key` (kind:object:recipient:sequence…) is unique, so producing the same notice
    twice adds nothing; the sender claims a row by a conditional update, so it goes out once.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_state_due", "state", "due_at"),
        Index("ix_notifications_recipient_due", "recipient_id", "due_at"),
        Index("ix_notifications_object", "object_type", "object_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[NotificationKind] = mapped_column(str_enum(NotificationKind, 30))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(300), default="")  # path below BASE_URL
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Past this time the notice is pointless (the meeting has started, the deadline passed): voided, not sent.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    state: Mapped[NotificationState] = mapped_column(str_enum(NotificationState), default=NotificationState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(Text, default="")
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claimed_by: Mapped[str] = mapped_column(String(100), default="")
    # The sender lock's epoch (fencing token) of the pass that claimed the row: a later holder puts rows of an
    # older epoch back to pending at once, and a mark is only recorded while the row is still of this epoch.
    claim_epoch: Mapped[int | None] = mapped_column(Integer)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivery: Mapped[Delivery | None] = mapped_column(str_enum(Delivery))
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id"), index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    recipient: Mapped[User] = relationship()
    digest: Mapped[Notification | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Notification {self.idempotency_key} {self.state.value}>"


class NotificationPreference(db.Model):
    """A user's choices: which kinds come by mail, and a daily digest instead of single mails."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    daily_digest: Mapped[bool] = mapped_column(Boolean, default=False)
    # Kinds (NotificationKind values) the user does not want by mail; they still appear in-app.
    email_off: Mapped[list[str]] = mapped_column(JSON, default=list)

    def wants_email(self, kind: NotificationKind) -> bool:
        return kind.value not in (self.email_off or [])


class SchedulerLease(db.Model):
    """The sender's lease and state: the lease itself on SQLite (PostgreSQL holds an advisory lock), the
    fencing epoch every new holder raises (both databases), and what the operator sees of the sender."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100), default="")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_pass_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The SMTP circuit breaker: unreachable since, next try not before, and the last answer or error.
    smtp_down_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    smtp_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    smtp_error: Mapped[str] = mapped_column(Text, default="", server_default="")
