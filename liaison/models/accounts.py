"""Account links sent by mail: invitations, password resets and e-mail confirmations."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, now_utc, str_enum
from .users import User


class TokenPurpose(enum.Enum):
    INVITATION = "invitation"  # 招待: the first password of a new account
    PASSWORD_RESET = "password_reset"  # パスワードの再設定
    EMAIL_CHANGE = "email_change"  # 新しいメールアドレスの確認


class AccountToken(db.Model):
    """One link sent to a user. The link's secret is never stored: it is an HMAC of SECRET_KEY, the row's id and
    its random `nonce`, so a leaked database alone opens nothing. A link works once, until `expires_at`, while it
    is the user's newest of its purpose and while the password is the one it was issued under."""

    __tablename__ = "account_tokens"
    __table_args__ = (Index("ix_account_tokens_user_purpose", "user_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    purpose: Mapped[TokenPurpose] = mapped_column(str_enum(TokenPurpose, 20))
    nonce: Mapped[str] = mapped_column(String(64))
    # A digest of the password hash at issue time: a password change invalidates the link.
    password_fingerprint: Mapped[str] = mapped_column(String(64))
    new_email: Mapped[str] = mapped_column(String(254), default="")  # EMAIL_CHANGE only
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<AccountToken {self.id} {self.purpose.value} user={self.user_id}>"
