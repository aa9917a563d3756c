"""The links sent by mail, over HTTP: forgot password, setting a password, dead links, the admin's invitation."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from liaison.dates import utcnow
from liaison.domain import accounts
from liaison.extensions import db
from liaison.models import AccountToken, Notification, NotificationKind, TokenPurpose, User


def _count(model) -> int:
    with db.session.no_autoflush:
        return db.session.scalar(select(func.count()).select_from(model))


def test_the_login_page_offers_a_password_reset(client):
    page = client.get("/login").get_data(as_text=True)
    assert "パスワードを忘れた場合" in page and "/password/forgot" in page


def test_forgot_password_answers_the_same_whether_or_not_the_address_exists(app, client, factory):
    user = factory.user(email="known@example.jp")
    known = client.form("/password/forgot", {"email": "Known@Example.jp"})
    unknown = client.form("/password/forgot", {"email": "unknown@example.jp"})
    assert known.status_code == unknown.status_code == 200
    strip = lambda response, email: response.get_data(as_text=True).replace(email, "EMAIL")  # noqa: E731
    assert strip(known, "known@example.jp") == strip(unknown, "unknown@example.jp")
    with app.app_context():
        rows = db.session.scalars(select(Notification)).all()
        assert [(row.recipient_id, row.kind) for row in rows] == [(user.id, NotificationKind.PASSWORD_RESET)]


def test_forgot_password_is_throttled_per_address_and_per_account(app, client, factory):
    factory.user(email="victim@example.jp")
    statuses = [client.form("/password/forgot", {"email": "victim@example.jp"}).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    with app.app_context():
        # The account itself got at most 3 mails in the hour, however often it was asked for.
        assert _count(Notification) == 3


def _reset_link(app, email: str, **kwargs) -> str:
    with app.app_context():
        token = accounts.request_password_reset(email, **kwargs)
        db.session.commit()
        return accounts.link_path(token)


def test_a_reset_link_sets_the_password_logs_in_and_then_is_dead(app, client, factory):
    factory.user(email="chief@example.jp")
    path = _reset_link(app, "chief@example.jp")
    page = client.get(path)
    assert page.status_code == 200 and "パスワードの設定" in page.get_data(as_text=True)
    response = client.form(path, {"password": "brand-new-password", "confirm": "brand-new-password"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200  # logged in
    again = client.get(path)
    assert again.status_code == 410
    text = again.get_data(as_text=True)
    assert "既に使用されています" in text and "/password/forgot" in text
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email == "chief@example.jp")).check_password("brand-new-password")


def test_an_expired_link_says_so_and_offers_a_new_one(app, client, factory):
    factory.user(email="late@example.jp")
    path = _reset_link(app, "late@example.jp", now=utcnow() - timedelta(days=1))
    response = client.get(path)
    assert response.status_code == 410
    assert "有効期限が切れています" in response.get_data(as_text=True)
    assert "新しいリンクを受け取る" in response.get_data(as_text=True)


def test_a_forged_link_is_404(client):
    response = client.get("/password/set/1-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert response.status_code == 404 and "このリンクは無効です" in response.get_data(as_text=True)


@pytest.mark.parametrize("data, message", [
    ({"password": "short", "confirm": "short"}, "10文字以上"),
    ({"password": "long-enough-pass", "confirm": "other-long-pass"}, "一致しません"),
])
def test_a_bad_new_password_is_refused_and_the_link_still_works(app, client, factory, data, message):
    factory.user(email="typo@example.jp")
    path = _reset_link(app, "typo@example.jp")
    response = client.form(path, data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert client.get(path).status_code == 200
    with app.app_context():
        assert db.session.scalar(select(AccountToken)).used_at is None


def test_setting_a_password_needs_the_csrf_token(app, client, factory):
    factory.user(email="csrf@example.jp")
    path = _reset_link(app, "csrf@example.jp")
    response = client.post(path, data={"password": "brand-new-password", "confirm": "brand-new-password"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(AccountToken)).used_at is None


def test_the_admin_creates_a_user_by_invitation_without_typing_a_password(app, client, login, factory):
    login(client, factory.admin().email)
    page = client.get("/admin/users/new").get_data(as_text=True)
    assert 'type="password"' not in page and "招待メール" in page
    response = client.form("/admin/users/new", {"email": "invited@example.jp", "name": "招待 太郎", "body_id": "0"})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "invited@example.jp"))
        [row] = db.session.scalars(select(Notification).where(Notification.recipient_id == user.id)).all()
        assert row.kind is NotificationKind.ACCOUNT_INVITATION
        first = db.session.scalar(select(AccountToken).where(AccountToken.user_id == user.id))
        assert first.purpose is TokenPurpose.INVITATION
        first_path = accounts.link_path(first)
    # Sending it again kills the first link.
    assert client.form(f"/admin/users/{user.id}/invite").status_code == 302
    assert client.get(first_path).status_code == 410


def test_account_mails_are_not_listed_in_the_in_app_notifications(app, client, login, factory):
    user = factory.user(email="inbox@example.jp")
    _reset_link(app, "inbox@example.jp")
    login(client, user.email)
    assert "パスワードの再設定" not in client.get("/notifications/").get_data(as_text=True)


# --- profile ---------------------------------------------------------------------------------------

def test_a_user_changes_their_name_and_title(app, client, login, factory):
    user = factory.member("planning", email="self@example.jp")
    login(client, user.email)
    response = client.form("/account/profile", {"name": "改名 太郎", "title": "人事課長"})
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.get(User, user.id)
        assert (saved.name, saved.title) == ("改名 太郎", "人事課長")
    assert client.form("/account/profile", {"name": "", "title": "x"}).status_code == 400


def test_a_new_email_is_confirmed_by_the_link_sent_to_it(app, client, login, factory):
    user = factory.member("planning", email="before@example.jp")
    login(client, user.email)
    assert client.form("/account/email", {"email": "After@Example.jp"}).status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).email == "before@example.jp"  # not yet
        token = db.session.scalar(select(AccountToken).where(AccountToken.user_id == user.id))
        assert (token.purpose, token.new_email) == (TokenPurpose.EMAIL_CHANGE, "after@example.jp")
        path = accounts.link_path(token)
    page = client.get(path)
    assert page.status_code == 200 and "after@example.jp" in page.get_data(as_text=True)
    assert client.form(path).status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).email == "after@example.jp"
    assert client.get(path).status_code == 410  # used


@pytest.mark.parametrize("email, message", [("not-an-address", "形式が正しくありません"), ("taken@example.jp", "既に登録されています")])
def test_a_bad_or_taken_new_email_is_refused(app, client, login, factory, email, message):
    factory.user(email="taken@example.jp")
    user = factory.member("planning")
    login(client, user.email)
    response = client.form("/account/email", {"email": email})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    with app.app_context():
        assert _count(AccountToken) == 0


def test_the_account_page_lists_seats_by_fiscal_year(app, client, login, factory):
    from liaison.dates import current_fiscal_year
    user = factory.member("planning", fiscal_year=current_fiscal_year() - 1)
    login(client, user.email)
    page = client.get("/account").get_data(as_text=True)
    assert "年度ごとの委員" in page and "企画運営部会" in page
    assert f"令和{current_fiscal_year() - 2019}年度" in page
