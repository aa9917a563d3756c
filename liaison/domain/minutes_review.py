"""Minutes (議事録), the review (委員確認): opening a review round, 異議なし per seat, comments, the review sheet
and the rounds kept; approval (minutes.py) asks `review_complete`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from .. import events
from ..events import Event
from ..dates import utcnow
from ..extensions import db
from ..labels import label
from ..models import Body, Membership, Minutes, MinutesComment, MinutesReview, MinutesStatus, MinutesVersion, User
from . import audit, check, require
from . import memberships as membership_rules
from .minutes_access import _label, can_manage, latest_version, reviewer_seat

MAX_COMMENT = 4000


# ---------------------------------------------------------------------------------------------- review

def open_review(minutes: Minutes, *, actor, deadline: datetime, now: datetime | None = None) -> None:
    """委員確認: the members are asked to review the latest version by the deadline."""
    require(can_manage(actor), "only the secretariat opens review")
    now = now or utcnow()
    check(
        minutes.status is MinutesStatus.DRAFT,
        _("「%(status)s」の議事録は確認依頼できません。", status=label(minutes.status)),
        "status",
    )
    check(deadline is not None, _("確認の期限を入力してください。"), "deadline")
    if deadline.tzinfo is None:
        raise ValueError("the review deadline must be timezone-aware")
    check(deadline > now, _("確認の期限はこれからの日時にしてください。"), "deadline")
    before = minutes.status
    minutes.status = MinutesStatus.IN_REVIEW
    minutes.review_deadline = deadline
    minutes.review_opened_at = now
    # A new round: the marks of the earlier rounds stay as they were (round 1: 8/8 異議なし, round 2: …).
    minutes.review_round = (minutes.review_round or 0) + 1
    minutes.updated_at = now
    db.session.flush()
    audit.record(actor, "minutes.review_opened", minutes, label=_label(minutes), before=before, after=minutes.status,
                 deadline=deadline, version=latest_version(minutes).number, round=minutes.review_round)
    events.emit(Event.MINUTES_REVIEW_OPENED, minutes, deadline=deadline)


def return_to_draft(minutes: Minutes, *, actor) -> None:
    """Back to the secretariat to work in the comments; the comments and 異議なし marks are kept."""
    require(can_manage(actor), "only the secretariat takes minutes back to draft")
    check(minutes.status is MinutesStatus.IN_REVIEW, _("委員確認中の議事録ではありません。"), "status")
    minutes.status = MinutesStatus.DRAFT
    minutes.updated_at = utcnow()
    db.session.flush()
    audit.record(actor, "minutes.returned", minutes, label=_label(minutes), before=MinutesStatus.IN_REVIEW,
                 after=minutes.status)


def mark_no_objection(minutes: Minutes, *, actor, now: datetime | None = None) -> MinutesReview:
    """異議なし from the actor's seat on the version under review (once per seat and version)."""
    seat = reviewer_seat(actor, minutes)
    require(seat is not None, "only the meeting's members review its minutes")
    check(minutes.status is MinutesStatus.IN_REVIEW, _("この議事録は現在確認を受け付けていません。"), "status")
    version = latest_version(minutes)
    round_ = current_round(minutes)
    existing = db.session.scalar(
        select(MinutesReview).where(MinutesReview.version_id == version.id, MinutesReview.round == round_,
                                    MinutesReview.membership_id == seat.id)
    )
    if existing is not None:
        return existing
    review = MinutesReview(minutes_id=minutes.id, version_id=version.id, membership_id=seat.id, user_id=actor.id,
                           round=round_, at=now or utcnow())
    db.session.add(review)
    db.session.flush()
    audit.record(actor, "minutes.reviewed", minutes, label=_label(minutes), version=version.number,
                 seat=seat.seat_label, round=round_)
    return review


def add_comment(minutes: Minutes, *, actor, text: str, agenda_item_id: int | None = None,
                now: datetime | None = None) -> MinutesComment:
    """A member's comment on the whole minutes or one agenda item; the secretariat may answer too."""
    seat = reviewer_seat(actor, minutes)
    require(seat is not None or can_manage(actor), "only the meeting's members comment on its minutes")
    check(minutes.status is MinutesStatus.IN_REVIEW, _("この議事録は現在意見を受け付けていません。"), "status")
    text = (text or "").replace("\r\n", "\n").strip()
    check(text, _("意見を入力してください。"), "text")
    check(len(text) <= MAX_COMMENT, _("意見は%(max)d文字以内で入力してください。", max=MAX_COMMENT), "text")
    item_ids = {item["id"] for item in latest_version(minutes).facts["items"]}
    check(agenda_item_id is None or agenda_item_id in item_ids, _("議事が見つかりません。"), "agenda_item_id")
    comment = MinutesComment(
        minutes_id=minutes.id, version_id=latest_version(minutes).id, user_id=actor.id,
        membership_id=seat.id if seat else None, agenda_item_id=agenda_item_id, text=text, at=now or utcnow(),
    )
    db.session.add(comment)
    db.session.flush()
    audit.record(actor, "minutes.commented", minutes, label=_label(minutes), comment_id=comment.id,
                 agenda_item_id=agenda_item_id)
    return comment


def current_round(minutes: Minutes) -> int:
    """The review round under way (or the last one): 1 for the first review."""
    return max(minutes.review_round or 0, 1)


def review_complete(minutes: Minutes, now: datetime | None = None, lines: list | None = None) -> bool:
    """The review has run its course: its deadline has passed (or is exactly now), or every seat marked 異議なし.
    `lines`: the current round's review sheet when the caller has it (review_sheet() or review_sheet_rows())."""
    now = now or utcnow()
    if minutes.review_deadline is not None and now >= minutes.review_deadline:
        return True
    if lines is None:
        lines = review_sheet(minutes)
    return bool(lines) and all(line.review is not None for line in lines)


# ------------------------------------------------------------------------------------------ page data

@dataclass
class ReviewLine:
    seat: Membership
    review: MinutesReview | None


def review_sheet(minutes: Minutes, round_: int | None = None) -> list[ReviewLine]:
    """Every voting seat of the meeting with its 異議なし on the latest version in a round (default: the current one)."""
    version = latest_version(minutes)
    meeting = minutes.meeting
    round_ = round_ or current_round(minutes)
    rows = db.session.execute(
        membership_rules.seats_query(meeting.committee, meeting.fiscal_year)
        .add_columns(MinutesReview)
        .outerjoin(MinutesReview, (MinutesReview.membership_id == Membership.id) & (MinutesReview.version_id == version.id)
                   & (MinutesReview.round == round_))
    ).all()
    lines = [ReviewLine(seat, review) for seat, review in rows if seat.role.has_vote]
    return membership_rules.by_role(lines, lambda line: line.seat)


@dataclass(frozen=True, slots=True)
class ReviewMark:
    """A seat's 異議なし as the minutes page reads it (`line.review`)."""
    id: int
    at: datetime


def review_sheet_rows(minutes: Minutes) -> list[ReviewLine]:
    """review_sheet() of the current round for the minutes page, as the columns it shows (issue 22): the lines'
    seats are memberships.SeatRow and their 異議なし ReviewMark, not Memberships with users, bodies and reviews."""
    version = latest_version(minutes)
    meeting = minutes.meeting
    rows = db.session.execute(
        membership_rules.seat_rows_query(meeting.committee, meeting.fiscal_year)
        .add_columns(MinutesReview.id, MinutesReview.at)
        .outerjoin(MinutesReview, (MinutesReview.membership_id == Membership.id) & (MinutesReview.version_id == version.id)
                   & (MinutesReview.round == current_round(minutes)))
    ).all()
    lines = [ReviewLine(membership_rules.seat_row(row), None if row[6] is None else ReviewMark(row[6], row[7]))
             for row in rows if row[2].has_vote]
    return membership_rules.by_role(lines, lambda line: line.seat)


def comments_of(minutes: Minutes) -> list[MinutesComment]:
    return list(db.session.scalars(
        select(MinutesComment)
        .options(joinedload(MinutesComment.user), joinedload(MinutesComment.membership).joinedload(Membership.body),
                 joinedload(MinutesComment.version))
        .where(MinutesComment.minutes_id == minutes.id).order_by(MinutesComment.at, MinutesComment.id)
    ))


@dataclass(frozen=True, slots=True)
class CommentSeat:
    seat_label: str


@dataclass(frozen=True, slots=True)
class CommentVersion:
    number: int


@dataclass(frozen=True, slots=True)
class CommentRow:
    """A comment as the minutes page shows it (issue 22): the seat's label (None for the secretariat), the
    writer's name, the version's number, not the comment with its user, seat, body and version loaded whole."""
    membership: CommentSeat | None
    user: membership_rules.Holder
    version: CommentVersion
    at: datetime
    agenda_item_id: int | None
    text: str


def comment_rows(minutes: Minutes) -> list[CommentRow]:
    """comments_of() for the minutes page, as the columns it shows (one query)."""
    rows = db.session.execute(
        select(Membership.id, Body.name, Membership.department, User.name, MinutesVersion.number, MinutesComment.at,
               MinutesComment.agenda_item_id, MinutesComment.text)
        .select_from(MinutesComment).join(User, User.id == MinutesComment.user_id)
        .join(MinutesVersion, MinutesVersion.id == MinutesComment.version_id)
        .outerjoin(Membership, Membership.id == MinutesComment.membership_id).outerjoin(Body, Body.id == Membership.body_id)
        .where(MinutesComment.minutes_id == minutes.id).order_by(MinutesComment.at, MinutesComment.id)
    ).all()
    return [CommentRow(None if row[0] is None else CommentSeat(f"{row[1]} {row[2]}".strip()),
                       membership_rules.Holder(row[3]), CommentVersion(row[4]), *row[5:]) for row in rows]


@dataclass
class ReviewRound:
    number: int
    marked: int
    seats: int


def review_rounds(minutes: Minutes, seat_count: int | None = None) -> list[ReviewRound]:
    """Every review round with its 異議なし count, earlier rounds kept (round 1: 8/8, round 2: …), one query.
    `seat_count`: the meeting's voting seats when the caller has them (the length of its review sheet)."""
    if not minutes.review_round:
        return []  # never asked: no round to count
    meeting = minutes.meeting
    if seat_count is None:
        seat_count = sum(1 for _seat in membership_rules.seats(meeting.committee, meeting.fiscal_year,
                                                               include_observers=False))
    marked = dict(db.session.execute(
        select(MinutesReview.round, func.count(func.distinct(MinutesReview.membership_id)))
        .where(MinutesReview.minutes_id == minutes.id).group_by(MinutesReview.round)
    ).all())
    return [ReviewRound(n, marked.get(n, 0), seat_count) for n in range(1, (minutes.review_round or 0) + 1)]
