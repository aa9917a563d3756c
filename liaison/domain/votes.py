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

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Select, and_, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import contains_eager, joinedload

from .. import events
from ..events import Event
from ..dates import fiscal_year_label, format_datetime, utcnow
from ..extensions import db
from ..labels import label, quorum_label
from ..models import (
    AgendaItem, AgendaKind, AgendaOutcome, Attendance, AttendanceResponse, Ballot, Choice, Committee, Majority,
    Meeting, MeetingStatus, Membership, Proposal, Role, Vote, VoteMethod, VoteOutcome, VoteSeat, VoteState,
)
from . import check, lock, once, require
from . import access, audit
from .live import touch as touch_live
from . import proposals as proposal_rules
from .memberships import seats as committee_seats

VOTABLE_MEETINGS = (MeetingStatus.CONVENED, MeetingStatus.IN_SESSION, MeetingStatus.HELD)
# Where each method may open. A vote of the sitting (electronic) only while the meeting is in session
# (開会中); a show of hands / roll call the secretariat records also after the sitting (閉会後の記録);
# a written vote (書面表決) has its own window.
OPENS_IN = {
    VoteMethod.ELECTRONIC: (MeetingStatus.IN_SESSION,),
    VoteMethod.IN_MEETING: (MeetingStatus.IN_SESSION, MeetingStatus.HELD),
    VoteMethod.WRITTEN: VOTABLE_MEETINGS + (MeetingStatus.POSTPONED,),
}


# --------------------------------------------------------------------------------------------- labels

def vote_label(vote: Vote) -> str:
    item = vote.agenda_item
    meeting = item.meeting
    return f"{fiscal_year_label(meeting.fiscal_year)}第{meeting.number}回{vote.committee.name} {item.title}"


# ------------------------------------------------------------------------------------- the arithmetic

def quorum_met(present: int, entitled: int, numerator: int = 1, denominator: int = 2, at_least: bool = False) -> bool:
    """定足数: present × d > entitled × n (or ≥ with at_least); exactly half is not quorum by default."""
    if entitled <= 0:
        return False
    if at_least:
        return present * denominator >= entitled * numerator
    return present * denominator > entitled * numerator


def base_of(yes: int, no: int, abstain: int, abstentions_in_base: bool) -> int:
    return yes + no + (abstain if abstentions_in_base else 0)


def outcome_of(yes: int, no: int, abstain: int, majority: Majority, abstentions_in_base: bool) -> VoteOutcome | None:
    """Adopted or rejected by the required majority; None for a tie under simple majority (the chair decides)."""
    base = base_of(yes, no, abstain, abstentions_in_base)
    if base == 0:
        return VoteOutcome.REJECTED
    if majority is Majority.SIMPLE:
        if yes * 2 == base:
            return None
        return VoteOutcome.ADOPTED if yes * 2 > base else VoteOutcome.REJECTED
    if majority is Majority.TWO_THIRDS:
        return VoteOutcome.ADOPTED if yes * 3 >= base * 2 else VoteOutcome.REJECTED
    return VoteOutcome.ADOPTED if yes == base else VoteOutcome.REJECTED


def casting_outcome(choice: Choice) -> VoteOutcome:
    """A tie decided by the chair's casting vote (議長裁決): yes adopts, no rejects."""
    return VoteOutcome.ADOPTED if choice is Choice.YES else VoteOutcome.REJECTED


def agenda_outcome_of(outcome: VoteOutcome) -> AgendaOutcome | None:
    """The item's outcome a closed vote gives it; None without a quorum (the item stays undecided)."""
    if outcome is VoteOutcome.NO_QUORUM:
        return None
    return AgendaOutcome.ADOPTED if outcome is VoteOutcome.ADOPTED else AgendaOutcome.REJECTED


# ---------------------------------------------------------------------------------------- permissions

def can_manage(user) -> bool:
    """The secretariat (and administrators) open, record, close and cancel votes."""
    return access.is_staff(user)


def seat_of(user, vote: Vote) -> VoteSeat | None:
    """The user's frozen seat in this vote, if any (one query)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(VoteSeat).join(VoteSeat.membership)
        .options(joinedload(VoteSeat.membership).joinedload(Membership.body))
        .where(VoteSeat.vote_id == vote.id, Membership.user_id == user.id)
    )


def in_window(vote: Vote, now: datetime | None = None) -> bool:
    """A written vote takes members' ballots between opens_at and closes_at; the others while open."""
    now = now or utcnow()
    if vote.method is not VoteMethod.WRITTEN:
        return True
    return (vote.opens_at is None or vote.opens_at <= now) and (vote.closes_at is None or now < vote.closes_at)


def can_cast(user, vote: Vote, seat: VoteSeat | None, now: datetime | None = None) -> bool:
    """The seat's own member, on an open electronic or written vote, within its time window."""
    return (
        seat is not None
        and seat.membership.user_id == getattr(user, "id", None)
        and seat.membership.has_vote
        and vote.state.accepts_ballots
        and vote.method is not VoteMethod.IN_MEETING
        and in_window(vote, now)
        and seat.may_cast is not False
        and not presides_without_vote(vote, seat.membership_id)
    )


def presides_without_vote(vote: Vote, membership_id: int) -> bool:
    """Under the committee's default rule the presiding chair (議長) does not vote: it decides a tie instead."""
    return not vote.chair_votes and vote.presiding_membership_id is not None and vote.presiding_membership_id == membership_id


def may_see_choices(user, vote: Vote) -> bool:
    """Each seat's choice: never for a secret vote; for others after close, and to the secretariat throughout."""
    if vote.secret:
        return False
    return vote.state in (VoteState.CLOSED, VoteState.TIED) or can_manage(user)


def casting_seat(user, vote: Vote) -> VoteSeat | None:
    """The seat from which the user may give the casting vote: the chair's, or the vice chair's standing in."""
    if vote.state is not VoteState.TIED or not getattr(user, "is_authenticated", False) or vote.chair_votes:
        return None
    return casting_seat_among(user, vote, db.session.scalars(
        select(VoteSeat).join(VoteSeat.membership).options(joinedload(VoteSeat.membership))
        .where(VoteSeat.vote_id == vote.id, Membership.role.in_([Role.CHAIR, Role.VICE_CHAIR]))
    ))


def casting_seat_among(user, vote: Vote, chair_seats) -> VoteSeat | None:
    """Of a tied vote's chair and vice-chair seats, the one from which the user decides the tie: the seat that
    presided when the vote opened; for votes opened before that was stored, the chair's, or the vice chair's
    when the chair was not present (the vice chair stands in)."""
    chair_seats = list(chair_seats)
    if vote.presiding_membership_id is not None:
        presiding = next((s for s in chair_seats if s.membership_id == vote.presiding_membership_id), None)
        return presiding if presiding is not None and presiding.membership.user_id == user.id else None
    chairs = {s.membership.role: s for s in chair_seats}
    chair, vice = chairs.get(Role.CHAIR), chairs.get(Role.VICE_CHAIR)
    if chair is not None and chair.membership.user_id == user.id:
        return chair
    if vice is not None and vice.membership.user_id == user.id and (chair is None or not chair.present):
        return vice
    return None


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


def known_absent(meeting: Meeting, membership_id: int) -> bool:
    """Recorded as not present, or answered 欠席 with no presence recorded: such a seat never votes at the meeting."""
    row = db.session.execute(
        select(Attendance.present, Attendance.response)
        .where(Attendance.meeting_id == meeting.id, Attendance.membership_id == membership_id)
    ).first()
    if row is None:
        return False
    return row.present is False or (row.present is None and row.response is AttendanceResponse.ABSENT)


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


def admit_late_arrival(vote: Vote, membership: Membership, *, actor, reason: str, now: datetime | None = None) -> VoteSeat:
    """遅参: the secretariat admits a seat that checked in after the vote of the sitting opened, with a reason."""
    require(can_manage(actor), "only the secretariat admits late arrivals")
    reason = (reason or "").strip()
    check(reason, _("遅れて出席した委員を表決に加える理由を入力してください。"), "reason")
    check(len(reason) <= 1000, _("理由は1000文字以内で入力してください。"), "reason")
    check(_locked_state(vote, exclusive=True).accepts_ballots, _("この表決は締め切られています。"))
    seat = db.session.scalar(
        select(VoteSeat).where(VoteSeat.vote_id == vote.id, VoteSeat.membership_id == membership.id)
    )
    check(seat is not None, _("この表決の議席ではありません。"))
    check(seat.may_cast is not None, _("この表決は出席者に限る表決ではありません。"))
    once(seat.may_cast is False, _("この議席はすでに表決に加わっています。"))
    meeting = vote.agenda_item.meeting
    checked_in = db.session.scalar(
        select(Attendance.present).where(Attendance.meeting_id == meeting.id, Attendance.membership_id == membership.id)
    )
    check(checked_in is True, _("欠席の議席は表決に加えられません。先に出席を確認してください。"))
    now = now or utcnow()
    seat.may_cast, seat.admitted_at, seat.admitted_by_id, seat.admit_reason = True, now, actor.id, reason
    db.session.flush()
    audit.record(actor, "vote.late_arrival_admitted", vote, label=vote_label(vote), seat=membership.seat_label,
                 reason=reason, before=False, after=True)
    touch_live(meeting.id)
    return seat


# ------------------------------------------------------------------------------------------- ballots

def _locked_state(vote: Vote, *, exclusive: bool = False) -> VoteState:
    """Read the vote's state under a row lock: ballots share it, closing takes it alone (PostgreSQL).

    So a ballot either commits before the count or, once the vote is closed, sees it closed.
    """
    query = select(Vote.state).where(Vote.id == vote.id).with_for_update(read=not exclusive)
    return db.session.execute(query).scalar_one()


def _upsert_ballot(vote_id: int, membership_id: int, choice: Choice, *, actor_id: int, by_secretariat: bool, now: datetime):
    """INSERT … ON CONFLICT (vote_id, membership_id) DO UPDATE: one row per seat, whoever races."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = {
        "vote_id": vote_id, "membership_id": membership_id, "choice": choice, "cast_by_id": actor_id,
        "recorded_by_secretariat": by_secretariat, "revision": 1, "cast_at": now, "updated_at": now,
    }
    statement = insert(Ballot).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[Ballot.vote_id, Ballot.membership_id],
        set_={
            "choice": statement.excluded.choice,
            "cast_by_id": statement.excluded.cast_by_id,
            "recorded_by_secretariat": statement.excluded.recorded_by_secretariat,
            "updated_at": statement.excluded.updated_at,
            "revision": Ballot.revision + 1,
        },
    )
    db.session.execute(statement, execution_options={"synchronize_session": False})


def cast_ballot(vote: Vote, membership: Membership, choice: Choice, *, actor, reason: str = "",
                now: datetime | None = None) -> Ballot:
    """票: the seat's member casts it (electronic / written), or the secretariat records it; changeable until close.

    Ballots are the seat's own: the secretariat records them for a show of hands or roll call (会議での表決),
    and a paper 書面 received for a seat that has not answered; never an electronic ballot, never over a
    ballot the seat cast itself. Correcting a ballot it recorded needs a reason (audited).
    Only seats present at a sitting vote's opening (or admitted later) vote; under the default chair rule
    the presiding chair does not.
    """
    now = now or utcnow()
    own_seat = membership.user_id == getattr(actor, "id", None) and vote.method is not VoteMethod.IN_MEETING
    by_secretariat = not own_seat
    if by_secretariat:
        require(can_manage(actor), "members cast only their own seat's ballot")
    else:
        require(membership.has_vote, "a seat without a vote cannot cast")
    check(isinstance(choice, Choice), _("賛成・反対・棄権のいずれかを選んでください。"), "choice")
    seat = db.session.scalar(
        select(VoteSeat).where(VoteSeat.vote_id == vote.id, VoteSeat.membership_id == membership.id)
    )
    require(seat is not None, "not an entitled seat of this vote")
    check(_locked_state(vote).accepts_ballots, _("この表決は締め切られています。"), "choice")
    check(not (by_secretariat and vote.method is VoteMethod.ELECTRONIC),
          _("電子表決の票は各委員が自分で入力します。事務局は記録できません。"), "choice")
    check(not presides_without_vote(vote, membership.id),
          _("議長は表決に加わりません。可否同数のときに裁決します。"), "choice")
    check(seat.may_cast is not False,
          _("%(seat)sは表決の開始時に出席していなかったため投票できません。遅れて出席した場合は事務局にお申し出ください。",
            seat=membership.seat_label), "choice")
    if seat.may_cast is None and vote.method is VoteMethod.IN_MEETING:
        check(not known_absent(vote.agenda_item.meeting, membership.id),
              _("%(seat)sは欠席と記録されているため、票を記録できません。", seat=membership.seat_label), "choice")
    if not by_secretariat:
        check(in_window(vote, now), _("書面表決の受付期間外です(締切: %(deadline)s)。",
                                      deadline=format_datetime(vote.closes_at) if vote.closes_at else "-"), "choice")
    before = db.session.execute(
        select(Ballot.choice, Ballot.recorded_by_secretariat)
        .where(Ballot.vote_id == vote.id, Ballot.membership_id == membership.id).with_for_update()
    ).first()
    if before is not None and before.choice is choice:
        return db.session.scalar(select(Ballot).where(Ballot.vote_id == vote.id, Ballot.membership_id == membership.id))
    reason = (reason or "").strip()
    if by_secretariat and before is not None:
        check(before.recorded_by_secretariat,
              _("%(seat)sが自分で投じた票は事務局が変更できません。", seat=membership.seat_label), "choice")
        check(reason, _("記録済みの票を訂正する理由を入力してください。"), "reason")
    _upsert_ballot(vote.id, membership.id, choice, actor_id=actor.id, by_secretariat=by_secretariat, now=now)
    # On SQLite the write now holds the database lock: a close that committed first is visible here.
    check(_locked_state(vote).accepts_ballots, _("この表決は締め切られています。"), "choice")
    ballot = db.session.scalar(
        select(Ballot).where(Ballot.vote_id == vote.id, Ballot.membership_id == membership.id)
        .execution_options(populate_existing=True)
    )
    details = {"seat": membership.seat_label, "by_secretariat": by_secretariat, "vote_id": vote.id}
    if by_secretariat and before is not None:
        details["reason"] = reason
    if not vote.secret:
        details.update(before=before.choice if before else None, after=choice)
    # Two racing requests for one seat may both have seen no ballot: the revision tells which one changed it.
    action = "ballot.cast" if ballot.revision == 1 else "ballot.changed"
    audit.record(actor, action, ballot, label=vote_label(vote), **details)
    touch_live(vote.agenda_item.meeting_id)
    return ballot


def withdraw_ballot(vote: Vote, membership: Membership, *, actor, reason: str = "") -> None:
    """Remove a ballot the secretariat recorded by mistake (while the vote is open), with a reason."""
    require(can_manage(actor), "only the secretariat withdraws ballots")
    check(_locked_state(vote).accepts_ballots, _("この表決は締め切られています。"))
    ballot = db.session.scalar(select(Ballot).where(Ballot.vote_id == vote.id, Ballot.membership_id == membership.id))
    if ballot is None:
        return
    check(ballot.recorded_by_secretariat,
          _("%(seat)sが自分で投じた票は事務局が取り消せません。", seat=membership.seat_label), "choice")
    reason = (reason or "").strip()
    check(reason, _("記録済みの票を取り消す理由を入力してください。"), "reason")
    details = {"seat": membership.seat_label, "vote_id": vote.id, "reason": reason}
    if not vote.secret:
        details["before"] = ballot.choice
    audit.record(actor, "ballot.withdrawn", ballot, label=vote_label(vote), **details)
    touch_live(vote.agenda_item.meeting_id)
    db.session.delete(ballot)
    db.session.flush()


def record_ballots(vote: Vote, choices: dict[int, Choice | None], *, actor, reason: str = "",
                   now: datetime | None = None) -> int:
    """The secretariat records the seats' ballots from a show of hands or roll call; None withdraws. Returns changes.

    A correction of a ballot already recorded (a change or a withdrawal) needs `reason`.
    """
    require(can_manage(actor), "only the secretariat records ballots")
    lines = {line.seat.membership_id: line for line in seat_lines(vote)}
    check(set(choices) <= set(lines), _("この表決の議席ではない委員が含まれています。"))
    changed = 0
    for membership_id, choice in choices.items():
        line = lines[membership_id]
        current = line.ballot.choice if line.ballot else None
        if choice is None and line.ballot is not None:
            withdraw_ballot(vote, line.seat.membership, actor=actor, reason=reason)
            changed += 1
        elif choice is not None and (line.ballot is None or current is not choice):
            cast_ballot(vote, line.seat.membership, choice, actor=actor, reason=reason, now=now)
            changed += 1
    return changed


# ---------------------------------------------------------------------------------- presence and count

def present_seats(vote: Vote) -> set[int]:
    """Membership ids of the present seats (see the module docstring), two queries."""
    cast = set(db.session.scalars(select(Ballot.membership_id).where(Ballot.vote_id == vote.id)))
    if vote.method is VoteMethod.WRITTEN:
        return cast
    sitting = dict(db.session.execute(
        select(VoteSeat.membership_id, VoteSeat.may_cast).where(VoteSeat.vote_id == vote.id, VoteSeat.may_cast.is_not(None))
    ).all())
    if sitting:  # a vote of the sitting: the seats present at its opening and those admitted since
        return cast | {membership_id for membership_id, may_cast in sitting.items() if may_cast}
    attended = set()
    rows = db.session.execute(
        select(Attendance.membership_id, Attendance.present, Attendance.response)
        .join(VoteSeat, and_(VoteSeat.membership_id == Attendance.membership_id, VoteSeat.vote_id == vote.id))
        .where(Attendance.meeting_id == vote.agenda_item.meeting_id)
    )
    for membership_id, present, response in rows:
        was_there = present if present is not None else response in (AttendanceResponse.ATTEND, AttendanceResponse.PROXY)
        if was_there:
            attended.add(membership_id)
    return cast | attended


@dataclass
class Tally:
    yes: int
    no: int
    abstain: int
    present: int
    entitled: int
    base: int
    quorum_met: bool
    outcome: VoteOutcome | None  # None: a tie for the chair
    present_ids: frozenset[int] = frozenset()

    @property
    def not_voting(self) -> int:
        return self.entitled - self.yes - self.no - self.abstain


def count(vote: Vote) -> Tally:
    """The count of the ballots as they stand (one grouped query and the presence queries)."""
    counts = {choice: 0 for choice in Choice}
    for choice, number in db.session.execute(
        select(Ballot.choice, func.count()).where(Ballot.vote_id == vote.id).group_by(Ballot.choice)
    ):
        counts[choice] += number
    present_ids = frozenset(present_seats(vote))
    yes, no, abstain = counts[Choice.YES], counts[Choice.NO], counts[Choice.ABSTAIN]
    met = quorum_met(len(present_ids), vote.entitled_count, vote.quorum_numerator, vote.quorum_denominator,
                     vote.quorum_at_least)
    outcome = outcome_of(yes, no, abstain, vote.majority, vote.abstentions_in_base) if met else VoteOutcome.NO_QUORUM
    return Tally(yes, no, abstain, len(present_ids), vote.entitled_count,
                 base_of(yes, no, abstain, vote.abstentions_in_base), met, outcome, present_ids)


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


# ------------------------------------------------------------------------------ committee quorum rule

def can_set_quorum(user) -> bool:
    """定足数 is a committee setting for administrators (not the secretariat)."""
    return bool(getattr(user, "is_authenticated", False) and user.is_admin)


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


# ----------------------------------------------------------------------------------- pages and lists

@dataclass
class SeatLine:
    seat: VoteSeat
    ballot: Ballot | None

    @property
    def membership(self) -> Membership:
        return self.seat.membership


def seat_lines(vote: Vote) -> list[SeatLine]:
    """The frozen seats in order with their ballots: two queries whatever the number of seats."""
    seats = list(
        db.session.scalars(
            select(VoteSeat)
            .options(joinedload(VoteSeat.membership).joinedload(Membership.user),
                     joinedload(VoteSeat.membership).joinedload(Membership.body))
            .where(VoteSeat.vote_id == vote.id).order_by(VoteSeat.position)
        )
    )
    ballots = {b.membership_id: b for b in db.session.scalars(select(Ballot).where(Ballot.vote_id == vote.id))}
    return [SeatLine(seat, ballots.get(seat.membership_id)) for seat in seats]


def load_vote(vote_id: int, committee: Committee) -> Vote | None:
    """A vote of the committee with its item, meeting and people (one query)."""
    return db.session.scalar(
        select(Vote)
        .options(
            joinedload(Vote.agenda_item).joinedload(AgendaItem.meeting),
            joinedload(Vote.committee), joinedload(Vote.opened_by), joinedload(Vote.closed_by),
            joinedload(Vote.casting_by),
        )
        .where(Vote.id == vote_id, Vote.committee_id == committee.id)
    )


def votes_of_item(item: AgendaItem) -> list[Vote]:
    return list(db.session.scalars(select(Vote).where(Vote.agenda_item_id == item.id).order_by(Vote.id.desc())))


def proposal_decisions(proposal: Proposal) -> list[tuple[AgendaItem, Vote | None]]:
    """The meetings' decisions on the proposal, oldest first: each decided agenda item with the vote that
    decided it (None for 継続審議 without a vote). Needs `agenda_items` loaded; one query for the votes."""
    items = [item for item in proposal.agenda_items if item.outcome is not None]
    votes = deciding_votes(items)
    return [(item, votes.get(item.id)) for item in items]


def deciding_votes(items) -> dict[int, Vote]:
    """The closed vote that decided each of these agenda items, by item id (one query).

    An item decided without a vote (継続審議, 報告了承) has none; a vote closed without quorum
    decided nothing, so it is left out.
    """
    ids = [item.id for item in items]
    if not ids:
        return {}
    return {
        vote.agenda_item_id: vote
        for vote in db.session.scalars(
            select(Vote).where(
                Vote.agenda_item_id.in_(ids), Vote.state == VoteState.CLOSED, Vote.outcome != VoteOutcome.NO_QUORUM,
            ).order_by(Vote.id)
        )
    }


def committee_votes_query(committee: Committee, fiscal_year: int):
    """The committee's votes of a fiscal year, open ones first, for a paginated list."""
    return (
        select(Vote).join(Vote.agenda_item).join(AgendaItem.meeting)
        .options(joinedload(Vote.agenda_item).joinedload(AgendaItem.meeting), joinedload(Vote.committee))
        .where(Vote.committee_id == committee.id, Meeting.fiscal_year == fiscal_year)
        .order_by((Vote.state == VoteState.OPEN).desc(), Vote.opened_at.desc(), Vote.id.desc())
    )


def has_voted(vote: Vote, user_id: int) -> bool:
    """The user's seat in the vote has a ballot (cast by the member, or recorded by the secretariat)."""
    return db.session.scalar(
        select(Ballot.id).join(Membership, Membership.id == Ballot.membership_id)
        .where(Ballot.vote_id == vote.id, Membership.user_id == user_id).limit(1)
    ) is not None


def written_ballots_owed(user, *columns) -> Select:
    """SELECT columns FROM the 書面表決 in which one of the user's seats still owes a ballot.

    The seats are the vote's frozen entitled seats (VoteSeat) held by the user, not ended, not an
    observer's; the vote is written, open and has a deadline; the seat has no ballot yet. Callers narrow
    it (the dashboard to the votes open for casting now) and add their columns and joins; the calendar
    feed and the dashboard ask this one rule.
    """
    return (
        select(*columns).select_from(Vote)
        .join(VoteSeat, VoteSeat.vote_id == Vote.id)
        .join(Membership, Membership.id == VoteSeat.membership_id)
        .outerjoin(Ballot, and_(Ballot.vote_id == Vote.id, Ballot.membership_id == VoteSeat.membership_id))
        .where(
            Membership.user_id == user.id, Membership.ended_at.is_(None), Membership.role != Role.OBSERVER,
            Vote.method == VoteMethod.WRITTEN, Vote.state == VoteState.OPEN, Vote.closes_at.is_not(None),
            Ballot.id.is_(None),
        )
    )


def pending_written_votes(user, now: datetime | None = None) -> list[tuple[Vote, VoteSeat]]:
    """書面表決 my seats still have to answer and may answer now, deadline first (one query)."""
    if not getattr(user, "is_authenticated", False):
        return []
    now = now or utcnow()
    rows = db.session.execute(
        written_ballots_owed(user, Vote, VoteSeat)
        .options(joinedload(Vote.agenda_item).joinedload(AgendaItem.meeting), joinedload(Vote.committee),
                 contains_eager(VoteSeat.membership).joinedload(Membership.body))
        .where(Vote.closes_at > now, (Vote.opens_at.is_(None)) | (Vote.opens_at <= now))
        .order_by(Vote.closes_at)
    )
    return [(vote, seat) for vote, seat in rows]


# ------------------------------------------------------------------------- tables for the CSV exports

def ballots_table(vote: Vote, user) -> tuple[list[str], list[list]]:
    """Header and rows: each seat with whether it voted, and its choice unless the vote is secret (or still hidden from the user).

    Written as CSV by liaison.blueprints.csv_export.
    """
    show = may_see_choices(user, vote)
    rows = []
    for line in seat_lines(vote):
        ballot = line.ballot
        rows.append([
            line.membership.seat_label, line.membership.user.name,
            _("投票済み") if ballot else _("未投票"),
            label(ballot.choice) if (ballot and show) else "",
            format_datetime(ballot.updated_at) if ballot else "",
            _("事務局記録") if (ballot and ballot.recorded_by_secretariat) else "",
            {True: _("出席"), False: _("欠席"), None: ""}[line.seat.present],
        ])
    return [_("議席"), _("委員"), _("投票"), _("表決"), _("日時"), _("記録"), _("出席")], rows


def decisions(committee: Committee, fiscal_year: int) -> list[tuple[AgendaItem, Vote | None]]:
    """The fiscal year's decided agenda items with the closed vote that decided them (two queries)."""
    items = list(
        db.session.scalars(
            select(AgendaItem).join(AgendaItem.meeting)
            .options(joinedload(AgendaItem.meeting))
            .where(Meeting.committee_id == committee.id, Meeting.fiscal_year == fiscal_year,
                   AgendaItem.outcome.is_not(None))
            .order_by(Meeting.number, AgendaItem.position)
        )
    )
    closed = {
        v.agenda_item_id: v
        for v in db.session.scalars(
            select(Vote).where(Vote.agenda_item_id.in_([i.id for i in items]), Vote.state == VoteState.CLOSED)
            .order_by(Vote.id)
        )
    } if items else {}
    return [(item, closed.get(item.id)) for item in items]


def decisions_table(committee: Committee, fiscal_year: int) -> tuple[list[str], list[list]]:
    """Header and rows of the fiscal year's decisions with their tallies (the decisions.csv export)."""
    rows = []
    for item, vote in decisions(committee, fiscal_year):
        meeting = item.meeting
        row = [fiscal_year_label(meeting.fiscal_year), meeting.number, format_datetime(meeting.starts_at),
               item.position, item.title, label(item.outcome),
               format_datetime(item.decided_at) if item.decided_at else ""]
        if vote is not None:
            row += [label(vote.method), label(vote.majority), vote.yes_count, vote.no_count,
                    vote.abstain_count, vote.not_voting_count, vote.present_count, vote.entitled_count, vote.base,
                    _("充足") if vote.quorum_met else _("不足"), label(vote.casting_vote)]
        else:
            row += [""] * 11
        rows.append(row)
    header = [_("年度"), _("回"), _("開催日時"), _("議事番号"), _("議事"), _("結果"), _("決定日時"), _("表決方法"),
              _("必要な賛成数"), _("賛成"), _("反対"), _("棄権"), _("未投票"), _("出席"), _("議席数"), _("母数"),
              _("定足数"), _("議長裁決")]
    return header, rows
