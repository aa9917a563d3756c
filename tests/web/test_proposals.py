"""Proposal pages: access, the section chief's and the secretariat's journey, XSS, search, CSRF, query counts."""
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from liaison.dates import current_fiscal_year, era_year, format_date, utcnow
from liaison.extensions import db
from liaison.models import (
    AgendaItem, Attachment, AuditEvent, Body, Committee, PlanPolicy, Proposal, ProposalComment, ProposalRevision, ProposalStatus, User,
)


PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def policy_id(code="HRD-3"):
    return db.session.scalar(select(PlanPolicy.id).where(PlanPolicy.code == code))


@pytest.fixture()
def login(login):
    """Log in as someone else: log the current user out first (/login ignores a logged-in user)."""

    def _switch(client, email):
        client.form("/logout")
        return login(client, email)

    return _switch


@pytest.fixture()
def cast(factory):
    return {
        "author": factory.member(committee="planning", body="川越市", email="kawagoe@example.jp"),
        "colleague": factory.member(committee="planning", body="熊谷市", email="kumagaya@example.jp"),
        "observer": factory.member(committee="planning", body="戸田市", role="observer", email="toda@example.jp"),
        "outsider": factory.member(committee="council", body="行田市", email="gyoda@example.jp"),
        "secretariat": factory.secretariat(email="jimukyoku@example.jp"),
    }


def page(response) -> str:
    return response.get_data(as_text=True)


# ------------------------------------------------------------------------------------------------ access

@pytest.mark.parametrize(
    "who, path, expected",
    [
        (None, "/planning/proposals/", 302),
        ("author", "/planning/proposals/", 200),
        ("outsider", "/planning/proposals/", 403),
        ("secretariat", "/planning/proposals/", 200),
        ("author", "/planning/proposals/new", 200),
        ("observer", "/planning/proposals/new", 403),
        ("secretariat", "/planning/proposals/new", 403),
        ("author", "/planning/proposals/{draft}", 200),
        ("colleague", "/planning/proposals/{draft}", 403),
        ("secretariat", "/planning/proposals/{draft}", 403),
        ("author", "/planning/proposals/{draft}/edit", 200),
        ("colleague", "/planning/proposals/{draft}/edit", 403),
        ("colleague", "/planning/proposals/{submitted}", 200),
        ("observer", "/planning/proposals/{submitted}", 200),
        ("outsider", "/planning/proposals/{submitted}", 403),
        ("secretariat", "/planning/proposals/{submitted}", 200),
        ("author", "/planning/proposals/{submitted}/edit", 403),
        ("author", "/planning/proposals/{returned}/edit", 200),
        ("colleague", "/planning/proposals/{submitted}/revisions", 200),
        ("secretariat", "/council/proposals/{submitted}", 404),
        ("secretariat", "/planning/proposals/999999", 404),
        ("secretariat", "/planning/proposals/{submitted}/revisions?from=1&to=9", 404),
        (None, "/reports/plan", 302),
        ("observer", "/reports/plan", 200),
        ("outsider", "/reports/plan.csv?fy=2025", 200),
        ("author", "/reports/plan?fy=2030", 404),
    ],
)
def test_access_table(client, login, factory, cast, who, path, expected):
    ids = {status: factory.proposal(cast["author"], status=status).id for status in ("draft", "submitted", "returned")}
    if who:
        login(client, cast[who].email)
    response = client.get(path.format(**ids))
    assert response.status_code == expected, page(response)[:500]


@pytest.mark.parametrize(
    "who, action, data",
    [
        ("colleague", "submit", {}),
        ("secretariat", "submit", {}),
        ("colleague", "withdraw", {}),
        ("author", "accept", {}),
        ("colleague", "return", {"reason": "理由"}),
        ("author", "schedule", {"meeting_id": "1", "kind": "resolution"}),
        ("outsider", "comments", {"text": "意見"}),
    ],
)
def test_refused_actions_change_nothing(app, client, login, factory, cast, who, action, data):
    proposal = factory.proposal(cast["author"], status="submitted" if action != "submit" else "draft")
    before = proposal.status
    login(client, cast[who].email)
    response = client.form(f"/planning/proposals/{proposal.id}/{action}", data)
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Proposal, proposal.id).status is before
        assert count(ProposalComment) == 0


# ------------------------------------------------------------------------------------------------ journey

def test_draft_attach_submit_return_revise_accept_schedule_with_history(app, client, login, factory, cast):
    meeting = factory.meeting("planning", status="convened")
    login(client, cast["author"].email)
    response = client.form("/planning/proposals/new", {
        "title": "デジタル人材育成の共同研修", "plan_policy_id": policy_id_in(app), "desired_meeting_id": "0",
        "summary": "DX推進を担う職員を共同で育成します。", "body": "## 背景\n\n- 専門人材の不足",
    })
    assert response.status_code == 303
    url = response.headers["Location"]
    shown = page(client.get(url))
    assert "下書き" in shown and "<h2>背景</h2>" in shown and "<li>専門人材の不足</li>" in shown
    response = client.form(url + "/attachments", {"file": (io.BytesIO(PDF), "研修計画(案).pdf")},
                           content_type="multipart/form-data")
    assert response.status_code == 303
    assert "研修計画(案).pdf" in page(client.get(url))
    assert client.form(url + "/submit").status_code == 303

    login(client, cast["secretariat"].email)
    assert "デジタル人材育成の共同研修" in page(client.get("/"))  # waiting for review on the dashboard
    assert client.form(url + "/return", {"reason": "予算の見積りを追記してください。"}).status_code == 303

    login(client, cast["author"].email)
    shown = page(client.get(url))
    assert "差戻し" in shown and "予算の見積りを追記してください。" in shown
    mine = page(client.get("/"))
    assert "デジタル人材育成の共同研修" in mine[mine.index("わたしの団体の提案"):] and "差戻し" in mine
    response = client.form(url + "/edit", {
        "title": "デジタル人材育成の共同研修", "plan_policy_id": policy_id_in(app), "desired_meeting_id": "0",
        "summary": "DX推進を担う職員を共同で育成します。予算は約120万円。", "body": "## 背景\n\n- 専門人材の不足",
    })
    assert response.status_code == 303
    assert client.form(url + "/submit").status_code == 303

    login(client, cast["secretariat"].email)
    assert client.form(url + "/accept").status_code == 303
    number = f"企画-R{era_year(current_fiscal_year())[1]}-001"
    shown = page(client.get(url))
    assert number in shown and "受理" in shown
    response = client.form(url + "/schedule", {"meeting_id": str(meeting.id), "kind": "resolution"})
    assert response.status_code == 303
    agenda = page(client.get(f"/planning/meetings/{meeting.id}"))
    assert f"{number} デジタル人材育成の共同研修" in agenda
    row = agenda[agenda.index(f"{number} デジタル人材育成の共同研修"):]
    row = row[:row.index("</tr>")]
    assert row.count(number) == 1 and ">(提案)</a>" in row  # the number once per agenda row

    login(client, cast["colleague"].email)
    shown = page(client.get(url))
    assert "議事に掲載" in shown
    history = shown[shown.index("経過"):]
    steps = ["下書きを作成", "資料を添付", "提出", "差戻し", "内容を修正", "提出", "受理", "議事に掲載"]
    entries = re.findall(r"<li><time[^>]*>[^<]*</time>\s*(\S+)", history)
    assert entries == steps, entries
    assert "予算の見積りを追記してください。" in history

    diff = page(client.get(url + "/revisions"))
    assert "<ins>予算は約120万円。</ins>" in diff
    # the comparison's sections are not the minutes' line diff (.diff: pre-wrap, one box per line)
    assert 'class="revision-diff"' in diff and 'class="diff"' not in diff


def policy_id_in(app, code="HRD-3"):
    with app.app_context():
        return str(policy_id(code))


def test_withdraw_by_the_seat(app, client, login, factory, cast):
    proposal = factory.proposal(cast["author"], status="accepted")
    login(client, cast["author"].email)
    response = client.form(f"/planning/proposals/{proposal.id}/withdraw", {"reason": "事業見直しのため"})
    assert response.status_code == 303
    shown = page(client.get(f"/planning/proposals/{proposal.id}"))
    assert "取下げ" in shown and "事業見直しのため" in shown
    assert "提案を取り下げる" not in shown


def test_secretariat_sees_actions_members_do_not(client, login, factory, cast):
    proposal = factory.proposal(cast["author"], status="submitted")
    login(client, cast["colleague"].email)
    shown = page(client.get(f"/planning/proposals/{proposal.id}"))
    assert "受理して番号を付ける" not in shown and "差し戻す" not in shown and "コメントを投稿" in shown
    login(client, cast["secretariat"].email)
    shown = page(client.get(f"/planning/proposals/{proposal.id}"))
    assert "受理して番号を付ける" in shown and "差し戻す" in shown


def test_schedule_with_a_bad_meeting_is_refused_and_changes_nothing(app, client, login, factory, cast):
    proposal = factory.proposal(cast["author"], status="accepted")
    other = factory.meeting("council", status="convened")
    login(client, cast["secretariat"].email)
    for meeting_id in (str(other.id), "0", "999999"):
        response = client.form(f"/planning/proposals/{proposal.id}/schedule", {"meeting_id": meeting_id, "kind": "resolution"})
        assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Proposal, proposal.id).status is ProposalStatus.ACCEPTED
        assert count(AgendaItem) == 0


@pytest.mark.parametrize("who, expected", [("author", 200), ("colleague", 200), ("secretariat", 200), ("outsider", 403)])
def test_proposal_documents_download_for_those_who_see_the_proposal(app, client, login, factory, cast, who, expected):
    proposal = factory.proposal(cast["author"], status="draft")
    login(client, cast["author"].email)
    client.form(f"/planning/proposals/{proposal.id}/attachments", {"file": (io.BytesIO(PDF), "提案資料.pdf")},
                content_type="multipart/form-data")
    client.form(f"/planning/proposals/{proposal.id}/submit")
    with app.app_context():
        attachment_id = db.session.scalar(select(Attachment.id).where(Attachment.proposal_id == proposal.id))
    login(client, cast[who].email)
    response = client.get(f"/planning/proposals/{proposal.id}/attachments/{attachment_id}")
    assert response.status_code == expected
    if expected == 200:
        assert response.data == PDF and "attachment" in response.headers["Content-Disposition"]
    response.close()
    assert client.form(f"/planning/proposals/{proposal.id}/attachments/{attachment_id}/delete").status_code == 403
    with app.app_context():
        assert count(Attachment) == 1


def test_a_bad_upload_is_refused_with_a_message(app, client, login, factory, cast):
    proposal = factory.proposal(cast["author"], status="draft")
    login(client, cast["author"].email)
    response = client.form(f"/planning/proposals/{proposal.id}/attachments", {"file": (io.BytesIO(b"MZ\x90"), "tool.exe")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and "この種類のファイルはアップロードできません" in page(response)
    with app.app_context():
        assert count(Attachment) == 0


# ------------------------------------------------------------------------------------------ bad input, CSRF

def test_bad_input_rerenders_and_saves_nothing(app, client, login, cast):
    login(client, cast["author"].email)
    response = client.form("/planning/proposals/new", {"title": "", "plan_policy_id": "0", "desired_meeting_id": "0"})
    assert response.status_code == 400
    assert "入力してください。" in page(response) and "施策を選んでください。" in page(response)
    response = client.form("/planning/proposals/new", {"title": "件名", "plan_policy_id": "99999", "desired_meeting_id": "0"})
    assert response.status_code == 400
    with app.app_context():
        assert count(Proposal) == 0


def test_return_without_reason_is_refused(app, client, login, factory, cast):
    proposal = factory.proposal(cast["author"], status="submitted")
    login(client, cast["secretariat"].email)
    response = client.form(f"/planning/proposals/{proposal.id}/return", {"reason": "  "})
    assert response.status_code == 400 and "差戻しの理由を入力してください。" in page(response)
    response = client.form(f"/planning/proposals/{proposal.id}/accept")
    assert response.status_code == 303
    response = client.form(f"/planning/proposals/{proposal.id}/accept")  # twice: refused (409), page explains
    assert response.status_code == 409 and "すでに受理されています" in page(response)
    with app.app_context():
        assert db.session.get(Proposal, proposal.id).status is ProposalStatus.ACCEPTED
        assert count(AuditEvent, AuditEvent.action == "proposal.accepted") == 1


@pytest.mark.parametrize("action, data", [("submit", {}), ("comments", {"text": "意見"}), ("withdraw", {})])
def test_posts_without_csrf_token_are_refused(app, client, login, factory, cast, action, data):
    proposal = factory.proposal(cast["author"], status="draft" if action == "submit" else "submitted")
    login(client, cast["author"].email)
    response = client.post(f"/planning/proposals/{proposal.id}/{action}", data=data)
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Proposal, proposal.id).status is proposal.status
        assert count(ProposalComment) == 0


# ------------------------------------------------------------------------------------------------- XSS

PAYLOADS = [
    "<script>alert('xss')</script>",
    "[クリック](javascript:alert(1))",
    '<a href="JaVaScRiPt:alert(1)">link</a>',
    "<img src=x onerror=alert(1)>",
    '<svg onload="alert(1)"><script>alert(2)</script></svg>',
    '<p onmouseover="alert(1)" style="background:url(javascript:alert(1))">hover</p>',
    "<iframe src=\"https://evil.example\"></iframe>",
]


def assert_inert(html: str) -> None:
    lowered = html.lower()
    assert "<script>alert" not in lowered
    assert "javascript:" not in lowered
    assert not re.search(r"<[^>]+\son\w+\s*=", lowered)
    assert "<svg" not in lowered and "<iframe" not in lowered and "<img" not in lowered


def test_xss_payloads_are_stored_as_written_and_shown_inert(app, client, login, factory, cast):
    body = "\n\n".join(PAYLOADS) + "\n\n[安全なリンク](https://www.saitama-jinzai.example/)"
    proposal = factory.proposal(cast["author"], status="submitted", title="<script>alert('title')</script>件名",
                                body=body, summary="<img src=x onerror=alert(1)>概要")
    login(client, cast["colleague"].email)
    for payload in PAYLOADS:
        assert client.form(f"/planning/proposals/{proposal.id}/comments", {"text": payload}).status_code == 303
    with app.app_context():
        assert db.session.get(Proposal, proposal.id).body == body  # stored unchanged, sanitised when shown
    shown = page(client.get(f"/planning/proposals/{proposal.id}"))
    assert_inert(shown)
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;件名" in shown  # the title is text
    assert '<a href="https://www.saitama-jinzai.example/" rel="noopener noreferrer">安全なリンク</a>' in shown
    assert_inert(page(client.get("/planning/proposals/")))


def test_the_diff_escapes_what_it_shows(client, login, factory, cast):
    proposal = factory.proposal(cast["author"], status="draft", body="本文")
    login(client, cast["author"].email)
    client.form(f"/planning/proposals/{proposal.id}/edit", {
        "title": proposal.title, "plan_policy_id": str(proposal.plan_policy_id), "desired_meeting_id": "0",
        "summary": proposal.summary, "body": "本文<script>alert(1)</script><img src=x onerror=alert(2)>",
    })
    shown = page(client.get(f"/planning/proposals/{proposal.id}/revisions?from=1&to=2"))
    assert "<ins>&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;</ins>" in shown
    assert "<script>alert" not in shown


# ---------------------------------------------------------------------------------------------- search

@pytest.mark.parametrize("q, expected", [("デジタル人材", ["研修計画"]), ("育成と確保", ["研修計画"]), ("人材", ["研修計画", "採用広報"]),
                                         ("%", []), ("デジタル 人材", [])])
def test_search_finds_japanese_inside_longer_text(client, login, factory, cast, q, expected):
    factory.proposal(cast["author"], status="submitted", title="研修計画",
                     summary="本市におけるデジタル人材の育成と確保に向けた共同研修の提案です。")
    factory.proposal(cast["colleague"], status="submitted", title="採用広報", summary="人材確保のための合同説明会",
                     body="100円")
    login(client, cast["secretariat"].email)
    shown = page(client.get("/planning/proposals/", query_string={"q": q}))
    listed = re.findall(r'<a href="/planning/proposals/\d+">([^<]+)</a>', shown)
    assert sorted(listed) == sorted(expected)


def test_filters_by_status_body_policy_and_year(client, login, factory, cast):
    factory.proposal(cast["author"], status="accepted", title="受理された提案", policy="EXC-1")
    factory.proposal(cast["colleague"], status="submitted", title="提出された提案", policy="HRD-3")
    login(client, cast["secretariat"].email)

    def listed(**args):
        return re.findall(r'<a href="/planning/proposals/\d+">([^<]+)</a>', page(client.get("/planning/proposals/", query_string=args)))

    with client.application.app_context():
        kumagaya = db.session.scalar(select(Body.id).where(Body.name == "熊谷市"))
        exc1 = policy_id("EXC-1")
    assert listed(status="accepted") == ["受理された提案"]
    assert listed(body=kumagaya) == ["提出された提案"]
    assert listed(policy=exc1) == ["受理された提案"]
    assert sorted(listed(fy=current_fiscal_year())) == sorted(["提出された提案", "受理された提案"])
    assert listed(fy=current_fiscal_year() - 1) == []


# ---------------------------------------------------------------------------------------------- comments

def test_comment_edit_window_and_soft_delete(app, client, login, factory, cast):
    proposal = factory.proposal(cast["author"], status="submitted")
    login(client, cast["colleague"].email)
    client.form(f"/planning/proposals/{proposal.id}/comments", {"text": "日程を教えてください。"})
    with app.app_context():
        comment_id = db.session.scalar(select(ProposalComment.id))
    url = f"/planning/proposals/{proposal.id}/comments/{comment_id}"
    assert client.form(url + "/edit", {"text": "日程と会場を教えてください。"}).status_code == 303
    assert "日程と会場を教えてください。" in page(client.get(f"/planning/proposals/{proposal.id}"))
    with app.app_context():
        db.session.get(ProposalComment, comment_id).created_at = utcnow() - timedelta(minutes=16)
        db.session.commit()
    assert client.form(url + "/edit", {"text": "遅すぎる修正"}).status_code == 403
    login(client, cast["author"].email)
    assert client.form(url + "/delete").status_code == 403
    login(client, cast["secretariat"].email)
    assert client.form(url + "/delete").status_code == 303
    shown = page(client.get(f"/planning/proposals/{proposal.id}"))
    assert "このコメントは削除されました。" in shown and "日程と会場を教えてください。" not in shown


# ------------------------------------------------------------------------------------------ query counts

def _bulk_proposals(app, n: int) -> None:
    with app.app_context():
        committee_id = db.session.scalar(select(Committee.id).where(Committee.slug == "planning"))
        bodies = db.session.scalars(select(Body.id).order_by(Body.position).limit(20)).all()
        policies = db.session.scalars(select(PlanPolicy.id)).all()
        now = utcnow()
        db.session.execute(insert(Proposal), [
            {
                "committee_id": committee_id, "body_id": bodies[i % len(bodies)], "department": "", "title": f"一括提案{i}",
                "summary": "概要", "body": "本文", "plan_policy_id": policies[i % len(policies)],
                "status": ProposalStatus.SUBMITTED, "return_reason": "", "fiscal_year": current_fiscal_year(),
                "submitted_at": now, "created_at": now, "updated_at": now - timedelta(seconds=i),
            }
            for i in range(n)
        ])
        db.session.commit()


def test_list_query_count_is_fixed(app, client, login, cast, count_queries):
    login(client, cast["author"].email)
    _bulk_proposals(app, 10)
    client.get("/planning/proposals/")
    with count_queries() as small:
        assert client.get("/planning/proposals/").status_code == 200
    _bulk_proposals(app, 490)
    with count_queries() as large:
        response = client.get("/planning/proposals/?page=2")
        assert response.status_code == 200 and "全500件" in page(response)
    assert large.count == small.count, large.statements


def test_detail_query_count_is_fixed(app, client, login, factory, cast, count_queries):
    proposal = factory.proposal(cast["author"], status="submitted")
    commenters = [factory.member(committee="planning", body=name, email=f"c{n}@example.jp")
                  for n, name in enumerate(["所沢市", "越谷市", "川口市"])]
    login(client, cast["secretariat"].email)
    url = f"/planning/proposals/{proposal.id}"
    client.form(url + "/comments", {"text": "最初のコメント"})
    client.get(url)  # the header's やること badge is counted again once after a change (test_dashboard_tasks.py)
    with count_queries() as small:
        assert client.get(url).status_code == 200
    with app.app_context():
        now = utcnow()
        db.session.execute(insert(ProposalRevision), [
            {"proposal_id": proposal.id, "number": n, "author_id": cast["author"].id, "created_at": now,
             "status": ProposalStatus.RETURNED, "title": f"第{n}版", "summary": "", "body": "", "plan_policy_id": policy_id()}
            for n in range(2, 31)
        ])
        db.session.execute(insert(ProposalComment), [
            {"proposal_id": proposal.id, "author_id": commenters[n % 3].id, "text": f"コメント{n}", "created_at": now}
            for n in range(29)
        ])
        db.session.commit()
    with count_queries() as large:
        response = client.get(url)
        assert response.status_code == 200 and "第30版" in page(response) and "コメント28" in page(response)
    assert large.count == small.count, large.statements


# ------------------------------------------------------------------------------------------- decisions

def test_the_page_shows_each_decision_with_its_date_and_vote_result(app, client, login, factory, cast):
    """継続審議 at one meeting, then 可決 by a vote at the next: both listed, the vote linked, 可決 with its date."""
    from liaison.domain import meetings as meeting_rules
    from liaison.domain import proposals as proposal_rules
    from liaison.domain import votes as vote_rules
    from liaison.models import Choice, Majority, Membership, VoteMethod

    proposal = factory.proposal(cast["author"], status="on_agenda", title="広域DX研修")
    with app.app_context():
        staff = db.session.get(User, cast["secretariat"].id)
        first = db.session.get(Proposal, proposal.id).agenda_items[0]
        vote_rules.defer_item(first, actor=staff)
        item = proposal_rules.schedule(first.proposal, factory.meeting("planning", status="convened"), actor=staff)
        meeting_rules.open_session(item.meeting, actor=staff, now=item.meeting.starts_at)  # decided at the sitting
        meeting_rules.check_in(item.meeting, db.session.scalar(select(Membership).where(
            Membership.user_id == cast["author"].id, Membership.committee.has(slug="planning"))), actor=staff)
        meeting_rules.check_in(item.meeting, db.session.scalar(select(Membership).where(
            Membership.user_id == cast["colleague"].id, Membership.committee.has(slug="planning"))), actor=staff)
        vote = vote_rules.open_vote(item, actor=staff, method=VoteMethod.IN_MEETING, majority=Majority.SIMPLE)
        seats = {m.user_id: m.id for m in db.session.scalars(select(Membership).where(Membership.committee.has(slug="planning")))}
        vote_rules.record_ballots(vote, {seats[cast["author"].id]: Choice.YES, seats[cast["colleague"].id]: Choice.YES}, actor=staff)
        vote_rules.close_vote(vote, actor=staff)
        db.session.commit()
        vote_id, decided = vote.id, format_date(item.proposal.decided_at, wareki=True)
        continued_on = format_date(first.decided_at, wareki=True)

    login(client, cast["colleague"].email)
    shown = page(client.get(f"/planning/proposals/{proposal.id}"))
    assert f'可決</span> <span class="decided">{decided}</span>' in shown
    decisions = shown[shown.index("審議結果"):shown.index('id="summary-heading"')]
    assert decisions.index("継続審議") < decisions.index("可決")
    assert f"<strong>継続審議</strong> {continued_on}" in decisions and f"<strong>可決</strong> {decided}" in decisions
    assert decisions.count('href="/planning/votes/') == 1
    assert f'<a href="/planning/votes/{vote_id}">表決結果</a>' in decisions and "賛成2 反対0 棄権0" in decisions
    result = client.get(f"/planning/votes/{vote_id}")
    assert result.status_code == 200 and "可決" in page(result)


def test_an_undecided_proposal_shows_no_decisions(client, login, factory, cast):
    proposal = factory.proposal(cast["author"], status="on_agenda")
    login(client, cast["author"].email)
    shown = page(client.get(f"/planning/proposals/{proposal.id}"))
    assert "審議結果" not in shown and 'class="decided"' not in shown


# ------------------------------------------------------------------------------------------------ report

def test_plan_report_counts_areas_marks_inactive_items_and_exports_csv(client, login, factory, cast):
    factory.proposal(cast["author"], status="accepted", title="DX研修の共同実施", policy="HRD-3")
    factory.proposal(cast["colleague"], status="submitted", title="合同採用説明会", policy="REC-1")
    factory.proposal(cast["colleague"], status="draft", title="非公開の下書き", policy="REC-1")
    council = factory.member(committee="council", body="川越市", email="kawagoe-council@example.jp")
    factory.proposal(council, committee="council", status="returned", title="連絡調整の効率化", policy="RES-2")
    # the secretariat sees every committee's proposals (test_plan_report_follows_visibility: a member sees fewer)
    login(client, cast["secretariat"].email)
    fy = current_fiscal_year()
    if fy not in range(2024, 2029):
        pytest.skip("the plan covers 令和6〜10年度 only")
    shown = page(client.get(f"/reports/plan?fy={fy}"))
    assert "DX研修の共同実施" in shown and "合同採用説明会" in shown and "連絡調整の効率化" in shown
    assert "非公開の下書き" not in shown
    areas = shown[shown.index("分野別の件数"):shown.index("施策別の提案")]
    rows = dict(re.findall(r'<th scope="row">(\S+)</th><td class="data">\d+</td><td class="data">(\d+)</td>', areas))
    assert rows == {"人材開発": "1", "人材交流": "0", "人材確保": "1", "推進": "1", "合計": "3"}
    policy_block = shown[shown.index('id="policy-EXC-1"'):shown.index('id="policy-EXC-2"')]
    assert "この年度の実績なし" in policy_block

    response = client.get(f"/reports/plan.csv?fy={fy}")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith("年度,分野,施策コード,施策,会議,提案番号,件名")
    assert any("DX研修の共同実施" in line and "受理" in line and "企画-R" in line for line in lines)
    assert any(line.split(",")[2] == "EXC-1" and "実績なし" in line for line in lines)
    assert "非公開の下書き" not in text
    assert len(lines) == 1 + 13 - 3 + 3  # one line per inactive item, one per proposal


def test_plan_report_follows_visibility(client, login, factory, cast, app):
    """A member sees in the report and its CSV only the proposals they may open (proposal_permissions.can_view)."""
    fy = current_fiscal_year()
    if fy not in range(2024, 2029):
        pytest.skip("the plan covers 令和6〜10年度 only")
    factory.proposal(cast["author"], status="submitted", title="企画部会の提出案", policy="HRD-3")
    factory.proposal(cast["author"], status="returned", title="企画部会の差戻し案", policy="HRD-3")
    factory.proposal(cast["colleague"], status="withdrawn", title="企画部会の取下げ案", policy="REC-1")
    council = factory.member(committee="council", body="川越市", email="kawagoe-council2@example.jp")
    factory.proposal(council, committee="council", status="submitted", title="連絡調整会議の提出案", policy="RES-2")
    planning_titles = ("企画部会の提出案", "企画部会の差戻し案")
    for viewer, sees, hidden in [
        ("outsider", ("連絡調整会議の提出案",), planning_titles),  # council only
        ("author", planning_titles, ("連絡調整会議の提出案",)),  # planning only
        ("secretariat", planning_titles + ("連絡調整会議の提出案",), ()),
    ]:
        login(client, cast[viewer].email)
        shown = page(client.get(f"/reports/plan?fy={fy}"))
        exported = client.get(f"/reports/plan.csv?fy={fy}").get_data(as_text=True)
        for title in sees:
            assert title in shown and title in exported, (viewer, title)
        for title in hidden:
            assert title not in shown and title not in exported, (viewer, title)
        client.form("/logout")


def test_the_proposal_form_offers_no_meeting_the_member_cannot_open(client, login, factory, cast):
    draft = factory.meeting("planning", status="draft", title="未公開の会議")
    convened = factory.meeting("planning", status="convened", title="招集済みの会議")
    login(client, cast["author"].email)
    form = page(client.get("/planning/proposals/new"))
    offered = re.search(r'<select[^>]*name="desired_meeting_id".*?</select>', form, re.S).group(0)
    assert f'value="{convened.id}"' in offered and f'value="{draft.id}"' not in offered
    assert client.get(f"/planning/meetings/{draft.id}").status_code == 403  # the one rule: no choice that 403s
    response = client.form("/planning/proposals/new", {
        "title": "会議指定の提案", "summary": "", "body": "", "plan_policy_id": "0", "desired_meeting_id": str(draft.id),
    })
    assert response.status_code == 400


def test_report_year_selector_offers_the_plan_years(client, login, cast):
    login(client, cast["author"].email)
    shown = page(client.get("/reports/plan?fy=2024"))
    for label in ("令和6年度", "令和7年度", "令和8年度", "令和9年度", "令和10年度"):
        assert f">{label}</option>" in shown
    assert "令和11年度</option>" not in shown


# --------------------------------------------------------------------------------------------- dashboard

def test_dashboard_shows_my_bodys_proposals_and_the_review_queue(client, login, factory, cast):
    factory.proposal(cast["author"], status="returned", title="差し戻された提案")
    factory.proposal(cast["colleague"], status="submitted", title="熊谷市の提案")
    login(client, cast["author"].email)
    shown = page(client.get("/"))
    assert "わたしの団体の提案" in shown and "差し戻された提案" in shown and "熊谷市の提案" not in shown
    assert "確認待ちの提案" not in shown
    login(client, cast["secretariat"].email)
    shown = page(client.get("/"))
    review = shown[shown.index("確認待ちの提案"):]
    assert "熊谷市の提案" in review and "差し戻された提案" not in review


def test_the_body_field_is_labelled_plainly_with_a_formatting_help(client, login, cast):
    login(client, cast["author"].email)
    form = page(client.get("/planning/proposals/new"))
    assert ">本文</label>" in form and "本文(Markdown)" not in form
    assert "「## 」で見出し" in form and "「- 」で箇条書き" in form
