"""Votes and decisions (表決・議決): one vote per seat, in the meeting or in writing, quorum, majorities, casting vote.

Rules decided here (the design card leaves them open):
- Present (出席) for quorum: in a written vote (書面表決), a seat is present when it cast a ballot.
  In a vote taken at the meeting (in meeting / electronic), a seat is present when it cast a
  ballot, or when its member or proxy attended: the presence recorded at the meeting
  (Attendance.present) when the secretariat recorded it for that seat, else the seat's answer
  attend / proxy (出席・代理出席).
- Quorum: present seats must be more than numerator/denominator of the entitled seats (or at
  least that share when the committee's rule says 以上). Default: more than half, so exactly half is
  not quorum. The rule is copied onto the vote when it opens.
- Majorities, with base = yes + no (+ abstain when abstentions count in the base):
  simple: yes × 2 > base (with abstentions out of the base: more yes than no); a tie (yes × 2 = base)
  goes to the chair's casting vote (可否同数のときは議長の決するところによる);
  two-thirds: yes × 3 ≥ base × 2; unanimity: yes = base. A base of 0 is rejected (nobody was for it).
- A tie stops the ballots (state `tied`) and waits for the chair — or the vice chair standing in
  when the chair's seat was not present — to record the casting vote; only then is the vote closed.
- In a secret vote (無記名) the choices are erased when the ballots close: who voted is kept, not how.
  While open, nobody but the seat's own member sees a secret ballot's choice, and the audit log
  records that a seat voted, never how.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import events
from ..events import Event
from ..dates import format_datetime, utcnow
from ..extensions import db
from ..labels import label, quorum_label
from ..models import (
    AgendaItem, AgendaKind, AgendaOutcome, Attendance, Ballot, Choice, Committee, Majority, Meeting, MeetingStatus,
    Membership, Role, Vote, VoteMethod, VoteOutcome, VoteSeat, VoteState,
)
from . import check, lock, once, require
from . import audit
from .live import touch as touch_live
from . import proposals as proposal_rules
from .memberships import seats as committee_seats
from .vote_casting import (  # noqa: F401 (callers use them from here)
    _locked_state, admit_late_arrival, cast_ballot, known_absent, record_ballots, withdraw_ballot,
)
from .vote_permissions import (  # noqa: F401
    can_cast, can_manage, can_set_quorum, casting_seat, casting_seat_among, in_window, may_see_choices,
    presides_without_vote, seat_of, vote_label,
)
from .vote_queries import (  # noqa: F401
    SeatLine, ballots_table, committee_votes_query, deciding_votes, decisions, decisions_table, has_voted,
    load_vote, pending_written_votes, proposal_decisions, seat_lines, seat_row_lines, votes_of_item,
    written_ballots_owed,
)
from .vote_tally import (  # noqa: F401
    Tally, agenda_outcome_of, base_of, casting_outcome, count, outcome_of, present_seats, quorum_met,
)

VOTABLE_MEETINGS = (MeetingStatus.CONVENED, MeetingStatus.IN_SESSION, MeetingStatus.HELD)
# Where each method may open. A vote of the sitting (electronic) only while the meeting is in session
# (開会中); a show of hands / roll call the secretariat records also after the sitting (閉会後の記録);
# a written vote (書面表決) has its own window.
OPENS_IN = {
    VoteMethod.ELECTRONIC: (MeetingStatus.IN_SESSION,),
    VoteMethod.IN_MEETING: (MeetingStatus.IN_SESSION, MeetingStatus.HELD),
    VoteMethod.WRITTEN: VOTABLE_MEETINGS + (MeetingStatus.POSTPONED,),
}


# ------------------------------------------------------------------------------------------ opening

def open_vote(
    item: AgendaItem, *, actor, method: VoteMethod, majority: Majority, abstentions_in_base: bool = False,
    secret: bool = False, opens_at: datetime | None = None, closes_at: datetime | None = None,
    now: datetime | None = None,
) -> Vote:
    """Open a vote on an agenda item and freeze its entitled seats (the committee's voting seats that year)."""
    require(can_manage(actor), "only the secretariat opens votes")
    now = now or utcnow()
    lock(item)  # two simultaneous openings on one item: the second waits, then finds the first's vote
    meeting = item.meeting
    live = db.session.scalar(
        select(Vote.id).where(Vote.agenda_item_id == item.id, Vote.state.in_([VoteState.OPEN, VoteState.TIED]))
    )
    once(live is None, _("この議事の表決はすでに開始されています。"))
    check(item.kind is not AgendaKind.REPORT, _("報告事項は表決できません。「報告了承」としてください。"), "method")
    check(item.outcome is None, _("この議事は既に「%(outcome)s」となっています。", outcome=label(item.outcome)))
    check(meeting.status in VOTABLE_MEETINGS, _("招集済みまたは開催済みの会議の議事だけを表決できます。"))
    check(isinstance(method, VoteMethod), _("表決の方法を選んでください。"), "method")
    check(meeting.status in OPENS_IN[method],
          _("電子表決は会議の開会中にだけ開始できます。会議を開会してから開始してください。")
          if method is VoteMethod.ELECTRONIC else
          _("会議での表決は会議の開会中(または閉会後の記録)にだけ開始できます。"), "method")
    check(isinstance(majority, Majority), _("必要な賛成数を選んでください。"), "majority")
    check(not (secret and method is VoteMethod.IN_MEETING),
          _("無記名の表決は、電子表決または書面表決で行ってください。"), "secret")
    if method is VoteMethod.WRITTEN:
        opens_at = opens_at or now
        check(closes_at is not None, _("書面表決の締切日時を入力してください。"), "closes_at")
        check(closes_at > now, _("締切日時は現在より後にしてください。"), "closes_at")
        check(opens_at < closes_at, _("受付開始は締切より前にしてください。"), "opens_at")
    else:
        opens_at, closes_at = None, None
    entitled = committee_seats(meeting.committee, meeting.fiscal_year, include_observers=False)
    check(entitled, _("この年度の議席(表決権のある委員)が登録されていません。"))
    committee = meeting.committee
    sitting = method is not VoteMethod.WRITTEN and meeting.status is MeetingStatus.IN_SESSION
    present = present_at_opening(meeting, entitled) if sitting else None
    vote = Vote(
        agenda_item=item, committee_id=committee.id, method=method, majority=majority,
        abstentions_in_base=bool(abstentions_in_base), secret=bool(secret), opens_at=opens_at, closes_at=closes_at,
        quorum_numerator=committee.quorum_numerator, quorum_denominator=committee.quorum_denominator,
        quorum_at_least=committee.quorum_at_least, state=VoteState.OPEN, opened_at=now, opened_by_id=actor.id,
        entitled_count=len(entitled), cancel_reason="", chair_votes=bool(committee.chair_votes),
        presiding_membership_id=presiding_seat(meeting, entitled, present, written=method is VoteMethod.WRITTEN),
    )
    vote.seats = [
        VoteSeat(membership_id=m.id, position=n, may_cast=(m.id in present) if sitting else None, admit_reason="")
        for n, m in enumerate(entitled)
    ]
    db.session.add(vote)
    db.session.flush()
    audit.record(
        actor, "vote.opened", vote, label=vote_label(vote),
        method=method, majority=majority, abstentions_in_base=vote.abstentions_in_base, secret=vote.secret,
        opens_at=opens_at, closes_at=closes_at, entitled=[m.seat_label for m in entitled],
        present=sorted(m.seat_label for m in entitled if present and m.id in present) if sitting else None,
        chair_votes=vote.chair_votes,
    )
    touch_live(meeting.id)
    events.emit(Event.VOTE_OPENED, vote)
    return vote


def present_at_opening(meeting: Meeting, entitled: list[Membership]) -> set[int]:
    """The seats checked in (themselves or by proxy) when a vote of the sitting opens: only they may cast."""
    ids = [m.id for m in entitled]
    return set(db.session.scalars(
        select(Attendance.membership_id).where(
            Attendance.meeting_id == meeting.id, Attendance.membership_id.in_(ids), Attendance.present.is_(True)
        )
    ))


def presiding_seat(meeting: Meeting, entitled: list[Membership], present: set[int] | None, *, written: bool) -> int | None:
    """The seat presiding over the vote: the chair, or the vice chair when the chair is absent (None: neither is there)."""
    def there(m: Membership) -> bool:
        if present is not None:
            return m.id in present
        return written or not known_absent(meeting, m.id)

    for role in (Role.CHAIR, Role.VICE_CHAIR):
        seat = next((m for m in entitled if m.role is role), None)
        if seat is not None and there(seat):
            return seat.id
    return None


# ------------------------------------------------------------------------------------ closing the vote

def close_vote(vote: Vote, *, actor, now: datetime | None = None) -> Vote:
    """Count and store the result; a tie under simple majority waits for the chair's casting vote."""
    require(can_manage(actor), "only the secretariat closes votes")
    now = now or utcnow()
    state = _locked_state(vote, exclusive=True)
    once(state not in (VoteState.TIED, VoteState.CLOSED), _("この表決はすでに締め切られています。"))
    check(state is VoteState.OPEN, _("この表決は受付中ではありません。"))
    if vote.method is VoteMethod.WRITTEN and vote.closes_at and now < vote.closes_at:
        cast = db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.vote_id == vote.id))
        check(cast == vote.entitled_count,
              _("書面表決は締切(%(deadline)s)まで、または全議席の回答がそろうまで締め切れません。",
                deadline=format_datetime(vote.closes_at)))
    tally = count(vote)
    if tally.outcome is None and vote.chair_votes:
        # The chair voted as a member: there is no casting vote, a tie is rejected (否決).
        tally = Tally(tally.yes, tally.no, tally.abstain, tally.present, tally.entitled, tally.base, tally.quorum_met,
                      VoteOutcome.REJECTED, tally.present_ids)
    with db.session.no_autoflush:
        for seat in db.session.scalars(select(VoteSeat).where(VoteSeat.vote_id == vote.id)):
            seat.present = seat.membership_id in tally.present_ids
        if vote.secret:
            for ballot in db.session.scalars(select(Ballot).where(Ballot.vote_id == vote.id)):
                ballot.choice = None  # who voted is kept, not how
        vote.yes_count, vote.no_count, vote.abstain_count = tally.yes, tally.no, tally.abstain
        vote.present_count, vote.base, vote.quorum_met = tally.present, tally.base, tally.quorum_met
        vote.tallied_at = now
        counts = {"yes": tally.yes, "no": tally.no, "abstain": tally.abstain, "present": tally.present,
                  "entitled": tally.entitled, "base": tally.base, "quorum_met": tally.quorum_met}
        if tally.outcome is None:
            vote.state = VoteState.TIED
            db.session.flush()
            audit.record(actor, "vote.tied", vote, label=vote_label(vote), **counts)
            touch_live(vote.agenda_item.meeting_id)
            return vote
        _finish(vote, tally.outcome, actor=actor, now=now)
    audit.record(actor, "vote.closed", vote, label=vote_label(vote), outcome=tally.outcome, **counts)
    events.emit(Event.VOTE_CLOSED, vote)
    return vote


def record_casting_vote(vote: Vote, choice: Choice, *, actor, now: datetime | None = None) -> Vote:
    """可否同数のときは議長の決するところによる: the chair (or the vice chair standing in) decides a tie."""
    state = _locked_state(vote, exclusive=True)
    if state is VoteState.CLOSED:
        decided = db.session.scalar(select(Vote.casting_vote).where(Vote.id == vote.id))
        once(decided is None, _("この表決の議長裁決はすでに記録されています。"))
    require(casting_seat(actor, vote) is not None, "only the chair decides a tie")
    now = now or utcnow()
    check(state is VoteState.TIED, _("この表決は可否同数ではありません。"))
    check(choice in (Choice.YES, Choice.NO), _("可とするか否とするかを選んでください。"), "choice")
    vote.casting_vote, vote.casting_by_id, vote.casting_at = choice, actor.id, now
    outcome = casting_outcome(choice)
    _finish(vote, outcome, actor=actor, now=now)
    audit.record(actor, "vote.casting_vote", vote, label=vote_label(vote), choice=choice, outcome=outcome)
    audit.record(actor, "vote.closed", vote, label=vote_label(vote), outcome=outcome,
                 yes=vote.yes_count, no=vote.no_count, abstain=vote.abstain_count, casting_vote=choice)
    events.emit(Event.VOTE_CLOSED, vote)
    return vote


def _finish(vote: Vote, outcome: VoteOutcome, *, actor, now: datetime) -> None:
    vote.outcome, vote.state, vote.closed_at, vote.closed_by_id = outcome, VoteState.CLOSED, now, actor.id
    touch_live(vote.agenda_item.meeting_id)
    agenda_outcome = agenda_outcome_of(outcome)
    if agenda_outcome is not None:
        apply_outcome(vote.agenda_item, agenda_outcome, actor=actor, now=now)
    db.session.flush()


def cancel_vote(vote: Vote, *, actor, reason: str, now: datetime | None = None) -> Vote:
    """Cancel an open (or tied) vote; its ballots stay as they were, the item stays undecided."""
    require(can_manage(actor), "only the secretariat cancels votes")
    reason = (reason or "").strip()
    check(reason, _("取消の理由を入力してください。"), "reason")
    check(_locked_state(vote, exclusive=True) in (VoteState.OPEN, VoteState.TIED), _("この表決は既に確定または取消されています。"))
    before = vote.state
    vote.state, vote.cancelled_at, vote.cancel_reason = VoteState.CANCELLED, now or utcnow(), reason
    db.session.flush()
    audit.record(actor, "vote.cancelled", vote, label=vote_label(vote), before=before, reason=reason)
    touch_live(vote.agenda_item.meeting_id)
    events.emit(Event.VOTE_CANCELLED, vote)
    return vote


# ---------------------------------------------------------------------------------- agenda outcomes

def apply_outcome(item: AgendaItem, outcome: AgendaOutcome, *, actor, now: datetime | None = None) -> None:
    """The item's outcome, passed on to its proposal (if the item carries one) through proposals.decide."""
    item.outcome, item.decided_at = outcome, now or utcnow()
    touch_live(item.meeting_id)
    proposal = item.proposal
    if proposal is not None and outcome is not AgendaOutcome.NOTED:
        proposal_rules.decide(proposal, outcome.value, actor=actor, now=item.decided_at)  # the same 決定日 everywhere


def defer_item(item: AgendaItem, *, actor, now: datetime | None = None) -> None:
    """継続審議: the secretariat defers the item instead of voting on it."""
    require(can_manage(actor), "only the secretariat defers items")
    check(item.kind is not AgendaKind.REPORT, _("報告事項は継続審議にできません。"))
    _check_undecided(item)
    apply_outcome(item, AgendaOutcome.CONTINUED, actor=actor, now=now)
    db.session.flush()
    audit.record(actor, "agenda_item.continued", item, label=item.title, meeting_id=item.meeting_id,
                 changes={"outcome": (None, AgendaOutcome.CONTINUED)})


def note_item(item: AgendaItem, *, actor, now: datetime | None = None) -> None:
    """報告了承: a report item taken note of, without a vote."""
    require(can_manage(actor), "only the secretariat records outcomes")
    check(item.kind is AgendaKind.REPORT, _("「報告了承」は報告事項だけに付けられます。"))
    _check_undecided(item)
    apply_outcome(item, AgendaOutcome.NOTED, actor=actor, now=now)
    db.session.flush()
    audit.record(actor, "agenda_item.noted", item, label=item.title, meeting_id=item.meeting_id,
                 changes={"outcome": (None, AgendaOutcome.NOTED)})


def _check_undecided(item: AgendaItem) -> None:
    check(item.outcome is None, _("この議事は既に「%(outcome)s」となっています。", outcome=label(item.outcome)))
    check(item.meeting.status in VOTABLE_MEETINGS, _("招集済みまたは開催済みの会議の議事だけに結果を付けられます。"))
    live = db.session.scalar(
        select(Vote.id).where(Vote.agenda_item_id == item.id, Vote.state.in_([VoteState.OPEN, VoteState.TIED]))
    )
    check(live is None, _("受付中の表決があります。先に表決を締め切るか取り消してください。"))


def set_quorum(committee: Committee, *, actor, numerator: int, denominator: int, at_least: bool) -> None:
    """定足数 of a committee (administrators); open votes keep the rule they opened with."""
    require(can_set_quorum(actor), "only administrators set the quorum")
    check(isinstance(numerator, int) and isinstance(denominator, int) and 0 < numerator <= denominator <= 100,
          _("定足数は「分母」以下の正の分子で指定してください(例: 2分の1)。"), "numerator")
    before = quorum_label(committee.quorum_numerator, committee.quorum_denominator, committee.quorum_at_least)
    committee.quorum_numerator, committee.quorum_denominator = numerator, denominator
    committee.quorum_at_least = bool(at_least)
    db.session.flush()
    audit.record(actor, "committee.quorum_set", committee, before=before,
                 after=quorum_label(numerator, denominator, bool(at_least)))


def chair_rule_label(chair_votes: bool) -> str:
    """The chair's role in a vote (議長の表決), in a sentence."""
    if chair_votes:
        return _("議長も委員として表決に加わり、可否同数は否決")
    return _("議長は表決に加わらず、可否同数のときに裁決する(地方自治法第116条の例による)")


def set_chair_rule(committee: Committee, *, actor, chair_votes: bool) -> None:
    """The chair's role (committees.chair_votes), a committee setting for administrators; open votes keep theirs."""
    require(can_set_quorum(actor), "only administrators set the chair's role")
    check(isinstance(chair_votes, bool), _("議長の表決の扱いを選んでください。"), "chair_votes")
    if committee.chair_votes == chair_votes:
        return
    before = chair_rule_label(committee.chair_votes)
    committee.chair_votes = chair_votes
    db.session.flush()
    audit.record(actor, "committee.chair_rule_set", committee, before=before, after=chair_rule_label(chair_votes))
