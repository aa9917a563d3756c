"""Official documents in the browser: a member prints a 招集通知, and anyone reads a public 会議録 page on a phone."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

from .harness import PHONE

pytestmark = pytest.mark.e2e

# A convened meeting of 企画運営部会 (the demo has them) and one of its voting members.
CONVENED = text("""
    SELECT mt.id, u.email FROM meetings mt JOIN committees c ON c.id = mt.committee_id
    JOIN memberships ms ON ms.committee_id = mt.committee_id AND ms.fiscal_year = mt.fiscal_year
                       AND ms.ended_at IS NULL AND ms.role <> 'observer'
    JOIN users u ON u.id = ms.user_id
    WHERE mt.status = 'convened' AND c.slug = 'planning' ORDER BY mt.starts_at, ms.id LIMIT 1
""")
# window.print() opens no dialog in headless Chromium: count the calls instead.
COUNT_PRINTS = "window.__prints = 0; window.print = () => { window.__prints += 1; };"


def _query(live_server, statement):
    engine = create_engine(live_server.env["DATABASE_URL"])
    try:
        with engine.connect() as connection:
            return connection.execute(statement).one()
    finally:
        engine.dispose()


def test_a_member_prints_the_convocation_notice(browse, live_server):
    meeting_id, email = _query(live_server, CONVENED)
    member = browse(name="member")
    member.page.add_init_script(COUNT_PRINTS)
    member.log_in(email)
    member.open(f"/planning/meetings/{meeting_id}")
    member.follow("招集通知を表示・印刷")
    notice = member.page.locator(".official-notice")
    expect(notice).to_contain_text("(通知)")
    expect(notice).to_contain_text("記")
    expect(notice).to_contain_text("以上")
    expect(notice).to_contain_text("(公印省略)")

    member.page.get_by_role("button", name="印刷する").click()
    assert member.page.evaluate("window.__prints") == 1

    # On paper: the notice alone, without the site's header, menus, breadcrumb and buttons.
    member.page.emulate_media(media="print")
    for chrome in (member.page.locator(".site-header"), member.page.get_by_role("navigation", name="メインメニュー"),
                   member.page.get_by_role("button", name="印刷する"), member.page.locator(".breadcrumb")):
        expect(chrome).to_be_hidden()
    expect(notice).to_be_visible()
    assert notice.evaluate("el => getComputedStyle(el).borderTopStyle") == "none"
    member.page.emulate_media(media="screen")
    expect(member.page.locator(".site-header")).to_be_visible()


def test_anyone_reads_published_minutes_on_the_public_pages_on_a_phone(browse):
    admin = browse(name="admin")
    admin.log_in("admin@example.jp")
    admin.open("/admin/public")
    council = admin.page.locator("section", has=admin.page.get_by_role("heading", name="連絡調整会議"))
    council.get_by_label("公開ページに議事録と議決結果を掲載する").check()
    council.get_by_label("氏名を伏せる(「さいたま市委員」のように表示)").check()
    admin.navigate_by(council.get_by_role("button", name="保存").click)

    citizen = browse(viewport=PHONE, name="citizen")  # no login
    citizen.page.add_init_script(COUNT_PRINTS)
    citizen.open("/public/")
    citizen.fits_the_screen()
    citizen.follow("連絡調整会議", exact=False)
    citizen.fits_the_screen()
    citizen.navigate_by(citizen.page.locator(".public-minutes-list").get_by_role("link").first.tap)
    expect(citizen.page.locator(".minutes-document")).to_contain_text("議事録")
    citizen.fits_the_screen()
    citizen.page.get_by_role("button", name="印刷する").tap()
    assert citizen.page.evaluate("window.__prints") == 1
