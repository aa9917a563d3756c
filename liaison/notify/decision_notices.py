"""Notices about proposals, votes and minutes, and their deadline reminders.

Proposals, votes and minutes: a notice about a change (差戻し, 受理, 議事掲載, a vote's result, minutes
published) goes out at once and is dropped when the change itself is older than NOTICE_LIFETIME (a
record entered after the fact, e.g. the demo's history, is not news). Deadline reminders (書面表決,
議事録の確認) are planned when the vote or the review opens, skipped at send time when the seat has
voted or reviewed since (liaison.notify.preparing.void_reason), voided when the vote or review ends.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from ..dates import current_fiscal_year, to_tokyo, utcnow
from ..extensions import db
from ..models import (
    AgendaItem, Ballot, Committee, Membership, Minutes, MinutesReview, MinutesVersion, NotificationKind, Proposal,
    Role, User, Vote, VoteMethod, VoteSeat, VoteState,
)
from ..domain.notifications import parse_deadline_days
from . import content, outbox
from .notice_rows import (
    DEADLINE_REMINDER_TIME, MINUTES, PROPOSALS, VOTES, active, entry, local_time_on, object_key, still_news,
)


# --- proposals: 差戻し, 受理, 議事掲載 to the submitting seat ------------------------------------------

def submitting_seat_holders(proposal: Proposal) -> list[int]:
    """The user who submitted the proposal and whoever now holds that seat (same body and department)."""
    holders = db.session.scalars(
        select(Membership.user_id).where(
            Membership.committee_id == proposal.committee_id,
            Membership.fiscal_year == current_fiscal_year(),
            Membership.body_id == proposal.body_id,
            Membership.department == proposal.department,
            Membership.role != Role.OBSERVER,
            Membership.ended_at.is_(None),
        )
    )
    return active([proposal.submitted_by_id, *holders])


def _proposal_notice(kind: NotificationKind, proposal: Proposal, happened_at: datetime | None, **details) -> None:
    now = utcnow()
    expires = still_news(happened_at, now)
    if expires is None:
        return
    subject, body = content.proposal_notice(kind, proposal, **details)
    numbers = outbox.counts_by_recipient(PROPOSALS, proposal.id, (kind,))
    outbox.add([
        entry(kind, PROPOSALS, proposal.id, user_id,
               object_key(kind, PROPOSALS, proposal.id, user_id, numbers.get(user_id, 0)),
               subject, body, content.proposal_path(proposal), now, expires)
        for user_id in submitting_seat_holders(proposal)
    ])


def proposal_returned(proposal: Proposal, reason: str = "", **data) -> None:
    _proposal_notice(NotificationKind.PROPOSAL_RETURNED, proposal, proposal.updated_at, reason=reason)


def proposal_accepted(proposal: Proposal, **data) -> None:
    _proposal_notice(NotificationKind.PROPOSAL_ACCEPTED, proposal, proposal.accepted_at)


def proposal_scheduled(proposal: Proposal, agenda_item: AgendaItem | None = None, **data) -> None:
    _proposal_notice(NotificationKind.PROPOSAL_SCHEDULED, proposal, proposal.updated_at, item=agenda_item)


# --- votes: 書面表決 reminders to seats that have not voted, the result to the committee ------------------

def _unvoted_holders(vote: Vote) -> list[int]:
    """Users holding an entitled seat of the vote (still seated, active) that has cast no ballot."""
    return list(
        db.session.scalars(
            select(Membership.user_id)
            .join(VoteSeat, VoteSeat.membership_id == Membership.id)
            .join(User, User.id == Membership.user_id)
            .outerjoin(Ballot, (Ballot.vote_id == VoteSeat.vote_id) & (Ballot.membership_id == VoteSeat.membership_id))
            .where(VoteSeat.vote_id == vote.id, Membership.ended_at.is_(None), User.active.is_(True),
                   Ballot.id.is_(None))
            .order_by(VoteSeat.position)
        )
    )


def vote_reminder_times(vote: Vote, now: datetime) -> dict[datetime, int]:
    """{due time: days before} of a written vote's reminders: 09:00 Tokyo on the committee's days before the
    closing day (by default 2 days before and on the day).

    A reminder whose time comes before the vote opens is due when it opens; two due at once become one.
    """
    if vote.method is not VoteMethod.WRITTEN or vote.closes_at is None or vote.closes_at <= now:
        return {}
    start = max(vote.opens_at or now, now)
    closing_day = to_tokyo(vote.closes_at).date()
    times: dict[datetime, int] = {}
    committee = vote.committee or (db.session.get(Committee, vote.committee_id) if vote.committee_id else None)
    setting = committee.vote_reminder_days if committee is not None else Committee.vote_reminder_days.default.arg
    for days in parse_deadline_days(setting):  # largest first: the later reminder wins a shared time
        due = max(local_time_on(closing_day - timedelta(days=days), DEADLINE_REMINDER_TIME), start)
        if due < vote.closes_at:
            times[due] = days
    return times


def vote_opened(vote: Vote, **data) -> None:
    """A written vote's deadline reminders for every entitled seat that has not voted."""
    if vote.state is not VoteState.OPEN:
        return
    times = vote_reminder_times(vote, utcnow())
    if not times:
        return
    holders = _unvoted_holders(vote)
    stamp = int(vote.closes_at.timestamp())
    rows = []
    for due, days in times.items():
        subject, body = content.vote_deadline_reminder(vote, due)
        rows += [
            entry(NotificationKind.VOTE_DEADLINE, VOTES, vote.id, user_id,
                   object_key(NotificationKind.VOTE_DEADLINE, VOTES, vote.id, user_id, stamp, f"{days}d"),
                   subject, body, content.vote_path(vote), due, vote.closes_at)
            for user_id in holders
        ]
    outbox.add(rows)


def vote_cancelled(vote: Vote, **data) -> None:
    outbox.void_pending(VOTES, vote.id, (NotificationKind.VOTE_DEADLINE,))


def vote_closed(vote: Vote, **data) -> None:
    """Reminders end; the committee's seat holders get the result (a closed vote never changes: one each)."""
    outbox.void_pending(VOTES, vote.id, (NotificationKind.VOTE_DEADLINE,))
    now = utcnow()
    expires = still_news(vote.closed_at, now)
    if expires is None:
        return
    meeting = vote.agenda_item.meeting
    subject, body = content.vote_result(vote)
    kind = NotificationKind.VOTE_RESULT
    outbox.add([
        entry(kind, VOTES, vote.id, seat.user_id, object_key(kind, VOTES, vote.id, seat.user_id),
               subject, body, content.vote_path(vote), now, expires)
        for seat in outbox.seat_holders(vote.committee_id, meeting.fiscal_year)
    ])


# --- minutes: 確認依頼 and its reminder to the reviewers, 公開 to the committee --------------------------

REVIEW_KINDS = (NotificationKind.MINUTES_REVIEW, NotificationKind.MINUTES_REVIEW_DEADLINE)


def _latest_version_id(minutes: Minutes) -> int | None:
    return db.session.scalar(select(MinutesVersion.id).where(MinutesVersion.minutes_id == minutes.id)
                             .order_by(MinutesVersion.number.desc()).limit(1))


def reviewers_to_ask(minutes: Minutes) -> list[int]:
    """Holders of the meeting's voting seats (its fiscal year) who have not reviewed the version under review."""
    meeting = minutes.meeting
    reviewed = set(db.session.scalars(
        select(MinutesReview.membership_id).where(MinutesReview.version_id == _latest_version_id(minutes))
    ))
    return [seat.user_id for seat in outbox.seat_holders(meeting.committee_id, meeting.fiscal_year)
            if seat.has_vote and seat.id not in reviewed]


def minutes_review_opened(minutes: Minutes, **data) -> None:
    """確認依頼 to the reviewers now, and a reminder the day before the deadline (09:00 Tokyo)."""
    now = utcnow()
    deadline = minutes.review_deadline
    outbox.void_pending(MINUTES, minutes.id, REVIEW_KINDS)  # an earlier round's, if the review was reopened
    if deadline is None or deadline <= now:
        return
    reviewers = reviewers_to_ask(minutes)
    link = content.minutes_path(minutes)
    numbers = outbox.counts_by_recipient(MINUTES, minutes.id, (NotificationKind.MINUTES_REVIEW,))
    subject, body = content.minutes_review_opened(minutes)
    kind = NotificationKind.MINUTES_REVIEW
    rows = [
        entry(kind, MINUTES, minutes.id, user_id, object_key(kind, MINUTES, minutes.id, user_id,
                                                               numbers.get(user_id, 0)),
               subject, body, link, now, deadline)
        for user_id in reviewers
    ]
    due = local_time_on(to_tokyo(deadline).date() - timedelta(days=minutes.meeting.committee.review_reminder_days),
                        DEADLINE_REMINDER_TIME)
    if now < due < deadline:
        subject, body = content.minutes_review_reminder(minutes, due)
        kind = NotificationKind.MINUTES_REVIEW_DEADLINE
        version = _latest_version_id(minutes)
        rows += [
            entry(kind, MINUTES, minutes.id, user_id,
                   object_key(kind, MINUTES, minutes.id, user_id, "version", version, int(deadline.timestamp())),
                   subject, body, link, due, deadline)
            for user_id in reviewers
        ]
    outbox.add(rows)


def minutes_approved(minutes: Minutes, **data) -> None:
    """The review is over: what is still pending of it is not sent."""
    outbox.void_pending(MINUTES, minutes.id, REVIEW_KINDS)


def minutes_published(minutes: Minutes, **data) -> None:
    """公開 to the seat holders of the meeting's year and of the current year (after April, the new ones)."""
    outbox.void_pending(MINUTES, minutes.id, REVIEW_KINDS)
    now = utcnow()
    expires = still_news(minutes.published_at, now)
    if expires is None:
        return
    meeting = minutes.meeting
    years = {meeting.fiscal_year, current_fiscal_year()}
    recipients = sorted({seat.user_id for year in years for seat in outbox.seat_holders(meeting.committee_id, year)})
    numbers = outbox.counts_by_recipient(MINUTES, minutes.id, (NotificationKind.MINUTES_PUBLISHED,))
    subject, body = content.minutes_published(minutes)
    kind = NotificationKind.MINUTES_PUBLISHED
    outbox.add([
        entry(kind, MINUTES, minutes.id, user_id, object_key(kind, MINUTES, minutes.id, user_id,
                                                               numbers.get(user_id, 0)),
               subject, body, content.minutes_path(minutes), now, expires)
        for user_id in recipients
    ])

