"""Notifications about proposals, votes and minutes, and the deadline reminders of meetings, votes and minutes:
the rows the producers write (in the change's transaction), what the sender skips, the mails over real SMTP."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from liaison.dates import to_tokyo, utcnow
from liaison.domain import meetings as meeting_rules
from liaison.domain import memberships as membership_rules
from liaison.domain import minutes as minutes_rules
from liaison.domain import proposals as proposal_rules
from liaison.domain import votes as vote_rules
from liaison.domain import DomainError
from liaison.extensions import db
from liaison.models import (
    AgendaItem, Choice, Committee, Majority, Meeting, Membership, Minutes, NotificationKind, NotificationState,
    Proposal, User, Vote, VoteMethod,
)
from liaison.notify import claims, decision_notices, producers, sender

from ..notify_support import at_tokyo, mailbox, rows, smtp_config  # noqa: F401  (fixtures)

K = NotificationKind
BODIES = ("川越市", "熊谷市", "川口市")


def seat_of(user) -> Membership:
    return db.session.scalar(select(Membership).where(Membership.user_id == user.id, Membership.ended_at.is_(None)))


def mail_text(message) -> str:
    return message.get_body(("plain",)).get_content()


def assert_japanese_mail(mailbox, prefix: str, path: str) -> None:
    """Every mail received has the Japanese subject (RFC 2047 on the wire), the page link in text and HTML."""
    assert mailbox.envelopes
    for envelope, message in zip(mailbox.envelopes, mailbox.messages):
        raw_headers = envelope.content.split(b"\r\n\r\n", 1)[0].decode("ascii")
        assert "Subject: =?utf-8?" in raw_headers
        assert message["Subject"].startswith(prefix), message["Subject"]
        assert f"http://liaison.test{path}" in mail_text(message)
        assert f'href="http://liaison.test{path}"' in message.get_body(("html",)).get_content()


@pytest.fixture()
def staff(ctx, factory):
    return db.session.get(User, factory.secretariat().id)


@pytest.fixture()
def members(ctx, factory):
    """Three seat holders of 企画運営部会 (the first one chairs)."""
    roles = ("chair", "member", "member")
    seated = [db.session.get(User, factory.member("planning", body, role=role).id) for body, role in zip(BODIES, roles)]
    factory.committee("planning").chair_votes = True  # every seat votes here; the chair's rule has its own tests
    db.session.flush()
    return seated


# --- proposals ---------------------------------------------------------------------------------------

def test_a_returned_proposal_tells_the_submitter_and_the_seats_new_holder_with_the_reason(members, staff, factory,
                                                                                              mailbox):
    author = members[1]
    proposal = db.session.get(Proposal, factory.proposal(author, status="submitted").id)
    # 人事異動 mid-year: the 熊谷市 seat passes to a successor; the author still hears of the proposal.
    membership_rules.end(seat_of(author), actor=db.session.get(User, factory.admin().id))
    successor = db.session.get(User, factory.member("planning", "熊谷市").id)
    proposal_rules.return_to_submitter(proposal, actor=staff, reason="所要経費の積算根拠を追記してください。")
    returned = rows(K.PROPOSAL_RETURNED)  # written with the change, before the commit
    db.session.commit()

    assert sorted(n.recipient_id for n in returned) == sorted([author.id, successor.id])
    assert returned[0].link == f"/planning/proposals/{proposal.id}"
    assert all(n.state is NotificationState.PENDING and n.due_at <= utcnow() for n in returned)

    assert sender.run_pass().count(sender.Outcome.SENT) == 2
    assert mailbox.recipients() == sorted([author.email, successor.email])
    assert_japanese_mail(mailbox, "【差戻し】提案「デジタル人材の育成に関する共同研修」", f"/planning/proposals/{proposal.id}")
    assert "所要経費の積算根拠を追記してください。" in mail_text(mailbox.messages[0])
    assert sender.run_pass().outcomes == {}


def test_returning_twice_sends_two_notices_and_a_rolled_back_return_none(members, staff, factory, mailbox):
    author = members[0]
    proposal = db.session.get(Proposal, factory.proposal(author, status="submitted").id)
    proposal_rules.return_to_submitter(proposal, actor=staff, reason="一回目")
    db.session.rollback()  # the request failed after returning
    assert rows() == []

    proposal = db.session.get(Proposal, proposal.id)
    proposal_rules.return_to_submitter(proposal, actor=staff, reason="一回目")
    db.session.commit()
    proposal_rules.submit(proposal, actor=author)
    proposal_rules.return_to_submitter(proposal, actor=staff, reason="二回目")
    db.session.commit()
    sender.run_pass()
    texts = [mail_text(m) for m in mailbox.messages]
    assert len(texts) == 2 and "一回目" in texts[0] and "二回目" in texts[1]


def test_accepted_and_scheduled_proposals_tell_the_submitting_seat(members, staff, factory, mailbox):
    author = members[2]
    proposal = db.session.get(Proposal, factory.proposal(author, status="submitted").id)
    proposal_rules.accept(proposal, actor=staff)
    db.session.commit()
    [accepted] = rows(K.PROPOSAL_ACCEPTED)
    assert accepted.recipient_id == author.id and proposal.number in accepted.subject
    sender.run_pass()
    assert_japanese_mail(mailbox, "【受理】提案「", f"/planning/proposals/{proposal.id}")

    mailbox.envelopes.clear()
    meeting = db.session.get(Meeting, factory.meeting("planning", status="convened").id)
    sender.run_pass()  # the meeting's convocations
    mailbox.envelopes.clear()
    proposal_rules.schedule(proposal, meeting, actor=staff)
    db.session.commit()
    assert [n.recipient_id for n in rows(K.PROPOSAL_SCHEDULED)] == [author.id]
    sender.run_pass(utcnow() + timedelta(minutes=6))  # the agenda change notices wait a few minutes
    scheduled = [m for m in mailbox.messages if m["Subject"].startswith("【議事に掲載】")]
    assert len(scheduled) == 1 and scheduled[0]["To"].addresses[0].addr_spec == author.email
    text = mail_text(scheduled[0])
    assert meeting_rules.meeting_name(meeting) in text and f"/planning/meetings/{meeting.id}" in text
    assert f"http://liaison.test/planning/proposals/{proposal.id}" in text


def test_a_return_recorded_after_the_fact_is_not_news(members, staff, factory):
    proposal = db.session.get(Proposal, factory.proposal(members[0], status="submitted").id)
    proposal_rules.return_to_submitter(proposal, actor=staff, reason="理由", now=utcnow() - timedelta(days=30))
    db.session.commit()
    assert rows(K.PROPOSAL_RETURNED) == []


# --- votes -------------------------------------------------------------------------------------------

def planning_item(factory, status="held") -> AgendaItem:
    return db.session.get(AgendaItem, factory.agenda_item("planning", status=status).id)


def open_written(item, staff, closes_at, **settings) -> Vote:
    return vote_rules.open_vote(item, actor=staff, method=VoteMethod.WRITTEN, majority=Majority.SIMPLE,
                                closes_at=closes_at, **settings)


def test_the_vote_result_goes_to_the_committees_seat_holders_with_the_tallies(members, staff, factory, mailbox):
    item = planning_item(factory)
    vote = vote_rules.open_vote(item, actor=staff, method=VoteMethod.IN_MEETING, majority=Majority.SIMPLE)
    vote_rules.record_ballots(vote, {seat_of(members[0]).id: Choice.YES, seat_of(members[1]).id: Choice.YES,
                                     seat_of(members[2]).id: Choice.NO}, actor=staff)
    vote_rules.close_vote(vote, actor=staff)
    db.session.commit()
    results = rows(K.VOTE_RESULT)
    assert sorted(n.recipient_id for n in results) == sorted(m.id for m in members)

    sender.run_pass()
    assert_japanese_mail(mailbox, f"【表決結果】{item.title}: 可決", f"/planning/votes/{vote.id}")
    text = mail_text(mailbox.messages[0])
    assert "賛成 2、反対 1、棄権 0、投票なし 0" in text and "出席: 3議席" in text
    assert sender.run_pass().outcomes == {}


def test_a_secret_votes_result_gives_the_outcome_but_no_breakdown(members, staff, factory, mailbox):
    item = planning_item(factory)
    factory.sitting(item.meeting)  # an electronic vote belongs to the sitting
    vote = vote_rules.open_vote(item, actor=staff, method=VoteMethod.ELECTRONIC, majority=Majority.SIMPLE, secret=True)
    for member, choice in zip(members, (Choice.YES, Choice.NO, Choice.NO)):
        vote_rules.cast_ballot(vote, seat_of(member), choice, actor=member)
    vote_rules.close_vote(vote, actor=staff)
    db.session.commit()
    sender.run_pass()
    assert len(mailbox.messages) == len(members)
    text = mail_text(mailbox.messages[0])
    assert mailbox.messages[0]["Subject"].endswith(": 否決")
    assert "無記名" in text and "賛成" not in text and "反対" not in text


def test_written_vote_reminders_two_days_before_and_on_the_day_at_nine(members, staff, factory):
    closes_at = at_tokyo(to_tokyo(utcnow()).date() + timedelta(days=6), 17)
    vote = open_written(planning_item(factory, status="convened"), staff, closes_at)
    db.session.commit()
    reminders = rows(K.VOTE_DEADLINE)
    closing_day = to_tokyo(closes_at).date()
    assert sorted({n.due_at for n in reminders}) == [at_tokyo(closing_day - timedelta(days=2)), at_tokyo(closing_day)]
    assert sorted({n.recipient_id for n in reminders}) == sorted(m.id for m in members)
    assert all(n.expires_at == closes_at and n.link == f"/planning/votes/{vote.id}" for n in reminders)
    assert all(n.subject.startswith(f"【書面表決のお願い】{vote.agenda_item.title}(締切 令和") for n in reminders)


def test_a_seat_that_has_voted_gets_no_written_vote_reminder(members, staff, factory, mailbox):
    closes_at = at_tokyo(to_tokyo(utcnow()).date() + timedelta(days=6), 17)
    vote = open_written(planning_item(factory, status="convened"), staff, closes_at)
    db.session.commit()
    voter = members[0]
    vote_rules.cast_ballot(vote, seat_of(voter), Choice.YES, actor=voter)
    db.session.commit()

    first_due = at_tokyo(to_tokyo(closes_at).date() - timedelta(days=2))
    result = sender.run_pass(first_due + timedelta(minutes=1))
    assert result.count(sender.Outcome.SENT) == 2 and result.count(sender.Outcome.VOIDED) == 1
    assert mailbox.recipients() == sorted(m.email for m in members[1:])
    assert_japanese_mail(mailbox, "【書面表決のお願い】", f"/planning/votes/{vote.id}")
    assert "締切まであと2日です" in mail_text(mailbox.messages[0])
    skipped = [n for n in rows(K.VOTE_DEADLINE) if n.recipient_id == voter.id and n.due_at == first_due]
    assert skipped[0].state is NotificationState.VOID and skipped[0].last_error == "ballot cast"

    # One more seat votes before the closing day (its ballot recorded by the secretariat): one reminder left.
    vote_rules.record_ballots(vote, {seat_of(members[1]).id: Choice.NO}, actor=staff)
    db.session.commit()
    mailbox.envelopes.clear()
    sender.run_pass(at_tokyo(to_tokyo(closes_at).date()) + timedelta(minutes=1))
    assert mailbox.recipients() == [members[2].email]
    assert "本日が締切です" in mail_text(mailbox.messages[0])


def test_a_written_vote_that_opens_late_reminds_when_it_opens_once_for_both_times(staff, members, factory):
    start = to_tokyo(utcnow()).date() + timedelta(days=5)
    two_days = Vote(method=VoteMethod.WRITTEN, opens_at=at_tokyo(start, 12), closes_at=at_tokyo(start + timedelta(days=1), 17))
    assert decision_notices.vote_reminder_times(two_days, utcnow()) == {
        at_tokyo(start, 12): 2, at_tokyo(start + timedelta(days=1)): 0
    }
    same_day = Vote(method=VoteMethod.WRITTEN, opens_at=at_tokyo(start, 12), closes_at=at_tokyo(start, 17))
    assert decision_notices.vote_reminder_times(same_day, utcnow()) == {at_tokyo(start, 12): 0}
    in_meeting = Vote(method=VoteMethod.ELECTRONIC)
    assert decision_notices.vote_reminder_times(in_meeting, utcnow()) == {}


def test_closing_or_cancelling_a_written_vote_voids_its_reminders(members, staff, factory, mailbox):
    closes_at = at_tokyo(to_tokyo(utcnow()).date() + timedelta(days=6), 17)
    cancelled = open_written(planning_item(factory, status="convened"), staff, closes_at)
    vote_rules.cancel_vote(cancelled, actor=staff, reason="議案の差替えのため")
    db.session.commit()
    assert {n.state for n in rows(K.VOTE_DEADLINE)} == {NotificationState.VOID}

    closed = open_written(planning_item(factory, status="convened"), staff, closes_at)
    for member in members:  # every seat answered: the secretariat may close before the deadline
        vote_rules.cast_ballot(closed, seat_of(member), Choice.YES, actor=member)
    vote_rules.close_vote(closed, actor=staff)
    db.session.commit()
    assert all(n.state is NotificationState.VOID for n in rows(K.VOTE_DEADLINE))
    assert len(rows(K.VOTE_RESULT, NotificationState.PENDING)) == len(members)
    sender.run_pass(closes_at - timedelta(hours=1))
    assert [m["Subject"][:6] for m in mailbox.messages] == ["【表決結果】"] * len(members)


# --- minutes -----------------------------------------------------------------------------------------

def in_review(factory, staff, deadline) -> Minutes:
    meeting = db.session.get(Meeting, factory.meeting("planning", status="held").id)
    minutes = minutes_rules.create(meeting, actor=staff)
    minutes_rules.open_review(minutes, actor=staff, deadline=deadline)
    db.session.commit()
    return minutes


def test_opening_review_asks_the_members_and_reminds_those_who_have_not_reviewed(members, staff, factory, mailbox):
    deadline = at_tokyo(to_tokyo(utcnow()).date() + timedelta(days=5), 17)
    minutes = in_review(factory, staff, deadline)
    path = f"/planning/meetings/{minutes.meeting_id}/minutes"
    asked = rows(K.MINUTES_REVIEW)
    assert sorted(n.recipient_id for n in asked) == sorted(m.id for m in members)
    reminders = rows(K.MINUTES_REVIEW_DEADLINE)
    assert {n.due_at for n in reminders} == {at_tokyo(to_tokyo(deadline).date() - timedelta(days=1))}

    sender.run_pass()
    assert_japanese_mail(mailbox, "【議事録の確認依頼】令和", path)
    assert "確認の期限: 令和" in mail_text(mailbox.messages[0])

    minutes_rules.mark_no_objection(minutes, actor=members[0])
    db.session.commit()
    mailbox.envelopes.clear()
    sender.run_pass(reminders[0].due_at + timedelta(minutes=1))
    assert mailbox.recipients() == sorted(m.email for m in members[1:])
    assert_japanese_mail(mailbox, "【議事録確認のお願い】", path)
    assert "明日が締切です" in mail_text(mailbox.messages[0])
    voided = [n for n in rows(K.MINUTES_REVIEW_DEADLINE) if n.recipient_id == members[0].id]
    assert voided[0].state is NotificationState.VOID and voided[0].last_error == "minutes reviewed"


def test_approval_ends_the_reminders_and_publication_tells_the_members(members, staff, factory, mailbox):
    deadline = at_tokyo(to_tokyo(utcnow()).date() + timedelta(days=5), 17)
    minutes = in_review(factory, staff, deadline)
    sender.run_pass()
    mailbox.envelopes.clear()
    minutes_rules.approve(minutes, actor=members[0], now=deadline)  # the chair, once the review deadline has come
    db.session.commit()
    assert all(n.state is NotificationState.VOID for n in rows(K.MINUTES_REVIEW_DEADLINE))
    assert rows(K.MINUTES_PUBLISHED) == []

    minutes_rules.publish(minutes, actor=staff)
    db.session.commit()
    assert sorted(n.recipient_id for n in rows(K.MINUTES_PUBLISHED)) == sorted(m.id for m in members)
    assert sender.run_pass().count(sender.Outcome.SENT) == len(members)
    assert_japanese_mail(mailbox, "【議事録公開】令和", f"/planning/meetings/{minutes.meeting_id}/minutes")
    assert sender.run_pass().outcomes == {}


def test_a_review_taken_back_to_draft_sends_no_reminder_and_reopening_plans_new_ones(members, staff, factory,
                                                                                      mailbox):
    first_deadline = at_tokyo(to_tokyo(utcnow()).date() + timedelta(days=5), 17)
    minutes = in_review(factory, staff, first_deadline)
    sender.run_pass()
    minutes_rules.return_to_draft(minutes, actor=staff)
    db.session.commit()
    mailbox.envelopes.clear()
    old_due = rows(K.MINUTES_REVIEW_DEADLINE)[0].due_at
    sender.run_pass(old_due + timedelta(minutes=1))
    assert mailbox.envelopes == []  # in draft: the reminders are skipped at send time

    minutes = db.session.get(Minutes, minutes.id)
    minutes_rules.open_review(minutes, actor=staff, deadline=first_deadline + timedelta(days=7),
                              now=old_due + timedelta(minutes=2))
    db.session.commit()
    pending = rows(K.MINUTES_REVIEW_DEADLINE, NotificationState.PENDING)
    assert len(pending) == len(members)
    assert {n.due_at for n in pending} == {at_tokyo(to_tokyo(first_deadline).date() + timedelta(days=6))}


# --- the meeting's proposal deadline, and deadline-only edits ------------------------------------------

def convened_with_deadlines(factory, days_ahead=20) -> Meeting:
    day = to_tokyo(utcnow()).date() + timedelta(days=days_ahead)
    return db.session.get(Meeting, factory.meeting(
        "planning", status="convened", starts_at=at_tokyo(day, 14),
        proposal_deadline=at_tokyo(day - timedelta(days=10), 17), answer_deadline=at_tokyo(day - timedelta(days=5), 17),
    ).id)


def test_the_proposal_deadline_reminder_goes_to_the_voting_seats_three_days_before(members, factory, mailbox):
    observer = factory.member("planning", "所沢市", role="observer")
    meeting = convened_with_deadlines(factory)
    reminders = rows(K.PROPOSAL_DEADLINE)
    assert sorted(n.recipient_id for n in reminders) == sorted(m.id for m in members)  # not the observer
    assert observer.id not in {n.recipient_id for n in reminders}
    deadline_day = to_tokyo(meeting.proposal_deadline).date()
    assert {n.due_at for n in reminders} == {at_tokyo(deadline_day - timedelta(days=3))}

    sender.run_pass()  # convocations
    mailbox.envelopes.clear()
    sender.run_pass(reminders[0].due_at + timedelta(minutes=1))
    assert_japanese_mail(mailbox, "【提案締切のお知らせ】令和", f"/planning/meetings/{meeting.id}")
    assert "http://liaison.test/planning/proposals/new" in mail_text(mailbox.messages[0])
    assert mailbox.messages[0].get_content_type() == "multipart/mixed"  # the meeting's .ics is attached


def test_changing_only_a_deadline_replans_its_reminders_without_a_change_notice(members, staff, factory):
    meeting = convened_with_deadlines(factory)
    old = {n.id for n in rows(K.PROPOSAL_DEADLINE)}
    old_answer = {n.id for n in rows(K.ATTENDANCE_DEADLINE)}
    new_deadline = meeting.proposal_deadline + timedelta(days=3)
    meeting_rules.update_meeting(
        meeting, actor=staff, starts_at=meeting.starts_at, ends_at=meeting.ends_at, format=meeting.format,
        place=meeting.place, online_url=meeting.online_url, title=meeting.title,
        answer_deadline=meeting.answer_deadline, proposal_deadline=new_deadline, notes=meeting.notes,
    )
    db.session.commit()
    assert {n.id for n in rows(K.PROPOSAL_DEADLINE, NotificationState.VOID)} == old
    fresh = rows(K.PROPOSAL_DEADLINE, NotificationState.PENDING)
    assert len(fresh) == len(members)
    assert {n.due_at for n in fresh} == {at_tokyo(to_tokyo(new_deadline).date() - timedelta(days=3))}
    assert {n.id for n in rows(K.ATTENDANCE_DEADLINE, NotificationState.PENDING)} == old_answer  # untouched
    assert rows(K.MEETING_CHANGED) == []

    meeting_rules.update_meeting(
        meeting, actor=staff, starts_at=meeting.starts_at, ends_at=meeting.ends_at, format=meeting.format,
        place=meeting.place, online_url=meeting.online_url, title=meeting.title,
        answer_deadline=meeting.answer_deadline - timedelta(days=2), proposal_deadline=new_deadline, notes=meeting.notes,
    )
    db.session.commit()
    assert {n.id for n in rows(K.ATTENDANCE_DEADLINE, NotificationState.VOID)} == old_answer
    assert len(rows(K.ATTENDANCE_DEADLINE, NotificationState.PENDING)) == len(members)
    assert rows(K.MEETING_CHANGED) == []


# --- exactly once, with the new kinds ------------------------------------------------------------------

def test_two_concurrent_passes_deliver_each_new_notice_once(members, staff, factory, mailbox, app):
    proposal = db.session.get(Proposal, factory.proposal(members[0], status="submitted").id)
    proposal_rules.accept(proposal, actor=staff)
    item = planning_item(factory)
    vote = vote_rules.open_vote(item, actor=staff, method=VoteMethod.IN_MEETING, majority=Majority.SIMPLE)
    vote_rules.record_ballots(vote, {seat_of(m).id: Choice.YES for m in members}, actor=staff)
    vote_rules.close_vote(vote, actor=staff)
    db.session.commit()
    expected = 1 + len(members)
    results = []

    def one_pass():
        with app.app_context():
            results.append(sender.run_pass())

    threads = [threading.Thread(target=one_pass) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.count(sender.Outcome.SENT) for r in results) == expected
    assert len(mailbox.envelopes) == expected
    assert len({m["Message-ID"] for m in mailbox.messages}) == expected
    assert sender.run_pass().outcomes == {}


def test_a_reminder_claimed_by_a_crashed_sender_goes_out_once_after_the_timeout(members, staff, factory, mailbox):
    closes_at = at_tokyo(to_tokyo(utcnow()).date() + timedelta(days=6), 17)
    open_written(planning_item(factory, status="convened"), staff, closes_at)
    db.session.commit()
    due = at_tokyo(to_tokyo(closes_at).date() - timedelta(days=2))
    crashed = [n for n in rows(K.VOTE_DEADLINE) if n.due_at == due][0]
    assert claims.claim(crashed.id, due, "crashed-worker")
    db.session.commit()

    first = sender.run_pass(due + timedelta(minutes=1))
    assert first.count(sender.Outcome.SENT) == len(members) - 1
    later = sender.run_pass(due + timedelta(minutes=12))
    assert later.recovered == 1 and later.count(sender.Outcome.SENT) == 1
    assert mailbox.recipients() == sorted(m.email for m in members)
    assert sender.run_pass(due + timedelta(minutes=30)).outcomes == {}


@pytest.fixture()
def planning_deadline_days(app):
    """Lets a test change 企画運営部会's deadline reminder days; the reference row is restored afterwards."""
    yield
    with app.app_context():
        planning = db.session.scalar(select(Committee).where(Committee.slug == "planning"))
        planning.proposal_reminder_days, planning.vote_reminder_days, planning.review_reminder_days = 3, "2,0", 1
        db.session.commit()


def test_the_deadline_reminders_follow_the_committees_settings(members, staff, factory, planning_deadline_days):
    from liaison.domain import notifications as notification_rules

    planning = db.session.scalar(select(Committee).where(Committee.slug == "planning"))
    admin = db.session.get(User, factory.admin().id)
    refused = [dict(vote_days="二日前"), dict(proposal_days=31), dict(review_days=-1)]
    for bad in refused:  # nothing changes on bad input
        with pytest.raises(DomainError):
            notification_rules.set_committee_reminders(planning, actor=admin, days="7,1", at="09:00", answer_days=2, **bad)
        db.session.rollback()
    notification_rules.set_committee_reminders(planning, actor=admin, days="7,1", at="09:00", answer_days=2,
                                               proposal_days=5, vote_days="3、1,3", review_days=2)
    db.session.commit()
    assert (planning.proposal_reminder_days, planning.vote_reminder_days, planning.review_reminder_days) == (5, "3,1", 2)

    meeting = convened_with_deadlines(factory)
    proposal_day = to_tokyo(meeting.proposal_deadline).date()
    assert {n.due_at for n in rows(K.PROPOSAL_DEADLINE)} == {at_tokyo(proposal_day - timedelta(days=5))}
    closes_at = at_tokyo(to_tokyo(utcnow()).date() + timedelta(days=6), 17)
    open_written(planning_item(factory, status="convened"), staff, closes_at)
    db.session.commit()
    closing_day = to_tokyo(closes_at).date()
    assert sorted({n.due_at for n in rows(K.VOTE_DEADLINE)}) == [
        at_tokyo(closing_day - timedelta(days=3)), at_tokyo(closing_day - timedelta(days=1))]
    deadline = at_tokyo(to_tokyo(utcnow()).date() + timedelta(days=5), 17)
    in_review(factory, staff, deadline)
    assert {n.due_at for n in rows(K.MINUTES_REVIEW_DEADLINE)} == {at_tokyo(to_tokyo(deadline).date() - timedelta(days=2))}
