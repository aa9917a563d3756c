"""Proposals (提案): drafting and revising by a seat, review by the secretariat, the agenda, the decision.

Lifecycle (DESIGN.md): draft → submitted → (returned → submitted)* → accepted → on_agenda →
adopted | rejected | continued; withdrawn from any state before a decision. A continued (継続審議)
proposal may be put on a later meeting's agenda again, or withdrawn; adopted, rejected and
withdrawn are final.

Revisions: every saved change keeps a revision, drafts included (revision 1 is the first draft),
so the history and the diffs cover the whole life of the text, not only what the secretariat saw.
A save that changes nothing keeps nothing.

Who may do what: `proposal_permissions.py`; lists, the page's load and the diff: `proposal_queries.py`.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from . import attachments as files
from .. import events
from ..events import Event
from ..dates import era_year, fiscal_year_of, utcnow
from ..extensions import db
from ..labels import label
from ..models import (
    AgendaItem, AgendaKind, Attachment, Committee, Meeting, PlanPolicy, Proposal, ProposalComment, ProposalRevision,
    ProposalStatus,
)
from . import audit, check, lock, once, require
from . import meetings as meeting_rules
from .proposal_permissions import (
    SCHEDULABLE_MEETINGS, can_attach, can_comment, can_delete_comment, can_edit, can_edit_comment, can_review, can_submit,
    can_withdraw, current_agenda_item, schedulable, submitting_seat,
)

TRANSITIONS = {
    ProposalStatus.DRAFT: {ProposalStatus.SUBMITTED, ProposalStatus.WITHDRAWN},
    ProposalStatus.SUBMITTED: {ProposalStatus.RETURNED, ProposalStatus.ACCEPTED, ProposalStatus.WITHDRAWN},
    ProposalStatus.RETURNED: {ProposalStatus.SUBMITTED, ProposalStatus.WITHDRAWN},
    ProposalStatus.ACCEPTED: {ProposalStatus.ON_AGENDA, ProposalStatus.WITHDRAWN},
    ProposalStatus.ON_AGENDA: {ProposalStatus.ON_AGENDA, ProposalStatus.ACCEPTED, ProposalStatus.ADOPTED, ProposalStatus.REJECTED, ProposalStatus.CONTINUED, ProposalStatus.WITHDRAWN},
    ProposalStatus.CONTINUED: {ProposalStatus.ON_AGENDA, ProposalStatus.WITHDRAWN},
    ProposalStatus.ADOPTED: set(),
    ProposalStatus.REJECTED: set(),
    ProposalStatus.WITHDRAWN: set(),
}
OUTCOMES = (ProposalStatus.ADOPTED, ProposalStatus.REJECTED, ProposalStatus.CONTINUED)
MAX_TITLE = 200
MAX_TEXT = 50_000
MAX_COMMENT = 5_000
ERA_LETTERS = {"令和": "R", "平成": "H"}


# ---------------------------------------------------------------------------------------------- labels

def proposal_number(committee: Committee, fiscal_year: int, serial: int) -> str:
    """企画-R7-003: the committee's short name, the 和暦 fiscal year, the serial within the year."""
    era, year = era_year(fiscal_year, 12, 31)
    return f"{committee.short_name}-{ERA_LETTERS.get(era, '')}{year}-{serial:03d}"



# ---------------------------------------------------------------------------------------- transitions

def _transition(proposal: Proposal, target: ProposalStatus) -> ProposalStatus:
    before = proposal.status
    check(
        target in TRANSITIONS[before],
        _("「%(state)s」の提案は「%(target)s」にできません。", state=label(before), target=label(target)),
        "status",
    )
    proposal.status = target
    return before


def _touch(proposal: Proposal, now: datetime | None = None) -> None:
    proposal.updated_at = now or utcnow()


def _clean_text(title: str, summary: str, body: str, plan_policy: PlanPolicy | None) -> dict:
    title, summary, body = (title or "").strip(), (summary or "").strip(), (body or "").rstrip()
    check(title, _("件名を入力してください。"), "title")
    check(len(title) <= MAX_TITLE, _("件名は%(max)d文字以内で入力してください。", max=MAX_TITLE), "title")
    check(len(summary) <= MAX_TEXT and len(body) <= MAX_TEXT, _("本文が長すぎます。"), "body")
    check(plan_policy is not None, _("第6次広域計画の施策を選んでください。"), "plan_policy_id")
    return {"title": title, "summary": summary, "body": body, "plan_policy_id": plan_policy.id}


def _check_desired_meeting(committee: Committee, meeting: Meeting | None) -> None:
    if meeting is None:
        return
    check(
        meeting.committee_id == committee.id and meeting.status in SCHEDULABLE_MEETINGS,
        _("希望する会議は、この会議体の予定されている会議から選んでください。"),
        "desired_meeting_id",
    )


def _keep_revision(proposal: Proposal, actor, now: datetime) -> ProposalRevision:
    number = (db.session.scalar(
        select(func.max(ProposalRevision.number)).where(ProposalRevision.proposal_id == proposal.id)
    ) or 0) + 1
    revision = ProposalRevision(
        proposal=proposal, number=number, author_id=getattr(actor, "id", None), created_at=now,
        status=proposal.status, title=proposal.title, summary=proposal.summary, body=proposal.body,
        plan_policy_id=proposal.plan_policy_id,
    )
    db.session.add(revision)
    return revision


def _label(proposal: Proposal) -> str:
    return f"{proposal.number or ''} {proposal.title}".strip()


def create_draft(
    committee: Committee, *, actor, title: str, summary: str = "", body: str = "", plan_policy: PlanPolicy | None,
    desired_meeting: Meeting | None = None, now: datetime | None = None,
) -> Proposal:
    """A new draft from the actor's seat in the committee; keeps revision 1."""
    seat = submitting_seat(actor, committee)
    require(seat is not None, "only a voting seat of the committee drafts proposals")
    values = _clean_text(title, summary, body, plan_policy)
    _check_desired_meeting(committee, desired_meeting)
    now = now or utcnow()
    proposal = Proposal(
        committee=committee, body_id=seat.body_id, department=seat.department, submitted_by_id=actor.id,
        desired_meeting_id=desired_meeting.id if desired_meeting else None, status=ProposalStatus.DRAFT,
        fiscal_year=fiscal_year_of(now), created_at=now, updated_at=now, **values,
    )
    db.session.add(proposal)
    db.session.flush()
    _keep_revision(proposal, actor, now)
    audit.record(actor, "proposal.created", proposal, label=_label(proposal), after=values)
    db.session.flush()
    return proposal


def update(
    proposal: Proposal, *, actor, title: str, summary: str, body: str, plan_policy: PlanPolicy | None,
    desired_meeting: Meeting | None = None, now: datetime | None = None,
) -> ProposalRevision | None:
    """Save the seat's changes to a draft or returned proposal; a new revision, or None when nothing changed."""
    require(can_edit(actor, proposal), "only the submitting seat edits a draft or returned proposal")
    values = _clean_text(title, summary, body, plan_policy)
    _check_desired_meeting(proposal.committee, desired_meeting)
    values["desired_meeting_id"] = desired_meeting.id if desired_meeting else None
    changed = {name: value for name, value in values.items() if getattr(proposal, name) != value}
    if not changed:
        return None
    before = {name: getattr(proposal, name) for name in changed}
    for name, value in changed.items():
        setattr(proposal, name, value)
    now = now or utcnow()
    _touch(proposal, now)
    revision = _keep_revision(proposal, actor, now)
    db.session.flush()
    audit.record(
        actor, "proposal.updated", proposal, label=_label(proposal),
        before={k: v for k, v in before.items() if k not in ("summary", "body")},
        after={k: v for k, v in changed.items() if k not in ("summary", "body")},
        fields=sorted(changed), revision=revision.number,
    )
    return revision


def submit(proposal: Proposal, *, actor, now: datetime | None = None) -> None:
    """Hand a draft (or a revised returned proposal) to the secretariat."""
    require(can_submit(actor, proposal), "only the submitting seat submits")
    check(proposal.summary.strip() or proposal.body.strip(), _("提出する前に概要または本文を入力してください。"), "summary")
    before = _transition(proposal, ProposalStatus.SUBMITTED)
    now = now or utcnow()
    proposal.submitted_at = now
    proposal.submitted_by_id = actor.id
    _touch(proposal, now)
    db.session.flush()
    audit.record(actor, "proposal.submitted", proposal, label=_label(proposal), before=before, after=ProposalStatus.SUBMITTED)
    events.emit(Event.PROPOSAL_SUBMITTED, proposal)


def withdraw(proposal: Proposal, *, actor, reason: str = "", now: datetime | None = None) -> None:
    """取下げ by the submitting seat, at any time before a decision."""
    require(can_withdraw(actor, proposal), "only the submitting seat withdraws, before a decision")
    before = _transition(proposal, ProposalStatus.WITHDRAWN)
    _touch(proposal, now)
    db.session.flush()
    audit.record(actor, "proposal.withdrawn", proposal, label=_label(proposal), before=before,
                 after=ProposalStatus.WITHDRAWN, reason=(reason or "").strip())
    events.emit(Event.PROPOSAL_WITHDRAWN, proposal)


def _next_serial(committee_id: int, fiscal_year: int) -> int:
    """One more than the committee's highest serial in the year; the committee row is locked (PostgreSQL)
    so two acceptances at the same instant get consecutive numbers instead of a unique-key error."""
    db.session.execute(select(Committee.id).where(Committee.id == committee_id).with_for_update())
    highest = db.session.scalar(
        select(func.max(Proposal.serial)).where(Proposal.committee_id == committee_id, Proposal.fiscal_year == fiscal_year)
    )
    return (highest or 0) + 1


def accept(proposal: Proposal, *, actor, now: datetime | None = None) -> None:
    """受理: the secretariat accepts a submitted proposal and gives it its number (企画-R7-003)."""
    require(can_review(actor), "only the secretariat accepts proposals")
    lock(proposal)
    once(proposal.status is not ProposalStatus.ACCEPTED, _("この提案はすでに受理されています。"))
    before = _transition(proposal, ProposalStatus.ACCEPTED)
    now = now or utcnow()
    if proposal.number is None:
        proposal.fiscal_year = fiscal_year_of(now)
        proposal.serial = _next_serial(proposal.committee_id, proposal.fiscal_year)
        proposal.number = proposal_number(proposal.committee, proposal.fiscal_year, proposal.serial)
    proposal.accepted_at = now
    _touch(proposal, now)
    db.session.flush()
    audit.record(actor, "proposal.accepted", proposal, label=_label(proposal), before=before, after=ProposalStatus.ACCEPTED,
                 number=proposal.number)
    events.emit(Event.PROPOSAL_ACCEPTED, proposal)


def return_to_submitter(proposal: Proposal, *, actor, reason: str, now: datetime | None = None) -> None:
    """差戻し: back to the seat with the secretariat's reason; the seat revises and submits again."""
    require(can_review(actor), "only the secretariat returns proposals")
    reason = (reason or "").strip()
    check(reason, _("差戻しの理由を入力してください。"), "reason")
    check(len(reason) <= MAX_COMMENT, _("理由は%(max)d文字以内で入力してください。", max=MAX_COMMENT), "reason")
    lock(proposal)
    once(proposal.status is not ProposalStatus.RETURNED, _("この提案はすでに差し戻されています。"))
    before = _transition(proposal, ProposalStatus.RETURNED)
    proposal.return_reason = reason
    _touch(proposal, now)
    db.session.flush()
    audit.record(actor, "proposal.returned", proposal, label=_label(proposal), before=before, after=ProposalStatus.RETURNED,
                 reason=reason)
    events.emit(Event.PROPOSAL_RETURNED, proposal, reason=reason)





def schedule(proposal: Proposal, meeting: Meeting, *, actor, kind=None, now: datetime | None = None) -> AgendaItem:
    """Put an accepted (or continued) proposal on a draft or convened meeting of its committee as an agenda item."""
    require(can_review(actor), "only the secretariat schedules proposals")
    lock(proposal)
    current = current_agenda_item(proposal) if proposal.status is ProposalStatus.ON_AGENDA else None
    once(current is None or current.meeting_id != meeting.id, _("この提案はすでにこの会議の議事に掲載されています。"))
    check(schedulable(proposal), _("受理済みまたは継続審議の提案だけを議事にできます。"), "status")
    check(meeting.committee_id == proposal.committee_id, _("この会議体の会議を選んでください。"), "meeting_id")
    check(meeting.status in SCHEDULABLE_MEETINGS, _("下書きまたは招集済みの会議を選んでください。"), "meeting_id")
    item = meeting_rules.add_agenda_item(
        meeting, actor=actor, kind=kind or AgendaKind.RESOLUTION, title=_label(proposal)[:MAX_TITLE],
        presenter_body=proposal.submitting_body,
    )
    item.proposal = proposal
    before = _transition(proposal, ProposalStatus.ON_AGENDA)
    _touch(proposal, now)
    db.session.flush()
    audit.record(actor, "proposal.scheduled", proposal, label=_label(proposal), before=before, after=ProposalStatus.ON_AGENDA,
                 meeting_id=meeting.id, agenda_item_id=item.id)
    events.emit(Event.PROPOSAL_SCHEDULED, proposal, agenda_item=item)
    return item


def status_after(outcome) -> ProposalStatus:
    """The proposal's state after its item's outcome (可決 / 否決 / 継続審議; an AgendaOutcome or its value)."""
    return outcome if isinstance(outcome, ProposalStatus) else ProposalStatus(getattr(outcome, "value", outcome))


def decide(proposal: Proposal, outcome, *, actor, now: datetime | None = None) -> None:
    """The meeting's decision (可決 / 否決 / 継続審議), called by the votes domain, which has checked who closes a vote.

    A proposal withdrawn while on the agenda keeps its state: the item may still be closed, the
    proposal is no longer the meeting's to decide.
    """
    target = status_after(outcome)
    check(target in OUTCOMES, _("提案の結果は可決・否決・継続審議のいずれかです。"))
    if proposal.status is ProposalStatus.WITHDRAWN:
        return
    check(proposal.status is ProposalStatus.ON_AGENDA, _("議事に掲載された提案だけに結果を付けられます。"), "status")
    before = _transition(proposal, target)
    now = now or utcnow()
    proposal.decided_at = now
    _touch(proposal, now)
    db.session.flush()
    audit.record(actor, f"proposal.{target.value}", proposal, label=_label(proposal), before=before, after=target)
    events.emit(Event.PROPOSAL_DECIDED, proposal, outcome=target)


@events.listen(Event.AGENDA_ITEM_REMOVED)
def _item_removed(item: AgendaItem, **data) -> None:
    """An item taken off the agenda before a decision puts its proposal back among the accepted ones."""
    proposal = item.proposal
    if proposal is not None and proposal.status is ProposalStatus.ON_AGENDA and current_agenda_item(proposal) is item:
        before = _transition(proposal, ProposalStatus.ACCEPTED)
        _touch(proposal)
        audit.record(None, "proposal.unscheduled", proposal, label=_label(proposal), before=before, after=ProposalStatus.ACCEPTED,
                     agenda_item_id=item.id)



def add_attachment(proposal: Proposal, file_storage, *, actor) -> Attachment:
    """Attach an uploaded document (提案資料); checked and stored by liaison.attachments."""
    require(can_attach(actor, proposal), "only the submitting seat attaches documents to a draft or returned proposal")
    attachment = files.store_upload(file_storage, actor=actor)
    attachment.proposal_id = proposal.id
    _touch(proposal)
    db.session.flush()
    audit.record(actor, "proposal.attachment_added", proposal, label=_label(proposal),
                 name=attachment.original_name, attachment_id=attachment.id, size=attachment.size)
    return attachment


def remove_attachment(attachment: Attachment, *, actor) -> None:
    proposal = db.session.get(Proposal, attachment.proposal_id)
    require(proposal is not None and can_attach(actor, proposal), "only the submitting seat removes its documents")
    audit.record(actor, "proposal.attachment_removed", proposal, label=_label(proposal),
                 name=attachment.original_name, attachment_id=attachment.id)
    files.remove(attachment)
    _touch(proposal)
    db.session.flush()


# -------------------------------------------------------------------------------------------- comments

def _clean_comment(text: str) -> str:
    text = (text or "").strip()
    check(text, _("コメントを入力してください。"), "text")
    check(len(text) <= MAX_COMMENT, _("コメントは%(max)d文字以内で入力してください。", max=MAX_COMMENT), "text")
    return text


def add_comment(proposal: Proposal, *, actor, text: str, now: datetime | None = None) -> ProposalComment:
    require(can_comment(actor, proposal), "only the committee's members and the secretariat comment")
    comment = ProposalComment(proposal=proposal, author_id=actor.id, text=_clean_comment(text), created_at=now or utcnow())
    db.session.add(comment)
    db.session.flush()
    audit.record(actor, "proposal_comment.added", comment, label=_label(proposal), proposal_id=proposal.id)
    return comment


def edit_comment(comment: ProposalComment, *, actor, text: str, now: datetime | None = None) -> None:
    now = now or utcnow()
    require(can_edit_comment(actor, comment, now), "only the author, within the edit window")
    text = _clean_comment(text)
    if text == comment.text:
        return
    before = comment.text
    comment.text, comment.edited_at = text, now
    db.session.flush()
    audit.record(actor, "proposal_comment.edited", comment, proposal_id=comment.proposal_id, before=before, after=text)


def delete_comment(comment: ProposalComment, *, actor, now: datetime | None = None) -> None:
    """Soft delete: the text is kept for the audit trail, the page shows that it was deleted."""
    require(can_delete_comment(actor, comment), "only the author or the secretariat deletes a comment")
    comment.deleted_at, comment.deleted_by_id = now or utcnow(), actor.id
    db.session.flush()
    audit.record(actor, "proposal_comment.deleted", comment, proposal_id=comment.proposal_id)
