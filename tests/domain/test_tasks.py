"""やること: the dashboard's task list per role, built from the areas' own rules."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from liaison.dates import current_fiscal_year, utcnow
from liaison.domain import access, tasks, votes
from liaison.domain import meetings as meeting_rules
from liaison.domain import minutes as minutes_rules
from liaison.domain import proposal_queries
from liaison.extensions import db
from liaison.models import (
    AttendanceResponse, Meeting, MeetingStatus, Membership, Minutes, Notification, NotificationKind, NotificationState, User,
)
from liaison.domain.tasks import TaskKind

from .test_votes import NO, YES, open_on, record, staff  # noqa: F401  (fixture)


def task_list(user):
    user = db.session.get(User, user.id)
    access.forget()
    memberships = access.active_memberships(user)
    next_meetings, owed = meeting_rules.my_upcoming(user, memberships)
    return tasks.my_tasks(user, memberships=memberships, owed_answers=owed, next_meetings=next_meetings,
                          pending_votes=votes.pending_written_votes(user),
                          proposals_to_review=proposal_queries.awaiting_review(user))


def kinds(user) -> list[TaskKind]:
    return [task.kind for task in task_list(user)]


def test_a_member_is_asked_for_attendance_until_answering(ctx, factory):
    member = factory.member("planning")
    meeting = factory.meeting("planning", status="convened")
    [task] = task_list(member)
    assert (task.kind, task.url, task.deadline) == (
        TaskKind.ATTENDANCE, f"/planning/meetings/{meeting.id}", meeting_rules.answer_deadline_of(meeting))
    seat = db.session.scalar(select(Membership).where(Membership.user_id == member.id))
    meeting_rules.answer_attendance(db.session.get(Meeting, meeting.id), seat, actor=db.session.get(User, member.id),
                                    response=AttendanceResponse.ATTEND)
    db.session.commit()
    assert kinds(member) == []


def test_a_member_sees_the_minutes_to_review_until_marking_no_objection(ctx, factory):
    chair = factory.member("planning", body="熊谷市", role="chair")
    member = factory.member("planning")
    minutes = factory.minutes(factory.meeting("planning", status="held"), status="in_review")
    [task] = task_list(member)
    assert task.kind is TaskKind.MINUTES_REVIEW and task.url.endswith(f"/meetings/{minutes.meeting_id}/minutes")
    assert task.deadline == db.session.get(Minutes, minutes.id).review_deadline
    # The chair reviews too, and is asked to approve.
    assert sorted(k.value for k in kinds(chair)) == ["minutes_approval", "minutes_review"]
    minutes_rules.mark_no_objection(db.session.get(Minutes, minutes.id), actor=db.session.get(User, member.id))
    db.session.commit()
    assert kinds(member) == []


def test_a_returned_proposal_is_to_revise(ctx, factory):
    member = factory.member("planning")
    proposal = factory.proposal(member, "planning", status="returned")
    [task] = task_list(member)
    assert (task.kind, task.url) == (TaskKind.PROPOSAL_RETURNED, f"/planning/proposals/{proposal.id}/edit")


def test_a_tie_waits_for_the_chair_only(ctx, factory, staff):  # noqa: F811
    chair, vice, *members = factory.seated("council", 7)
    vote = open_on(factory.agenda_item("council"), staff, chair_votes=False)
    # the presiding chair does not vote (the committee's default rule): six other seats tie
    record(vote, staff, [vice, *members], [YES, NO, YES, NO, YES, NO])
    votes.close_vote(vote, actor=staff)
    db.session.commit()
    [task] = [t for t in task_list(chair) if t.kind is TaskKind.CASTING_VOTE]
    assert task.url == f"/council/votes/{vote.id}"
    assert TaskKind.CASTING_VOTE not in kinds(vice)  # the chair was present: the vice chair does not stand in
    assert TaskKind.CASTING_VOTE not in kinds(members[0])
    votes.record_casting_vote(vote, YES, actor=db.session.get(User, chair.id))
    db.session.commit()
    assert TaskKind.CASTING_VOTE not in kinds(chair)


def test_the_secretariat_sees_proposals_meetings_and_minutes_to_handle(ctx, factory):
    secretariat = factory.secretariat()
    member = factory.member("planning")
    factory.member("planning", body="熊谷市", role="chair")
    factory.proposal(member, "planning", status="submitted")
    soon = factory.meeting("planning", starts_at=utcnow() + timedelta(days=10))
    factory.meeting("planning", starts_at=utcnow() + timedelta(days=90))  # too far off to be urgent
    no_minutes = factory.meeting("planning", status="held")
    draft = factory.meeting("planning", status="held", starts_at=utcnow() - timedelta(days=20))
    factory.minutes(draft, status="draft")
    approved = factory.meeting("planning", status="held", starts_at=utcnow() - timedelta(days=30))
    factory.minutes(approved, status="approved")
    found = task_list(secretariat)
    assert sorted(t.kind.value for t in found) == sorted([
        "proposal_review", "convene", "minutes_draft", "minutes_open_review", "minutes_publish"])
    convene = next(t for t in found if t.kind is TaskKind.CONVENE)
    assert (convene.url, convene.deadline) == (f"/planning/meetings/{soon.id}", soon.starts_at)
    assert next(t for t in found if t.kind is TaskKind.MINUTES_DRAFT).url == f"/planning/meetings/{no_minutes.id}/minutes"
    assert found[0].kind is TaskKind.CONVENE  # the only one with a deadline comes first
    assert TaskKind.PROPOSAL_REVIEW not in kinds(member)


def test_the_administrator_sees_failed_mails_and_seats_left_without_a_holder(ctx, factory):
    admin = factory.admin()
    factory.member("planning", body="川越市", fiscal_year=current_fiscal_year() - 1)
    factory.member("planning", body="熊谷市", fiscal_year=current_fiscal_year() - 1, email="kept@example.jp")
    kept = db.session.scalar(select(User).where(User.email == "kept@example.jp"))
    from liaison.domain import memberships as membership_rules
    membership_rules.appoint(actor=None, committee=factory.committee("planning"), fiscal_year=current_fiscal_year(),
                             user=kept, body=factory.body("熊谷市"), role=membership_rules.Role.MEMBER)
    db.session.add(Notification(recipient_id=admin.id, kind=NotificationKind.CONVOCATION, object_type="meetings",
                                object_id=1, idempotency_key="failed:1", subject="x", body="", link="",
                                due_at=utcnow(), state=NotificationState.FAILED))
    db.session.commit()
    found = {t.kind: t for t in task_list(admin)}
    assert found[TaskKind.FAILED_NOTIFICATIONS].title == "1件"
    assert found[TaskKind.EMPTY_SEATS].title == "企画運営部会: 1議席"
    assert found[TaskKind.EMPTY_SEATS].url == "/admin/memberships?committee=planning"


def test_tasks_come_soonest_deadline_first(ctx, factory):
    member = factory.member("planning")
    later = factory.meeting("planning", status="convened", starts_at=utcnow() + timedelta(days=20))
    sooner = factory.meeting("planning", status="convened", starts_at=utcnow() + timedelta(days=5))
    factory.proposal(member, "planning", status="returned")
    found = task_list(member)
    assert [t.url for t in found] == [f"/planning/meetings/{sooner.id}", f"/planning/meetings/{later.id}",
                                      found[2].url]
    assert found[2].kind is TaskKind.PROPOSAL_RETURNED and found[2].deadline is None


def test_a_meeting_in_session_is_a_task_for_its_seats_even_past_its_planned_end(ctx, factory):
    member = factory.member("planning")
    outsider = factory.member("council", body="熊谷市")
    meeting = factory.meeting("planning", status="convened")
    # The sitting opened and runs late: its planned end is already past.
    db.session.execute(update(Meeting).where(Meeting.id == meeting.id).values(
        status=MeetingStatus.IN_SESSION, starts_at=utcnow() - timedelta(hours=3), ends_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    in_session = [task for task in task_list(member) if task.kind is TaskKind.IN_SESSION]
    assert [(t.url, t.title) for t in in_session] == [
        (f"/planning/meetings/{meeting.id}/live", meeting_rules.meeting_name(db.session.get(Meeting, meeting.id)))]
    assert TaskKind.IN_SESSION not in kinds(outsider)
    db.session.execute(update(Meeting).where(Meeting.id == meeting.id).values(status=MeetingStatus.HELD))
    db.session.commit()
    assert TaskKind.IN_SESSION not in kinds(member)
