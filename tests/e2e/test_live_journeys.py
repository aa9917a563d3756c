"""The meeting day with three browsers at once (issue 18): the secretariat's console, a member's phone and the
screen (the projector's ?k= link) follow today's demo 企画運営部会 live, without reloading."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def click(visitor, button, *, confirm: bool = False, within=None) -> None:
    """Press a live page's button: live.js posts it and swaps the live part in (or the page reloads)."""
    if confirm:
        visitor.page.once("dialog", lambda dialog: dialog.accept())
    (within or visitor.page).get_by_role("button", name=button, exact=True).first.click()


def test_console_phone_and_screen_follow_a_vote_live(browse):
    console = browse(name="console")
    console.log_in("secretariat@example.jp")
    console.open("/planning/meetings/")
    today = console.page.get_by_role("row").filter(has_text="会議進行のデモ").get_by_role("link")
    console.navigate_by(today.first.click)
    base = console.path
    console.open(f"{base}/console")
    link = console.page.locator(".screen-link a").first.get_attribute("href")
    screen_path = urlsplit(link).path + "?" + urlsplit(link).query
    click(console, "開会", confirm=True)
    expect(console.page.get_by_role("button", name="閉会")).to_be_visible()
    for seat in ("埼玉県", "川越市", "川口市", "越谷市"):  # 受付 at the door by the secretariat
        row = console.page.get_by_role("row").filter(has_text=seat)
        click(console, "出席", within=row)
        expect(console.page.get_by_role("row").filter(has_text=seat)).to_contain_text("出席", timeout=10_000)

    phone = browse(name="phone", viewport={"width": 390, "height": 844})
    phone.log_in("member02@example.jp")
    phone.open(f"{base}/live")
    click(phone, "出席する(受付)")
    expect(phone.page.get_by_role("button", name="出席する(受付)")).to_have_count(0, timeout=10_000)
    phone.fits_the_screen()

    screen = browse(name="screen", viewport={"width": 1280, "height": 720})
    screen.open(screen_path)

    titles = ("令和8年度上半期の事業執行状況", "構成団体の研修ニーズ調査", "令和9年度事業計画の策定方針",
              "令和9年度共同研修計画(案)")  # 次へ four times: the fourth item is the 議決事項
    for title in titles:
        click(console, "次へ")
        expect(console.page.locator(".agenda-live li.current")).to_contain_text(title, timeout=10_000)
    # 「この資料を全員に表示」: the console shows 資料4 (three pages) and turns to page 2; the phone and the screen
    # follow without a reload; the member turns a page themselves and stops following until they ask again
    phone.page.evaluate("window.notReloaded = true")
    click(console, "この資料を全員に表示")
    phone_viewer = phone.page.locator("[data-presenting] [data-pdf-viewer]")
    screen_viewer = screen.page.locator("[data-presenting] [data-pdf-viewer]")
    for viewer in (phone_viewer, screen_viewer):
        expect(viewer).to_have_attribute("data-rendered-page", "1", timeout=15_000)
    click(console, "次のページ")
    expect(console.page.locator(".presenting-controls")).to_contain_text("2ページ", timeout=10_000)
    for viewer in (phone_viewer, screen_viewer):
        expect(viewer).to_have_attribute("data-rendered-page", "2", timeout=10_000)
    assert phone.page.evaluate("window.notReloaded") is True
    phone_viewer.get_by_role("button", name="次へ", exact=True).click()  # the member reads ahead
    expect(phone_viewer).to_have_attribute("data-rendered-page", "3", timeout=10_000)
    follow = phone.page.get_by_role("button", name="発表者に合わせる")
    expect(follow).to_have_attribute("aria-pressed", "false")
    phone.fits_the_screen()
    follow.click()
    expect(phone_viewer).to_have_attribute("data-rendered-page", "2", timeout=10_000)
    expect(follow).to_have_attribute("aria-pressed", "true")
    click(console, "表示をやめる")
    expect(phone.page.locator("[data-presenting]")).to_be_hidden(timeout=10_000)
    expect(screen.page.locator("[data-presenting]")).to_be_hidden(timeout=10_000)
    expect(console.page.get_by_role("button", name="表決を開始")).to_be_visible(timeout=10_000)
    click(console, "表決を開始")
    yes = phone.page.get_by_role("button", name="賛成", exact=True)
    expect(yes).to_be_visible(timeout=5_000)  # arrived without a reload
    yes.click()
    expect(phone.page.get_by_text("あなたの票: 賛成", exact=False)).to_be_visible(timeout=5_000)
    click(console, "表決を締め切る", confirm=True)
    expect(phone.page.locator("[data-live-root]")).to_contain_text("賛成 1・反対 0", timeout=5_000)
    expect(screen.page.locator("[data-live-root]")).to_contain_text("賛成 1・反対 0", timeout=5_000)
    expect(console.page.get_by_role("button", name="閉会")).to_be_visible()
    click(console, "閉会", confirm=True)
    expect(console.page.get_by_role("button", name="閉会")).to_have_count(0, timeout=10_000)
    console.open(f"{base}/minutes")
    click(console, "議事録の案を作成")  # the draft is generated from the sitting's record
    expect(console.page.get_by_text("開会 ", exact=False).first).to_be_visible()
    for visitor in (console, phone, screen):
        assert visitor.csp_violations == []
        visitor.check_accessibility()
