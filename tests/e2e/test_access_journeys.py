"""Who may see what: the Japanese 403 and 404 pages a member meets, and the way back."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_member_opening_another_committee_gets_the_japanese_403_page(browse):
    member = browse()  # 春日部市: a council seat only
    member.log_in("member13@example.jp")
    nav = member.page.get_by_role("navigation", name="メインメニュー")
    expect(nav.get_by_role("link", name="彩の国さいたま人づくり広域連合連絡調整会議")).to_be_visible()
    expect(nav.get_by_role("link", name="企画運営部会")).to_have_count(0)

    response = member.open("/planning/")

    assert response.status == 403
    expect(member.page.locator("html")).to_have_attribute("lang", "ja")
    expect(member.heading()).to_have_text("このページを表示する権限がありません")
    member.sees("所属する委員、事務局、管理者のみが閲覧できます")
    member.does_not_see("委員名簿")

    assert member.open("/admin/users").status == 403
    member.follow("ダッシュボードへ戻る")
    assert member.path == "/"
    expect(member.heading()).to_have_text("ダッシュボード")


def test_mistyped_address_gets_the_japanese_404_page(browse):
    member = browse()
    member.log_in("member13@example.jp")

    response = member.open("/no-such-committee/")

    assert response.status == 404
    expect(member.heading()).to_have_text("ページが見つかりません")
    member.sees("URLが正しいかご確認ください")


def test_member_opening_a_meeting_of_another_committee_gets_the_japanese_403_page(browse):
    insider = browse(name="insider")  # さいたま市 sits on 企画運営部会 and finds its next meeting
    insider.log_in("member02@example.jp")
    insider.follow("企画運営部会")
    upcoming = insider.page.locator("#meetings").get_by_role("row").nth(1).get_by_role("link")
    insider.navigate_by(upcoming.click)
    meeting_path = insider.path

    outsider = browse(name="outsider")  # 春日部市: a council seat only, given the link
    outsider.log_in("member13@example.jp")
    response = outsider.open(meeting_path)

    assert response.status == 403
    expect(outsider.heading()).to_have_text("このページを表示する権限がありません")
    outsider.sees("所属する委員、事務局、管理者のみが閲覧できます")
    outsider.does_not_see("議事")
    assert outsider.open(f"{meeting_path}.ics").status == 403
