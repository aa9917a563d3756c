"""Personal access tokens for the JSON API (/api/v1): a user's named keys, stored as a digest only."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, now_utc, str_enum
from .users import User


class TokenScope(enum.Enum):
    READ = "read"  # 読み取り
    WRITE = "write"  # 読み取りと書き込み


class ApiToken(db.Model):
    """One personal access token. The secret is shown once at creation; the row keeps its SHA-256 digest
    (the secret is 256 random bits, so a digest without salt is enough), a name, a scope and an expiry."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[TokenScope] = mapped_column(str_enum(TokenScope, 10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    @property
    def can_write(self) -> bool:
        return self.scope is TokenScope.WRITE

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.name!r} {self.scope.value} user={self.user_id}>"
