"""/api/v1: the resources. Each view loads, asks the domain whether the token's user may see or do it
(404 when the object does not exist, 403 when it may not be seen), calls the same domain function as the
page, and returns a dict that the schema dumps. Writes run under `audit.via("api")` (core.authenticate)."""
from __future__ import annotations

from flask import Blueprint as PlainBlueprint
from flask import abort, current_app, render_template, url_for
from flask_smorest import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..dates import current_fiscal_year, utcnow
from ..domain import access, require
from ..domain import meetings as meeting_rules
from ..domain import memberships as membership_rules
from ..domain import minutes as minutes_rules
from ..domain import proposal_permissions, proposal_queries
from ..domain import proposals as proposal_rules
from ..domain import tasks as task_rules
from ..domain import votes as vote_rules
from ..domain.live_state import live_state, viewer_for
from ..extensions import db
from ..labels import label, meeting_name
from ..models import (
    AgendaItem, AttendanceResponse, Choice, Committee, Meeting, Membership, PlanPolicy, Proposal,
    ProposalRevision, Vote, VoteState,
)
from . import core
from . import schemas as s

blp = Blueprint("api", __name__, url_prefix="/api/v1", description="liaison JSON API v1")
blp.before_request(core.authenticate)
blp.after_request(core.with_etag)
blp.teardown_request(core.leave)
core.register_problem_handlers(blp)

# The reference page and the answer for unknown /api/v1 paths (not part of the description).
pages = PlainBlueprint("api_pages", __name__, url_prefix="/api/v1")
core.register_problem_handlers(pages)


@pages.get("/")
def reference():
    """The API reference: every operation of the OpenAPI description, rendered on the server (no CDN)."""
    spec = current_app.extensions["liaison.api"].spec.to_dict()
    operations = [
        (path, method.upper(), operation)
        for path, item in spec["paths"].items() for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]
    return render_template("api/reference.html", spec=spec, operations=operations)


@pages.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(rest):
    abort(404)


def _labelled(value):
    return None if value is None else {"value": value.value, "label": label(value)}


# ------------------------------------------------------------------------------------- dumping

def _committee(committee: Committee) -> dict:
    return {"id": committee.id, "slug": committee.slug, "name": committee.name, "short_name": committee.short_name}


def _seat(seat: Membership) -> dict:
    return {
        "id": seat.id, "committee_id": seat.committee_id, "fiscal_year": core.fiscal_year(seat.fiscal_year),
        "role": _labelled(seat.role), "body": {"id": seat.body.id, "name": seat.body.name},
        "department": seat.department, "seat_label": seat.seat_label, "user_name": seat.user.name,
        "has_vote": seat.has_vote,
    }


def _meeting_summary(meeting: Meeting) -> dict:
    return {
        "id": meeting.id, "committee": _committee(meeting.committee), "fiscal_year": core.fiscal_year(meeting.fiscal_year),
        "number": meeting.number, "title": meeting.title, "name": meeting_name(meeting),
        "status": _labelled(meeting.status), "format": _labelled(meeting.format),
        "starts_at": core.when(meeting.starts_at), "ends_at": core.when(meeting.ends_at), "place": meeting.place,
        "answer_deadline": core.when(meeting_rules.answer_deadline_of(meeting)),
        "url": url_for("meetings.show", committee=meeting.committee.slug, meeting_id=meeting.id, _external=False),
    }


def _agenda_item(item: AgendaItem) -> dict:
    return {
        "id": item.id, "position": item.position, "kind": _labelled(item.kind), "title": item.title,
        "presenter": item.presenter_body.name if item.presenter_body else None,
        "minutes_allotted": item.minutes_allotted, "proposal_id": item.proposal_id,
        "outcome": _labelled(item.outcome), "decided_at": core.when(item.decided_at),
    }


def _vote_summary(vote: Vote) -> dict:
    return {"id": vote.id, "agenda_item_id": vote.agenda_item_id, "state": _labelled(vote.state),
            "method": _labelled(vote.method), "secret": vote.secret, "opened_at": core.when(vote.opened_at),
            "closes_at": core.when(vote.closes_at)}


# ------------------------------------------------------------------------------------- loading

def _meeting_or_404(meeting_id: int) -> Meeting:
    meeting = db.session.scalar(select(Meeting).options(joinedload(Meeting.committee)).where(Meeting.id == meeting_id))
    if meeting is None:
        abort(404)
    require(meeting_rules.can_view(core.user(), meeting), "not allowed to see this meeting")
    return meeting


def _committee_or_404(committee_id: int) -> Committee:
    committee = next((c for c in access.all_committees() if c.id == committee_id), None)
    if committee is None:
        abort(404)
    require(access.can_view_committee(core.user(), committee), "not a member of this committee")
    return committee


def _proposal_or_404(proposal_id: int) -> Proposal:
    proposal = proposal_queries.load_for_page(proposal_id)
    if proposal is None:
        abort(404)
    require(proposal_permissions.can_view(core.user(), proposal), "not visible to this user")
    return proposal


def _vote_or_404(vote_id: int) -> Vote:
    vote = db.session.scalar(
        select(Vote).options(joinedload(Vote.agenda_item).joinedload(AgendaItem.meeting).joinedload(Meeting.committee))
        .where(Vote.id == vote_id)
    )
    if vote is None:
        abort(404)
    require(meeting_rules.can_view(core.user(), vote.agenda_item.meeting), "not allowed to see this meeting")
    return vote


# ------------------------------------------------------------------------------------- me, committees

@blp.get("/me")
@blp.response(200, s.MeSchema)
def me():
    """The token's user, the token, and the user's seats (every fiscal year not ended)."""
    user, token = core.user(), core.g.api_token
    seats = sorted(access.all_seats(user), key=lambda m: (-m.fiscal_year, m.committee.position))
    return {
        "id": user.id, "name": user.name, "email": user.email, "staff": access.is_staff(user),
        "token": {"id": token.id, "name": token.name, "scope": token.scope.value,
                  "expires_at": core.when(token.expires_at).isoformat()},
        "seats": [_seat(seat) for seat in seats],  # seat.user: the token's user, from the identity map
    }


@blp.get("/committees")
@blp.arguments(s.YearArgs, location="query")
@blp.response(200, s.CommitteeListSchema)
def committees(args):
    """The committees the user sees (all for the secretariat, else the seats of the fiscal year)."""
    year = args.get("fiscal_year") or current_fiscal_year()
    user = core.user()
    if access.is_staff(user):
        shown = list(access.all_committees())
    else:
        shown = sorted((seat.committee for seat in access.active_memberships(user, year)), key=lambda c: (c.position, c.id))
    return {"fiscal_year": core.fiscal_year(year), "items": [_committee(c) for c in shown]}


@blp.get("/committees/<int:committee_id>/seats")
@blp.arguments(s.YearArgs, location="query")
@blp.response(200, s.SeatListSchema)
def seats(args, committee_id):
    """The committee's seats (委員) for a fiscal year, by role then body."""
    committee = _committee_or_404(committee_id)
    year = args.get("fiscal_year") or current_fiscal_year()
    return {"committee": _committee(committee), "fiscal_year": core.fiscal_year(year),
            "items": [_seat(seat) for seat in membership_rules.seats(committee, year)]}


# ------------------------------------------------------------------------------------- meetings

@blp.get("/meetings/upcoming")
@blp.arguments(s.PageArgs, location="query")
@blp.response(200, s.MeetingPageSchema)
def upcoming(args):
    """My next meetings (the dashboard's list): the committees of my seats, soonest first."""
    user = core.user()
    staff = meeting_rules.can_manage(user)
    committee_ids = None if staff else sorted({m.committee_id for m in access.active_memberships(user)})
    query = meeting_rules.upcoming_query(committee_ids, include_drafts=staff)
    return core.paginate(query, args, lambda rows: [_meeting_summary(m) for m in rows])


@blp.get("/committees/<int:committee_id>/meetings")
@blp.arguments(s.PageArgs, location="query")
@blp.response(200, s.MeetingPageSchema)
def committee_meetings(args, committee_id):
    """The committee's meetings as its page lists them: upcoming first, then past ones, newest first."""
    committee = _committee_or_404(committee_id)
    query = meeting_rules.meetings_for_list(committee, core.user()).options(joinedload(Meeting.committee))
    return core.paginate(query, args, lambda rows: [_meeting_summary(m) for m in rows])


def _tally(sheet) -> dict:
    tally = sheet.tally
    return {**{r.value: tally.get(r.value, 0) for r in AttendanceResponse},
            "unanswered": len(sheet.unanswered), "seats": len(sheet.lines)}


@blp.get("/meetings/<int:meeting_id>")
@blp.response(200, s.MeetingSchema)
def meeting(meeting_id):
    """A meeting with its agenda, 資料 (metadata and download links), the attendance tally and my answer."""
    meeting = _meeting_or_404(meeting_id)
    user = core.user()
    sheet = meeting_rules.attendance_sheet(meeting)
    seat = access.membership_in(user, meeting.committee, meeting.fiscal_year)
    line = sheet.line_for(seat)
    my_answer = None
    if line is not None:
        attendance = line.attendance if line.answered else None
        my_answer = {
            "membership_id": seat.id, "seat_label": seat.seat_label, "response": _labelled(line.response),
            "proxy_name": attendance.proxy_name if attendance else "", "proxy_title": attendance.proxy_title if attendance else "",
            "answered_at": core.when(attendance.answered_at) if attendance else None,
            "can_answer": meeting_rules.can_answer_for(user, meeting, seat),
        }
    slug = meeting.committee.slug
    return {
        **_meeting_summary(meeting),
        "online_url": meeting.online_url, "notes": meeting.notes,
        "proposal_deadline": core.when(meeting.proposal_deadline),
        "session_opened_at": core.when(meeting.session_opened_at), "session_closed_at": core.when(meeting.session_closed_at),
        "agenda": [_agenda_item(item) for item in meeting_rules.agenda_of(meeting)],
        "attachments": [
            {"id": a.id, "name": a.original_name, "content_type": a.content_type, "size": a.size, "sha256": a.sha256,
             "agenda_item_id": a.agenda_item_id, "uploaded_at": core.when(a.uploaded_at),
             "download_url": url_for("meetings.download", committee=slug, meeting_id=meeting.id, attachment_id=a.id)}
            for a in meeting_rules.meeting_attachments(meeting)
        ],
        "attendance": _tally(sheet),
        "my_answer": my_answer,
    }


@blp.get("/meetings/<int:meeting_id>/live")
@blp.response(200, s.LiveSchema)
def live(meeting_id):
    """The meeting day's live state, as live.json gives it to the same user (liaison.domain.live_state)."""
    meeting = _meeting_or_404(meeting_id)
    state = live_state(meeting, viewer_for(core.user(), meeting))
    for document in [*state["meeting"]["documents"], *(d for item in state["items"] for d in item["documents"])]:
        document["url"] = url_for("meetings.download", committee=meeting.committee.slug, meeting_id=meeting.id,
                                  attachment_id=document["id"])
    return state


@blp.put("/meetings/<int:meeting_id>/attendance")
@blp.arguments(s.AttendanceIn)
@blp.response(200, s.MyAnswerSchema)
@blp.alt_response(409, description="Conflict")
@blp.alt_response(422, description="Refused")
def answer_attendance(data, meeting_id):
    """Answer attendance for my seat (出席 / 代理出席 with the proxy's name and title / 欠席 / 未定)."""
    meeting = _meeting_or_404(meeting_id)
    user = core.user()
    seat = access.membership_in(user, meeting.committee, meeting.fiscal_year)
    require(seat is not None and seat.has_vote, "only a voting seat of the meeting answers")
    attendance = meeting_rules.answer_attendance(
        meeting, seat, actor=user, response=AttendanceResponse(data["response"]),
        proxy_name=data["proxy_name"], proxy_title=data["proxy_title"],
    )
    return {
        "membership_id": seat.id, "seat_label": seat.seat_label, "response": _labelled(attendance.response),
        "proxy_name": attendance.proxy_name, "proxy_title": attendance.proxy_title,
        "answered_at": core.when(attendance.answered_at), "can_answer": meeting_rules.can_answer_for(user, meeting, seat),
    }


# ------------------------------------------------------------------------------------- votes

def _vote(vote: Vote) -> dict:
    user = core.user()
    closed = vote.state in (VoteState.CLOSED, VoteState.TIED)
    tally = None
    if closed and vote.yes_count is not None:
        tally = {"yes": vote.yes_count, "no": vote.no_count or 0, "abstain": vote.abstain_count or 0,
                 "present": vote.present_count, "entitled": vote.entitled_count, "base": vote.base,
                 "quorum_met": vote.quorum_met, "outcome": _labelled(vote.outcome)}
    ballots = None
    if vote_rules.may_see_choices(user, vote):
        ballots = [{"membership_id": line.membership.id, "seat_label": line.membership.seat_label,
                    "choice": _labelled(line.ballot.choice) if line.ballot else None}
                   for line in vote_rules.seat_lines(vote)]
    seat = vote_rules.seat_of(user, vote)
    my_choice = None
    if seat is not None:
        from ..models import Ballot
        my_choice = db.session.scalar(select(Ballot.choice).where(Ballot.vote_id == vote.id,
                                                                  Ballot.membership_id == seat.membership_id))
    return {
        **_vote_summary(vote), "meeting_id": vote.agenda_item.meeting_id, "majority": vote.majority.value,
        "tally": tally, "ballots": ballots, "my_seat": seat.membership_id if seat else None,
        "my_choice": _labelled(my_choice), "can_cast": vote_rules.can_cast(user, vote, seat),
    }


@blp.get("/votes/<int:vote_id>")
@blp.response(200, s.VoteSchema)
def vote(vote_id):
    """A vote: its state, the tally once closed, each seat's ballot unless the vote is secret, my ballot."""
    return _vote(_vote_or_404(vote_id))


@blp.put("/votes/<int:vote_id>/ballot")
@blp.arguments(s.BallotIn)
@blp.response(200, s.VoteSchema)
@blp.alt_response(409, description="Conflict")
@blp.alt_response(422, description="Refused")
def cast(data, vote_id):
    """Cast or change my seat's ballot (賛成 / 反対 / 棄権) while the vote takes ballots."""
    vote = _vote_or_404(vote_id)
    user = core.user()
    seat = vote_rules.seat_of(user, vote)
    require(seat is not None, "only the seat's member casts its ballot")
    vote_rules.cast_ballot(vote, seat.membership, Choice(data["choice"]), actor=user)
    return _vote(vote)


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


# ------------------------------------------------------------------------------------- minutes

def _minutes(meeting: Meeting) -> dict:
    user = core.user()
    minutes = minutes_rules.minutes_of(meeting)
    require(minutes_rules.can_see(user, meeting, minutes), "not allowed to see these minutes")
    if minutes is None:
        return {"meeting_id": meeting.id, "exists": False, "status": None, "version": None, "published_version": None,
                "published_at": None, "text": None, "review": None}
    version = minutes_rules.visible_version(user, minutes)
    seat = minutes_rules.reviewer_seat(user, minutes)
    review = None
    if seat is not None:
        review = {"seat": seat.id, "can_review": minutes_rules.can_review(user, minutes),
                  "reviewed": minutes_rules.has_reviewed(minutes, user.id), "round": minutes.review_round,
                  "deadline": core.when(minutes.review_deadline)}
    return {
        "meeting_id": meeting.id, "exists": True, "status": _labelled(minutes.status),
        "version": version.number if version else None, "published_version": minutes.published_version,
        "published_at": core.when(minutes.published_at), "text": version.texts if version else None, "review": review,
    }


def _minutes_meeting(meeting_id: int) -> Meeting:
    meeting = db.session.scalar(select(Meeting).options(joinedload(Meeting.committee)).where(Meeting.id == meeting_id))
    if meeting is None:
        abort(404)
    return meeting


@blp.get("/meetings/<int:meeting_id>/minutes")
@blp.response(200, s.MinutesSchema)
def minutes(meeting_id):
    """The meeting's minutes as I may read them (the published version for everyone) and my review state."""
    return _minutes(_minutes_meeting(meeting_id))


def _minutes_or_404(meeting_id: int):
    meeting = _minutes_meeting(meeting_id)
    found = minutes_rules.minutes_of(meeting)
    require(minutes_rules.can_see(core.user(), meeting, found), "not allowed to see these minutes")
    if found is None:
        abort(404)
    return meeting, found


@blp.post("/meetings/<int:meeting_id>/minutes/no-objection")
@blp.response(200, s.MinutesSchema)
@blp.alt_response(409, description="Conflict")
@blp.alt_response(422, description="Refused")
def no_objection(meeting_id):
    """Mark the minutes under review 異議なし for my seat."""
    meeting, found = _minutes_or_404(meeting_id)
    minutes_rules.mark_no_objection(found, actor=core.user())
    return _minutes(meeting)


@blp.post("/meetings/<int:meeting_id>/minutes/comments")
@blp.arguments(s.CommentIn)
@blp.response(201, s.CommentSchema)
@blp.alt_response(422, description="Refused")
def comment(data, meeting_id):
    """Comment on the minutes under review (the whole, or one agenda item)."""
    _meeting, found = _minutes_or_404(meeting_id)
    made = minutes_rules.add_comment(found, actor=core.user(), text=data["text"], agenda_item_id=data["agenda_item_id"])
    return {"id": made.id, "text": made.text, "at": core.when(made.at)}


# ------------------------------------------------------------------------------------- my tasks

@blp.get("/tasks")
@blp.response(200, s.TaskListSchema)
def tasks():
    """My tasks (やること), as the dashboard lists them."""
    user = core.user()
    memberships = access.active_memberships(user, current_fiscal_year())
    _next, owed = meeting_rules.my_upcoming(user, memberships)
    found = task_rules.my_tasks(
        user, memberships=memberships, owed_answers=owed, pending_votes=vote_rules.pending_written_votes(user),
        proposals_to_review=proposal_queries.awaiting_review(user),
    )
    now = utcnow()
    return {"items": [
        {"kind": {"value": t.kind.value, "label": task_rules.kind_label(t.kind)}, "title": t.title, "url": t.url,
         "deadline": core.when(t.deadline), "overdue": t.deadline is not None and t.deadline < now}
        for t in found
    ]}
