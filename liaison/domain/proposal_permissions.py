"""Who may do what with a proposal (提案): the submitting seat, the committee, the secretariat.

Visibility: until its first submission a proposal belongs to its seat alone (the seat's current
holder); after that the committee's members and the secretariat see it. The lifecycle's commands
(`proposals.py`) and the pages ask these; the lists ask the same as SQL (`proposal_queries.readable_condition`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..dates import utcnow
from ..models import AgendaItem, Committee, MeetingStatus, Membership, Proposal, ProposalComment, ProposalStatus
from . import access

EDITABLE = (ProposalStatus.DRAFT, ProposalStatus.RETURNED)
FINAL = (ProposalStatus.ADOPTED, ProposalStatus.REJECTED, ProposalStatus.WITHDRAWN)
SCHEDULABLE_MEETINGS = (MeetingStatus.DRAFT, MeetingStatus.CONVENED)
COMMENT_EDIT_WINDOW = timedelta(minutes=15)


def submitting_seat(user, committee: Committee) -> Membership | None:
    """The user's voting seat in the committee this fiscal year: the seat a new proposal comes from."""
    membership = access.membership_in(user, committee)
    return membership if membership is not None and membership.has_vote else None


def holds_seat_of(user, proposal: Proposal) -> bool:
    """The user now holds the seat that submitted the proposal (same body and department)."""
    seat = submitting_seat(user, proposal.committee)
    return seat is not None and seat.body_id == proposal.body_id and seat.department == proposal.department


def is_private(proposal: Proposal) -> bool:
    """Never submitted: only its seat sees it."""
    return proposal.submitted_at is None


def can_create(user, committee: Committee) -> bool:
    return submitting_seat(user, committee) is not None


def can_view(user, proposal: Proposal) -> bool:
    if is_private(proposal):
        return holds_seat_of(user, proposal)
    return access.can_view_committee(user, proposal.committee)


def can_edit(user, proposal: Proposal) -> bool:
    """Only the submitting seat, and only while the proposal is a draft or returned."""
    return proposal.status in EDITABLE and holds_seat_of(user, proposal)


can_submit = can_edit


def can_withdraw(user, proposal: Proposal) -> bool:
    return proposal.status not in FINAL and holds_seat_of(user, proposal)


@dataclass(frozen=True)
class Permissions:
    """What one user may do with one proposal, asked once per page (the seat lookup is a query)."""

    view: bool
    edit: bool
    withdraw: bool
    review: bool
    schedule: bool
    comment: bool

    @property
    def submit(self) -> bool:
        return self.edit


def permissions(user, proposal: Proposal) -> Permissions:
    own = holds_seat_of(user, proposal)
    view = own if is_private(proposal) else access.can_view_committee(user, proposal.committee)
    return Permissions(
        view=view,
        edit=own and proposal.status in EDITABLE,
        withdraw=own and proposal.status not in FINAL,
        review=can_accept(user, proposal),
        schedule=can_schedule(user, proposal),
        comment=view and not is_private(proposal) and proposal.status not in FINAL,
    )


def can_review(user) -> bool:
    """The secretariat (and administrators) accept, return and schedule proposals."""
    return access.is_staff(user)


def can_accept(user, proposal: Proposal) -> bool:
    return can_review(user) and proposal.status is ProposalStatus.SUBMITTED


can_return = can_accept


def can_schedule(user, proposal: Proposal) -> bool:
    return can_review(user) and schedulable(proposal)


def schedulable(proposal: Proposal) -> bool:
    if proposal.status in (ProposalStatus.ACCEPTED, ProposalStatus.CONTINUED):
        return True
    # On the agenda of a meeting that was then cancelled: it may move to another meeting.
    item = current_agenda_item(proposal)
    return proposal.status is ProposalStatus.ON_AGENDA and item is not None and item.meeting.status is MeetingStatus.CANCELLED


def can_comment(user, proposal: Proposal) -> bool:
    return not is_private(proposal) and proposal.status not in FINAL and can_view(user, proposal)


def can_edit_comment(user, comment: ProposalComment, now: datetime | None = None) -> bool:
    """The author, for COMMENT_EDIT_WINDOW after writing it."""
    return (
        comment.deleted_at is None
        and getattr(user, "id", None) is not None
        and comment.author_id == user.id
        and (now or utcnow()) - comment.created_at <= COMMENT_EDIT_WINDOW
    )


def can_delete_comment(user, comment: ProposalComment) -> bool:
    """The author or the secretariat; the comment stays as 「削除されました」."""
    if comment.deleted_at is not None or not getattr(user, "is_authenticated", False):
        return False
    return comment.author_id == user.id or access.is_staff(user)



def current_agenda_item(proposal: Proposal) -> AgendaItem | None:
    """The agenda item the proposal was last put on (a continued proposal may have several)."""
    return max(proposal.agenda_items, key=lambda item: item.id, default=None)



def can_attach(user, proposal: Proposal) -> bool:
    """The submitting seat adds and removes its documents while it may edit the text."""
    return can_edit(user, proposal)

