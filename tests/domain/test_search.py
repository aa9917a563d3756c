"""The union-wide search: published minutes and readable proposals together, the same Japanese substring rules."""
import pytest
from sqlalchemy import select

from liaison.dates import current_fiscal_year
from liaison.domain import proposals as proposal_rules
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
    """proposals.readable_condition is can_view as SQL: they agree for every user and proposal."""
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
        expected = sorted(p.title for p in proposals if proposal_rules.can_view(user, p))
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
