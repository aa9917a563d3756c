"""議事録署名人 (issue 20 item 3): named by the secretariat from the present members, confirmed once by each
signer (audited), shown on the PDF; approval waits for them when the committee says so."""
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from liaison.dates import utcnow
from liaison.domain import Conflict, DomainError
from liaison.domain import meetings as meeting_rules
from liaison.domain import minutes as rules
from liaison.domain import minutes_signers as signers
from liaison.extensions import db
from liaison.models import AttendanceResponse, AuditEvent, Committee, Membership, MinutesStatus, User


def seat(user) -> Membership:
    return db.session.scalar(select(Membership).where(Membership.user_id == user.id))


@pytest.fixture()
def people(ctx, factory):
    return {
        "staff": factory.secretariat(name="事務局 花子"),
        "admin": factory.admin(email="signers-admin@example.jp"),
        "chair": factory.member(body="さいたま市", role="chair", name="佐藤 健一"),
        "vice": factory.member(body="川越市", role="vice_chair", name="鈴木 裕子"),
        "member": factory.member(body="熊谷市", name="高橋 誠"),
        "proxied": factory.member(body="川口市", name="田中 美穂"),
        "absent": factory.member(body="所沢市", name="伊藤 浩二"),
    }


@pytest.fixture()
def minutes(people, factory):
    """A held planning meeting (chair, vice and member present; a proxy; one absent), committee with chair + 2."""
    meeting = factory.meeting(status="held", agenda=2)
    staff = people["staff"]
    answers = {"chair": AttendanceResponse.ATTEND, "vice": AttendanceResponse.ATTEND,
               "member": AttendanceResponse.ATTEND, "proxied": AttendanceResponse.PROXY,
               "absent": AttendanceResponse.ABSENT}
    for key, response in answers.items():
        proxy = {"proxy_name": "山田 花子", "proxy_title": "職員課長補佐"} if response is AttendanceResponse.PROXY else {}
        meeting_rules.answer_attendance(meeting, seat(people[key]), actor=staff, response=response, **proxy)
    present = [seat(people[key]).id for key in ("chair", "vice", "member", "proxied")]
    meeting_rules.record_presence(meeting, actor=staff, present_membership_ids=present)
    committee = meeting.committee
    committee.minutes_signers, committee.minutes_signer_members = True, 2
    db.session.commit()
    return rules.create(meeting, actor=staff)


def test_the_secretariat_names_the_chair_and_present_members(people, minutes):
    staff = people["staff"]
    assert {s.user_id for s in signers.candidates(minutes)} == {people["vice"].id, people["member"].id}
    named = signers.name_signers(minutes, actor=staff, membership_ids=[seat(people["vice"]).id, seat(people["member"]).id])
    assert [s.user_id for s in named] == [people["chair"].id, people["vice"].id, people["member"].id]
    assert named[0].is_chair and not named[1].is_chair
    with pytest.raises(DomainError):  # the absent member and the proxied seat cannot sign
        signers.name_signers(minutes, actor=staff, membership_ids=[seat(people["absent"]).id, seat(people["member"]).id])
    with pytest.raises(DomainError):  # chair + 2: exactly two members
        signers.name_signers(minutes, actor=staff, membership_ids=[seat(people["vice"]).id])
    with pytest.raises(Forbidden):
        signers.name_signers(minutes, actor=people["member"], membership_ids=[seat(people["vice"]).id])
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "minutes.signers_named")) is not None


def test_only_named_signers_confirm_once_after_review_opened(people, minutes):
    staff = people["staff"]
    signers.name_signers(minutes, actor=staff, membership_ids=[seat(people["vice"]).id, seat(people["member"]).id])
    with pytest.raises(DomainError):  # still the secretariat's draft
        signers.confirm(minutes, actor=people["member"])
    rules.open_review(minutes, actor=staff, deadline=utcnow() + timedelta(days=7))
    with pytest.raises(Forbidden):
        signers.confirm(minutes, actor=people["absent"])
    signer = signers.confirm(minutes, actor=people["member"])
    assert signer.confirmed_at is not None and signer.confirmed_version == rules.latest_version(minutes).number
    with pytest.raises(Conflict):
        signers.confirm(minutes, actor=people["member"])
    with pytest.raises(DomainError):  # once someone confirmed, the choice stays
        signers.name_signers(minutes, actor=staff, membership_ids=[seat(people["vice"]).id, seat(people["member"]).id])
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "minutes.signer_confirmed")).all()
    assert len(events) == 1
    lines = signers.lines(minutes)
    assert lines[0].startswith("議事録署名人 部会長 さいたま市 佐藤 健一 (未確認)")
    assert "熊谷市 高橋 誠 (令和" in lines[2] and lines[2].endswith("電子確認)")


def test_approval_waits_for_every_signer_when_the_committee_says_so(people, minutes):
    staff, chair = people["staff"], people["chair"]
    committee = minutes.meeting.committee
    committee.signers_before_approval = True
    signers.name_signers(minutes, actor=staff, membership_ids=[seat(people["vice"]).id, seat(people["member"]).id])
    rules.open_review(minutes, actor=staff, deadline=utcnow() + timedelta(days=7))
    after_deadline = minutes.review_deadline + timedelta(minutes=1)
    with pytest.raises(DomainError, match="署名人全員の確認"):
        rules.approve(minutes, actor=db.session.get(User, chair.id), now=after_deadline)
    for key in ("chair", "vice", "member"):
        signers.confirm(minutes, actor=people[key])
    rules.approve(minutes, actor=db.session.get(User, chair.id), now=after_deadline)
    assert minutes.status is MinutesStatus.APPROVED


def test_without_the_setting_approval_does_not_wait(people, minutes):
    staff, chair = people["staff"], people["chair"]
    rules.open_review(minutes, actor=staff, deadline=utcnow() + timedelta(days=7))
    rules.approve(minutes, actor=db.session.get(User, chair.id), now=minutes.review_deadline)
    assert minutes.status is MinutesStatus.APPROVED


def test_a_committee_without_signers_refuses_naming(people, minutes):
    committee = db.session.get(Committee, minutes.meeting.committee_id)
    committee.minutes_signers = False
    with pytest.raises(DomainError):
        signers.name_signers(minutes, actor=people["staff"], membership_ids=[])
    assert signers.lines(minutes) == []
