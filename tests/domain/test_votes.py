"""Votes (表決): quorum, majorities, tie and casting vote, secret ballots, frozen seats, closed votes never change."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden

from liaison import events, labels
from liaison.blueprints.csv_export import csv_text
from liaison.dates import current_fiscal_year, utcnow
from liaison.domain import Conflict, DomainError
from liaison.domain import memberships as membership_rules
from liaison.domain import votes
from liaison.extensions import db
from liaison.models import (
    AgendaOutcome, Attendance, AttendanceResponse, AuditEvent, Ballot, Choice, ClosedVoteError, Majority, MeetingStatus,
    Membership,
    Vote, VoteMethod, VoteOutcome, VoteSeat, VoteState,
)

YES, NO, ABSTAIN = Choice.YES, Choice.NO, Choice.ABSTAIN


def seat(user) -> Membership:
    return db.session.scalar(select(Membership).where(Membership.user_id == user.id))


def open_on(item, staff, method=VoteMethod.IN_MEETING, chair_votes=True, **settings):
    """Open a vote on a factory item (a meeting held an hour ago, so show-of-hands votes are recorded after it).

    An electronic vote needs the sitting: the meeting is put in session with every seat that has no
    attendance recorded checked in. These tests count every seat as a voter (the chair votes as a
    member, chair_votes=True) unless they are about the chair's rule.
    """
    settings.setdefault("majority", Majority.SIMPLE)
    item.meeting.committee.chair_votes = chair_votes
    if method is VoteMethod.WRITTEN:
        settings.setdefault("closes_at", utcnow() + timedelta(days=7))
    if method is VoteMethod.ELECTRONIC and item.meeting.status is MeetingStatus.HELD:
        sit(item.meeting)
    return votes.open_vote(item, actor=staff, method=method, **settings)


def sit(meeting, absent=()):
    """The factory's meeting in session, every seat checked in except `absent` (users) and seats already recorded."""
    meeting.status = MeetingStatus.IN_SESSION
    recorded = set(db.session.scalars(select(Attendance.membership_id).where(Attendance.meeting_id == meeting.id)))
    absent_ids = {seat(u).id for u in absent}
    for membership in membership_rules.seats(meeting.committee, meeting.fiscal_year, include_observers=False):
        if membership.id not in recorded:
            db.session.add(Attendance(meeting_id=meeting.id, membership_id=membership.id,
                                      response=AttendanceResponse.UNDECIDED, present=membership.id not in absent_ids))
    db.session.flush()


def record(vote, staff, users, choices):
    """The secretariat records one choice per user, in order (None: that seat does not vote)."""
    votes.record_ballots(
        vote, {seat(u).id: c for u, c in zip(users, choices) if c is not None}, actor=staff
    )


@pytest.fixture()
def staff(ctx, factory):
    return factory.secretariat()


# ------------------------------------------------------------------------------------------- quorum

@pytest.mark.parametrize(
    "present, entitled, rule, met",
    [
        (32, 64, (1, 2, False), False),  # exactly half is not quorum
        (33, 64, (1, 2, False), True),
        (5, 10, (1, 2, False), False),
        (6, 10, (1, 2, False), True),
        (4, 9, (1, 2, False), False),
        (5, 9, (1, 2, False), True),
        (32, 64, (1, 2, True), True),  # a committee whose rule says 半数以上
        (6, 9, (2, 3, True), True),
        (5, 9, (2, 3, True), False),
        (0, 0, (1, 2, False), False),
    ],
)
def test_quorum_boundaries(present, entitled, rule, met):
    assert votes.quorum_met(present, entitled, *rule) is met


def test_closing_with_exactly_half_present_is_no_quorum_and_leaves_the_item_undecided(ctx, factory, staff):
    users = factory.seated("council", 10)
    item = factory.agenda_item("council")
    vote = open_on(item, staff)
    record(vote, staff, users, [YES] * 5 + [None] * 5)
    votes.close_vote(vote, actor=staff)
    assert (vote.state, vote.outcome, vote.present_count, vote.quorum_met) == (VoteState.CLOSED, VoteOutcome.NO_QUORUM, 5, False)
    assert item.outcome is None
    # with one more seat present it would have been adopted
    vote2 = open_on(item, staff)
    record(vote2, staff, users, [YES] * 6 + [None] * 4)
    votes.close_vote(vote2, actor=staff)
    assert (vote2.outcome, item.outcome) == (VoteOutcome.ADOPTED, AgendaOutcome.ADOPTED)


def test_committee_quorum_rule_is_copied_when_the_vote_opens(ctx, factory, staff):
    # (the rule goes back to the default below and nothing after it commits: committees outlive a test)
    admin = factory.admin()
    users = factory.seated("planning", 9)
    item = factory.agenda_item("planning")
    committee = factory.committee("planning")
    votes.set_quorum(committee, actor=admin, numerator=2, denominator=3, at_least=True)
    vote = open_on(item, staff)
    votes.set_quorum(committee, actor=admin, numerator=1, denominator=2, at_least=False)  # changed while open
    record(vote, staff, users, [YES] * 5 + [None] * 4)
    votes.close_vote(vote, actor=staff)
    assert vote.outcome is VoteOutcome.NO_QUORUM  # 5 of 9 is less than two thirds


def test_only_administrators_set_the_quorum_and_bad_rules_are_refused(ctx, factory, staff):
    committee = factory.committee("council")
    with pytest.raises(Forbidden):
        votes.set_quorum(committee, actor=staff, numerator=2, denominator=3, at_least=True)
    with pytest.raises(DomainError):
        votes.set_quorum(committee, actor=factory.admin(), numerator=3, denominator=2, at_least=False)


def test_presence_at_the_meeting_counts_towards_quorum(ctx, factory, staff):
    """In a meeting vote a seat that attended (or sent a proxy) is present even without a ballot."""
    users = factory.seated("council", 10)
    item = factory.agenda_item("council")
    members = [seat(u) for u in users]
    # presence recorded for two seats (one true, one false), answers only for the others
    db.session.add_all([
        Attendance(meeting_id=item.meeting_id, membership_id=members[5].id, response=AttendanceResponse.ATTEND, present=True),
        Attendance(meeting_id=item.meeting_id, membership_id=members[6].id, response=AttendanceResponse.ATTEND, present=False),
        Attendance(meeting_id=item.meeting_id, membership_id=members[7].id, response=AttendanceResponse.PROXY),
        Attendance(meeting_id=item.meeting_id, membership_id=members[8].id, response=AttendanceResponse.ABSENT),
    ])
    db.session.flush()
    vote = open_on(item, staff)
    record(vote, staff, users, [YES, YES, YES, NO, None, None, None, None, None, None])
    votes.close_vote(vote, actor=staff)
    # 4 ballots + seat 5 (present) + seat 7 (proxy) = 6 of 10
    assert (vote.present_count, vote.quorum_met, vote.outcome) == (6, True, VoteOutcome.ADOPTED)
    assert vote.not_voting_count == 6


# ---------------------------------------------------------------------------------------- majorities

@pytest.mark.parametrize(
    "yes, no, abstain, majority, in_base, outcome",
    [
        # two-thirds of 9 present
        (6, 3, 0, Majority.TWO_THIRDS, False, VoteOutcome.ADOPTED),
        (5, 4, 0, Majority.TWO_THIRDS, False, VoteOutcome.REJECTED),
        (6, 2, 1, Majority.TWO_THIRDS, True, VoteOutcome.ADOPTED),  # 6 of 9
        (5, 2, 2, Majority.TWO_THIRDS, False, VoteOutcome.ADOPTED),  # 5 of 7
        (5, 2, 2, Majority.TWO_THIRDS, True, VoteOutcome.REJECTED),  # 5 of 9
        (20, 11, 0, Majority.TWO_THIRDS, False, VoteOutcome.REJECTED),  # 20/31 < 2/3
        # simple majority, abstentions in or out of the base
        (4, 3, 2, Majority.SIMPLE, False, VoteOutcome.ADOPTED),
        (4, 3, 2, Majority.SIMPLE, True, VoteOutcome.REJECTED),  # 4 of 9 is not more than half
        (4, 4, 1, Majority.SIMPLE, False, None),  # a tie: the chair decides
        (4, 2, 2, Majority.SIMPLE, True, None),  # yes equals no + abstain
        (0, 0, 9, Majority.SIMPLE, False, VoteOutcome.REJECTED),  # nobody for it
        # unanimity
        (9, 0, 0, Majority.UNANIMITY, False, VoteOutcome.ADOPTED),
        (8, 0, 1, Majority.UNANIMITY, False, VoteOutcome.ADOPTED),
        (8, 0, 1, Majority.UNANIMITY, True, VoteOutcome.REJECTED),
        (8, 1, 0, Majority.UNANIMITY, False, VoteOutcome.REJECTED),
    ],
)
def test_majorities(yes, no, abstain, majority, in_base, outcome):
    assert votes.outcome_of(yes, no, abstain, majority, in_base) is outcome


@pytest.mark.parametrize("in_base, outcome", [(False, VoteOutcome.ADOPTED), (True, VoteOutcome.REJECTED)])
def test_two_thirds_of_nine_present_through_the_close(ctx, factory, staff, in_base, outcome):
    users = factory.seated("planning", 9)
    item = factory.agenda_item("planning")
    vote = open_on(item, staff, majority=Majority.TWO_THIRDS, abstentions_in_base=in_base)
    record(vote, staff, users, [YES] * 5 + [NO] * 2 + [ABSTAIN] * 2)
    votes.close_vote(vote, actor=staff)
    assert (vote.present_count, vote.base, vote.outcome) == (9, 9 if in_base else 7, outcome)


# ------------------------------------------------------------------------------------ tie and casting

def test_a_tie_waits_for_the_chair_whose_casting_vote_decides(ctx, factory, staff):
    chair, vice, *members = factory.seated("council", 7)
    item = factory.agenda_item("council")
    vote = open_on(item, staff, chair_votes=False)
    # the presiding chair does not vote (default rule): 3 against 3 among the others
    record(vote, staff, [chair, vice, *members], [None, NO, YES, NO, YES, NO, YES])
    votes.close_vote(vote, actor=staff)
    assert (vote.state, vote.outcome, item.outcome) == (VoteState.TIED, None, None)
    # ballots are closed while the chair decides
    with pytest.raises(DomainError):
        votes.cast_ballot(vote, seat(members[0]), NO, actor=staff)
    for not_the_chair in (staff, vice, members[0]):
        with pytest.raises(Forbidden):
            votes.record_casting_vote(vote, YES, actor=not_the_chair)
    votes.record_casting_vote(vote, NO, actor=chair)
    assert (vote.state, vote.outcome, vote.casting_vote, vote.casting_by_id) == (VoteState.CLOSED, VoteOutcome.REJECTED, NO, chair.id)
    assert item.outcome is AgendaOutcome.REJECTED and item.decided_at is not None
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "votes")))
    assert {"vote.opened", "vote.tied", "vote.casting_vote", "vote.closed"} <= actions


def test_the_vice_chair_stands_in_only_when_the_chair_was_not_present(ctx, factory, staff):
    chair, vice, *members = factory.seated("council", 6)
    item = factory.agenda_item("council")
    # the chair is recorded absent before the vote opens: the vice chair presides and, presiding, does not vote
    db.session.add(Attendance(meeting_id=item.meeting_id, membership_id=seat(chair).id,
                              response=AttendanceResponse.ABSENT))
    vote = open_on(item, staff, chair_votes=False)
    record(vote, staff, [chair, vice, *members], [None, None, YES, NO, YES, NO])
    votes.close_vote(vote, actor=staff)
    assert vote.state is VoteState.TIED and vote.present_count == 4
    assert votes.casting_seat(vice, vote) is not None
    votes.record_casting_vote(vote, YES, actor=vice)
    assert vote.outcome is VoteOutcome.ADOPTED


def test_a_tie_without_quorum_is_no_quorum_not_a_tie(ctx, factory, staff):
    users = factory.seated("council", 6)
    vote = open_on(factory.agenda_item("council"), staff)
    record(vote, staff, users, [YES, NO, None, None, None, None])
    votes.close_vote(vote, actor=staff)
    assert (vote.state, vote.outcome) == (VoteState.CLOSED, VoteOutcome.NO_QUORUM)


# ------------------------------------------------------------------------------------------ secrecy

def test_a_secret_vote_keeps_who_voted_but_not_how(ctx, factory, staff):
    users = factory.seated("council", 5)
    vote = open_on(factory.agenda_item("council"), staff, method=VoteMethod.ELECTRONIC, secret=True)
    for user, choice in zip(users, [YES, YES, NO, ABSTAIN]):
        votes.cast_ballot(vote, seat(user), choice, actor=user)
    votes.cast_ballot(vote, seat(users[2]), YES, actor=users[2])  # a change
    assert not votes.may_see_choices(staff, vote)
    votes.close_vote(vote, actor=staff)
    assert (vote.yes_count, vote.no_count, vote.abstain_count, vote.outcome) == (3, 0, 1, VoteOutcome.ADOPTED)
    ballots = list(db.session.scalars(select(Ballot).where(Ballot.vote_id == vote.id)))
    assert len(ballots) == 4 and all(b.choice is None for b in ballots)
    db.session.commit()  # a ballot's audit row is written by the commit (audit.record_at_commit)
    audit_data = [e.data for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("ballot.%")))]
    assert len(audit_data) == 5
    assert all("after" not in d and "before" not in d for d in audit_data)
    exported = csv_text(*votes.ballots_table(vote, staff))
    assert "賛成" not in exported and "反対" not in exported and "棄権" not in exported
    assert exported.count("投票済み") == 4 and exported.count("未投票") == 1
    assert not votes.may_see_choices(staff, vote)


def test_in_meeting_votes_cannot_be_secret(ctx, factory, staff):
    factory.seated("council", 3)
    with pytest.raises(DomainError):
        open_on(factory.agenda_item("council"), staff, method=VoteMethod.IN_MEETING, secret=True)


# ------------------------------------------------------------------------------------- frozen seats

def test_the_entitled_seats_are_frozen_when_the_vote_opens(ctx, factory, staff):
    users = factory.seated("council", 4)
    factory.member(committee="council", body="寄居町", role="observer")
    item = factory.agenda_item("council")
    vote = open_on(item, staff)
    assert vote.entitled_count == 4  # the observer has no vote
    late = factory.member(committee="council", body="小鹿野町")  # appointed after opening
    membership_rules.end(seat(users[3]), actor=factory.admin())  # ended after opening
    assert len(votes.seat_lines(vote)) == 4
    with pytest.raises(Forbidden):
        votes.cast_ballot(vote, seat(late), YES, actor=staff)
    record(vote, staff, users, [YES, YES, NO, YES])  # the ended seat stays entitled in this vote
    votes.close_vote(vote, actor=staff)
    assert (vote.entitled_count, vote.yes_count) == (4, 3)


# ----------------------------------------------------------------------------------- authorisation

def test_members_cast_only_their_own_seat(ctx, factory, staff):
    alice, bob, *_ = factory.seated("council", 3)
    vote = open_on(factory.agenda_item("council"), staff, method=VoteMethod.ELECTRONIC)
    with pytest.raises(Forbidden):
        votes.cast_ballot(vote, seat(bob), YES, actor=alice)
    votes.cast_ballot(vote, seat(alice), YES, actor=alice)
    assert db.session.scalar(select(Ballot.choice).where(Ballot.membership_id == seat(alice).id)) is YES
    assert db.session.scalar(select(Ballot).where(Ballot.membership_id == seat(bob).id)) is None


def test_an_observer_cannot_vote(ctx, factory, staff):
    factory.seated("planning", 3)
    observer = factory.member(committee="planning", body="寄居町", role="observer")
    vote = open_on(factory.agenda_item("planning"), staff, method=VoteMethod.ELECTRONIC)
    with pytest.raises(Forbidden):
        votes.cast_ballot(vote, seat(observer), YES, actor=observer)


def test_members_cannot_cast_in_a_vote_the_secretariat_records(ctx, factory, staff):
    alice, *_ = factory.seated("council", 3)
    vote = open_on(factory.agenda_item("council"), staff, method=VoteMethod.IN_MEETING)
    with pytest.raises(Forbidden):
        votes.cast_ballot(vote, seat(alice), YES, actor=alice)


def test_nobody_casts_after_close(ctx, factory, staff):
    users = factory.seated("council", 3)
    vote = open_on(factory.agenda_item("council"), staff, method=VoteMethod.ELECTRONIC)
    votes.cast_ballot(vote, seat(users[0]), YES, actor=users[0])
    votes.cast_ballot(vote, seat(users[1]), YES, actor=users[1])
    votes.close_vote(vote, actor=staff)
    for actor, user in ((users[2], users[2]), (users[0], users[0]), (staff, users[2])):
        with pytest.raises(DomainError):
            votes.cast_ballot(vote, seat(user), NO, actor=actor)
    assert db.session.scalar(select(Ballot).where(Ballot.membership_id == seat(users[2]).id)) is None


def test_only_the_secretariat_opens_closes_and_cancels(ctx, factory, staff):
    alice, *_ = factory.seated("council", 3)
    item = factory.agenda_item("council")
    with pytest.raises(Forbidden):
        open_on(item, alice)
    vote = open_on(item, staff)
    with pytest.raises(Forbidden):
        votes.close_vote(vote, actor=alice)
    with pytest.raises(Forbidden):
        votes.cancel_vote(vote, actor=alice, reason="x")
    with pytest.raises(DomainError):
        votes.cancel_vote(vote, actor=staff, reason="  ")
    votes.cancel_vote(vote, actor=staff, reason="議案の差替えのため")
    assert vote.state is VoteState.CANCELLED and item.outcome is None


# ----------------------------------------------------------------------------- a closed vote is final

def test_a_closed_vote_never_changes(ctx, factory, staff):
    users = factory.seated("council", 3)
    vote = open_on(factory.agenda_item("council"), staff)
    record(vote, staff, users, [YES, YES, NO])
    votes.close_vote(vote, actor=staff)
    db.session.commit()
    with pytest.raises(Conflict):  # closed already: a repeated close is a 409, not a second count
        votes.close_vote(vote, actor=staff)
    with pytest.raises(DomainError):
        votes.cancel_vote(vote, actor=staff, reason="やり直し")
    db.session.rollback()
    # the model refuses direct changes too: the result, a ballot, a deleted ballot, a new ballot
    vote.yes_count = 3
    with pytest.raises(ClosedVoteError):
        db.session.flush()
    db.session.rollback()
    ballot = db.session.scalar(select(Ballot).where(Ballot.vote_id == vote.id).limit(1))
    ballot.choice = NO
    with pytest.raises(ClosedVoteError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalar(select(Ballot).where(Ballot.vote_id == vote.id).limit(1)))
    with pytest.raises(ClosedVoteError):
        db.session.flush()
    db.session.rollback()
    db.session.add(Ballot(vote_id=vote.id, membership_id=seat(users[2]).id, choice=YES, cast_by_id=staff.id))
    with pytest.raises(ClosedVoteError):
        db.session.flush()
    db.session.rollback()
    vote_seat = db.session.scalar(select(VoteSeat).where(VoteSeat.vote_id == vote.id).limit(1))
    vote_seat.present = not vote_seat.present
    with pytest.raises(ClosedVoteError):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(Vote, vote.id).yes_count == 2


def test_ballots_change_until_close_and_every_change_is_audited(ctx, factory, staff):
    alice, *_ = factory.seated("council", 3)
    vote = open_on(factory.agenda_item("council"), staff, method=VoteMethod.ELECTRONIC)
    votes.cast_ballot(vote, seat(alice), YES, actor=alice)
    votes.cast_ballot(vote, seat(alice), NO, actor=alice)
    votes.cast_ballot(vote, seat(alice), NO, actor=alice)  # unchanged: no new row, no audit
    ballots = list(db.session.scalars(select(Ballot).where(Ballot.vote_id == vote.id)))
    assert [(b.choice, b.revision) for b in ballots] == [(NO, 2)]
    db.session.commit()  # a ballot's audit row is written by the commit (audit.record_at_commit)
    events_ = [(e.action, e.data.get("before"), e.data.get("after"))
               for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("ballot.%")).order_by(AuditEvent.id))]
    assert events_ == [("ballot.cast", None, "yes"), ("ballot.changed", "yes", "no")]


def test_opening_and_closing_emit_events_for_the_notifier(ctx, factory, staff, monkeypatch):
    seen = []
    monkeypatch.setitem(events._listeners, "vote.opened", [lambda obj, **kw: seen.append(("opened", obj.id))])
    monkeypatch.setitem(events._listeners, "vote.closed", [lambda obj, **kw: seen.append(("closed", obj.id))])
    users = factory.seated("council", 3)
    vote = open_on(factory.agenda_item("council"), staff)
    record(vote, staff, users, [YES, YES, NO])
    votes.close_vote(vote, actor=staff)
    assert seen == [("opened", vote.id), ("closed", vote.id)]


# -------------------------------------------------------------------------------- written votes

def test_done_means_a_written_vote_of_64_bodies(ctx, factory, staff):
    """40 yes, 10 no, 5 abstain, 9 not voting: quorum met (55 of 64 present), 可決."""
    users = factory.seated("council", 64)
    item = factory.agenda_item("council", meeting_format="written")
    deadline = utcnow() + timedelta(days=3)
    vote = open_on(item, staff, method=VoteMethod.WRITTEN, closes_at=deadline)
    for user, choice in zip(users, [YES] * 40 + [NO] * 10 + [ABSTAIN] * 5):
        votes.cast_ballot(vote, seat(user), choice, actor=user)
    with pytest.raises(DomainError):  # before the deadline, with seats still to answer
        votes.close_vote(vote, actor=staff)
    with pytest.raises(DomainError):  # members cannot cast after the deadline
        votes.cast_ballot(vote, seat(users[60]), YES, actor=users[60], now=deadline)
    votes.close_vote(vote, actor=staff, now=deadline)
    assert (vote.yes_count, vote.no_count, vote.abstain_count, vote.not_voting_count) == (40, 10, 5, 9)
    assert (vote.present_count, vote.entitled_count, vote.quorum_met) == (55, 64, True)
    assert vote.outcome is VoteOutcome.ADOPTED and labels.label(vote.outcome) == "可決"
    assert item.outcome is AgendaOutcome.ADOPTED and item.decided_at == deadline


def test_done_means_a_two_thirds_vote_with_20_yes_and_11_no_is_rejected(ctx, factory, staff):
    users = factory.seated("council", 64)
    item = factory.agenda_item("council")
    vote = open_on(item, staff, method=VoteMethod.ELECTRONIC, majority=Majority.TWO_THIRDS)
    for user, choice in zip(users, [YES] * 20 + [NO] * 11 + [ABSTAIN] * 5):
        votes.cast_ballot(vote, seat(user), choice, actor=user)
    votes.close_vote(vote, actor=staff)
    assert (vote.base, vote.quorum_met, vote.outcome) == (31, True, VoteOutcome.REJECTED)
    assert item.outcome is AgendaOutcome.REJECTED


def test_written_vote_settings_are_checked(ctx, factory, staff):
    factory.seated("council", 3)
    item = factory.agenda_item("council")
    with pytest.raises(DomainError):
        open_on(item, staff, method=VoteMethod.WRITTEN, closes_at=None)
    with pytest.raises(DomainError):
        open_on(item, staff, method=VoteMethod.WRITTEN, closes_at=utcnow() - timedelta(minutes=1))
    vote = open_on(item, staff, method=VoteMethod.WRITTEN)
    with pytest.raises(Conflict):  # one live vote per item: a second opening is a 409
        open_on(item, staff, method=VoteMethod.WRITTEN)
    assert vote.opens_at is not None


def test_a_written_vote_closes_early_once_every_seat_answered(ctx, factory, staff):
    users = factory.seated("council", 3)
    vote = open_on(factory.agenda_item("council"), staff, method=VoteMethod.WRITTEN)
    for user in users:
        votes.cast_ballot(vote, seat(user), YES, actor=user)
    votes.close_vote(vote, actor=staff)
    assert vote.outcome is VoteOutcome.ADOPTED


def test_pending_written_votes_list_my_unanswered_seats(ctx, factory, staff):
    alice, bob, *_ = factory.seated("council", 3)
    vote = open_on(factory.agenda_item("council"), staff, method=VoteMethod.WRITTEN)
    assert [v.id for v, _ in votes.pending_written_votes(alice)] == [vote.id]
    votes.cast_ballot(vote, seat(alice), NO, actor=alice)
    assert votes.pending_written_votes(alice) == []
    assert [v.id for v, _ in votes.pending_written_votes(bob)] == [vote.id]
    assert votes.pending_written_votes(bob, now=vote.closes_at) == []


# ------------------------------------------------------------------------------ outcomes without a vote

def test_defer_and_note_items(ctx, factory, staff):
    factory.seated("council", 3)
    resolution = factory.agenda_item("council")
    report = factory.agenda_item("council", kind="report", title="報告 研修実績")
    with pytest.raises(DomainError):
        votes.note_item(resolution, actor=staff)
    with pytest.raises(DomainError):
        open_on(report, staff)
    votes.defer_item(resolution, actor=staff)
    votes.note_item(report, actor=staff)
    assert (resolution.outcome, report.outcome) == (AgendaOutcome.CONTINUED, AgendaOutcome.NOTED)
    with pytest.raises(DomainError):  # a decided item takes no vote
        open_on(resolution, staff)
    rows = votes.decisions(factory.committee("council"), current_fiscal_year())
    assert [(i.title, v) for i, v in rows] == [(resolution.title, None), (report.title, None)]
    assert "継続審議" in csv_text(*votes.decisions_table(factory.committee("council"), current_fiscal_year()))



# ---------------------------------------------------------------------------------------------- demo

def test_demo_seed_decides_the_held_meetings_and_leaves_a_written_vote_half_answered(ctx):
    from liaison.models import AgendaItem, AgendaKind, Meeting, MeetingStatus
    from liaison.seed.demo import seed_demo

    users = seed_demo()
    db.session.commit()
    held_items = list(db.session.scalars(
        select(AgendaItem).join(AgendaItem.meeting).where(Meeting.status == MeetingStatus.HELD)))
    assert held_items and all(i.outcome is not None for i in held_items)
    # REJECTED: the demo proposal the planning meeting voted down (seed_demo_proposals).
    assert {i.outcome for i in held_items} == {AgendaOutcome.ADOPTED, AgendaOutcome.CONTINUED, AgendaOutcome.NOTED,
                                              AgendaOutcome.REJECTED}
    closed = list(db.session.scalars(select(Vote).where(Vote.state == VoteState.CLOSED)))
    assert len(closed) == sum(1 for i in held_items if i.kind is AgendaKind.RESOLUTION) >= 3
    assert all(v.outcome in (VoteOutcome.ADOPTED, VoteOutcome.REJECTED) and v.quorum_met
               and v.method is VoteMethod.IN_MEETING for v in closed)
    written = db.session.scalar(select(Vote).where(Vote.method == VoteMethod.WRITTEN, Vote.state == VoteState.OPEN))
    cast = db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.vote_id == written.id))
    assert written.committee.slug == "council" and written.entitled_count == 64 and 0 < cast < 64
    assert [v.id for v, _ in votes.pending_written_votes(users["members"][0])] == [written.id]
    counts = (db.session.scalar(select(func.count()).select_from(Vote)),
              db.session.scalar(select(func.count()).select_from(Ballot)),
              db.session.scalar(select(func.count()).select_from(AuditEvent)))
    seed_demo()
    db.session.commit()
    assert counts == (db.session.scalar(select(func.count()).select_from(Vote)),
                      db.session.scalar(select(func.count()).select_from(Ballot)),
                      db.session.scalar(select(func.count()).select_from(AuditEvent)))


def test_the_outcome_mappings_the_scale_generator_asks_for():
    """bench/scale.py asks the domain for these instead of repeating them."""
    from liaison.domain.proposals import status_after
    from liaison.models import AgendaOutcome, Choice, ProposalStatus, VoteOutcome

    assert votes.casting_outcome(Choice.YES) is VoteOutcome.ADOPTED
    assert votes.casting_outcome(Choice.NO) is VoteOutcome.REJECTED
    assert votes.agenda_outcome_of(VoteOutcome.ADOPTED) is AgendaOutcome.ADOPTED
    assert votes.agenda_outcome_of(VoteOutcome.REJECTED) is AgendaOutcome.REJECTED
    assert votes.agenda_outcome_of(VoteOutcome.NO_QUORUM) is None  # the item stays undecided
    assert status_after(AgendaOutcome.ADOPTED) is ProposalStatus.ADOPTED
    assert status_after(AgendaOutcome.CONTINUED) is ProposalStatus.CONTINUED
    assert status_after("rejected") is ProposalStatus.REJECTED


def test_a_proposal_is_decided_on_the_day_its_agenda_item_is(ctx, factory, staff):
    """The plan report's 決定日 (proposal.decided_at) and decisions.csv (item.decided_at) agree (issue 20 item 7)."""
    from liaison.domain import proposal_permissions as proposal_access

    author = factory.member(body="川越市", email="decided-author@example.jp")
    proposal = factory.proposal(author, status="on_agenda")
    item = proposal_access.current_agenda_item(proposal)
    day = utcnow().replace(microsecond=0) - timedelta(days=60)
    votes.defer_item(item, actor=db.session.get(type(author), staff.id), now=day)
    assert item.decided_at == day and proposal.decided_at == day
