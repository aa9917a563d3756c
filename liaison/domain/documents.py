"""Official documents (公文書): the committee's 文書番号 prefix and each 招集通知's number, given once at 招集."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..dates import fiscal_year_of
from ..extensions import db
from ..models import Committee, Meeting, Membership, Role
from . import audit, check, require
from .memberships import seats

PREFIX_MAX = 40


def assign_document_number(meeting: Meeting, now: datetime) -> None:
    """文書番号: the next number of the committee in the fiscal year of issue; kept once given."""
    if meeting.document_number is not None:
        return
    # Lock the committee row so two convocations at the same instant get different numbers (PostgreSQL;
    # SQLite serialises writers anyway). The unique constraint is the last guard.
    db.session.execute(select(Committee.id).where(Committee.id == meeting.committee_id).with_for_update())
    year = fiscal_year_of(now)
    last = db.session.scalar(
        select(func.max(Meeting.document_number)).where(Meeting.committee_id == meeting.committee_id,
                                                        Meeting.document_year == year)
    )
    meeting.document_year, meeting.document_number = year, (last or 0) + 1


def document_number_label(meeting: Meeting) -> str:
    """彩人広連第12号; 「第12号」 without a prefix; empty before 招集."""
    if meeting.document_number is None:
        return ""
    prefix = (meeting.committee.document_prefix or "").removesuffix("第")  # 「彩人広連第」 and 「彩人広連」 alike
    return prefix + _("第%(n)d号", n=meeting.document_number)


def chair_of(committee: Committee, fiscal_year: int) -> Membership | None:
    """The seat of the 議長・部会長 for the year (the sender of the committee's notices)."""
    return next((seat for seat in seats(committee, fiscal_year) if seat.role is Role.CHAIR), None)


def set_document_prefix(committee: Committee, *, actor, prefix: str) -> None:
    """The administrator sets the prefix of the committee's 文書番号 (「彩人広連第」)."""
    require(getattr(actor, "is_admin", False), "only the administrator sets the document number prefix")
    prefix = (prefix or "").strip()
    check(len(prefix) <= PREFIX_MAX, _("文書番号の記号は%(n)d文字以内で入力してください。", n=PREFIX_MAX), "prefix")
    before = committee.document_prefix
    committee.document_prefix = prefix
    db.session.flush()
    audit.record(actor, "committee.document_prefix", committee, label=committee.name,
                 changes={"document_prefix": (before, prefix)})
