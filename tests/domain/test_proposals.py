"""Proposal rules without HTTP: every transition, allowed and refused, by every kind of actor."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import Forbidden

from liaison import events
from liaison.dates import current_fiscal_year, era_year, utcnow
from liaison.domain import Conflict, DomainError
from liaison.domain import proposals as rules
from liaison.domain import proposal_permissions as proposal_access
from liaison.domain import proposal_queries
from liaison.extensions import db
from liaison.models import AuditEvent, PlanPolicy, Proposal, ProposalRevision, ProposalStatus, User

from ..factories import Factory

S = ProposalStatus


@pytest.fixture()
def people(ctx, factory):
    """The planning seat of 川越市 (author), its colleague seat, another committee's member, staff."""
    return {
        "author": factory.member(committee="planning", body="川越市"),
        "colleague": factory.member(committee="planning", body="熊谷市"),
        "observer": factory.member(committee="planning", body="戸田市", role="observer"),
        "outsider": factory.member(committee="council", body="行田市"),
        "secretariat": factory.secretariat(),
        "admin": factory.admin(),
    }


@pytest.fixture()
def emitted(monkeypatch):
    """The events emitted during the test, as (name, object) pairs."""
    seen = []
    for name in ("proposal.submitted", "proposal.returned", "proposal.accepted", "proposal.scheduled", "proposal.withdrawn"):
        monkeypatch.setitem(events._listeners, name, [lambda obj, _name=name, **data: seen.append((_name, obj))])
    return seen


def policy(code="HRD-3"):
    return db.session.scalar(select(PlanPolicy).where(PlanPolicy.code == code))


def draft(people, **kwargs):
    kwargs.setdefault("title", "デジタル人材の育成")
    kwargs.setdefault("summary", "概要です。")
    kwargs.setdefault("plan_policy", policy())
    return rules.create_draft(rules_committee("planning"), actor=people["author"], **kwargs)


def rules_committee(slug):
    return Factory.committee(slug)


def actions(proposal):
    return [a for (a,) in db.session.execute(
        select(AuditEvent.action).where(AuditEvent.object_type == "proposals", AuditEvent.object_id == proposal.id)
        .order_by(AuditEvent.id)
    )]


# ---------------------------------------------------------------------------------------------- drafting

def test_a_seat_holder_drafts_and_revision_one_is_kept(people):
    proposal = draft(people, body="## 本文")
    assert proposal.status is S.DRAFT
    assert proposal.submitting_body.name == "川越市" and proposal.submitted_by_id == people["author"].id
    assert proposal.fiscal_year == current_fiscal_year() and proposal.number is None
    assert [r.number for r in proposal.revisions] == [1] and proposal.revisions[0].body == "## 本文"
    assert actions(proposal) == ["proposal.created"]


@pytest.mark.parametrize("who", ["observer", "outsider", "secretariat", "admin"])
def test_only_a_voting_seat_of_the_committee_drafts(people, who):
    with pytest.raises(Forbidden):
        rules.create_draft(rules_committee("planning"), actor=people[who], title="件名", plan_policy=policy())
    assert db.session.scalar(select(func.count(Proposal.id))) == 0


@pytest.mark.parametrize(
    "fields, field",
    [({"title": "  "}, "title"), ({"title": "あ" * 201}, "title"), ({"plan_policy": None}, "plan_policy_id")],
)
def test_a_draft_needs_a_title_and_a_policy_item(people, fields, field):
    with pytest.raises(DomainError) as error:
        draft(people, **fields)
    assert error.value.field == field


def test_a_draft_is_private_to_its_seat_until_submitted(people):
    proposal = draft(people)
    assert proposal_access.can_view(people["author"], proposal)
    for who in ("colleague", "secretariat", "admin", "outsider"):
        assert not proposal_access.can_view(people[who], proposal), who
    rules.submit(proposal, actor=people["author"])
    for who in ("author", "colleague", "observer", "secretariat", "admin"):
        assert proposal_access.can_view(people[who], proposal), who
    assert not proposal_access.can_view(people["outsider"], proposal)


def test_the_successor_in_the_seat_takes_over_the_proposal(ctx, factory, people):
    """A 埼玉県 department seat: same body, the department decides whose proposal it is."""
    general = factory.member(committee="prefectural-training", body="埼玉県", department="総務部")
    welfare = factory.member(committee="prefectural-training", body="埼玉県", department="福祉部")
    proposal = rules.create_draft(rules_committee("prefectural-training"), actor=general, title="件名", plan_policy=policy())
    assert proposal.department == "総務部"
    assert proposal_access.can_edit(general, proposal) and not proposal_access.can_edit(welfare, proposal)


# ---------------------------------------------------------------------------------------------- editing

def test_every_saved_change_keeps_a_revision(people):
    proposal = draft(people)
    revision = rules.update(proposal, actor=people["author"], title="デジタル人材の確保", summary="概要です。",
                            body="本文", plan_policy=policy())
    assert revision.number == 2 and revision.title == "デジタル人材の確保"
    assert rules.update(proposal, actor=people["author"], title="デジタル人材の確保", summary="概要です。",
                        body="本文", plan_policy=policy()) is None  # nothing changed, nothing kept
    revision = rules.update(proposal, actor=people["author"], title="デジタル人材の確保", summary="概要です。",
                            body="本文", plan_policy=policy("REC-2"))
    assert revision.number == 3 and revision.plan_policy.code == "REC-2"
    assert actions(proposal) == ["proposal.created", "proposal.updated", "proposal.updated"]


@pytest.mark.parametrize("who", ["colleague", "observer", "secretariat", "admin", "outsider"])
def test_only_the_submitting_seat_edits(people, who):
    proposal = draft(people)
    with pytest.raises(Forbidden):
        rules.update(proposal, actor=people[who], title="改ざん", summary="", body="", plan_policy=policy())
    assert proposal.title == "デジタル人材の育成"


@pytest.mark.parametrize("status, editable", [("draft", True), ("returned", True), ("submitted", False),
                                              ("accepted", False), ("withdrawn", False)])
def test_edits_only_while_draft_or_returned(factory, people, status, editable):
    proposal = factory.proposal(people["author"], status=status)
    assert proposal_access.can_edit(people["author"], proposal) is editable
    if editable:
        rules.update(proposal, actor=people["author"], title="修正版", summary="概要", body="本文", plan_policy=policy())
        assert proposal.title == "修正版"
        assert proposal.revisions[-1].status is S(status)
    else:
        with pytest.raises(Forbidden):
            rules.update(proposal, actor=people["author"], title="修正版", summary="", body="", plan_policy=policy())


def test_the_desired_meeting_must_be_an_upcoming_meeting_of_the_committee(factory, people):
    from liaison.models import Meeting, MeetingFormat, MeetingStatus

    def meeting(slug, status):
        start = utcnow() + timedelta(days=20)
        row = Meeting(committee=rules_committee(slug), fiscal_year=current_fiscal_year(), number=db.session.scalar(
            select(func.count(Meeting.id))) + 1, starts_at=start, ends_at=start + timedelta(hours=2),
            format=MeetingFormat.IN_PERSON, status=status)
        db.session.add(row)
        db.session.flush()
        return row

    assert draft(people, desired_meeting=meeting("planning", MeetingStatus.CONVENED)).desired_meeting_id
    for other in (meeting("council", MeetingStatus.CONVENED), meeting("planning", MeetingStatus.HELD)):
        with pytest.raises(DomainError) as error:
            draft(people, desired_meeting=other)
        assert error.value.field == "desired_meeting_id"


# ------------------------------------------------------------------------------------------ transitions

def test_submit_return_resubmit_accept(people, emitted):
    proposal = draft(people)
    rules.submit(proposal, actor=people["author"])
    assert proposal.status is S.SUBMITTED and proposal.submitted_at is not None
    rules.return_to_submitter(proposal, actor=people["secretariat"], reason="予算の根拠を追記してください。")
    assert proposal.status is S.RETURNED and proposal.return_reason == "予算の根拠を追記してください。"
    rules.update(proposal, actor=people["author"], title=proposal.title, summary="予算の根拠: 共同実施で半減",
                 body="", plan_policy=policy())
    rules.submit(proposal, actor=people["author"])
    rules.accept(proposal, actor=people["secretariat"])
    era, year = era_year(current_fiscal_year())
    assert proposal.status is S.ACCEPTED and proposal.number == f"企画-R{year}-001"
    assert actions(proposal) == [
        "proposal.created", "proposal.submitted", "proposal.returned", "proposal.updated", "proposal.submitted",
        "proposal.accepted",
    ]
    assert [name for name, obj in emitted] == [
        "proposal.submitted", "proposal.returned", "proposal.submitted", "proposal.accepted",
    ]
    returned = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "proposal.returned"))
    assert returned.data["reason"] == "予算の根拠を追記してください。" and returned.actor_id == people["secretariat"].id


def test_numbers_count_per_committee_and_year(factory, people):
    council_member = factory.member(committee="council", body="川越市", email="kawagoe-council@example.jp")
    first = factory.proposal(people["author"], status="accepted")
    second = factory.proposal(people["colleague"], status="accepted")
    council = factory.proposal(council_member, committee="council", status="accepted")
    year = era_year(current_fiscal_year())[1]
    assert (first.number, second.number, council.number) == (
        f"企画-R{year}-001", f"企画-R{year}-002", f"連絡-R{year}-001"
    )


def test_number_format_uses_the_reiwa_fiscal_year():
    from liaison.models import Committee

    planning = Committee(short_name="企画")
    assert rules.proposal_number(planning, 2025, 3) == "企画-R7-003"
    assert rules.proposal_number(planning, 2019, 12) == "企画-R1-012"


def test_submitting_needs_a_summary_or_a_body(people):
    proposal = draft(people, summary="")
    with pytest.raises(DomainError):
        rules.submit(proposal, actor=people["author"])
    assert proposal.status is S.DRAFT


@pytest.mark.parametrize("who", ["colleague", "observer", "secretariat", "admin", "outsider"])
def test_only_the_submitting_seat_submits(people, who):
    proposal = draft(people)
    with pytest.raises(Forbidden):
        rules.submit(proposal, actor=people[who])
    assert proposal.status is S.DRAFT


@pytest.mark.parametrize("status", ["submitted", "accepted", "withdrawn"])
def test_submit_is_refused_once_out_of_the_seats_hands(factory, people, status):
    proposal = factory.proposal(people["author"], status=status)
    with pytest.raises(Forbidden):
        rules.submit(proposal, actor=people["author"])
    assert proposal.status is S(status)


@pytest.mark.parametrize("who", ["author", "colleague", "observer", "outsider"])
def test_only_the_secretariat_accepts_or_returns(factory, people, who):
    proposal = factory.proposal(people["author"], status="submitted")
    with pytest.raises(Forbidden):
        rules.accept(proposal, actor=people[who])
    with pytest.raises(Forbidden):
        rules.return_to_submitter(proposal, actor=people[who], reason="理由")
    assert proposal.status is S.SUBMITTED and proposal.number is None


def test_administrators_review_like_the_secretariat(factory, people):
    proposal = factory.proposal(people["author"], status="submitted")
    rules.accept(proposal, actor=people["admin"])
    assert proposal.status is S.ACCEPTED


@pytest.mark.parametrize("status", ["draft", "returned", "accepted", "withdrawn"])
def test_accept_and_return_only_a_submitted_proposal(factory, people, status):
    proposal = factory.proposal(people["author"], status=status)
    # the same transition again is a Conflict (409); any other illegal move a DomainError (400)
    with pytest.raises(Conflict if status == "accepted" else DomainError):
        rules.accept(proposal, actor=people["secretariat"])
    with pytest.raises(Conflict if status == "returned" else DomainError):
        rules.return_to_submitter(proposal, actor=people["secretariat"], reason="理由")
    assert proposal.status is S(status)


def test_returning_needs_a_reason(factory, people):
    proposal = factory.proposal(people["author"], status="submitted")
    with pytest.raises(DomainError) as error:
        rules.return_to_submitter(proposal, actor=people["secretariat"], reason="  ")
    assert error.value.field == "reason" and proposal.status is S.SUBMITTED


@pytest.mark.parametrize("status", ["draft", "submitted", "returned", "accepted"])
def test_the_seat_withdraws_before_a_decision(factory, people, emitted, status):
    proposal = factory.proposal(people["author"], status=status)
    rules.withdraw(proposal, actor=people["author"], reason="事業の見直しのため")
    assert proposal.status is S.WITHDRAWN
    assert actions(proposal)[-1] == "proposal.withdrawn"
    assert emitted[-1] == ("proposal.withdrawn", proposal)


@pytest.mark.parametrize("who", ["colleague", "secretariat", "admin"])
def test_others_do_not_withdraw(factory, people, who):
    proposal = factory.proposal(people["author"], status="submitted")
    with pytest.raises(Forbidden):
        rules.withdraw(proposal, actor=people[who])
    assert proposal.status is S.SUBMITTED


def test_a_withdrawn_proposal_stays_withdrawn(factory, people):
    proposal = factory.proposal(people["author"], status="withdrawn")
    with pytest.raises(Forbidden):
        rules.withdraw(proposal, actor=people["author"])
    assert not proposal_access.can_edit(people["author"], proposal)


@pytest.mark.parametrize("status", ["draft", "submitted", "accepted"])
def test_decide_needs_a_proposal_on_the_agenda(factory, people, status):
    proposal = factory.proposal(people["author"], status=status)
    with pytest.raises(DomainError):
        rules.decide(proposal, "adopted", actor=people["secretariat"])
    assert proposal.status is S(status) and proposal.decided_at is None


def test_schedule_refuses_a_proposal_not_yet_accepted(factory, people):
    from liaison.models import Meeting, MeetingFormat

    start = utcnow() + timedelta(days=10)
    meeting = Meeting(committee=rules_committee("planning"), fiscal_year=current_fiscal_year(), number=1,
                      starts_at=start, ends_at=start + timedelta(hours=1), format=MeetingFormat.IN_PERSON)
    db.session.add(meeting)
    proposal = factory.proposal(people["author"], status="submitted")
    assert not proposal_access.can_schedule(people["secretariat"], proposal)
    with pytest.raises(DomainError):
        rules.schedule(proposal, meeting, actor=people["secretariat"])
    with pytest.raises(Forbidden):
        rules.schedule(proposal, meeting, actor=people["author"])
    assert proposal.status is S.SUBMITTED and meeting.agenda_items == []


# -------------------------------------------------------------------------------------------- comments

def test_comments_by_members_and_secretariat_with_an_edit_window(factory, people):
    proposal = factory.proposal(people["author"], status="submitted")
    mine = rules.add_comment(proposal, actor=people["colleague"], text="賛成です。")
    rules.add_comment(proposal, actor=people["secretariat"], text="事務局で確認します。")
    rules.edit_comment(mine, actor=people["colleague"], text="賛成です(修正)。")
    assert mine.text == "賛成です(修正)。" and mine.edited_at is not None
    with pytest.raises(Forbidden):
        rules.edit_comment(mine, actor=people["colleague"], text="遅い修正",
                           now=mine.created_at + proposal_access.COMMENT_EDIT_WINDOW + timedelta(seconds=1))
    with pytest.raises(Forbidden):
        rules.edit_comment(mine, actor=people["author"], text="他人の修正")
    assert mine.text == "賛成です(修正)。"


@pytest.mark.parametrize("who, allowed", [("outsider", False), ("observer", True), ("admin", True)])
def test_who_comments(factory, people, who, allowed):
    proposal = factory.proposal(people["author"], status="submitted")
    if allowed:
        assert rules.add_comment(proposal, actor=people[who], text="意見").id
    else:
        with pytest.raises(Forbidden):
            rules.add_comment(proposal, actor=people[who], text="意見")


def test_no_comments_on_a_private_draft_or_a_final_proposal(factory, people):
    for status in ("draft", "withdrawn"):
        proposal = factory.proposal(people["author"], status=status)
        with pytest.raises(Forbidden):
            rules.add_comment(proposal, actor=people["author"], text="意見")


def test_an_empty_comment_is_refused(factory, people):
    proposal = factory.proposal(people["author"], status="submitted")
    with pytest.raises(DomainError):
        rules.add_comment(proposal, actor=people["colleague"], text="   ")


def test_soft_delete_by_author_or_secretariat(factory, people):
    proposal = factory.proposal(people["author"], status="submitted")
    first = rules.add_comment(proposal, actor=people["colleague"], text="一つ目")
    second = rules.add_comment(proposal, actor=people["colleague"], text="二つ目")
    with pytest.raises(Forbidden):
        rules.delete_comment(first, actor=people["author"])
    rules.delete_comment(first, actor=people["colleague"])
    rules.delete_comment(second, actor=people["secretariat"])
    assert first.deleted_at and second.deleted_by_id == people["secretariat"].id
    assert first.text == "一つ目"  # kept for the record, hidden on the page
    with pytest.raises(Forbidden):
        rules.edit_comment(first, actor=people["colleague"], text="復活")


# -------------------------------------------------------------------------------------------- search, diff

@pytest.mark.parametrize("q, found", [("デジタル人材", True), ("人材の育", True), ("ＤＸ", False), ("100%", False),
                                      ("_", False)])
def test_search_finds_japanese_substrings(factory, people, q, found):
    factory.proposal(people["author"], status="submitted", title="研修計画",
                     summary="本市におけるデジタル人材の育成と確保に向けた共同研修の提案")
    filters = proposal_queries.ListFilters(q=q)
    rows = db.session.scalars(proposal_queries.list_query(rules_committee("planning"), people["colleague"], filters)).all()
    assert bool(rows) is found


def test_the_list_shows_others_only_what_was_submitted(factory, people):
    factory.proposal(people["author"], status="draft", title="下書きの提案")
    factory.proposal(people["author"], status="submitted", title="提出した提案")

    def titles(user):
        query = proposal_queries.list_query(rules_committee("planning"), user, proposal_queries.ListFilters())
        return sorted(p.title for p in db.session.scalars(query))

    assert titles(people["author"]) == ["下書きの提案", "提出した提案"]
    assert titles(people["colleague"]) == titles(people["secretariat"]) == ["提出した提案"]


def test_diff_marks_changed_characters_and_lines(people):
    proposal = draft(people, body="背景\n研修を年2回実施する。\n以上")
    rules.update(proposal, actor=people["author"], title=proposal.title, summary=proposal.summary,
                 body="背景\n研修を年4回実施する。\n予算は共同で負担する。\n以上", plan_policy=policy())
    old, new = db.session.scalars(select(ProposalRevision).order_by(ProposalRevision.number)).all()
    body = next(d for d in proposal_queries.diff_revisions(old, new) if d.name == "body")
    assert body.changed
    changed = next(line for line in body.lines if line.kind == "changed")
    assert ("removed", "2") in changed.old and ("added", "4") in changed.new
    assert any(line.kind == "added" and line.new == [("added", "予算は共同で負担する。")] for line in body.lines)
    assert not next(d for d in proposal_queries.diff_revisions(old, new) if d.name == "title").changed


# ------------------------------------------------------------------------------ agenda and decisions

def test_schedule_puts_the_proposal_on_the_agenda(factory, people, emitted):
    proposal = factory.proposal(people["author"], status="accepted")
    meeting = factory.meeting("planning", status="convened", agenda=1)
    item = rules.schedule(proposal, meeting, actor=people["secretariat"])
    assert proposal.status is S.ON_AGENDA and item.proposal is proposal
    assert item.position == 2 and item.title == f"{proposal.number} {proposal.title}"
    assert item.presenter_body.name == "川越市" and item.kind.value == "resolution"
    assert proposal_access.current_agenda_item(proposal) is item
    assert actions(proposal)[-1] == "proposal.scheduled" and emitted[-1] == ("proposal.scheduled", proposal)


@pytest.mark.parametrize("meeting_status", ["draft", "convened"])
def test_schedule_onto_a_draft_or_convened_meeting(factory, people, meeting_status):
    proposal = factory.proposal(people["author"], status="accepted")
    rules.schedule(proposal, factory.meeting("planning", status=meeting_status), actor=people["secretariat"])
    assert proposal.status is S.ON_AGENDA


@pytest.mark.parametrize("committee, meeting_status", [("council", "convened"), ("planning", "held"),
                                                       ("planning", "cancelled")])
def test_schedule_refuses_other_committees_and_past_meetings(factory, people, committee, meeting_status):
    proposal = factory.proposal(people["author"], status="accepted")
    meeting = factory.meeting(committee, status=meeting_status)
    with pytest.raises(DomainError) as error:
        rules.schedule(proposal, meeting, actor=people["secretariat"])
    assert error.value.field == "meeting_id" and proposal.status is S.ACCEPTED and meeting.agenda_items == []


@pytest.mark.parametrize("who", ["author", "colleague", "observer"])
def test_only_the_secretariat_schedules(factory, people, who):
    proposal = factory.proposal(people["author"], status="accepted")
    meeting = factory.meeting("planning", status="convened")
    with pytest.raises(Forbidden):
        rules.schedule(proposal, meeting, actor=people[who])
    assert proposal.status is S.ACCEPTED


@pytest.mark.parametrize("outcome", ["adopted", "rejected", "continued"])
def test_decide_records_the_outcome(factory, people, outcome):
    proposal = factory.proposal(people["author"], status="on_agenda")
    rules.decide(proposal, outcome, actor=people["secretariat"])
    assert proposal.status is S(outcome) and proposal.decided_at is not None
    assert actions(proposal)[-1] == f"proposal.{outcome}"


def test_decide_accepts_the_votes_outcome_enum(factory, people):
    from liaison.models import AgendaKind  # noqa: F401  (the votes area passes an enum with .value)

    class Outcome:
        value = "adopted"

    proposal = factory.proposal(people["author"], status="on_agenda")
    rules.decide(proposal, Outcome(), actor=people["secretariat"])
    assert proposal.status is S.ADOPTED


@pytest.mark.parametrize("status", ["adopted", "rejected"])
def test_nobody_changes_a_decided_proposal(factory, people, status):
    proposal = factory.proposal(people["author"], status=status)
    for who in ("author", "secretariat", "admin"):
        assert not proposal_access.can_edit(people[who], proposal)
        with pytest.raises(Forbidden):
            rules.update(proposal, actor=people[who], title="改ざん", summary="", body="", plan_policy=policy())
        with pytest.raises((Forbidden, DomainError)):
            rules.withdraw(proposal, actor=people[who])
        with pytest.raises(DomainError):
            rules.decide(proposal, "rejected" if status == "adopted" else "adopted", actor=people[who])
    with pytest.raises(DomainError):
        rules.schedule(proposal, factory.meeting("planning", status="convened"), actor=people["secretariat"])
    with pytest.raises(Forbidden):
        rules.add_comment(proposal, actor=people["colleague"], text="意見")
    assert proposal.status is S(status)


def test_a_continued_proposal_goes_on_a_later_agenda(factory, people):
    proposal = factory.proposal(people["author"], status="continued")
    later = factory.meeting("planning", status="convened")
    item = rules.schedule(proposal, later, actor=people["secretariat"])
    assert proposal.status is S.ON_AGENDA and len(proposal.agenda_items) == 2
    assert proposal_access.current_agenda_item(proposal) is item


def test_a_proposal_on_the_agenda_can_still_be_withdrawn(factory, people):
    proposal = factory.proposal(people["author"], status="on_agenda")
    rules.withdraw(proposal, actor=people["author"])
    assert proposal.status is S.WITHDRAWN


def test_removing_the_agenda_item_puts_the_proposal_back_to_accepted(factory, people):
    from liaison.domain import meetings as meeting_rules

    proposal = factory.proposal(people["author"], status="on_agenda")
    item = proposal_access.current_agenda_item(proposal)
    meeting_rules.remove_agenda_item(item, actor=people["secretariat"])
    assert proposal.status is S.ACCEPTED
    assert actions(proposal)[-1] == "proposal.unscheduled"
    rules.schedule(proposal, factory.meeting("planning", status="convened"), actor=people["secretariat"])
    assert proposal.status is S.ON_AGENDA


def test_a_cancelled_meeting_lets_the_proposal_move_to_another(factory, people):
    from liaison.domain import meetings as meeting_rules

    proposal = factory.proposal(people["author"], status="on_agenda")
    assert not proposal_access.can_schedule(people["secretariat"], proposal)
    meeting_rules.cancel(proposal_access.current_agenda_item(proposal).meeting, actor=people["secretariat"], reason="台風のため")
    assert proposal_access.can_schedule(people["secretariat"], proposal)
    rules.schedule(proposal, factory.meeting("planning", status="convened"), actor=people["secretariat"])
    assert proposal_access.current_agenda_item(proposal).meeting.status.value == "convened"


# ------------------------------------------------------------------------------------------------ 資料

def upload(name, data):
    import io

    from werkzeug.datastructures import FileStorage

    return FileStorage(stream=io.BytesIO(data), filename=name)


PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def test_the_seat_attaches_documents_while_editing(factory, people):
    proposal = factory.proposal(people["author"], status="draft")
    attachment = rules.add_attachment(proposal, upload("研修計画(案).pdf", PDF), actor=people["author"])
    assert attachment.proposal_id == proposal.id and attachment.meeting_id is None
    assert actions(proposal)[-1] == "proposal.attachment_added"
    rules.remove_attachment(attachment, actor=people["author"])
    assert db.session.get(type(attachment), attachment.id) is None


@pytest.mark.parametrize("who, status", [("colleague", "draft"), ("secretariat", "draft"), ("author", "submitted"),
                                         ("author", "accepted")])
def test_others_or_later_states_do_not_attach(factory, people, who, status):
    proposal = factory.proposal(people["author"], status=status)
    with pytest.raises(Forbidden):
        rules.add_attachment(proposal, upload("資料.pdf", PDF), actor=people[who])


def test_a_bad_file_is_refused_with_a_message(factory, people):
    proposal = factory.proposal(people["author"], status="draft")
    with pytest.raises(DomainError) as error:
        rules.add_attachment(proposal, upload("資料.exe", b"MZ..."), actor=people["author"])
    assert error.value.field == "file"


# ------------------------------------------------------------------------------------------------ demo

def test_demo_has_proposals_in_every_state_and_reseeding_adds_none(ctx, factory):
    """seed_demo_proposals and the hook the demo's held meetings call, on a small union (the full demo is slow)."""
    from liaison.models import ProposalComment
    from liaison.seed.demo import decided_demo_proposals, seed_demo_proposals

    for slug, bodies in (("council", ("さいたま市", "川越市")), ("planning", ("熊谷市", "川口市")),
                         ("municipal-training", ("行田市", "秩父市"))):
        for body in bodies:
            factory.member(committee=slug, body=body)
    for department in ("総務部", "福祉部"):
        factory.member(committee="prefectural-training", body="埼玉県", department=department)
    users = {"secretariat": factory.secretariat()}
    held = factory.meeting("planning", status="convened", starts_at=utcnow() + timedelta(days=3))
    from liaison.domain import meetings as meeting_rules

    meeting_rules.record_presence(held, actor=users["secretariat"],
                                  present_membership_ids=[m.id for m in meeting_rules.voting_seats(held)])
    decided_demo_proposals(held, users)
    factory.meeting("planning", status="convened")
    factory.meeting("municipal-training", status="convened")
    seed_demo_proposals(users)
    db.session.commit()
    proposals = db.session.scalars(select(Proposal)).all()
    assert {p.status for p in proposals} == set(ProposalStatus)
    assert len({p.committee_id for p in proposals}) == 4
    returned = [p for p in proposals if p.status is S.RETURNED]
    assert returned and all(p.return_reason for p in returned)
    assert db.session.scalar(select(func.count(ProposalComment.id))) > 0
    assert any(len(p.revisions) > 2 for p in proposals)
    on_agenda = next(p for p in proposals if p.status is S.ON_AGENDA)
    assert proposal_access.current_agenda_item(on_agenda).meeting.status.value == "convened"
    adopted = next(p for p in proposals if p.status is S.ADOPTED)
    assert proposal_access.current_agenda_item(adopted).meeting.id == held.id
    before = (len(proposals), db.session.scalar(select(func.count(ProposalRevision.id))))
    seed_demo_proposals(users)
    db.session.commit()
    assert (db.session.scalar(select(func.count(Proposal.id))), db.session.scalar(select(func.count(ProposalRevision.id)))) == before


def test_the_votes_domain_decides_the_proposal_through_its_agenda_item(factory, people):
    from liaison.domain import votes as vote_rules

    continued = factory.proposal(people["author"], status="on_agenda")
    vote_rules.defer_item(proposal_access.current_agenda_item(continued), actor=people["secretariat"])
    assert continued.status is S.CONTINUED and actions(continued)[-1] == "proposal.continued"

    withdrawn = factory.proposal(people["colleague"], status="on_agenda")
    rules.withdraw(withdrawn, actor=people["colleague"])
    vote_rules.defer_item(proposal_access.current_agenda_item(withdrawn), actor=people["secretariat"])
    assert withdrawn.status is S.WITHDRAWN and withdrawn.decided_at is None


def test_two_acceptances_at_the_same_instant_get_consecutive_numbers(app, backend, factory, people, monkeypatch):
    """The committee row is locked while the next serial is read: the second acceptance waits for the first."""
    import threading

    if backend == "sqlite":
        pytest.skip("SQLite has one writer at a time; the race is PostgreSQL's")
    ids = [factory.proposal(people[who], status="submitted").id for who in ("author", "colleague")]
    staff_id = people["secretariat"].id
    db.session.rollback()
    barrier = threading.Barrier(2, timeout=1)
    read_serial = rules._next_serial

    def next_serial_then_wait(*args):
        serial = read_serial(*args)
        try:  # hold the transaction open until the other acceptance has read too (or is waiting for the lock)
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        return serial

    monkeypatch.setattr(rules, "_next_serial", next_serial_then_wait)
    errors = []

    def accept(proposal_id):
        with app.app_context():
            try:
                rules.accept(db.session.get(Proposal, proposal_id), actor=db.session.get(User, staff_id))
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                db.session.rollback()
                errors.append(repr(error))

    threads = [threading.Thread(target=accept, args=(proposal_id,)) for proposal_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.expire_all()
    assert sorted(db.session.get(Proposal, pid).serial for pid in ids) == [1, 2]
