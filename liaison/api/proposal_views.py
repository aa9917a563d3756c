"""/api/v1 proposals: a committee's list, one proposal, creating and revising."""
from __future__ import annotations

from flask import abort
from sqlalchemy import select

from ..domain import require
from ..domain import proposal_permissions, proposal_queries
from ..domain import proposals as proposal_rules
from ..extensions import db
from ..models import Committee, Meeting, PlanPolicy, Proposal, ProposalRevision
from . import core
from . import schemas as s
from .common import _committee_or_404, _labelled, _proposal_or_404
from .views import blp


# ------------------------------------------------------------------------------------- proposals

def _proposal_summary(proposal: Proposal) -> dict:
    return {
        "id": proposal.id, "committee_id": proposal.committee_id, "number": proposal.number, "title": proposal.title,
        "status": _labelled(proposal.status), "body": {"id": proposal.submitting_body.id, "name": proposal.submitting_body.name},
        "department": proposal.department, "fiscal_year": core.fiscal_year(proposal.fiscal_year),
        "plan_policy_id": proposal.plan_policy_id, "submitted_at": core.when(proposal.submitted_at),
        "updated_at": core.when(proposal.updated_at),
    }


def _proposal(proposal: Proposal) -> dict:
    revisions = db.session.scalars(select(ProposalRevision).where(ProposalRevision.proposal_id == proposal.id)
                                   .order_by(ProposalRevision.number))
    return {
        **_proposal_summary(proposal), "summary": proposal.summary, "text": proposal.body,
        "return_reason": proposal.return_reason, "desired_meeting_id": proposal.desired_meeting_id,
        "revisions": [{"number": r.number, "created_at": core.when(r.created_at), "title": r.title, "summary": r.summary,
                       "body": r.body, "plan_policy_id": r.plan_policy_id} for r in revisions],
        "can_edit": proposal_rules.can_edit(core.user(), proposal),
    }


@blp.get("/committees/<int:committee_id>/proposals")
@blp.arguments(s.ProposalArgs, location="query")
@blp.response(200, s.ProposalPageSchema)
def proposals(args, committee_id):
    """The committee's proposals with the page's filters (status, body, policy, fy) and search (q)."""
    committee = _committee_or_404(committee_id)
    from ..models import ProposalStatus
    filters = proposal_queries.ListFilters(
        status=ProposalStatus(args["status"]) if args.get("status") else None, body_id=args.get("body"),
        plan_policy_id=args.get("policy"), fiscal_year=args.get("fy"), q=args.get("q") or "",
    )
    return core.paginate(proposal_queries.list_query(committee, core.user(), filters), args,
                         lambda rows: [_proposal_summary(p) for p in rows])


@blp.get("/proposals/<int:proposal_id>")
@blp.response(200, s.ProposalSchema)
def proposal(proposal_id):
    """A proposal with its revisions (版)."""
    return _proposal(_proposal_or_404(proposal_id))


def _values(data: dict, committee: Committee) -> dict:
    policy = db.session.get(PlanPolicy, data["plan_policy_id"])
    if policy is None:
        abort(422)
    meeting = None
    if data.get("desired_meeting_id"):
        meeting = db.session.get(Meeting, data["desired_meeting_id"])
        if meeting is None or meeting.committee_id != committee.id:
            abort(422)
    return {"title": data["title"], "summary": data["summary"], "body": data["text"], "plan_policy": policy,
            "desired_meeting": meeting}


@blp.post("/committees/<int:committee_id>/proposals")
@blp.arguments(s.ProposalIn)
@blp.response(201, s.ProposalSchema)
@blp.alt_response(422, description="Refused")
def create_proposal(data, committee_id):
    """Draft a proposal from my seat (and submit it with "submit": true)."""
    committee = _committee_or_404(committee_id)
    user = core.user()
    require(proposal_permissions.can_create(user, committee), "only a voting seat drafts proposals")
    proposal = proposal_rules.create_draft(committee, actor=user, **_values(data, committee))
    if data["submit"]:
        proposal_rules.submit(proposal, actor=user)
    return _proposal(proposal)


@blp.put("/proposals/<int:proposal_id>")
@blp.arguments(s.ProposalIn)
@blp.response(200, s.ProposalSchema)
@blp.alt_response(409, description="Conflict")
@blp.alt_response(422, description="Refused")
def revise_proposal(data, proposal_id):
    """Revise a draft or returned proposal (a new revision), and submit it again with "submit": true."""
    proposal = _proposal_or_404(proposal_id)
    user = core.user()
    require(proposal_rules.can_edit(user, proposal), "only the submitting seat edits a draft or returned proposal")
    proposal_rules.update(proposal, actor=user, **_values(data, proposal.committee))
    if data["submit"]:
        proposal_rules.submit(proposal, actor=user)
    return _proposal(proposal)
