"""Constituent bodies (構成団体) and the 第6次広域計画 policy items."""
from __future__ import annotations

import enum

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import str_enum


class BodyKind(enum.Enum):
    PREFECTURE = "prefecture"
    CITY = "city"
    TOWN = "town"
    VILLAGE = "village"


class Body(db.Model):
    """構成団体: 埼玉県 or one of its 63 市町村."""

    __tablename__ = "bodies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[BodyKind] = mapped_column(str_enum(BodyKind))
    district: Mapped[str] = mapped_column(String(40), default="")
    position: Mapped[int] = mapped_column(Integer, index=True)

    @property
    def is_prefecture(self) -> bool:
        return self.kind is BodyKind.PREFECTURE

    def __repr__(self) -> str:
        return f"<Body {self.name}>"


class PlanPolicy(db.Model):
    """A policy item of 第6次広域計画 (令和6〜10年度); proposals are tagged with one."""

    __tablename__ = "plan_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    area: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)

    def __repr__(self) -> str:
        return f"<PlanPolicy {self.code}>"
