"""Logging in and out, a wrong password, an expired session, the language switch, the keyboard alone."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_member_logs_in_sees_their_committees_and_logs_out(browse):
    member = browse()
    member.open("/")
    assert member.path == "/login?next=%2F"
    expect(member.page.locator("html")).to_have_attribute("lang", "ja")

    member.log_in("member03@example.jp")

    assert member.path == "/"
    expect(member.heading()).to_have_text("ダッシュボード")
    seats = member.page.locator("section", has=member.page.get_by_role("heading", name="所属する会議")).get_by_role("table")
    expect(seats).to_contain_text("彩の国さいたま人づくり広域連合連絡調整会議")
    expect(seats).to_contain_text("企画運営部会")
    expect(seats).not_to_contain_text("県職員研修部会")

    member.log_out()
    member.sees("ログアウトしました。")
    member.open("/account")
    assert member.path == "/login?next=%2Faccount", "after logging out the account page asks for a login again"


def test_wrong_password_shows_the_message_and_nothing_else_changes(browse):
    member = browse()
    member.log_in("member20@example.jp", "not-the-password")

    assert member.path == "/login"
    expect(member.page.get_by_role("alert")).to_have_text("メールアドレスまたはパスワードが正しくありません。")
    expect(member.page.get_by_label("メールアドレス", exact=True)).to_have_value("member20@example.jp")
    expect(member.page.get_by_label("パスワード", exact=True)).to_have_value("")
    expect(member.page.get_by_role("button", name="ログアウト")).to_have_count(0)

    member.log_in("member20@example.jp")
    expect(member.heading()).to_have_text("ダッシュボード")


def test_expired_session_goes_to_login_and_returns_to_the_page_asked_for(browse):
    member = browse()
    member.log_in("member02@example.jp")
    member.follow("企画運営部会")
    expect(member.heading()).to_have_text("企画運営部会")
    committee_page = member.path

    member.context.clear_cookies(name="session")  # it expired (SESSION_HOURS) and the browser dropped it
    member.open(committee_page)

    assert member.path == "/login?next=%2Fplanning%2F"
    member.log_in("member02@example.jp")
    assert member.path == committee_page
    expect(member.heading()).to_have_text("企画運営部会")
    member.sees("委員名簿")


def test_language_switch_to_english_and_back_stays_on_the_page(browse):
    member = browse()
    member.log_in("member05@example.jp")
    member.follow("企画運営部会")

    member.choose("表示言語", "English")
    member.press("切替")

    assert member.path == "/planning/"
    expect(member.page.locator("html")).to_have_attribute("lang", "en")
    expect(member.page.get_by_role("heading", level=2, name="Purpose")).to_be_visible()
    expect(member.page.get_by_role("button", name="Log out")).to_be_visible()

    member.follow("Dashboard")
    expect(member.heading()).to_have_text("Dashboard")

    member.choose("Language", "日本語")
    member.press("Switch")

    assert member.path == "/"
    expect(member.page.locator("html")).to_have_attribute("lang", "ja")
    expect(member.heading()).to_have_text("ダッシュボード")


def test_keyboard_alone_logs_in_and_reaches_the_content_with_visible_focus(browse):
    member = browse()
    member.open("/login")
    assert member.focused()["id"] == "email", "the login form starts in the e-mail field"
    member.page.keyboard.type("member09@example.jp")
    assert member.tab()["id"] == "password"
    member.page.keyboard.type("liaison-demo")
    member.navigate_by(lambda: member.page.keyboard.press("Enter"))
    expect(member.heading()).to_have_text("ダッシュボード")

    skip = member.tab()
    assert skip["name"] == "本文へ移動" and skip["onscreen"] and skip["outlined"], skip
    member.page.keyboard.press("Enter")
    first_in_main = member.tab()
    # the dashboard starts with やること: the first link is the meeting whose attendance is still to answer
    assert first_in_main["name"] == "令和8年度第3回彩の国さいたま人づくり広域連合連絡調整会議", first_in_main

    member.page.keyboard.press("Shift+Tab")
    stops = []
    for _ in range(12):  # through the header, the main content and the footer's language switch
        stop = member.tab()
        stops.append(stop["name"])
        assert stop["outlined"], f"no visible focus on {stop}"
        if stop["name"] == "切替":
            break
    assert "ログアウト" not in stops  # the header comes before the content
    assert stops[-1] == "切替", f"the language switch is not reachable by keyboard: {stops}"
