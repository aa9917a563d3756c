"""Minutes pages: access per role and state, the whole flow, CSRF, bad input, PDF, Word, search, query counts."""
import io
import re
from datetime import timedelta

import pytest
from docx import Document
from pypdf import PdfReader
from sqlalchemy import func, insert, select

from liaison.dates import TOKYO, current_fiscal_year, utcnow
from liaison.domain import minutes as minutes_rules
from liaison.extensions import db
from liaison.models import (
    AgendaItem, Body, Committee, Meeting, Membership, Minutes, MinutesComment, MinutesReview, MinutesStatus, PlanPolicy,
    Proposal, ProposalStatus, Role, User,
)


@pytest.fixture()
def people(factory):
    return {
        "chair": factory.member(body="さいたま市", role="chair", email="chair@example.jp", name="佐藤 健一"),
        "member": factory.member(body="川越市", email="member@example.jp", name="川越 太郎"),
        "outsider": factory.member(committee="council", body="秩父市", email="outsider@example.jp"),
        "secretariat": factory.secretariat(email="staff@example.jp"),
    }


def _minutes(app, meeting_id) -> Minutes:
    with app.app_context():
        minutes = db.session.scalar(select(Minutes).where(Minutes.meeting_id == meeting_id))
        if minutes is not None:
            db.session.expunge(minutes)
        return minutes


def _as(client, login, user) -> None:
    """Log out whoever is logged in, then log in as user."""
    client.form("/logout")
    login(client, user.email)


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture()
def states(factory, people):
    """Held planning meetings with minutes in each state (and one without minutes)."""
    ids = {"none": factory.meeting(status="held", agenda=1).id}
    for status in ("draft", "in_review", "published"):
        meeting = factory.meeting(status="held", agenda=2)
        factory.minutes(meeting, status=status, texts={"opening": f"{status}の議事録本文"})
        ids[status] = meeting.id
    return ids


# ------------------------------------------------------------------------------------------- access

ANON, CHAIR, MEMBER, OUTSIDER, STAFF = None, "chair", "member", "outsider", "secretariat"


@pytest.mark.parametrize("path, user, expected", [
    ("/planning/meetings/{published}/minutes", ANON, 302),
    ("/planning/meetings/{published}/minutes", OUTSIDER, 200),
    ("/planning/meetings/{published}/minutes.pdf", OUTSIDER, 200),
    ("/planning/meetings/{published}/minutes.docx", OUTSIDER, 200),
    ("/planning/meetings/{published}/minutes/versions/2", OUTSIDER, 200),
    ("/planning/meetings/{published}/minutes/versions/1", OUTSIDER, 403),
    ("/planning/meetings/{published}/minutes/versions", OUTSIDER, 403),
    ("/planning/meetings/{published}/minutes/diff", OUTSIDER, 403),
    ("/planning/meetings/{published}/minutes/edit", OUTSIDER, 403),
    ("/planning/meetings/{published}/minutes/versions", MEMBER, 200),
    ("/planning/meetings/{published}/minutes/diff?from=1&to=2", MEMBER, 200),
    ("/planning/meetings/{published}/minutes/edit", MEMBER, 403),
    ("/planning/meetings/{published}/minutes/edit", STAFF, 200),
    ("/planning/meetings/{in_review}/minutes", OUTSIDER, 403),
    ("/planning/meetings/{in_review}/minutes.pdf", OUTSIDER, 403),
    ("/planning/meetings/{in_review}/minutes.docx", OUTSIDER, 403),
    ("/planning/meetings/{in_review}/minutes/versions/1", OUTSIDER, 403),
    ("/planning/meetings/{in_review}/minutes", MEMBER, 200),
    ("/planning/meetings/{in_review}/minutes.pdf", MEMBER, 200),
    ("/planning/meetings/{draft}/minutes", MEMBER, 200),
    ("/planning/meetings/{draft}/minutes.pdf", MEMBER, 403),
    ("/planning/meetings/{draft}/minutes/versions/2", MEMBER, 403),
    ("/planning/meetings/{draft}/minutes/versions", MEMBER, 403),
    ("/planning/meetings/{draft}/minutes/versions", STAFF, 200),
    ("/planning/meetings/{draft}/minutes/diff", STAFF, 200),
    ("/planning/meetings/{draft}/minutes/edit", STAFF, 200),
    ("/planning/meetings/{draft}/minutes/edit", CHAIR, 403),
    ("/planning/meetings/{none}/minutes", STAFF, 200),
    ("/planning/meetings/{none}/minutes", MEMBER, 200),
    ("/planning/meetings/{none}/minutes", OUTSIDER, 403),
    ("/planning/meetings/{none}/minutes.pdf", STAFF, 404),
    ("/planning/meetings/{none}/minutes/edit", STAFF, 404),
    ("/planning/meetings/999999/minutes", STAFF, 404),
    ("/council/meetings/{published}/minutes", STAFF, 404),  # another committee's URL
    ("/minutes/", ANON, 302),
    ("/minutes/", OUTSIDER, 200),
])
def test_get_access_table(client, login, people, states, path, user, expected):
    if user:
        login(client, people[user].email)
    assert client.get(path.format(**states)).status_code == expected


@pytest.mark.parametrize("action, user, expected", [
    ("create", MEMBER, 403), ("regenerate", MEMBER, 403), ("review", CHAIR, 403), ("return", MEMBER, 403),
    ("publish", CHAIR, 403), ("confirmation", MEMBER, 403), ("approve", MEMBER, 403), ("approve", STAFF, 403),
    ("approve", OUTSIDER, 403), ("no-objection", OUTSIDER, 403), ("no-objection", STAFF, 403),
])
def test_steps_refused_to_the_wrong_people(client, login, people, states, app, action, user, expected):
    login(client, people[user].email)
    response = client.form(f"/planning/meetings/{states['in_review']}/minutes/{action}")
    assert response.status_code == expected
    assert _minutes(app, states["in_review"]).status is MinutesStatus.IN_REVIEW


def test_posts_without_a_csrf_token_are_refused(client, login, people, states, app):
    login(client, people["chair"].email)
    response = client.post(f"/planning/meetings/{states['in_review']}/minutes/approve")
    assert response.status_code == 400
    assert _minutes(app, states["in_review"]).status is MinutesStatus.IN_REVIEW


# --------------------------------------------------------------------------------------------- flow

def test_from_generated_draft_to_published(client, login, factory, people, app):
    meeting = factory.meeting(status="held", agenda=3)
    url = f"/planning/meetings/{meeting.id}/minutes"
    login(client, people["secretariat"].email)
    page = client.get(url).get_data(as_text=True)
    assert "議事録の案を作成" in page
    response = client.form(f"{url}/create")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"{url}/edit")

    minutes = _minutes(app, meeting.id)
    with app.app_context():
        items = db.session.get(Minutes, minutes.id).versions[0].facts["items"]
    form = {f"text_item_{items[0]['id']}": "事務局から**資料1**により説明した。<script>alert('x')</script>",
            "text_opening": "部会長が開会を宣言した。", "reason": ""}
    assert client.form(f"{url}/edit", form).status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert "<strong>資料1</strong>" in page and "<script>alert" not in page
    assert "部会長が開会を宣言した。" in page

    deadline = (utcnow() + timedelta(days=7)).astimezone(TOKYO).strftime("%Y-%m-%dT%H:%M")
    assert client.form(f"{url}/review", {"deadline": deadline}).status_code == 303

    _as(client, login, people["member"])
    page = client.get(url).get_data(as_text=True)
    assert "委員確認中" in page and "未確認" in page
    assert client.form(f"{url}/no-objection").status_code == 303
    assert client.form(f"{url}/comments", {"agenda_item_id": items[1]["id"], "text": "議事2の表現を確認してください。"}).status_code == 303
    page = client.get(url).get_data(as_text=True)
    assert "異議なし: 1 / 2 名" in page and "議事2の表現を確認してください。" in page

    _as(client, login, people["chair"])
    # before the deadline the chair approves plainly once every seat has said 異議なし (the chair's seat too)
    assert "理由を付けて承認する" in client.get(url).get_data(as_text=True)
    assert client.form(f"{url}/no-objection").status_code == 303
    assert "この議事録を承認する" in client.get(url).get_data(as_text=True)
    assert client.form(f"{url}/approve").status_code == 303

    _as(client, login, people["outsider"])
    assert client.get(url).status_code == 403

    _as(client, login, people["secretariat"])
    assert client.form(f"{url}/publish").status_code == 303
    assert _minutes(app, meeting.id).status is MinutesStatus.PUBLISHED

    _as(client, login, people["outsider"])
    page = client.get(url).get_data(as_text=True)
    assert "<strong>資料1</strong>" in page and "承認日" in page and "佐藤 健一" in page
    assert "異議なし" not in page and "意見を送る" not in page  # the review is the committee's business
    found = client.get("/minutes/?q=資料1").get_data(as_text=True)
    assert f"/planning/meetings/{meeting.id}/minutes" in found and "1件" in found


def test_open_review_with_a_past_deadline_is_refused_and_nothing_changes(client, login, people, states, app):
    login(client, people["secretariat"].email)
    past = (utcnow() - timedelta(days=1)).astimezone(TOKYO).strftime("%Y-%m-%dT%H:%M")
    response = client.form(f"/planning/meetings/{states['draft']}/minutes/review", {"deadline": past})
    assert response.status_code == 400
    assert "確認の期限はこれからの日時にしてください。" in response.get_data(as_text=True)
    assert _minutes(app, states["draft"]).status is MinutesStatus.DRAFT


def test_an_empty_comment_is_refused_and_nothing_saved(client, login, people, states, app):
    login(client, people["member"].email)
    response = client.form(f"/planning/meetings/{states['in_review']}/minutes/comments", {"agenda_item_id": 0, "text": " "})
    assert response.status_code == 400
    assert "意見を入力してください。" in response.get_data(as_text=True)
    assert _count(app, MinutesComment) == 0


def test_correcting_approved_minutes_needs_a_reason(client, login, people, states, app):
    login(client, people["secretariat"].email)
    url = f"/planning/meetings/{states['published']}/minutes"
    response = client.form(f"{url}/edit", {"text_opening": "修正した本文", "reason": ""})
    assert response.status_code == 400
    assert "修正の理由を入力してください" in response.get_data(as_text=True)
    assert _minutes(app, states["published"]).status is MinutesStatus.PUBLISHED
    assert client.form(f"{url}/edit", {"text_opening": "修正した本文", "reason": "誤字の訂正"}).status_code == 303
    minutes = _minutes(app, states["published"])
    assert minutes.status is MinutesStatus.DRAFT and minutes.published_version == 2

    diff = client.get(f"{url}/diff?from=2&to=3").get_data(as_text=True)
    assert "誤字の訂正" in diff and "修正した本文" in diff and "publishedの議事録本文" in diff

    _as(client, login, people["outsider"])
    page = client.get(url).get_data(as_text=True)  # still the published version
    assert "publishedの議事録本文" in page and "修正した本文" not in page


def test_diff_escapes_what_was_written(client, login, people, factory, app):
    meeting = factory.meeting(status="held", agenda=1)
    factory.minutes(meeting, texts={"opening": "<img src=x onerror=alert(1)>"})
    login(client, people["secretariat"].email)
    page = client.get(f"/planning/meetings/{meeting.id}/minutes/diff?from=1&to=2").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in page and "<img src=x" not in page


def test_confirmation_item_on_the_next_meeting_links_back(client, login, people, states, factory, app):
    upcoming = factory.meeting(status="convened", agenda=1)
    login(client, people["secretariat"].email)
    url = f"/planning/meetings/{states['published']}/minutes"
    assert "「前回議事録の確認」を追加" in client.get(url).get_data(as_text=True)
    response = client.form(f"{url}/confirmation")
    assert response.status_code == 303 and f"/planning/meetings/{upcoming.id}" in response.headers["Location"]
    page = client.get(f"/planning/meetings/{upcoming.id}").get_data(as_text=True)
    assert "前回議事録の確認" in page and f'href="{url}"' in page
    assert _count(app, AgendaItem, AgendaItem.meeting_id == upcoming.id) == 2


def test_vote_results_appear_in_the_page_pdf_and_word(client, login, people, factory, app):
    from liaison.domain import meetings as meeting_rules
    from liaison.domain import votes as vote_rules
    from liaison.models import Choice, Majority, VoteMethod

    # a third seat: the presiding chair does not vote, so the tie is between two other seats
    factory.member(body="熊谷市", email="kumagaya@example.jp", name="熊谷 花子")
    meeting = factory.meeting(status="held", agenda=3)
    with app.app_context():
        staff = db.session.scalar(select(User).where(User.email == "staff@example.jp"))
        chair = db.session.scalar(select(User).where(User.email == "chair@example.jp"))
        seats = {m.user.email: m.id for m in db.session.scalars(select(Membership))}
        resolution = meeting_rules.agenda_of(db.session.get(Meeting, meeting.id))[2]
        vote = vote_rules.open_vote(resolution, actor=staff, method=VoteMethod.IN_MEETING, majority=Majority.SIMPLE)
        vote_rules.record_ballots(vote, {seats["kumagaya@example.jp"]: Choice.YES, seats["member@example.jp"]: Choice.NO},
                                  actor=staff)
        vote_rules.close_vote(vote, actor=staff)
        vote_rules.record_casting_vote(vote, Choice.NO, actor=chair)
        db.session.commit()
    factory.minutes(meeting, status="draft")
    login(client, people["secretariat"].email)
    url = f"/planning/meetings/{meeting.id}/minutes"
    page = client.get(url).get_data(as_text=True)
    assert "表決結果" in page and "否決" in page and "反対(佐藤 健一)" in page
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(client.get(f"{url}.pdf").get_data())).pages)
    assert "表決結果" in text and "議長裁決" in text and "否決" in text
    document = Document(io.BytesIO(client.get(f"{url}.docx").get_data()))
    rows = [[cell.text for cell in row.cells] for table in document.tables for row in table.rows]
    assert ["1", "1", "0", "否決", "反対(佐藤 健一)"] in rows


# ------------------------------------------------------------------------------------ PDF and Word

def test_pdf_is_a4_with_japanese_text_page_numbers_and_embedded_fonts(client, login, people, states, app):
    login(client, people["outsider"].email)
    response = client.get(f"/planning/meetings/{states['published']}/minutes.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    page = reader.pages[0]
    assert [round(float(x)) for x in page.mediabox[2:]] == [595, 842]  # A4 in points
    text = "\n".join(p.extract_text() for p in reader.pages)
    with app.app_context():
        name = db.session.get(Meeting, states["published"]).committee.name
    for heading in ("議事録", "出席者", "議事", "日時", "場所", "承認日", "承認者", "部会長", "佐藤 健一", name,
                    "publishedの議事録本文"):
        assert heading in text, heading
    assert f"1 / {len(reader.pages)}" in text
    fonts = [font.get_object() for p in reader.pages for font in p["/Resources"]["/Font"].values()]
    assert any("CJK" in str(font["/BaseFont"]) for font in fonts)
    for font in fonts:
        descriptor = (font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font)["/FontDescriptor"]
        assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), font["/BaseFont"]


def test_docx_of_any_version_has_the_headings_and_tables(client, login, people, states, app):
    login(client, people["secretariat"].email)
    response = client.get(f"/planning/meetings/{states['published']}/minutes.docx?version=1")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    document = Document(io.BytesIO(response.get_data()))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[0].endswith("議事録") and "出席者" in headings and "議事" in headings
    assert headings[-2:] == ["1\u3000報告事項\u3000議事1", "2\u3000協議事項\u3000議事2"]
    cells = {cell.text for table in document.tables for row in table.rows for cell in row.cells}
    assert {"日時", "場所", "出席", "さいたま市", "佐藤 健一", "説明者"} <= cells
    body = "\n".join(p.text for p in document.paragraphs)
    assert "未承認(第1版)" in body  # version 1 was never approved
    latest = Document(io.BytesIO(client.get(f"/planning/meetings/{states['published']}/minutes.docx").get_data()))
    assert "publishedの議事録本文" in "\n".join(p.text for p in latest.paragraphs)
    assert any(p.text.startswith("承認日") for p in latest.paragraphs)


# -------------------------------------------------------------------------------------- query counts

def _seat_many(app, committee_slug: str, n: int) -> None:
    """n voting seats on a committee, written directly (fast)."""
    with app.app_context():
        committee = db.session.scalar(select(Committee).where(Committee.slug == committee_slug))
        seated = select(Membership.body_id).where(Membership.committee_id == committee.id)
        bodies = db.session.scalars(select(Body).where(Body.id.not_in(seated)).order_by(Body.position).limit(n)).all()
        hashed = db.session.scalar(select(User.password_hash).limit(1))
        for index, body in enumerate(bodies):
            user = User(email=f"seat{committee_slug}{index}@example.jp", name=f"委員 {index}", body=body,
                        password_hash=hashed, active=True)
            db.session.add(user)
            db.session.add(Membership(committee=committee, fiscal_year=current_fiscal_year(), user=user, body=body,
                                      department="", role=Role.MEMBER))
        db.session.commit()


def _reviewed_by_all(app, meeting_id) -> None:
    with app.app_context():
        minutes = db.session.scalar(select(Minutes).where(Minutes.meeting_id == meeting_id))
        version = minutes.versions[-1]
        for seat in db.session.scalars(select(Membership).where(Membership.committee_id == minutes.meeting.committee_id)):
            db.session.add(MinutesReview(minutes_id=minutes.id, version_id=version.id, membership_id=seat.id,
                                         user_id=seat.user_id, at=utcnow()))
            db.session.add(MinutesComment(minutes_id=minutes.id, version_id=version.id, user_id=seat.user_id,
                                          membership_id=seat.id, text="異議なし", at=utcnow()))
        db.session.commit()


def test_the_minutes_page_runs_a_fixed_number_of_queries(client, login, factory, people, app, count_queries):
    factory.member(committee="municipal-training", body="川越市", role="chair", email="m-chair@example.jp")
    factory.member(committee="council", body="埼玉県", role="chair", email="c-chair@example.jp")
    _seat_many(app, "municipal-training", 4)
    _seat_many(app, "council", 62)  # with the outsider and the chair: 64
    assert _count(app, Membership, Membership.committee.has(slug="council")) == 64
    small = factory.meeting("municipal-training", status="held", agenda=3)
    large = factory.meeting("council", status="held", agenda=30)
    for meeting in (small, large):
        factory.minutes(meeting, status="in_review", texts={"opening": "開会"})
        _reviewed_by_all(app, meeting.id)
    login(client, people["secretariat"].email)
    with count_queries() as few:
        assert client.get(f"/municipal-training/meetings/{small.id}/minutes").status_code == 200
    with count_queries() as many:
        page = client.get(f"/council/meetings/{large.id}/minutes")
        assert page.status_code == 200
    assert "議事30" in page.get_data(as_text=True) and "異議なし: 64 / 64 名" in page.get_data(as_text=True)
    assert few.count == many.count


def test_the_published_list_runs_a_fixed_number_of_queries(client, login, factory, people, count_queries):
    factory.minutes(factory.meeting(status="held", agenda=1), status="published")
    login(client, people["outsider"].email)
    with count_queries() as few:
        assert client.get("/minutes/").status_code == 200
    for _ in range(3):
        factory.minutes(factory.meeting(status="held", agenda=1), status="published")
    client.get("/minutes/")  # the header's やること badge is counted again once after a change (test_dashboard_tasks.py)
    with count_queries() as many:
        page = client.get("/minutes/")
    assert "4件" in page.get_data(as_text=True)
    assert few.count == many.count


# ------------------------------------------------------------------ search: minutes and proposals together

def _bulk_proposals(app, n: int, title: str = "デジタル人材の提案") -> None:
    """n submitted planning proposals written directly (fast), one second apart, newest first by number."""
    with app.app_context():
        committee_id = db.session.scalar(select(Committee.id).where(Committee.slug == "planning"))
        body_id = db.session.scalar(select(Body.id).where(Body.name == "川越市"))
        policy_id = db.session.scalar(select(PlanPolicy.id).order_by(PlanPolicy.position).limit(1))
        now = utcnow()
        db.session.execute(insert(Proposal), [
            {"committee_id": committee_id, "body_id": body_id, "department": "", "title": f"{title}{i}",
             "summary": "", "body": "", "plan_policy_id": policy_id, "status": ProposalStatus.SUBMITTED,
             "return_reason": "", "fiscal_year": current_fiscal_year(), "submitted_at": now, "created_at": now,
             "updated_at": now - timedelta(days=1, seconds=i)}
            for i in range(n)
        ])
        db.session.commit()


def _results(html: str) -> list[tuple[str, str]]:
    """(type label, link target) of each search result, in order."""
    return re.findall(r'<li class="result-\w+">\s*<span class="badge">([^<]+)</span>\s*<a href="([^"]+)"', html)


def test_the_search_finds_digital_talent_in_minutes_and_proposals(client, login, factory, people):
    meeting = factory.meeting(status="held", agenda=1)
    factory.minutes(meeting, status="published", texts={"opening": "本市におけるデジタル人材の確保について意見交換した。"})
    factory.minutes(factory.meeting(status="held", agenda=1), status="in_review", texts={"opening": "デジタル人材(確認中)"})
    proposal = factory.proposal(people["member"], status="submitted", title="研修計画",
                                summary="各団体で不足しているデジタル人材の育成に向けた共同研修")
    factory.proposal(people["member"], status="draft", title="デジタル人材の下書き")

    login(client, people["chair"].email)
    shown = client.get("/minutes/", query_string={"q": "デジタル人材"}).get_data(as_text=True)
    assert _results(shown) == [
        ("提案", f"/planning/proposals/{proposal.id}"), ("議事録", f"/planning/meetings/{meeting.id}/minutes"),
    ]
    assert "2件" in shown and "各団体で不足しているデジタル人材の育成" in shown

    _as(client, login, people["member"])  # the draft's own seat reads it too
    assert len(_results(client.get("/minutes/?q=デジタル人材").get_data(as_text=True))) == 3
    _as(client, login, people["outsider"])  # another committee: the published minutes only
    assert _results(client.get("/minutes/?q=デジタル人材").get_data(as_text=True)) == [
        ("議事録", f"/planning/meetings/{meeting.id}/minutes"),
    ]
    _as(client, login, people["chair"])
    assert _results(client.get("/minutes/?q=デジタル人材&kind=minutes").get_data(as_text=True)) == [
        ("議事録", f"/planning/meetings/{meeting.id}/minutes"),
    ]
    assert _results(client.get("/minutes/?q=デジタル人材&kind=proposal&committee=council").get_data(as_text=True)) == []


def test_the_search_pages_through_minutes_and_proposals(app, client, login, factory, people):
    meeting = factory.meeting(status="held", agenda=1)
    factory.minutes(meeting, status="published", texts={"opening": "デジタル人材の確保"})
    _bulk_proposals(app, 20)  # changed a day ago: newer than the meeting of two weeks ago
    login(client, people["chair"].email)
    first = client.get("/minutes/?q=デジタル人材").get_data(as_text=True)
    second = client.get("/minutes/?q=デジタル人材&page=2").get_data(as_text=True)
    assert "1 / 2 ページ(全21件)" in first and "2 / 2 ページ(全21件)" in second
    assert [label for label, _ in _results(first)] == ["提案"] * 20
    assert _results(second) == [("議事録", f"/planning/meetings/{meeting.id}/minutes")]
    past_the_end = client.get("/minutes/?q=デジタル人材&page=99").get_data(as_text=True)
    assert "2 / 2 ページ(全21件)" in past_the_end and _results(past_the_end) == _results(second)


def test_the_search_runs_a_fixed_number_of_queries(app, client, login, factory, people, count_queries):
    factory.minutes(factory.meeting(status="held", agenda=1), status="published", texts={"opening": "デジタル人材"})
    _bulk_proposals(app, 1)
    login(client, people["chair"].email)
    with count_queries() as few:
        page = client.get("/minutes/?q=デジタル人材")
    assert [label for label, _ in _results(page.get_data(as_text=True))] == ["提案", "議事録"]
    for _ in range(2):
        factory.minutes(factory.meeting(status="held", agenda=1), status="published", texts={"opening": "デジタル人材"})
    _bulk_proposals(app, 30, title="デジタル人材の追加提案")
    client.get("/minutes/?q=デジタル人材&page=2")  # the header's やること badge is counted again once after a change (test_dashboard_tasks.py)
    with count_queries() as many:
        page = client.get("/minutes/?q=デジタル人材&page=2")
    assert "全34件" in page.get_data(as_text=True) and len(_results(page.get_data(as_text=True))) == 14
    assert few.count == many.count


def test_last_years_members_review_their_meetings_minutes_after_the_handover(client, login, factory, people, app):
    """After the April handover a former member still reviews (異議なし, comments) the minutes of a meeting
    they sat in, though this year's committee pages are closed to them; an outsider still may not."""
    from liaison.dates import fiscal_year_bounds

    last_year = current_fiscal_year() - 1
    former = factory.member(body="熊谷市", fiscal_year=last_year, email="former@example.jp", name="熊谷 次郎")
    starts = fiscal_year_bounds(last_year)[0].replace(month=7, day=10, hour=14)
    meeting = factory.meeting(status="held", starts_at=starts, agenda=2)
    factory.minutes(meeting, status="in_review", texts={"opening": "前年度の会議"})
    path = f"/planning/meetings/{meeting.id}/minutes"
    login(client, former.email)
    assert client.get("/planning/meetings/").status_code == 403
    page = client.get(path)
    assert page.status_code == 200 and "前年度の会議" in page.get_data(as_text=True)
    assert client.get(path + "/versions").status_code == 200
    assert client.form(path + "/no-objection").status_code == 303
    assert client.form(path + "/comments", {"text": "発言者名を確認してください。", "agenda_item_id": "0"}).status_code == 303
    with app.app_context():
        minutes = db.session.scalar(select(Minutes).where(Minutes.meeting_id == meeting.id))
        assert [line.review.user_id for line in minutes_rules.review_sheet(minutes) if line.review] == [former.id]
        assert [c.user_id for c in minutes_rules.comments_of(minutes)] == [former.id]
    _as(client, login, people["outsider"])
    assert client.form(path + "/no-objection").status_code == 403
    assert client.form(path + "/comments", {"text": "部外者です", "agenda_item_id": "0"}).status_code == 403
    assert client.get(path + "/versions").status_code == 403
