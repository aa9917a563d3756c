"""The administrator: a new section chief's account (by invitation mail), a seat in 企画運営部会, and the April handover."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


INVITATION_LINK = re.compile(r"http://[^/\s]+(/password/set/[0-9]+-[A-Za-z0-9_-]+)")


def accept_invitation(visitor, live_server, mailbox, address: str, password: str) -> None:
    """The scheduler sends the invitation; the person follows its link and chooses a password (logged in after)."""
    live_server.cli("scheduler", "tick")
    mail = mailbox.wait_for(address, "アカウントのご案内")
    visitor.open(INVITATION_LINK.search(mail.text).group(1))
    expect(visitor.heading()).to_have_text("パスワードの設定")
    visitor.fill("新しいパスワード", password)
    visitor.fill("新しいパスワード(確認)", password)
    visitor.press("パスワードを設定する")
    expect(visitor.flash()).to_have_text("パスワードを設定しました。")


def test_admin_creates_a_user_appoints_them_and_runs_the_handover(browse, live_server, mailbox):
    admin = browse(name="admin")
    admin.log_in("admin@example.jp")
    admin.follow("管理")
    expect(admin.heading()).to_have_text("ユーザー管理")

    # 春日部市's section chief gets an account ...
    admin.follow("ユーザーを追加")
    admin.fill("メールアドレス", "arai.shota@example.jp")
    admin.fill("氏名", "新井 翔太")
    admin.fill("役職", "職員課長")
    admin.choose("構成団体", "春日部市")
    admin.does_not_see("初期パスワード")  # no password typed by the administrator: an invitation goes out
    admin.press("保存")
    expect(admin.flash()).to_have_text("新井 翔太さんのアカウントを作成し、招待メールを送信します。")
    expect(admin.heading()).to_have_text("新井 翔太")

    # ... and a seat in 企画運営部会 for this fiscal year.
    admin.follow("委員")
    admin.choose("会議", "企画運営部会")
    admin.press("表示")
    expect(admin.heading()).to_contain_text("委員管理: 企画運営部会")
    fiscal_year = int(admin.page.get_by_label("年度(西暦)", exact=True).input_value())
    appoint = admin.page.get_by_role("form", name="委員を登録")
    appoint.get_by_label("委員", exact=True).select_option(label="新井 翔太 <arai.shota@example.jp>")
    appoint.get_by_label("構成団体", exact=True).select_option(label="春日部市")
    appoint.get_by_label("役割", exact=True).select_option(label="委員")
    admin.press("登録")
    expect(admin.flash()).to_have_text("委員を登録しました。")
    seats = admin.page.get_by_role("table")
    expect(seats.get_by_role("row").filter(has_text="春日部市")).to_contain_text("新井 翔太")

    # April: 川越市's chief moves on; the successor's account first, then the handover.
    admin.follow("ユーザー")
    admin.follow("ユーザーを追加")
    admin.fill("メールアドレス", "ono.misaki@example.jp")
    admin.fill("氏名", "大野 美咲")
    admin.choose("構成団体", "川越市")
    admin.press("保存")
    expect(admin.flash()).to_have_text("大野 美咲さんのアカウントを作成し、招待メールを送信します。")

    admin.follow("年度の引継ぎ(人事異動)")
    admin.choose("会議", "企画運営部会")
    admin.press("表示")
    admin.fill("川越市の後任者", "ono.misaki@example.jp")
    admin.press("翌年度へ引き継ぐ")

    expect(admin.flash()).to_have_text(re.compile(r"^10件の委員を令和\d+年度へ引き継ぎました。$"))
    assert admin.path == f"/admin/memberships?committee=planning&fy={fiscal_year + 1}"
    next_year = admin.page.get_by_role("table").get_by_role("row")
    expect(next_year.filter(has_text="川越市")).to_contain_text("大野 美咲")
    expect(next_year.filter(has_text="春日部市")).to_contain_text("新井 翔太")
    expect(admin.page.get_by_role("table")).not_to_contain_text("member03@example.jp")

    # This year's roll is untouched: past records keep the person who held the seat.
    admin.open(f"/admin/memberships?committee=planning&fy={fiscal_year}")
    expect(admin.page.get_by_role("table").get_by_role("row").filter(has_text="川越市")).to_contain_text("member03@example.jp")

    # The new chief follows the invitation mail, chooses a password and finds the committee on the dashboard.
    chief = browse(name="new chief")
    accept_invitation(chief, live_server, mailbox, "arai.shota@example.jp", "arai-first-login")
    assert chief.path == "/"
    seats = chief.page.locator("section", has=chief.page.get_by_role("heading", name="所属する会議")).get_by_role("table")
    expect(seats).to_contain_text("企画運営部会")
    chief.follow("企画運営部会")
    expect(chief.page.get_by_role("table").get_by_role("row").filter(has_text="春日部市")).to_contain_text("新井 翔太")


    # The successor, whose seat begins in April, is told so on the first day.
    successor = browse(name="successor")
    accept_invitation(successor, live_server, mailbox, "ono.misaki@example.jp", "ono-first-login")
    successor.sees("4月1日から")
    successor.sees("企画運営部会 の委員です")
