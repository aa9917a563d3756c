"""The live state of a meeting day, as the console, the members' tablets and the screen show it (live.json).

One dict, the same for every viewer of a kind at a given `version`: the screen's view carries no personal
data (no names in the hand queue, no `me`); a member's view adds their own seat (`me`). While a vote is
open it tells how many present seats have cast, never how; the result only once it is closed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..labels import label, meeting_name
from ..models import Attachment, Attendance, Ballot, Meeting, MeetingStatus, SpeakerRequest, VoteSeat, VoteState
from . import access, materials, sitting
from .memberships import seats as committee_seats
from .votes import quorum_met


@dataclass(frozen=True)
class Viewer:
    """Who looks: "screen" (the projector's link), "member" or "staff"; the seat for a member's own part."""

    kind: str
    user_id: int | None = None
    membership_id: int | None = None
    runs: bool = False  # the console's view (secretariat, chair): names in the hand queue

    @property
    def etag_part(self) -> str:
        return "screen" if self.kind == "screen" else f"{self.kind}-{self.user_id}"


def viewer_for(user, meeting: Meeting) -> Viewer:
    """A logged-in user's view (live.json, the JSON API): staff or member, their voting seat, the console's names."""
    seat = sitting.seat_of(user, meeting)
    return Viewer("staff" if access.is_staff(user) else "member", user.id, seat.id if seat else None,
                  runs=sitting.can_run(user, meeting))


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def required_for_quorum(committee, entitled: int) -> int:
    """The fewest present seats that make the quorum (定足数) under the committee's rule."""
    for present in range(entitled + 1):
        if quorum_met(present, entitled, committee.quorum_numerator, committee.quorum_denominator,
                      committee.quorum_at_least):
            return present
    return entitled + 1


@dataclass(frozen=True)
class Shared:
    """The part of the live state that is the same for every viewer of a kind at a version, plus what a
    viewer's own part (`me`) needs from it, so that `me` costs at most one small query."""

    state: dict
    seat_labels: dict  # membership id -> seat label (the voting seats)
    present: frozenset  # membership ids present
    hand_seats: frozenset  # membership ids with a raised hand
    vote: tuple | None  # (id, open, chair_votes, presiding membership id)
    # the event stream's text per viewer's own part (liaison.blueprints.live_stream.state_event), filled lazily
    texts: dict = field(default_factory=dict, compare=False, repr=False)


def sharing_key(viewer: Viewer) -> str:
    """Viewers whose shared part is identical: the screen, the console (names + speakers), everyone else."""
    return "screen" if viewer.kind == "screen" else ("runs" if viewer.runs else "people")


def live_state(meeting: Meeting, viewer: Viewer, seats: list | None = None) -> dict:
    """The state at `meeting.live_version` (read the version first: a later change only makes it newer).

    `seats`: the meeting's voting seats when the caller has them already (the console's attendance sheet).
    """
    return personal(shared_state(meeting, viewer, seats), viewer)


def personal(shared: Shared, viewer: Viewer) -> dict:
    """The shared part with the viewer's own seat (`me`): a new dict; the shared one is never changed."""
    state = dict(shared.state)
    state["me"] = None
    if viewer.membership_id is None or viewer.membership_id not in shared.seat_labels:
        return state
    seat = viewer.membership_id
    me = {
        "membership_id": seat, "seat": shared.seat_labels[seat], "present": seat in shared.present,
        "hand_raised": seat in shared.hand_seats, "may_cast": False, "ballot": None, "presides": False,
    }
    if shared.vote is not None:
        vote_id, is_open, chair_votes, presiding = shared.vote
        row = db.session.execute(
            select(VoteSeat.may_cast, Ballot.choice)
            .outerjoin(Ballot, (Ballot.vote_id == VoteSeat.vote_id) & (Ballot.membership_id == VoteSeat.membership_id))
            .where(VoteSeat.vote_id == vote_id, VoteSeat.membership_id == seat)
        ).first()
        me["presides"] = not chair_votes and presiding == seat
        if row is not None:
            me["may_cast"] = bool(row.may_cast) and not me["presides"] and is_open
            me["ballot"] = row.choice.value if row.choice is not None else None
    state["me"] = me
    return state


def shared_state(meeting: Meeting, viewer: Viewer, seats: list | None = None) -> Shared:
    """Everything but `me` (see live_state); the same for every viewer with the same sharing_key."""
    committee = meeting.committee
    items = sitting.agenda(meeting)
    current = sitting.current_item(meeting, items)
    if seats is None:
        seats = committee_seats(committee, meeting.fiscal_year, include_observers=False)
    seat_ids = {seat.id for seat in seats}
    present = {row.membership_id: row for row in db.session.scalars(
        select(Attendance).where(Attendance.meeting_id == meeting.id, Attendance.present.is_(True))
    ) if row.membership_id in seat_ids}
    required = required_for_quorum(committee, len(seats))
    documents: dict[int, list[dict]] = {}
    rows = db.session.execute(
        select(Attachment.id, Attachment.agenda_item_id, Attachment.original_name, Attachment.content_type,
               Attachment.material_number)
        .where(Attachment.meeting_id == meeting.id).order_by(Attachment.id)
    ).all()
    numbers = materials.numbers_of(items, rows)
    for row in sorted(rows, key=lambda row: (materials.sort_key(numbers.get(row.id, "")), row.id)):
        number = materials.label_of(numbers.get(row.id, ""))
        documents.setdefault(row.agenda_item_id, []).append({
            "id": row.id, "name": row.original_name, "number": number,
            "label": (f"{number} {row.original_name}" if number and not row.original_name.startswith(number)
                      else row.original_name),
            "pdf": row.content_type == "application/pdf",
        })
    state = {
        "meeting": {
            "id": meeting.id, "title": meeting_name(meeting), "status": meeting.status.value,
            "status_label": label(meeting.status), "opened_at": _iso(meeting.session_opened_at),
            "closed_at": _iso(meeting.session_closed_at),
        },
        "version": meeting.live_version,
        "quorum": {"present": len(present), "required": required, "seats": len(seats),
                   "reached": len(present) >= required and required <= len(seats)},
        "current_item": None,
        "items": [],
        "hands": [],
        "vote": None,
        "presenting": presenting_of(meeting, rows, numbers),
        "me": None,
    }
    for item in items:
        entry = {
            "id": item.id, "position": item.position, "title": item.title, "kind": item.kind.value,
            "kind_label": label(item.kind), "planned_minutes": item.minutes_allotted, "started_at": _iso(item.started_at),
            "outcome": item.outcome.value if item.outcome else None,
            "outcome_label": label(item.outcome) if item.outcome else None,
            "current": current is not None and item.id == current.id, "documents": documents.get(item.id, []),
        }
        state["items"].append(entry)
        if entry["current"]:
            state["current_item"] = entry
    state["meeting"]["documents"] = documents.get(None, [])
    hands = db.session.scalars(
        select(SpeakerRequest).options(joinedload(SpeakerRequest.membership))
        .where(SpeakerRequest.meeting_id == meeting.id, SpeakerRequest.lowered_at.is_(None),
               SpeakerRequest.called_at.is_(None))
        .order_by(SpeakerRequest.raised_at, SpeakerRequest.id)
    ).all()
    by_id = {seat.id: seat for seat in seats}
    if viewer.kind != "screen":
        for hand in hands:
            seat = by_id.get(hand.membership_id)
            state["hands"].append({
                "id": hand.id, "membership_id": hand.membership_id,
                "seat": seat.seat_label if seat else "", "name": seat.user.name if seat else "",
                "raised_at": _iso(hand.raised_at),
            })
    state["hand_count"] = len(hands)
    if viewer.runs and current is not None:
        called = sitting.speakers_by_item(meeting.id).get(current.id, [])
        state["speakers"] = [{"seat": by_id[h.membership_id].seat_label if h.membership_id in by_id else "",
                              "name": by_id[h.membership_id].user.name if h.membership_id in by_id else "",
                              "called_at": _iso(h.called_at)} for h in called]
    vote = sitting.live_vote(meeting, current.id if current else None)
    shared_vote = None
    if vote is not None:
        cast = db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.vote_id == vote.id))
        may_cast = db.session.scalar(select(func.count()).select_from(VoteSeat).where(
            VoteSeat.vote_id == vote.id, VoteSeat.may_cast.is_(True),
            *([] if vote.chair_votes or vote.presiding_membership_id is None
              else [VoteSeat.membership_id != vote.presiding_membership_id])))
        state["vote"] = {
            "id": vote.id, "state": vote.state.value, "state_label": label(vote.state), "method": vote.method.value,
            "method_label": label(vote.method), "majority_label": label(vote.majority), "secret": vote.secret,
            "cast_count": cast, "present_count": may_cast, "result": None,
        }
        if vote.state is VoteState.CLOSED:
            state["vote"]["result"] = {
                "yes": vote.yes_count, "no": vote.no_count, "abstain": vote.abstain_count,
                "outcome": vote.outcome.value if vote.outcome else None,
                "outcome_label": label(vote.outcome) if vote.outcome else "",
                "casting_vote": vote.casting_vote.value if vote.casting_vote else None,
                "line": result_line(vote),
            }
        shared_vote = (vote.id, vote.state is VoteState.OPEN, vote.chair_votes, vote.presiding_membership_id)
    state["in_session"] = meeting.status is MeetingStatus.IN_SESSION
    return Shared(state=state, seat_labels={seat.id: seat.seat_label for seat in seats},
                  present=frozenset(present), hand_seats=frozenset(hand.membership_id for hand in hands),
                  vote=shared_vote)


def presenting_of(meeting: Meeting, rows, numbers: dict) -> dict | None:
    """「この資料を全員に表示」: the 資料 and page every tablet and the screen follow (`url` added by the web)."""
    row = next((row for row in rows if row.id == meeting.presented_attachment_id), None)
    if row is None:
        return None
    number = materials.label_of(numbers.get(row.id, ""))
    return {"attachment_id": row.id, "number": number, "title": row.original_name, "page": meeting.presented_page or 1,
            "label": f"{number} {row.original_name}" if number and not row.original_name.startswith(number)
            else row.original_name, "url": None}


def result_line(vote) -> str:
    """「賛成 12・反対 3・棄権 1 → 可決」"""
    outcome = label(vote.outcome) if vote.outcome else ""
    return _("賛成 %(yes)d・反対 %(no)d・棄権 %(abstain)d → %(outcome)s", yes=vote.yes_count or 0,
             no=vote.no_count or 0, abstain=vote.abstain_count or 0, outcome=outcome)
