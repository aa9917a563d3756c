"""The union-wide search: published minutes and readable proposals together, the same Japanese substring rules."""
import pytest
from sqlalchemy import select

from liaison.dates import current_fiscal_year
from liaison.domain import proposals as proposal_rules
from liaison.domain import proposal_permissions as proposal_access
from liaison.domain import proposal_queries
from liaison.domain import search as rules
from liaison.extensions import db
from liaison.models import Committee, Proposal, User
from liaison.textsearch import like_pattern, snippet, terms


@pytest.fixture()
def people(ctx, factory):
    return {
        "chair": factory.member(body="さいたま市", role="chair"),
        "author": factory.member(body="川越市"),
        "colleague": factory.member(body="熊谷市"),
        "observer": factory.member(body="戸田市", role="observer"),
        "outsider": factory.member(committee="council", body="秩父市"),
        "former": factory.member(body="川口市", fiscal_year=current_fiscal_year() - 1),
        "staff": factory.secretariat(),
    }


def hits(user, q="", **filters):
    keys = db.session.scalars(rules.search_query(user, q, **filters)).all()
    return [(result.kind, result.version.minutes.meeting.title if result.version else result.proposal.title)
            for result in rules.load(keys)]


def published(factory, title, text, committee="planning", status="published"):
    meeting = factory.meeting(committee, status="held", title=title, agenda=1)
    return factory.minutes(meeting, status=status, texts={"opening": text})


M, P = rules.ResultKind.MINUTES, rules.ResultKind.PROPOSAL


def test_digital_talent_is_found_in_minutes_and_proposals(people, factory):
    factory.member(committee="council", body="さいたま市", role="chair", email="council-chair@example.jp")
    published(factory, "第1回", "本年度はデジタル人材の確保について協議した。")
    published(factory, "連絡会議", "県内のデジタル人材育成の状況を報告した。", committee="council")
    published(factory, "審議中", "デジタル人材の議事録(確認中)", status="in_review")
    published(factory, "関係ない回", "研修体系の見直しを協議した。")
    factory.proposal(people["author"], status="submitted", title="研修計画",
                     summary="本市におけるデジタル人材の育成と確保に向けた共同研修の提案")
    factory.proposal(people["colleague"], status="accepted", title="採用広報", summary="合同説明会")

    found = hits(people["colleague"], "デジタル人材")
    assert sorted(found, key=str) == sorted([(M, "第1回"), (M, "連絡会議"), (P, "研修計画")], key=str)
    # minutes are published to the whole union; proposals stay with their committee
    assert sorted(hits(people["outsider"], "デジタル人材"), key=str) == sorted([(M, "第1回"), (M, "連絡会議")], key=str)
    assert hits(people["colleague"], "デジタル人材", kind=P) == [(P, "研修計画")]
    planning = db.session.scalar(select(Committee).where(Committee.slug == "planning"))
    assert sorted(hits(people["colleague"], "デジタル人材", committee=planning), key=str) == sorted(
        [(M, "第1回"), (P, "研修計画")], key=str)
    # every word must occur (full-width space too); wildcards are literal
    assert hits(people["colleague"], "デジタル\u3000共同研修") == [(P, "研修計画")]
    assert hits(people["colleague"], "100%") == hits(people["colleague"], "_") == []
    assert len(hits(people["staff"])) == 5  # no words: everything published and readable, newest first


def test_results_are_newest_first(people, factory):
    older = factory.proposal(people["author"], status="submitted", title="古い提案")
    factory.proposal(people["author"], status="submitted", title="新しい提案")
    assert [title for _, title in hits(people["staff"])] == ["新しい提案", "古い提案"]
    proposal_rules.withdraw(db.session.get(Proposal, older.id), actor=db.session.get(User, people["author"].id))
    assert [title for _, title in hits(people["staff"])] == ["古い提案", "新しい提案"]


def test_the_search_finds_exactly_the_proposals_each_user_may_view(people, factory, ctx):
    """proposal_queries.readable_condition is can_view as SQL: they agree for every user and proposal."""
    factory.member(committee="council", body="川越市", email="kawagoe-council@example.jp")
    for status in ("draft", "submitted", "returned", "withdrawn", "adopted"):
        factory.proposal(people["author"], status=status, title=f"川越市の{status}")
    factory.proposal(people["colleague"], status="draft", title="熊谷市の下書き")
    council_author = db.session.scalar(select(User).where(User.email == "kawagoe-council@example.jp"))
    factory.proposal(council_author, committee="council", status="submitted", title="連絡会議への提案")
    factory.proposal(council_author, committee="council", status="draft", title="連絡会議への下書き")
    proposals = db.session.scalars(select(Proposal)).all()
    everyone = [db.session.get(User, person.id) for person in people.values()] + [council_author]
    for user in everyone:
        expected = sorted(p.title for p in proposals if proposal_access.can_view(user, p))
        assert sorted(title for _, title in hits(user, kind=P)) == expected, user.email
    assert sorted(t for _, t in hits(db.session.get(User, people["author"].id), kind=P)) == sorted(
        ["川越市のdraft", "川越市のsubmitted", "川越市のreturned", "川越市のwithdrawn", "川越市のadopted"])
    assert hits(db.session.get(User, people["former"].id), kind=P) == []  # last year's seat reads nothing now


def test_text_helpers():
    assert like_pattern("100%_\\") == "%100\\%\\_\\\\%"
    assert terms(" デジタル\u3000人材  DX ") == ["デジタル", "人材", "DX"]
    text = "あ" * 100 + "デジタル人材" + "い" * 100
    assert snippet(text, "デジタル人材", width=5) == "…あああああデジタル人材いいいいい…"
    assert snippet("短い本文", "ない") == "短い本文"


# ------------------------------------------------------- what people type: 全角/半角 and case (issue 20 item 6)

def test_full_width_dx_finds_what_dx_finds(people, factory):
    published(factory, "第2回", "自治体ＤＸの推進について協議した。")
    published(factory, "第3回", "dx推進計画の進捗を報告した。")
    published(factory, "関係ない回", "研修体系の見直しを協議した。")
    factory.proposal(people["author"], status="submitted", title="DX推進研修", summary="")
    factory.proposal(people["author"], status="submitted", title="ｵﾝﾗｲﾝ研修の拡充", summary="Ｗｅｂ会議の活用")
    factory.proposal(people["author"], status="submitted", title="採用広報", summary="合同説明会", body="")

    colleague = people["colleague"]
    expected = sorted([(M, "第2回"), (M, "第3回"), (P, "DX推進研修")], key=str)
    for query in ("DX", "ＤＸ", "dx", "ｄｘ", "Dx"):
        assert sorted(hits(colleague, query), key=str) == expected, query
    # half-width katakana is the full-width word; a full-width query finds half-width text and back
    assert hits(colleague, "オンライン") == hits(colleague, "ｵﾝﾗｲﾝ") == [(P, "ｵﾝﾗｲﾝ研修の拡充")]
    assert hits(colleague, "web会議") == [(P, "ｵﾝﾗｲﾝ研修の拡充")]
    assert hits(colleague, "ＤＸ\u3000推進計画") == [(M, "第3回")]
    assert hits(colleague, "ＤＸ", kind=P) == [(P, "DX推進研修")]


def test_the_proposals_list_search_is_normalised_too(people, factory):
    factory.proposal(people["author"], status="submitted", title="DX推進研修")
    factory.proposal(people["author"], status="submitted", title="採用広報", summary="合同説明会", body="")
    planning = db.session.scalar(select(Committee).where(Committee.slug == "planning"))
    staff = db.session.get(User, people["staff"].id)
    for query in ("ＤＸ", "dx"):
        found = db.session.scalars(proposal_queries.list_query(
            planning, staff, proposal_queries.ListFilters(q=query))).all()
        assert [proposal.title for proposal in found] == ["DX推進研修"], query


def test_the_search_key_follows_every_edit(people, factory):
    proposal = factory.proposal(people["author"], status="draft", title="研修計画", summary="概要", body="")
    colleague = db.session.get(User, people["author"].id)
    assert hits(colleague, "ＤＸ", kind=P) == []
    proposal = db.session.get(Proposal, proposal.id)
    proposal_rules.update(proposal, actor=colleague, title="研修計画", summary="ＤＸ人材の育成", body="",
                          plan_policy=proposal.plan_policy)
    db.session.flush()
    assert proposal.search_key == "研修計画\ndx人材の育成\n"
    assert hits(colleague, "dx", kind=P) == [(P, "研修計画")]


def test_bulk_inserted_rows_get_their_search_key(people, factory):
    """Bulk INSERTs (the scale data) skip the mapper events: the column default fills the key."""
    from sqlalchemy import insert

    template = factory.proposal(people["author"], status="submitted", title="雛形")
    db.session.execute(insert(Proposal), [{
        "committee_id": template.committee_id, "body_id": template.body_id, "title": f"ＤＸ一括{i}",
        "summary": "Ｗｅｂ", "plan_policy_id": template.plan_policy_id, "status": template.status,
        "fiscal_year": template.fiscal_year, "submitted_at": template.submitted_at,
        "created_at": template.created_at, "updated_at": template.updated_at,
    } for i in range(3)])
    keys = db.session.scalars(select(Proposal.search_key).where(Proposal.title.like("ＤＸ一括%"))
                              .order_by(Proposal.title)).all()
    assert keys == [f"dx一括{i}\nweb\n" for i in range(3)]


def test_postgresql_serves_the_search_from_the_trigram_index(ctx, backend):
    if backend != "postgresql":
        pytest.skip("pg_trgm is PostgreSQL's")
    from sqlalchemy import text

    assert db.session.scalar(text("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")) == 1
    for table in ("proposals", "minutes_versions"):
        definition = db.session.scalar(text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"),
                                       {"name": f"ix_{table}_search_key"})
        assert "USING gin" in definition and "gin_trgm_ops" in definition, definition
    # with sequential scans priced out, the planner can answer LIKE '%…%' from the index
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(db.session.scalars(text(
        "EXPLAIN SELECT id FROM proposals WHERE search_key LIKE '%dx推進%'")).all())
    assert "ix_proposals_search_key" in plan, plan


def test_normalise_and_snippet_fold_width_and_case():
    from liaison.textsearch import normalise

    assert normalise("ＤＸ推進　ｶﾞｲﾄﾞ Ｗｅｂ") == "dx推進 ガイド web"
    assert normalise(None) == ""
    text = "あ" * 100 + "自治体ＤＸの推進" + "い" * 100
    assert snippet(text, "dx", width=3) == "…自治体ＤＸの推進…"
    assert snippet("ｵﾝﾗｲﾝ研修", "オンライン") == "ｵﾝﾗｲﾝ研修"
