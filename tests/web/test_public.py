"""The public 会議録 pages (/public/): an anonymous walk over every page and link, masking, search,
the PDF, the Atom feed, caching (ETag, 304, Cache-Control: public) and the administrator's setting."""
import io
import re
from urllib.parse import urljoin, urlsplit

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from liaison.domain import public as public_rules
from liaison.extensions import db
from liaison.models import AuditEvent, Committee, Minutes

PUBLISHED_TEXT = "公開済みの議事録本文。川越 太郎委員から研修計画について質問があった。DX推進の説明もあった。"
SECRET_TEXTS = ("作成中の議事録本文", "確認中の議事録本文", "承認済み未公開の本文", "非公開会議の公開済み本文",
                "下書きの提案タイトル")


@pytest.fixture(autouse=True)
def _private_again(app):
    """Committees are reference data, kept between tests: every test starts and ends with none public."""
    def reset():
        with app.app_context():
            db.session.execute(update(Committee).values(public_minutes=False, public_mask_names=True,
                                                        public_keep_officers=False))
            db.session.commit()
    reset()
    yield
    reset()


@pytest.fixture()
def people(factory):
    return {
        "chair": factory.member(body="さいたま市", role="chair", email="chair@example.jp", name="佐藤 健一"),
        "member": factory.member(body="川越市", email="member@example.jp", name="川越 太郎"),
        "council": factory.member(committee="council", body="秩父市", role="chair", email="c@example.jp",
                                  name="秩父 花子"),
        "admin": factory.admin(email="admin@example.jp", name="管理 者"),
    }


def _set_public(app, slug: str, **settings) -> None:
    with app.app_context():
        committee = db.session.scalar(select(Committee).where(Committee.slug == slug))
        committee.public_minutes = True
        for name, value in settings.items():
            setattr(committee, name, value)
        db.session.commit()


@pytest.fixture()
def published(app, factory, people):
    """Planning (public) minutes in every state, a published council (not public) minutes, a draft proposal."""
    ids = {}
    for status, text in (("draft", "作成中の議事録本文"), ("in_review", "確認中の議事録本文"),
                         ("approved", "承認済み未公開の本文"), ("published", PUBLISHED_TEXT)):
        meeting = factory.meeting(status="held", agenda=2)
        ids[status] = factory.minutes(meeting, status=status, texts={"opening": text}).id
    council = factory.meeting("council", status="held", agenda=1)
    ids["council"] = factory.minutes(council, status="published", texts={"opening": "非公開会議の公開済み本文"}).id
    factory.proposal(people["member"], title="下書きの提案タイトル")
    _set_public(app, "planning")
    return ids


def _masked_names(app, minutes_id) -> set[str]:
    with app.app_context():
        minutes = db.session.get(Minutes, minutes_id)
        from liaison.domain import minutes as minutes_rules
        return public_rules.masked_names(minutes, minutes_rules.published_version(minutes))


def _links(html: str) -> set[str]:
    return set(re.findall(r'(?:href|src|action)="([^"]+)"', html))


def test_anonymous_walk_finds_nothing_unpublished_or_personal(app, client, published, people):
    hidden = _masked_names(app, published["published"])
    assert {"川越 太郎", "佐藤 健一"} <= hidden  # the chair too: officers' names are not kept by default
    login_only = ("/login",)
    seen, queue, pages = set(), ["/public/"], 0
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"].startswith("public"), url
        assert "Set-Cookie" not in response.headers, url
        if response.mimetype == "application/pdf":
            continue
        body = response.get_data(as_text=True)
        pages += 1
        for secret in SECRET_TEXTS:
            assert secret not in body, (url, secret)
        for name in hidden | {"川越太郎", "佐藤健一"}:
            assert name not in body, (url, name)
        assert "csrf" not in body.lower(), url
        for link in _links(body):
            parts = urlsplit(urljoin("http://localhost" + url, link))
            if parts.netloc not in ("localhost", ""):
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if parts.path.startswith("/static/"):
                continue
            if parts.path in login_only:
                assert app.test_client().get(path).status_code == 200  # another browser: the walk stays cookieless
                continue
            assert parts.path.startswith("/public/"), (url, link)
            queue.append(path)
    assert pages >= 4  # the index, the committee page, the minutes page, the feed
    assert f"/public/minutes/{published['published']}" in seen
    assert f"/public/minutes/{published['published']}.pdf" in seen
    assert "/public/feed.atom" in seen


def test_masked_text_shows_seats_instead_of_names(app, client, published):
    page = client.get(f"/public/minutes/{published['published']}").get_data(as_text=True)
    assert "公開済みの議事録本文" in page
    assert "川越市委員" in page and "さいたま市委員" in page
    assert "川越市委員委員から研修計画" in page  # the name in the secretariat's text is replaced too
    assert "川越 太郎" not in page and "佐藤 健一" not in page and "事務局 テスト" not in page
    assert "data-print" in page


def test_officers_names_kept_when_the_committee_says_so(app, client, published):
    _set_public(app, "planning", public_keep_officers=True)
    page = client.get(f"/public/minutes/{published['published']}").get_data(as_text=True)
    assert "佐藤 健一" in page and "事務局 テスト" in page
    assert "川越 太郎" not in page


def test_names_shown_when_masking_is_off(app, client, published):
    _set_public(app, "planning", public_mask_names=False)
    page = client.get(f"/public/minutes/{published['published']}").get_data(as_text=True)
    assert "川越 太郎" in page and "佐藤 健一" in page


@pytest.mark.parametrize("which", ["draft", "in_review", "approved", "council"])
def test_unpublished_or_not_public_minutes_are_404(client, published, which):
    assert client.get(f"/public/minutes/{published[which]}").status_code == 404
    assert client.get(f"/public/minutes/{published[which]}.pdf").status_code == 404


def test_committee_not_public_is_404_and_missing_ids(client, published):
    assert client.get("/public/council/").status_code == 404
    assert client.get("/public/nosuch/").status_code == 404
    assert client.get("/public/minutes/999999").status_code == 404
    assert client.get("/public/planning/?year=abc").status_code == 200
    assert client.get("/public/?year=99999&committee=%00").status_code in (200, 400)


def test_search_matches_the_masked_text_only(client, published):
    def hits(q):
        body = client.get("/public/", query_string={"q": q}).get_data(as_text=True)
        return body.count('href="/public/minutes/')

    assert hits("研修計画") == 1
    assert hits("公開済み 研修") == 1
    assert hits("川越市委員") == 1
    assert hits("太郎") == 0  # a masked name is not searchable
    assert hits("作成中の議事録本文") == 0
    assert hits("非公開会議") == 0
    assert hits("ＤＸ推進") == hits("dx推進") == 1  # normalised as every search is (issue 20: 全角英数字, case)
    with_year = client.get("/public/", query_string={"q": "研修計画", "committee": "planning"})
    assert with_year.status_code == 200 and 'href="/public/minutes/' in with_year.get_data(as_text=True)


def test_committee_page_lists_minutes_and_decisions_by_year(client, published, app):
    page = client.get("/public/planning/").get_data(as_text=True)
    assert f'href="/public/minutes/{published["published"]}"' in page
    assert "議決結果" in page
    assert page.count('href="/public/minutes/') >= 1


def test_pdf_is_masked(app, client, published):
    response = client.get(f"/public/minutes/{published['published']}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    assert "川越市委員" in text
    assert "川越 太郎" not in text and "川越太郎" not in text and "佐藤 健一" not in text


def test_atom_feed_lists_newly_published_public_minutes(client, published):
    response = client.get("/public/feed.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    body = response.get_data(as_text=True)
    assert body.count("<entry>") == 1
    assert f"/public/minutes/{published['published']}" in body
    assert "川越 太郎" not in body and "非公開会議" not in body


@pytest.mark.parametrize("path", ["/public/", "/public/planning/", "/public/feed.atom", "minutes", "pdf"])
def test_cacheable_with_etag_and_304(client, published, path):
    if path == "minutes":
        path = f"/public/minutes/{published['published']}"
    elif path == "pdf":
        path = f"/public/minutes/{published['published']}.pdf"
    first = client.get(path)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "public, max-age=300"
    etag = first.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and not again.data
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200


def test_etag_changes_when_a_setting_changes(app, client, published):
    path = f"/public/minutes/{published['published']}.pdf"
    before = client.get(path).headers["ETag"]
    _set_public(app, "planning", public_keep_officers=True)
    assert client.get(path).headers["ETag"] != before


def test_login_page_links_to_the_public_pages(client):
    assert 'href="/public/"' in client.get("/login").get_data(as_text=True)


def test_public_pages_need_no_committee(client):
    response = client.get("/public/")
    assert response.status_code == 200 and "公開している会議はまだありません" in response.get_data(as_text=True)
    assert client.get("/public/feed.atom").status_code == 200


# ------------------------------------------------------------------------------ the administrator's setting

def test_administrator_sets_the_public_setting(app, client, login, people):
    login(client, "admin@example.jp")
    page = client.get("/admin/public")
    assert page.status_code == 200 and "会議録の公開" in page.get_data(as_text=True)
    response = client.form("/admin/public/planning", {"planning-public": "y", "planning-keep_officers": "y"})
    assert response.status_code == 303
    with app.app_context():
        committee = db.session.scalar(select(Committee).where(Committee.slug == "planning"))
        assert committee.public_minutes and committee.public_keep_officers and not committee.public_mask_names
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "committee.public_settings"))
        assert event is not None and event.data["after"]["public_minutes"] is True
    assert client.get("/admin/audit").status_code == 200
    assert 'href="/public/planning/"' in client.get("/public/").get_data(as_text=True)


def test_public_setting_needs_an_administrator_and_csrf(app, client, login, people):
    assert client.get("/admin/public").status_code == 302  # anonymous: to the login page
    login(client, "member@example.jp")
    assert client.get("/admin/public").status_code == 403
    assert client.form("/admin/public/planning", {"planning-public": "y"}).status_code == 403
    client.form("/logout")
    login(client, "admin@example.jp")
    assert client.post("/admin/public/planning", data={"planning-public": "y"}).status_code == 400
    assert client.form("/admin/public/nosuch", {"nosuch-public": "y"}).status_code == 404
    with app.app_context():
        assert not db.session.scalar(select(Committee.public_minutes).where(Committee.slug == "planning"))


def test_a_logged_in_reader_gets_the_same_shared_page_without_a_cookie(app, client, login, published):
    path = f"/public/minutes/{published['published']}"
    anonymous = app.test_client().get(path)
    login(client, "member@example.jp")
    response = client.get(path)
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert response.headers["ETag"] == anonymous.headers["ETag"]  # nothing about the reader in the page
    assert client.get("/account").status_code == 200  # still logged in afterwards
