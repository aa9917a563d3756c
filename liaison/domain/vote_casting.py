"""Votes: the ballots (票) — cast, changed, withdrawn, recorded by the secretariat — and late arrivals (遅参).

`_locked_state` reads a vote's state under its row lock: ballots share it, closing takes it alone (a cast
reads it with its seat in one query, `_seat_under_lock`).
"""
from __future__ import annotations

from datetime import datetime

from ..i18n import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from ..dates import format_datetime, utcnow
from ..extensions import db
from ..models import (
    Attendance, AttendanceResponse, Ballot, Choice, Meeting, Membership, Vote, VoteMethod, VoteSeat, VoteState,
)
from . import audit, check, once, require
from .live import touch as touch_live
from .vote_permissions import can_manage, in_window, presides_without_vote, vote_label
from .vote_queries import seat_lines


def known_absent(meeting: Meeting, membership_id: int) -> bool:
    """Recorded as not present, or answered 欠席 with no presence recorded: such a seat never votes at the meeting."""
    row = db.session.execute(
        select(Attendance.present, Attendance.response)
        .where(Attendance.meeting_id == meeting.id, Attendance.membership_id == membership_id)
    ).first()
    if row is None:
        return False
    return row.present is False or (row.present is None and row.response is AttendanceResponse.ABSENT)


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


def _locked_state(vote: Vote, *, exclusive: bool = False) -> VoteState:
    """Read the vote's state under a row lock: ballots share it, closing takes it alone (PostgreSQL).

    So a ballot either commits before the count or, once the vote is closed, sees it closed.
    """
    query = select(Vote.state).where(Vote.id == vote.id).with_for_update(read=not exclusive)
    return db.session.execute(query).scalar_one()


_SEAT_UNDER_LOCK = (  # built once (bound: the vote and the membership)
    select(VoteSeat, Vote.state, Ballot.id)
    .join(Vote, Vote.id == VoteSeat.vote_id)
    .outerjoin(Ballot, (Ballot.vote_id == VoteSeat.vote_id) & (Ballot.membership_id == VoteSeat.membership_id))
    .where(VoteSeat.vote_id == bindparam("vote_id"), VoteSeat.membership_id == bindparam("membership_id"))
    .with_for_update(read=True, of=Vote)
)


def _seat_under_lock(vote: Vote, membership: Membership) -> tuple[VoteSeat | None, VoteState | None, bool]:
    """In one query: the seat's VoteSeat, the vote's state under its share lock (`_locked_state`'s rule), and
    whether the seat has a ballot yet. (None, None, False) when the membership is not a seat of the vote."""
    row = db.session.execute(_SEAT_UNDER_LOCK, {"vote_id": vote.id, "membership_id": membership.id}).first()
    if row is None:
        return None, None, False
    return row[0], row[1], row[2] is not None


_UPSERTS: dict[str, object] = {}
_BALLOT_VALUES = ("vote_id", "membership_id", "choice", "cast_by_id", "recorded_by_secretariat", "revision", "cast_at",
                  "updated_at")


def _upsert_statement(dialect: str):
    """INSERT … ON CONFLICT (vote_id, membership_id) DO UPDATE … RETURNING the row: built once per dialect (64 tablets
    cast at once: each pays for running it, not for building it)."""
    statement = _UPSERTS.get(dialect)
    if statement is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(Ballot).values({name: bindparam(name) for name in _BALLOT_VALUES})
        statement = statement.on_conflict_do_update(
            index_elements=[Ballot.vote_id, Ballot.membership_id],
            set_={
                "choice": statement.excluded.choice,
                "cast_by_id": statement.excluded.cast_by_id,
                "recorded_by_secretariat": statement.excluded.recorded_by_secretariat,
                "updated_at": statement.excluded.updated_at,
                "revision": Ballot.revision + 1,
            },
        ).returning(Ballot)
        _UPSERTS[dialect] = statement
    return statement


def _upsert_ballot(vote_id: int, membership_id: int, choice: Choice, *, actor_id: int, by_secretariat: bool,
                   now: datetime) -> Ballot:
    """INSERT … ON CONFLICT (vote_id, membership_id) DO UPDATE: one row per seat, whoever races."""
    values = {
        "vote_id": vote_id, "membership_id": membership_id, "choice": choice, "cast_by_id": actor_id,
        "recorded_by_secretariat": by_secretariat, "revision": 1, "cast_at": now, "updated_at": now,
    }
    # RETURNING the stored row (its revision tells a first cast from a change) instead of reading it again.
    statement = _upsert_statement(db.session.get_bind().dialect.name)
    return db.session.scalars(statement, values, execution_options={"populate_existing": True}).one()


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
    seat, state, has_ballot = _seat_under_lock(vote, membership)
    require(seat is not None, "not an entitled seat of this vote")
    check(state.accepts_ballots, _("この表決は締め切られています。"), "choice")
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
    # The seat's ballot, locked: only when the first read saw one (a missing row cannot be locked anyway).
    before = db.session.scalar(
        select(Ballot).where(Ballot.vote_id == vote.id, Ballot.membership_id == membership.id)
        .with_for_update().execution_options(populate_existing=True)
    ) if has_ballot else None
    if before is not None and before.choice is choice:
        return before
    before_choice = before.choice if before is not None else None
    reason = (reason or "").strip()
    if by_secretariat and before is not None:
        check(before.recorded_by_secretariat,
              _("%(seat)sが自分で投じた票は事務局が変更できません。", seat=membership.seat_label), "choice")
        check(reason, _("記録済みの票を訂正する理由を入力してください。"), "reason")
    ballot = _upsert_ballot(vote.id, membership.id, choice, actor_id=actor.id, by_secretariat=by_secretariat, now=now)
    if db.session.get_bind().dialect.name != "postgresql":
        # On SQLite the write now holds the database lock: a close that committed first is visible here.
        # (PostgreSQL: the vote's row is share-locked since the first read, a close waits for this commit.)
        check(_locked_state(vote).accepts_ballots, _("この表決は締め切られています。"), "choice")
    details = {"seat": membership.seat_label, "by_secretariat": by_secretariat, "vote_id": vote.id}
    if by_secretariat and before is not None:
        details["reason"] = reason
    if not vote.secret:
        details.update(before=before_choice, after=choice)
    # Two racing requests for one seat may both have seen no ballot: the revision tells which one changed it.
    action = "ballot.cast" if ballot.revision == 1 else "ballot.changed"
    # 64 tablets at once: the row goes with the commit's last round trip, sealed there (audit.record_at_commit)
    audit.record_at_commit(actor, action, ballot, label=vote_label(vote), **details)
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
