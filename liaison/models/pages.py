"""The version counters of the page cache (liaison/pages): one row per table, raised by every commit that wrote it."""
from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class PageVersion(db.Model):
    """`counter` of table `name` moves at each commit that inserted, updated or deleted its rows (through the ORM
    session); a cached page's key holds every counter, so any change is a new key on every host."""

    __tablename__ = "page_versions"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    counter: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
