import pytest
from sqlalchemy import select

from liaison.extensions import db
from liaison.models import User

from ..conftest import PASSWORD


def test_login_success_and_logout(client, login, factory):
    user = factory.member(email="chief@example.jp", name="担当 課長")
    response = login(client, user.email)
    assert response.headers["Location"] == "/"
    assert "担当 課長" in client.get("/").get_data(as_text=True)
    assert client.form("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_login_failure_shows_japanese_message(client, factory):
    factory.user(email="chief@example.jp")
    response = client.form("/login", {"email": "chief@example.jp", "password": "wrong-password"})
    assert response.status_code == 401
    assert "メールアドレスまたはパスワードが正しくありません" in response.get_data(as_text=True)
    response = client.form("/login", {"email": "nobody@example.jp", "password": "whatever"})
    assert response.status_code == 401


def test_login_is_throttled_after_repeated_failures(app, client, factory):
    """Issue 17: a delay that grows, not a lock written to the account (which anyone could trigger)."""
    factory.user(email="chief@example.jp")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert client.form("/login", {"email": "chief@example.jp", "password": "wrong-password"}).status_code == 401
    response = client.form("/login", {"email": "chief@example.jp", "password": PASSWORD})
    assert response.status_code == 429
    assert "ログインの失敗が続いたため" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0
    assert client.get("/").status_code == 302  # not logged in
    with app.app_context():
        # The lock-out lives in the throttle, never in the user's row (its columns are gone: migration 0026).
        user = db.session.scalar(select(User).where(User.email == "chief@example.jp"))
        assert user.active and user.session_version == 1
        assert {"failed_logins", "locked_until"}.isdisjoint(User.__table__.c.keys())


def test_post_without_csrf_token_is_refused(client, factory):
    factory.user(email="chief@example.jp")
    response = client.post("/login", data={"email": "chief@example.jp", "password": PASSWORD})
    assert response.status_code == 400
    assert "不正な送信" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not logged in


@pytest.mark.parametrize(
    "next_url, expected",
    [
        ("/council/", "/council/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_redirects_only_to_local_paths(client, factory, next_url, expected):
    factory.member(committee="council", email="chief@example.jp")
    response = client.form("/login", {"email": "chief@example.jp", "password": PASSWORD, "next": next_url})
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_anonymous_page_request_returns_after_login(client, login, factory):
    factory.member(committee="planning", email="chief@example.jp")
    response = client.get("/planning/")
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="next" type="hidden" value="/planning/"' in page
    response = client.form("/login", {"email": "chief@example.jp", "password": PASSWORD, "next": "/planning/"})
    assert response.headers["Location"] == "/planning/"


def test_deactivated_user_loses_the_session(app, client, login, factory):
    user = factory.member(email="chief@example.jp")
    admin = factory.admin()
    login(client, user.email)
    other = app.test_client()
    other.__class__ = client.__class__
    login(other, admin.email)
    assert other.form(f"/admin/users/{user.id}/active", {"active": "0"}).status_code == 303
    assert client.get("/").status_code == 302
    response = client.form("/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 401 and "無効" in response.get_data(as_text=True)


def test_session_cookie_is_httponly_and_samesite(client, login, factory):
    factory.user(email="chief@example.jp")
    response = login(client, "chief@example.jp")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_password_change(client, login, factory):
    factory.user(email="chief@example.jp")
    login(client, "chief@example.jp")
    bad = client.form("/account", {"current": "wrong", "password": "new-password-123", "confirm": "new-password-123"})
    assert bad.status_code == 400 and "現在のパスワードが正しくありません" in bad.get_data(as_text=True)
    ok = client.form("/account", {"current": PASSWORD, "password": "new-password-123", "confirm": "new-password-123"})
    assert ok.status_code == 302
    assert client.get("/").status_code == 200  # this session was renewed
    client.form("/logout")
    login(client, "chief@example.jp", "new-password-123")


def test_language_switch_to_english(client, login, factory):
    factory.member(email="chief@example.jp")
    login(client, "chief@example.jp")
    assert "ダッシュボード" in client.get("/").get_data(as_text=True)
    response = client.form("/locale", {"locale": "en", "next": "/"})
    assert response.status_code == 303
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page and "Dashboard" in page
