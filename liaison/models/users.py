"""Users: section chiefs, chairs, the secretariat and administrators."""
from __future__ import annotations

from datetime import datetime

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .bodies import Body
from .types import UTCDateTime, now_utc


def hash_password(password: str) -> str:
    """The stored form of a password, with the configured method (scrypt unless the tests choose a faster one)."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
    return generate_password_hash(password, method=method)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(100), default="")
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"), index=True)
    department: Mapped[str] = mapped_column(String(60), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_secretariat: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str] = mapped_column(String(5), default="ja")
    # Bumped to invalidate every session of the user (deactivation, password reset).
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    # Part of the calendar feed token; bumped to regenerate the feed URL.
    feed_counter: Mapped[int] = mapped_column(Integer, default=1)
    # The calendar feed's own settings; feed_updated_at is the feed's Last-Modified when they change.
    feed_include_deadlines: Mapped[bool] = mapped_column(Boolean, default=True, server_default=sa_true())
    feed_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    body: Mapped[Body | None] = relationship(lazy="joined")

    def set_password(self, password: str) -> None:
        self.password_hash = hash_password(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def affiliation(self) -> str:
        """所属: the body, with the department for 埼玉県's departments."""
        if self.body is None:
            return self.department
        return f"{self.body.name} {self.department}".strip()

    def __repr__(self) -> str:
        return f"<User {self.email}>"
