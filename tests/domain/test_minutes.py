"""Minutes rules without HTTP: generation, versions, review, approval by the chair, publication, freezing."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden

from liaison import events
from liaison.dates import utcnow
from liaison.domain import DomainError
from liaison.domain import meetings as meeting_rules
from liaison.domain import minutes as rules
from liaison.domain import votes as vote_rules
from liaison.extensions import db
from liaison.models import (
    AgendaItem, AttendanceResponse, AuditEvent, Choice, FrozenMinutesError, Majority, Membership, MinutesStatus,
    MinutesVersion, VoteMethod,
)


def seat(user) -> Membership:
    return db.session.scalar(select(Membership).where(Membership.user_id == user.id))


@pytest.fixture()
def people(ctx, factory):
    return {
        "staff": factory.secretariat(name="事務局 花子"),
        "chair": factory.member(body="さいたま市", role="chair", name="佐藤 健一"),
        "vice": factory.member(body="川越市", role="vice_chair", name="鈴木 裕子"),
        "member": factory.member(body="熊谷市", name="高橋 誠"),
        "proxied": factory.member(body="川口市", name="田中 美穂"),
        "absent": factory.member(body="所沢市", name="伊藤 浩二"),
        "outsider": factory.member(committee="council", body="秩父市", name="渡辺 直美"),
    }


@pytest.fixture()
def held(people, factory):
    """A held planning meeting with three items, answers and presence recorded."""
    meeting = factory.meeting(status="held", agenda=3)
    staff = people["staff"]
    answers = {
        "chair": AttendanceResponse.ATTEND, "vice": AttendanceResponse.ATTEND, "member": AttendanceResponse.ATTEND,
        "proxied": AttendanceResponse.PROXY, "absent": AttendanceResponse.ABSENT,
    }
    for key, response in answers.items():
        proxy = {"proxy_name": "山田 花子", "proxy_title": "職員課長補佐"} if response is AttendanceResponse.PROXY else {}
        meeting_rules.answer_attendance(meeting, seat(people[key]), actor=staff, response=response, **proxy)
    present = [seat(people[key]).id for key in ("chair", "vice", "member", "proxied")]
    meeting_rules.record_presence(meeting, actor=staff, present_membership_ids=present)
    db.session.commit()
    return meeting


@pytest.fixture()
def emitted():
    seen = []
    names = ("minutes.review_opened", "minutes.approved", "minutes.published")
    recorders = {}
    for name in names:
        def recorder(obj, _name=name, **data):
            seen.append(_name)
        recorders[name] = events.listen(name)(recorder)
    yield seen
    for name, recorder in recorders.items():
        events._listeners[name].remove(recorder)


def in_review(held, people):
    minutes = rules.create(held, actor=people["staff"])
    rules.open_review(minutes, actor=people["staff"], deadline=utcnow() + timedelta(days=7))
    return minutes


def actions(minutes):
    return list(db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "minutes", AuditEvent.object_id == minutes.id)
        .order_by(AuditEvent.id)
    ))


# ----------------------------------------------------------------------------------------- generation

def decide(held, people):
    """議事1 noted; 議事2 tied and decided by the chair's casting vote; 議事3 adopted 2–1 with one abstention."""
    staff = people["staff"]
    report, discussion, resolution = meeting_rules.agenda_of(held)
    vote_rules.note_item(report, actor=staff)
    tie = vote_rules.open_vote(discussion, actor=staff, method=VoteMethod.IN_MEETING, majority=Majority.SIMPLE)
    vote_rules.record_ballots(tie, {seat(people["vice"]).id: Choice.YES, seat(people["member"]).id: Choice.NO}, actor=staff)
    vote_rules.close_vote(tie, actor=staff)
    vote_rules.record_casting_vote(tie, Choice.YES, actor=people["chair"])
    held.committee.chair_votes = True  # from here the chair votes as a member (the rule is copied when a vote opens)
    vote = vote_rules.open_vote(resolution, actor=staff, method=VoteMethod.IN_MEETING, majority=Majority.SIMPLE)
    vote_rules.record_ballots(vote, {
        seat(people["chair"]).id: Choice.YES, seat(people["vice"]).id: Choice.YES,
        seat(people["member"]).id: Choice.NO, seat(people["proxied"]).id: Choice.ABSTAIN,
    }, actor=staff)
    vote_rules.close_vote(vote, actor=staff)


def test_generated_draft_carries_every_fact_of_the_meeting(held, people):
    decide(held, people)
    minutes = rules.create(held, actor=people["staff"])
    facts = rules.latest_version(minutes).facts
    attendance = facts["attendance"]

    assert facts["name"] == meeting_rules.meeting_name(held)
    assert facts["name"].startswith("令和") and facts["name"].endswith("企画運営部会")
    assert facts["when"].startswith("令和") and "14:00〜16:00" in facts["when"]
    assert facts["place"] == "浦和合同庁舎 会議室"
    assert {(p["seat"], p["name"], p["role"]) for p in attendance["present"]} == {
        ("さいたま市", "佐藤 健一", "部会長"), ("川越市", "鈴木 裕子", "副部会長"), ("熊谷市", "高橋 誠", ""),
    }
    assert attendance["proxies"] == [
        {"seat": "川口市", "name": "田中 美穂", "role": "", "proxy_name": "山田 花子", "proxy_title": "職員課長補佐"}
    ]
    assert [(p["seat"], p["name"]) for p in attendance["absent"]] == [("所沢市", "伊藤 浩二")]
    assert attendance["seats"] == 5
    assert [s["name"] for s in facts["secretariat"]] == ["事務局 テスト", "事務局 花子"]
    assert [(i["number"], i["kind"], i["title"], i["presenter"]) for i in facts["items"]] == [
        (1, "報告事項", "議事1", "事務局"), (2, "協議事項", "議事2", "事務局"), (3, "議決事項", "議事3", "事務局"),
    ]
    report, tie, resolution = facts["items"]
    assert report["vote"] is None and report["outcome"] == "報告了承"
    assert {k: tie["vote"][k] for k in ("yes", "no", "abstain", "outcome", "casting_vote", "casting_by")} == {
        "yes": 1, "no": 1, "abstain": 0, "outcome": "可決", "casting_vote": "賛成", "casting_by": "佐藤 健一",
    }
    assert {k: resolution["vote"][k] for k in ("yes", "no", "abstain", "outcome", "casting_vote", "present", "entitled")} == {
        "yes": 2, "no": 1, "abstain": 1, "outcome": "可決", "casting_vote": "", "present": 4, "entitled": 5,
    }
    assert resolution["outcome"] == "可決"
    text = rules.latest_version(minutes).search_text
    for fact in ("佐藤 健一", "山田 花子", "職員課長補佐", "伊藤 浩二", "議事3", "議決事項", facts["when"], "報告了承",
                 "表決 賛成2 反対1 棄権1 可決"):
        assert fact in text


def test_generated_draft_names_the_proposal_of_an_item(people, factory):
    """An item put on the agenda from a proposal: the draft shows the proposal's number and title, and its result."""
    staff = people["staff"]
    proposal = factory.proposal(people["member"], status="on_agenda", title="デジタル人材の共同研修")
    item = proposal.agenda_items[0]
    meeting = item.meeting
    meeting_rules.mark_held(meeting, actor=staff, now=meeting.ends_at)
    meeting.committee.chair_votes = True  # the chair votes as a member here
    vote = vote_rules.open_vote(item, actor=staff, method=VoteMethod.IN_MEETING, majority=Majority.SIMPLE)
    vote_rules.record_ballots(vote, {seat(people[key]).id: Choice.YES for key in ("chair", "vice", "member")}, actor=staff)
    vote_rules.close_vote(vote, actor=staff)

    version = rules.latest_version(rules.create(meeting, actor=staff))
    (facts,) = version.facts["items"]
    assert proposal.number and facts["proposal"] == {"number": proposal.number, "title": "デジタル人材の共同研修"}
    assert facts["outcome"] == "可決"
    assert f"提案 {proposal.number} デジタル人材の共同研修" in version.search_text.splitlines()


def test_online_meeting_says_online(people, factory):
    from liaison.models import MeetingFormat

    meeting = factory.meeting(status="held", format=MeetingFormat.ONLINE)
    minutes = rules.create(meeting, actor=people["staff"])
    assert rules.latest_version(minutes).facts["place"] == "オンライン"


def test_only_the_secretariat_drafts_and_only_for_a_held_meeting(people, factory, held):
    with pytest.raises(Forbidden):
        rules.create(held, actor=people["chair"])
    convened = factory.meeting(status="convened")
    with pytest.raises(DomainError):
        rules.create(convened, actor=people["staff"])
    rules.create(held, actor=people["staff"])
    with pytest.raises(DomainError):
        rules.create(held, actor=people["staff"])


def test_regenerating_refreshes_facts_and_keeps_the_written_text(held, people):
    staff = people["staff"]
    minutes = rules.create(held, actor=staff)
    first_item = rules.latest_version(minutes).facts["items"][0]["id"]
    texts = {"opening": "14時、部会長が開会を宣言した。", rules.item_key(first_item): "事務局から資料1により説明した。"}
    assert rules.save_text(minutes, actor=staff, texts=texts).number == 2
    assert rules.save_text(minutes, actor=staff, texts=texts) is None  # unchanged: no new version
    assert rules.regenerate(minutes, actor=staff) is None  # nothing changed in the meeting

    meeting_rules.record_presence(held, actor=staff, present_membership_ids=[seat(people["chair"]).id])
    version = rules.regenerate(minutes, actor=staff)

    assert version.number == 3
    assert [p["name"] for p in version.facts["attendance"]["present"]] == ["佐藤 健一"]
    assert version.texts == texts
    assert [v.number for v in minutes.versions] == [1, 2, 3]
    assert rules.load_version(minutes, 2).facts["attendance"]["present"] != version.facts["attendance"]["present"]


def test_text_for_an_unknown_section_is_ignored_and_long_text_refused(held, people):
    minutes = rules.create(held, actor=people["staff"])
    version = rules.save_text(minutes, actor=people["staff"], texts={"opening": "開会", "item-999999": "紛れ込み"})
    assert version.texts == {"opening": "開会"}
    with pytest.raises(DomainError):
        rules.save_text(minutes, actor=people["staff"], texts={"opening": "あ" * (rules.MAX_TEXT + 1)})


# --------------------------------------------------------------------------------------------- review

def test_review_marks_comments_and_return_to_draft_keep_comments(held, people, emitted):
    staff = people["staff"]
    minutes = rules.create(held, actor=staff)
    with pytest.raises(Forbidden):
        rules.open_review(minutes, actor=people["chair"], deadline=utcnow() + timedelta(days=7))
    with pytest.raises(DomainError):
        rules.open_review(minutes, actor=staff, deadline=utcnow() - timedelta(hours=1))
    rules.open_review(minutes, actor=staff, deadline=utcnow() + timedelta(days=7))
    assert minutes.status is MinutesStatus.IN_REVIEW
    assert emitted == ["minutes.review_opened"]
    with pytest.raises(DomainError):
        rules.save_text(minutes, actor=staff, texts={"opening": "確認中の変更"})

    rules.mark_no_objection(minutes, actor=people["member"])
    rules.mark_no_objection(minutes, actor=people["member"])  # a second click changes nothing
    with pytest.raises(Forbidden):
        rules.mark_no_objection(minutes, actor=people["outsider"])
    item_id = rules.latest_version(minutes).facts["items"][1]["id"]
    rules.add_comment(minutes, actor=people["vice"], text="議事2の発言者名を補ってください。", agenda_item_id=item_id)
    rules.add_comment(minutes, actor=people["absent"], text="全体として異議ありません。")
    with pytest.raises(DomainError):
        rules.add_comment(minutes, actor=people["vice"], text="  ")
    with pytest.raises(DomainError):
        rules.add_comment(minutes, actor=people["vice"], text="別の会議の議事", agenda_item_id=999999)
    with pytest.raises(Forbidden):
        rules.add_comment(minutes, actor=people["outsider"], text="部外者")

    sheet = rules.review_sheet(minutes)
    assert [(line.seat.user.name, bool(line.review)) for line in sheet if line.review] == [("高橋 誠", True)]
    assert len(sheet) == 5

    rules.return_to_draft(minutes, actor=staff)
    assert minutes.status is MinutesStatus.DRAFT
    assert [c.text for c in rules.comments_of(minutes)] == ["議事2の発言者名を補ってください。", "全体として異議ありません。"]
    assert rules.comments_of(minutes)[0].agenda_item_id == item_id
    with pytest.raises(DomainError):
        rules.mark_no_objection(minutes, actor=people["vice"])


# ------------------------------------------------------------------------------------------- approval

@pytest.mark.parametrize("who", ["staff", "member", "outsider"])
def test_only_the_chair_or_vice_chair_approves(held, people, who):
    minutes = in_review(held, people)
    assert not rules.can_approve(people[who], minutes)
    with pytest.raises(Forbidden):
        rules.approve(minutes, actor=people[who])
    assert minutes.status is MinutesStatus.IN_REVIEW


def test_vice_chair_stands_in_for_the_chair(held, people):
    minutes = in_review(held, people)
    version = rules.approve(minutes, actor=people["vice"], now=minutes.review_deadline)
    assert version.approver_role == "副部会長"
    assert version.approved_by_id == people["vice"].id


def test_approval_needs_review_first(held, people):
    minutes = rules.create(held, actor=people["staff"])
    with pytest.raises(DomainError):
        rules.approve(minutes, actor=people["chair"], now=minutes.review_deadline)


def test_approved_text_is_frozen_and_a_correction_needs_a_reason(held, people, emitted):
    staff = people["staff"]
    minutes = rules.create(held, actor=staff)
    rules.save_text(minutes, actor=staff, texts={"opening": "部会長が開会を宣言した。"})
    rules.open_review(minutes, actor=staff, deadline=utcnow() + timedelta(days=7))
    approved = rules.approve(minutes, actor=people["chair"], now=minutes.review_deadline)
    db.session.commit()
    assert minutes.status is MinutesStatus.APPROVED
    assert approved.approver_role == "部会長"

    # The model refuses any change to the approved version, whatever code tries.
    approved.texts = {"opening": "書き換え"}
    with pytest.raises(FrozenMinutesError):
        db.session.flush()
    db.session.rollback()
    approved = db.session.get(MinutesVersion, approved.id)
    approved.approved_at = None
    with pytest.raises(FrozenMinutesError):
        db.session.flush()
    db.session.rollback()
    approved = db.session.get(MinutesVersion, approved.id)
    db.session.delete(approved)
    with pytest.raises(FrozenMinutesError):
        db.session.flush()
    db.session.rollback()

    minutes = db.session.get(MinutesVersion, approved.id).minutes
    with pytest.raises(DomainError):
        rules.save_text(minutes, actor=staff, texts={"opening": "部会長が開会を宣言し、議事に入った。"})
    corrected = rules.save_text(minutes, actor=staff, texts={"opening": "部会長が開会を宣言し、議事に入った。"},
                                reason="委員の指摘により語句を修正")
    assert corrected.number == approved.number + 1
    assert minutes.status is MinutesStatus.DRAFT
    earlier = rules.load_version(minutes, approved.number)
    assert earlier.texts == {"opening": "部会長が開会を宣言した。"} and earlier.approved_at is not None
    assert rules.latest_approved_version(minutes).number == approved.number
    assert emitted == ["minutes.review_opened", "minutes.approved"]


def test_an_unapproved_saved_version_is_history_too(held, people):
    minutes = rules.create(held, actor=people["staff"])
    version = rules.latest_version(minutes)
    db.session.commit()
    version.texts = {"opening": "上書き"}
    with pytest.raises(FrozenMinutesError):
        db.session.flush()
    db.session.rollback()


# ----------------------------------------------------------------------------------------- publication

def test_publishing_only_after_approval_and_then_everyone_reads_it(held, people, emitted):
    staff = people["staff"]
    minutes = in_review(held, people)
    with pytest.raises(DomainError):
        rules.publish(minutes, actor=staff)
    assert rules.visible_version(people["outsider"], minutes) is None
    assert rules.visible_version(people["member"], minutes).number == 1

    rules.approve(minutes, actor=people["chair"], now=minutes.review_deadline)
    with pytest.raises(Forbidden):
        rules.publish(minutes, actor=people["chair"])
    assert rules.visible_version(people["outsider"], minutes) is None
    rules.publish(minutes, actor=staff)

    assert minutes.status is MinutesStatus.PUBLISHED and minutes.published_version == 1
    assert rules.visible_version(people["outsider"], minutes).number == 1
    assert emitted == ["minutes.review_opened", "minutes.approved", "minutes.published"]
    assert actions(minutes) == [
        "minutes.created", "minutes.review_opened", "minutes.approved", "minutes.published",
    ]

    # A correction goes back to draft; the published version stays what everyone reads.
    rules.save_text(minutes, actor=staff, texts={"closing": "16時、閉会した。"}, reason="閉会時刻の追記")
    assert minutes.status is MinutesStatus.DRAFT
    assert rules.visible_version(people["outsider"], minutes).number == 1
    assert rules.visible_version(people["member"], minutes).number == 1
    assert rules.visible_version(staff, minutes).number == 2
    assert not rules.can_read_version(people["outsider"], minutes, rules.load_version(minutes, 2))
    assert "minutes.revised" in actions(minutes)


def test_search_finds_published_minutes_by_japanese_substring(held, people):
    minutes = in_review(held, people)
    rules.return_to_draft(minutes, actor=people["staff"])
    rules.save_text(minutes, actor=people["staff"], texts={"closing": "次回は研修体系の見直しを協議する。"})
    rules.open_review(minutes, actor=people["staff"], deadline=utcnow() + timedelta(days=3))
    assert db.session.scalars(rules.published_query("研修体系")).all() == []
    rules.approve(minutes, actor=people["chair"], now=minutes.review_deadline)
    rules.publish(minutes, actor=people["staff"])

    found = db.session.scalars(rules.published_query("研修体系")).all()
    assert [v.minutes_id for v in found] == [minutes.id]
    assert db.session.scalars(rules.published_query("山田 花子")).all() == found  # every word must match
    assert db.session.scalars(rules.published_query("100%")).all() == []  # wildcards are literal
    assert "研修体系" in rules.snippet(found[0], "研修体系")


# ------------------------------------------------------------------------------------ 前回議事録の確認

def test_confirmation_item_goes_on_the_next_meeting(held, people, factory):
    minutes = rules.create(held, actor=people["staff"])
    with pytest.raises(DomainError):
        rules.add_confirmation_item(minutes, actor=people["staff"])  # no next meeting yet
    upcoming = factory.meeting(status="convened", agenda=2)
    with pytest.raises(Forbidden):
        rules.add_confirmation_item(minutes, actor=people["chair"])
    item = rules.add_confirmation_item(minutes, actor=people["staff"])

    assert item.meeting_id == upcoming.id and item.title == "前回議事録の確認" and item.minutes_id == minutes.id
    assert [i.title for i in meeting_rules.agenda_of(upcoming)][-1] == "前回議事録の確認"
    assert rules.confirmation_item(minutes).id == item.id
    with pytest.raises(DomainError):
        rules.add_confirmation_item(minutes, actor=people["staff"])
    assert db.session.scalar(select(func.count()).select_from(AgendaItem).where(AgendaItem.minutes_id == minutes.id)) == 1


def test_diff_shows_added_and_removed_lines(held, people):
    minutes = rules.create(held, actor=people["staff"])
    rules.save_text(minutes, actor=people["staff"], texts={"opening": "開会した。\n<script>alert(1)</script>"})
    rules.save_text(minutes, actor=people["staff"], texts={"opening": "14時に開会した。\n<script>alert(1)</script>"})
    rows = rules.diff(rules.load_version(minutes, 2), rules.load_version(minutes, 3))
    assert ("removed", "開会した。") in rows and ("added", "14時に開会した。") in rows
    assert ("same", "<script>alert(1)</script>") in rows
