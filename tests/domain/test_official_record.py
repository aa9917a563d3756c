"""Issue 15, the official record: votes belong to the sitting, the chair's role, ballots are the seat's own,
approval needs the review (rounds kept), and every state transition happens once (409, PostgreSQL race)."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden

from liaison.dates import TOKYO, utcnow
from liaison.domain import Conflict, DomainError
from liaison.domain import meetings as meeting_rules
from liaison.domain import minutes as minutes_rules
from liaison.domain import proposals as proposal_rules
from liaison.domain import votes
from liaison.extensions import db
from liaison.models import (
    AgendaItem, AgendaKind, Attendance, AttendanceResponse, AuditEvent, Ballot, Choice, Majority, Meeting, MeetingStatus,
    Membership, Minutes, MinutesStatus, Notification, Proposal, User, Vote, VoteMethod, VoteOutcome, VoteState,
)

YES, NO, ABSTAIN = Choice.YES, Choice.NO, Choice.ABSTAIN


def seat(user) -> Membership:
    return db.session.scalar(select(Membership).where(Membership.user_id == user.id))


@pytest.fixture()
def staff(ctx, factory):
    return factory.secretariat()


def convened_today(factory, committee="council"):
    """A convened meeting whose day is today (14:00 Tokyo, or now when that has passed)."""
    now = utcnow().astimezone(TOKYO)
    start = max(now.replace(hour=14, minute=0, second=0, microsecond=0), now + timedelta(minutes=5))
    if start.date() != now.date():
        start = now + timedelta(minutes=1)
    meeting = db.session.get(Meeting, factory.meeting(committee, status="convened", starts_at=start, agenda=3).id)
    return meeting, next(i for i in meeting.agenda_items if i.kind is AgendaKind.RESOLUTION)


def electronic(item, staff, **settings):
    return votes.open_vote(item, actor=staff, method=VoteMethod.ELECTRONIC, majority=Majority.SIMPLE, **settings)


# ------------------------------------------------------------------------------ votes belong to the sitting

def test_an_electronic_vote_opens_only_in_session_and_only_present_seats_cast(ctx, factory, staff):
    chair, vice, present, absent, proxied, late = factory.seated("council", 6)
    meeting, item = convened_today(factory)
    with pytest.raises(DomainError, match="開会中にだけ"):  # five weeks before, or an hour before: no sitting, no vote
        electronic(item, staff)
    with pytest.raises(DomainError, match="開催日"):
        meeting_rules.open_session(meeting, actor=staff, now=meeting.starts_at - timedelta(days=1))
    meeting_rules.answer_attendance(meeting, seat(proxied), actor=proxied, response=AttendanceResponse.PROXY,
                                    proxy_name="代理 花子", proxy_title="課長補佐")
    meeting_rules.answer_attendance(meeting, seat(absent), actor=absent, response=AttendanceResponse.ABSENT)
    meeting_rules.open_session(meeting, actor=staff)
    assert meeting.status is MeetingStatus.IN_SESSION and meeting.session_opened_at is not None
    for user in (chair, vice, present):
        meeting_rules.check_in(meeting, seat(user), actor=user)
    meeting_rules.check_in(meeting, seat(proxied), actor=staff)  # the proxy checks in at the desk
    vote = electronic(item, staff)
    assert vote.entitled_count == 6
    votes.cast_ballot(vote, seat(present), YES, actor=present)
    votes.cast_ballot(vote, seat(proxied), YES, actor=proxied)  # a proxy's seat present at the opening
    for user in (absent, late):  # the seat answered 欠席, and one not yet arrived
        assert not votes.can_cast(user, vote, votes.seat_of(user, vote))
        with pytest.raises(DomainError, match="出席していなかった"):
            votes.cast_ballot(vote, seat(user), YES, actor=user)
    # a late arrival checks in; the secretariat admits the seat with a reason, never an absent one
    meeting_rules.check_in(meeting, seat(late), actor=late)
    with pytest.raises(DomainError):
        votes.admit_late_arrival(vote, seat(late), actor=staff, reason="  ")
    with pytest.raises(DomainError, match="欠席"):
        votes.admit_late_arrival(vote, seat(absent), actor=staff, reason="到着")
    with pytest.raises(Forbidden):
        votes.admit_late_arrival(vote, seat(late), actor=late, reason="到着")
    votes.admit_late_arrival(vote, seat(late), actor=staff, reason="14時10分に到着")
    votes.cast_ballot(vote, seat(late), NO, actor=late)
    admitted = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "vote.late_arrival_admitted"))
    assert admitted.data["reason"] == "14時10分に到着"
    votes.close_vote(vote, actor=staff)
    # present for quorum: the five seats there at the opening or admitted (the chair presiding), not the absent one
    assert (vote.present_count, vote.yes_count, vote.no_count, vote.outcome) == (5, 2, 1, VoteOutcome.ADOPTED)
    meeting_rules.close_session(meeting, actor=staff)
    assert meeting.status is MeetingStatus.HELD and meeting.session_closed_at is not None


def test_the_sitting_closes_only_without_an_open_vote_and_an_electronic_vote_never_opens_after_it(ctx, factory, staff):
    factory.seated("council", 3)
    meeting, item = convened_today(factory)
    meeting_rules.open_session(meeting, actor=staff)
    vote = electronic(item, staff)
    with pytest.raises(DomainError, match="受付中の表決"):
        meeting_rules.close_session(meeting, actor=staff)
    votes.cancel_vote(vote, actor=staff, reason="議事の順序を変更")
    meeting_rules.close_session(meeting, actor=staff)
    with pytest.raises(DomainError, match="開会中にだけ"):
        electronic(item, staff)
    # after the sitting the secretariat may still record a show of hands, never for a seat recorded absent
    shown = votes.open_vote(item, actor=staff, method=VoteMethod.IN_MEETING, majority=Majority.SIMPLE)
    assert shown.method is VoteMethod.IN_MEETING


def test_a_show_of_hands_recorded_afterwards_refuses_a_seat_recorded_absent(ctx, factory, staff):
    chair, vice, member, gone = factory.seated("council", 4)
    item = factory.agenda_item("council")  # a meeting held an hour ago, recorded after the fact
    db.session.add(Attendance(meeting_id=item.meeting_id, membership_id=seat(gone).id,
                              response=AttendanceResponse.ABSENT))
    vote = votes.open_vote(item, actor=staff, method=VoteMethod.IN_MEETING, majority=Majority.SIMPLE)
    with pytest.raises(DomainError, match="欠席"):
        votes.record_ballots(vote, {seat(gone).id: YES}, actor=staff)
    assert db.session.scalar(select(func.count()).select_from(Ballot).where(Ballot.vote_id == vote.id)) == 0


# ------------------------------------------------------------------------------------- the chair's role

def test_by_default_the_presiding_chair_does_not_vote_and_decides_the_tie(ctx, factory, staff):
    chair, vice, *members = factory.seated("council", 5)
    meeting, item = convened_today(factory)
    meeting_rules.open_session(meeting, actor=staff)
    for user in (chair, vice, *members):
        meeting_rules.check_in(meeting, seat(user), actor=user)
    vote = electronic(item, staff)
    assert not vote.chair_votes and vote.presiding_membership_id == seat(chair).id
    assert not votes.can_cast(chair, vote, votes.seat_of(chair, vote))
    with pytest.raises(DomainError, match="議長は表決に加わりません"):
        votes.cast_ballot(vote, seat(chair), NO, actor=chair)
    for user, choice in zip((vice, *members), (YES, NO, YES, NO)):
        votes.cast_ballot(vote, seat(user), choice, actor=user)
    votes.close_vote(vote, actor=staff)
    assert vote.state is VoteState.TIED
    with pytest.raises(Forbidden):
        votes.record_casting_vote(vote, YES, actor=vice)
    votes.record_casting_vote(vote, YES, actor=chair)
    assert vote.outcome is VoteOutcome.ADOPTED
    assert db.session.scalar(select(Ballot).where(Ballot.vote_id == vote.id, Ballot.membership_id == seat(chair).id)) is None


def test_when_the_chair_votes_as_a_member_a_tie_is_rejected_and_nobody_casts_a_deciding_vote(ctx, factory, staff):
    chair, vice, *members = factory.seated("council", 4)
    factory.committee("council").chair_votes = True
    meeting, item = convened_today(factory)
    meeting_rules.open_session(meeting, actor=staff)
    for user in (chair, vice, *members):
        meeting_rules.check_in(meeting, seat(user), actor=user)
    vote = electronic(item, staff)
    for user, choice in zip((chair, vice, *members), (NO, YES, NO, YES)):
        votes.cast_ballot(vote, seat(user), choice, actor=user)
    votes.close_vote(vote, actor=staff)
    assert (vote.state, vote.outcome, vote.casting_vote) == (VoteState.CLOSED, VoteOutcome.REJECTED, None)
    assert votes.casting_seat(chair, vote) is None


def test_an_administrator_sets_the_chair_rule_audited_and_an_open_vote_keeps_the_rule_it_opened_with(ctx, factory, staff):
    chair, vice, *members = factory.seated("council", 4)
    admin = factory.admin()
    council = factory.committee("council")
    assert council.chair_votes is False  # default: the presiding chair does not vote and decides a tie
    with pytest.raises(Forbidden):
        votes.set_chair_rule(council, actor=staff, chair_votes=True)
    with pytest.raises(Forbidden):
        votes.set_chair_rule(council, actor=chair, chair_votes=True)
    assert council.chair_votes is False
    meeting, item = convened_today(factory)
    meeting_rules.open_session(meeting, actor=staff)
    for user in (chair, vice, *members):
        meeting_rules.check_in(meeting, seat(user), actor=user)
    vote = electronic(item, staff)  # opened under the default rule
    votes.set_chair_rule(council, actor=admin, chair_votes=True)
    assert council.chair_votes is True
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "committee.chair_rule_set")))
    assert len(events) == 1 and events[0].actor_id == admin.id
    assert events[0].data["before"] == votes.chair_rule_label(False) and "地方自治法第116条" in events[0].data["before"]
    assert events[0].data["after"] == votes.chair_rule_label(True) and "否決" in events[0].data["after"]
    votes.set_chair_rule(council, actor=admin, chair_votes=True)  # unchanged: nothing recorded
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "committee.chair_rule_set")) == 1
    # the open vote keeps the rule it opened with: the chair still does not vote and decides the tie
    assert not vote.chair_votes
    with pytest.raises(DomainError, match="議長は表決に加わりません"):
        votes.cast_ballot(vote, seat(chair), NO, actor=chair)
    for user, choice in zip((vice, *members), (YES, NO, YES, NO)[:3]):
        votes.cast_ballot(vote, seat(user), choice, actor=user)
    votes.cancel_vote(vote, actor=staff, reason="設定変更の確認")
    # a vote opened after the change follows it: the chair casts as a member and a tie is 否決
    second = electronic(item, staff)
    assert second.chair_votes
    for user, choice in zip((chair, vice, *members), (NO, YES, NO, YES)):
        votes.cast_ballot(second, seat(user), choice, actor=user)
    votes.close_vote(second, actor=staff)
    assert (second.state, second.outcome, second.casting_vote) == (VoteState.CLOSED, VoteOutcome.REJECTED, None)
    votes.set_chair_rule(council, actor=admin, chair_votes=False)
    assert council.chair_votes is False
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "committee.chair_rule_set")) == 2


def test_an_absent_chair_leaves_the_chair_to_the_vice_chair_under_the_same_rule(ctx, factory, staff):
    chair, vice, *members = factory.seated("council", 5)
    meeting, item = convened_today(factory)
    meeting_rules.open_session(meeting, actor=staff)
    for user in (vice, *members):  # the chair never checks in
        meeting_rules.check_in(meeting, seat(user), actor=user)
    vote = electronic(item, staff)
    assert vote.presiding_membership_id == seat(vice).id
    with pytest.raises(DomainError, match="議長は表決に加わりません"):
        votes.cast_ballot(vote, seat(vice), YES, actor=vice)
    for user, choice in zip(members, (YES, NO)):
        votes.cast_ballot(vote, seat(user), choice, actor=user)
    votes.close_vote(vote, actor=staff)
    assert vote.state is VoteState.TIED
    with pytest.raises(Forbidden):
        votes.record_casting_vote(vote, YES, actor=chair)
    votes.record_casting_vote(vote, NO, actor=vice)
    assert vote.outcome is VoteOutcome.REJECTED


# ---------------------------------------------------------------------------------- ballots are the seat's own

def test_the_secretariat_never_records_over_a_seats_own_ballot_and_a_correction_needs_a_reason(ctx, factory, staff):
    chair, vice, member = factory.seated("council", 3)
    meeting, item = convened_today(factory)
    meeting_rules.open_session(meeting, actor=staff)
    for user in (chair, vice, member):
        meeting_rules.check_in(meeting, seat(user), actor=user)
    vote = electronic(item, staff)
    votes.cast_ballot(vote, seat(member), YES, actor=member)
    with pytest.raises(DomainError, match="電子表決"):
        votes.cast_ballot(vote, seat(member), NO, actor=staff)
    with pytest.raises(DomainError):
        votes.record_ballots(vote, {seat(vice).id: NO}, actor=staff)
    assert db.session.scalar(select(Ballot.choice).where(Ballot.membership_id == seat(member).id)) is YES
    votes.cancel_vote(vote, actor=staff, reason="挙手に切り替え")
    written = votes.open_vote(item, actor=staff, method=VoteMethod.WRITTEN, majority=Majority.SIMPLE,
                              closes_at=utcnow() + timedelta(days=3))
    votes.cast_ballot(written, seat(member), YES, actor=member)
    with pytest.raises(DomainError, match="自分で投じた票"):
        votes.cast_ballot(written, seat(member), NO, actor=staff)
    with pytest.raises(DomainError, match="自分で投じた票"):
        votes.withdraw_ballot(written, seat(member), actor=staff, reason="誤り")
    votes.cast_ballot(written, seat(vice), NO, actor=staff)  # a paper 書面 received for a seat that had not answered
    with pytest.raises(DomainError, match="訂正する理由"):
        votes.record_ballots(written, {seat(vice).id: YES}, actor=staff)
    votes.record_ballots(written, {seat(vice).id: YES}, actor=staff, reason="書面の読み違い")
    db.session.commit()  # a ballot's audit row is written by the commit (audit.record_at_commit)
    changed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "ballot.changed"))
    assert changed.data["reason"] == "書面の読み違い" and changed.data["before"] == "no" and changed.data["after"] == "yes"


# ----------------------------------------------------------------------------------- approval needs the review

@pytest.fixture()
def review(ctx, factory, staff):
    chair = factory.member("planning", "さいたま市", role="chair")
    members = [factory.member("planning", body) for body in ("川越市", "熊谷市")]
    meeting = factory.meeting("planning", status="held", agenda=1)
    minutes = db.session.get(Minutes, factory.minutes(meeting, status="in_review").id)
    return minutes, db.session.get(User, chair.id), [db.session.get(User, m.id) for m in members]


def test_approval_before_the_deadline_needs_every_no_objection_or_a_reason(review, staff):
    minutes, chair, members = review
    early = minutes.review_deadline - timedelta(days=1)
    with pytest.raises(DomainError, match="理由"):
        minutes_rules.approve(minutes, actor=chair, now=early)
    assert minutes.status is MinutesStatus.IN_REVIEW
    version = minutes_rules.approve(minutes, actor=chair, reason="次回会議に間に合わせるため", now=early)
    assert version.approval_reason == "次回会議に間に合わせるため"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "minutes.approved"))
    assert event.data["early_reason"] == "次回会議に間に合わせるため"


def test_approval_at_the_deadline_exactly_or_with_every_seat_needs_no_reason(review, staff):
    minutes, chair, members = review
    version = minutes_rules.approve(minutes, actor=chair, now=minutes.review_deadline)  # exactly now: passed
    assert version.approval_reason == "" and minutes.status is MinutesStatus.APPROVED


def test_every_seat_marking_no_objection_allows_approval_and_rounds_are_kept(review, staff):
    minutes, chair, members = review
    early = minutes.review_deadline - timedelta(days=2)
    for user in (chair, *members):
        minutes_rules.mark_no_objection(minutes, actor=user)
    assert minutes_rules.review_complete(minutes, now=early)
    minutes_rules.return_to_draft(minutes, actor=staff)
    minutes_rules.open_review(minutes, actor=staff, deadline=utcnow() + timedelta(days=5))
    minutes_rules.mark_no_objection(minutes, actor=members[0])
    rounds = [(r.number, r.marked, r.seats) for r in minutes_rules.review_rounds(minutes)]
    assert rounds == [(1, 3, 3), (2, 1, 3)]  # round 1 kept: 3/3 異議なし; round 2 under way
    assert not minutes_rules.review_complete(minutes, now=early)
    with pytest.raises(DomainError):
        minutes_rules.approve(minutes, actor=chair, now=early)


# -------------------------------------------------------------------------------- every transition happens once

def test_a_repeated_transition_is_a_conflict_and_changes_nothing(ctx, factory, staff):
    author = factory.member("planning", "川越市")
    proposal = db.session.get(Proposal, factory.proposal(author, status="submitted").id)
    proposal_rules.accept(proposal, actor=staff)
    with pytest.raises(Conflict, match="すでに受理されています"):
        proposal_rules.accept(proposal, actor=staff)
    meeting = db.session.get(Meeting, factory.meeting("planning").id)
    meeting_rules.convene(meeting, actor=staff)
    with pytest.raises(Conflict, match="すでに招集されています"):
        meeting_rules.convene(meeting, actor=staff)
    meeting_rules.cancel(meeting, actor=staff, reason="台風のため")
    with pytest.raises(Conflict, match="すでに中止されています"):
        meeting_rules.cancel(meeting, actor=staff, reason="台風のため")
    actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.in_(
        ["proposal.accepted", "meeting.convened", "meeting.cancelled"]))))
    assert sorted(actions) == ["meeting.cancelled", "meeting.convened", "proposal.accepted"]


def _race(app, target, n=8):
    """Run target(session objects) from n threads at once, each in its own app context; outcome per thread."""
    barrier = threading.Barrier(n)
    outcomes = [None] * n

    def run(index):
        with app.app_context():
            try:
                act = target()
                barrier.wait()
                act()
                db.session.commit()
                outcomes[index] = "done"
            except Conflict:
                db.session.rollback()
                outcomes[index] = "conflict"
            except Exception as error:  # anything else is a failure of the rule
                db.session.rollback()
                outcomes[index] = repr(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_each_transition_fired_from_8_threads_happens_once(app, backend, factory):
    """PostgreSQL: accept, return, schedule, convene, postpone, cancel, open/close a vote, the casting vote,
    approve, publish — each fired by 8 simultaneous requests: one transition, one audit row, one notice, one serial."""
    if backend != "postgresql":
        pytest.skip("the concurrency test runs on PostgreSQL")
    staff_id = factory.secretariat().id
    chair = factory.member("planning", "さいたま市", role="chair")
    author = factory.member("planning", "川越市")
    voters = [factory.member("planning", body) for body in ("熊谷市", "川口市")]

    def staff():
        return db.session.get(User, staff_id)

    def check(outcomes, action, object_id, *, notices=True):
        assert sorted(outcomes) == ["conflict"] * 7 + ["done"], (action, outcomes)
        with app.app_context():
            assert _count(AuditEvent, AuditEvent.action == action, AuditEvent.object_id == object_id) == 1, action
            if notices:  # no recipient told twice of the same change
                per_recipient = db.session.execute(
                    select(Notification.recipient_id, Notification.kind, Notification.due_at, func.count()).where(
                        Notification.object_id == object_id)
                    .group_by(Notification.recipient_id, Notification.kind, Notification.due_at)
                ).all()
                assert all(n == 1 for *_, n in per_recipient), (action, per_recipient)

    # proposals: accept (one serial), return, schedule
    accepted = factory.proposal(author, status="submitted")
    check(_race(app, lambda: (lambda p=db.session.get(Proposal, accepted.id): proposal_rules.accept(p, actor=staff()))),
          "proposal.accepted", accepted.id)
    with app.app_context():
        assert db.session.get(Proposal, accepted.id).serial == 1
        assert db.session.scalar(select(func.max(Proposal.serial))) == 1  # no burned serial
    returned = factory.proposal(author, status="submitted")
    check(_race(app, lambda: (lambda p=db.session.get(Proposal, returned.id):
                              proposal_rules.return_to_submitter(p, actor=staff(), reason="資料不足"))),
          "proposal.returned", returned.id)
    target = factory.meeting("planning", status="convened")
    scheduled = factory.proposal(author, status="accepted")
    check(_race(app, lambda: (lambda p=db.session.get(Proposal, scheduled.id), m=db.session.get(Meeting, target.id):
                              proposal_rules.schedule(p, m, actor=staff()))),
          "proposal.scheduled", scheduled.id)

    # meetings: convene, postpone, cancel
    draft = factory.meeting("planning")
    check(_race(app, lambda: (lambda m=db.session.get(Meeting, draft.id): meeting_rules.convene(m, actor=staff()))),
          "meeting.convened", draft.id)
    new_start = (draft.starts_at + timedelta(days=7))
    check(_race(app, lambda: (lambda m=db.session.get(Meeting, draft.id): meeting_rules.postpone(
        m, actor=staff(), starts_at=new_start, ends_at=new_start + timedelta(hours=2), reason="会場の都合"))),
          "meeting.postponed", draft.id)
    check(_race(app, lambda: (lambda m=db.session.get(Meeting, draft.id):
                              meeting_rules.cancel(m, actor=staff(), reason="台風のため"))),
          "meeting.cancelled", draft.id)

    # votes: open, close (a tie), the casting vote
    item_id = factory.agenda_item("planning").id
    outcomes = _race(app, lambda: (lambda i=db.session.get(AgendaItem, item_id): votes.open_vote(
        i, actor=staff(), method=VoteMethod.IN_MEETING, majority=Majority.SIMPLE)))
    assert sorted(outcomes) == ["conflict"] * 7 + ["done"], outcomes
    with app.app_context():
        vote_id = db.session.scalar(select(Vote.id).where(Vote.agenda_item_id == item_id))
        assert _count(Vote, Vote.agenda_item_id == item_id) == 1
        assert _count(AuditEvent, AuditEvent.action == "vote.opened") == 1
        vote = db.session.get(Vote, vote_id)
        votes.record_ballots(vote, {db.session.scalar(select(Membership.id).where(Membership.user_id == v.id)): c
                                    for v, c in zip([author, *voters], (ABSTAIN, YES, NO))}, actor=staff())
        db.session.commit()
    check(_race(app, lambda: (lambda v=db.session.get(Vote, vote_id): votes.close_vote(v, actor=staff()))),
          "vote.tied", vote_id, notices=False)
    chair_id = chair.id
    check(_race(app, lambda: (lambda v=db.session.get(Vote, vote_id):
                              votes.record_casting_vote(v, YES, actor=db.session.get(User, chair_id)))),
          "vote.casting_vote", vote_id)

    # minutes: approve, publish
    held = factory.meeting("planning", status="held", agenda=1)
    minutes_id = factory.minutes(held, status="in_review").id
    with app.app_context():
        deadline = db.session.get(Minutes, minutes_id).review_deadline
    check(_race(app, lambda: (lambda m=db.session.get(Minutes, minutes_id): minutes_rules.approve(
        m, actor=db.session.get(User, chair_id), now=deadline))), "minutes.approved", minutes_id)
    check(_race(app, lambda: (lambda m=db.session.get(Minutes, minutes_id): minutes_rules.publish(m, actor=staff()))),
          "minutes.published", minutes_id)


# ------------------------------------------------------------------------------ postponement, bad dates

def test_a_postponement_to_another_day_asks_attendance_again_and_keeps_the_old_answers(ctx, factory, staff):
    chair, member = factory.seated("council", 2)
    meeting = db.session.get(Meeting, factory.meeting("council", status="convened").id)
    meeting_rules.answer_attendance(meeting, seat(member), actor=member, response=AttendanceResponse.ATTEND)
    old = meeting.starts_at
    later_same_day = old + timedelta(hours=1)
    meeting_rules.postpone(meeting, actor=staff, starts_at=later_same_day, ends_at=later_same_day + timedelta(hours=2),
                           reason="会場の都合")
    answer = db.session.scalar(select(Attendance).where(Attendance.membership_id == seat(member).id))
    assert answer.response is AttendanceResponse.ATTEND  # moved within the same day: the answer stands
    next_week = old + timedelta(days=7)
    sequence = meeting.sequence
    meeting_rules.postpone(meeting, actor=staff, starts_at=next_week, ends_at=next_week + timedelta(hours=2),
                           reason="議案の準備のため")
    assert meeting.sequence == sequence + 1 and meeting.original_starts_at == old
    assert answer.response is AttendanceResponse.UNDECIDED and answer.answered_at is None
    history = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "attendance.asked_again"))
    assert history.data["before"]["response"] == "attend"
    from liaison.models import NotificationKind
    from liaison.notify import content
    subject, body = content.meeting_notice(NotificationKind.MEETING_CHANGED, meeting)
    assert subject.startswith("【延期】") and "延期" in subject and "議案の準備のため" in body
    assert "出欠を改めてご回答ください" in body
    with pytest.raises(Conflict):  # the same postponement twice
        meeting_rules.postpone(meeting, actor=staff, starts_at=next_week, ends_at=next_week + timedelta(hours=2))


def test_a_date_of_9999_is_refused_with_a_message_not_a_crash(ctx, factory, staff):
    from datetime import datetime

    far = datetime(9999, 12, 31, 5, 0, tzinfo=TOKYO)
    with pytest.raises(DomainError, match="2100年まで"):
        meeting_rules.create_meeting(factory.committee("council"), actor=staff, starts_at=far,
                                     ends_at=far + timedelta(hours=2), format=meeting_rules.MeetingFormat.IN_PERSON,
                                     place="会議室")
    assert meeting_rules.day_off_warning(far) is None or isinstance(meeting_rules.day_off_warning(far), str)
