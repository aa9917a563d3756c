"""Pages for every role, error pages in Japanese, and fixed query counts."""
import pytest

from liaison.dates import current_fiscal_year


@pytest.mark.parametrize(
    "who, path, expected",
    [
        ("anonymous", "/planning/", 302),
        ("planning member", "/planning/", 200),
        ("planning member", "/council/", 403),
        ("planning member", "/prefectural-training/", 403),
        ("secretariat", "/prefectural-training/", 200),
        ("admin", "/municipal-training/", 200),
        ("planning member", "/no-such-committee/", 404),
    ],
)
def test_committee_page_access(client, login, factory, who, path, expected):
    users = {"planning member": factory.member, "secretariat": factory.secretariat, "admin": factory.admin}
    if who in users:
        login(client, users[who]().email)
    response = client.get(path)
    assert response.status_code == expected
    if expected == 403:
        assert "このページを表示する権限がありません" in response.get_data(as_text=True)
    if expected == 404:
        assert "ページが見つかりません" in response.get_data(as_text=True)


def test_committee_page_lists_members_by_role(client, login, factory):
    factory.member(committee="planning", body="さいたま市", role="chair", name="議長 花子")
    me = factory.member(committee="planning", body="川越市", name="委員 太郎")
    login(client, me.email)
    page = client.get("/planning/").get_data(as_text=True)
    assert "企画運営部会" in page
    roster = page[page.index("委員名簿"):]
    assert roster.index("議長 花子") < roster.index("委員 太郎")
    assert "部会長" in page and "さいたま市" in page


def test_past_year_members_are_kept(client, login, factory):
    fy = current_fiscal_year()
    factory.member(committee="planning", body="川越市", fiscal_year=fy - 1, name="前任 次郎")
    me = factory.member(committee="planning", body="川越市", name="後任 三郎")
    login(client, me.email)
    assert "前任 次郎" in client.get(f"/planning/?fy={fy - 1}").get_data(as_text=True)
    assert "前任 次郎" not in client.get("/planning/").get_data(as_text=True)


def test_server_error_page_is_japanese_and_nothing_leaks(app, tmp_path):
    from ..conftest import Client, make_app

    broken = make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path, PROPAGATE_TEST_ERRORS=False)

    @broken.get("/boom-for-test")
    def boom():
        raise RuntimeError("secret detail")

    broken.test_client_class = Client
    response = broken.test_client().get("/boom-for-test")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "システムエラーが発生しました" in body and "secret detail" not in body
    assert '<html lang="ja">' in body


@pytest.mark.parametrize("path", ["/", "/planning/", "/admin/users", "/admin/audit", "/admin/memberships?committee=council"])
def test_query_count_does_not_grow_with_data(client, login, factory, count_queries, path):
    admin = factory.admin()
    factory.member(committee="planning", body="川越市")
    factory.member(committee="council", body="川越市", email="c1@example.jp")
    login(client, admin.email)
    client.get(path)
    with count_queries() as small:
        assert client.get(path).status_code == 200
    bodies = ["熊谷市", "川口市", "行田市", "秩父市", "所沢市", "飯能市", "加須市", "本庄市", "東松山市", "春日部市",
              "狭山市", "羽生市", "鴻巣市", "深谷市", "上尾市", "草加市", "越谷市", "蕨市", "戸田市", "入間市"]
    for n, body in enumerate(bodies):
        factory.member(committee="planning", body=body, email=f"p{n}@example.jp")
        factory.member(committee="council", body=body, email=f"c{n + 2}@example.jp")
    client.get(path)  # the header's やること badge is counted again once after a change (test_dashboard_tasks.py)
    with count_queries() as large:
        assert client.get(path).status_code == 200
    assert large.count == small.count, large.statements
    assert small.count <= 10, small.statements
