"""年度更新: the administrator imports a 人事異動 CSV for the next fiscal year, the successor follows the invitation.

The rollover fills every committee's roster of the next fiscal year at once, which other journeys (the
per-committee handover in test_admin_journeys.py) must not find already done: this module has a server and
database of its own (one more migrate + demo seed, ~10 s in CI).
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from liaison.dates import current_fiscal_year, era_year_label, fiscal_year_label, is_day_off

from ..dbs import temporary_database
from . import harness
from .conftest import _database_backend
from .test_admin_journeys import accept_invitation

pytestmark = pytest.mark.e2e

SUCCESSOR = "yamada.hanako@example.jp"


@pytest.fixture(scope="module")
def live_server(_browser_ready, mail_catcher, tmp_path_factory):
    """A server of this module's own (overrides the session's for the journeys here)."""
    backend = _database_backend()
    tmp_dir = tmp_path_factory.mktemp("e2e-rollover")
    with temporary_database(backend, tmp_dir) as url:
        with harness.live_server(url, tmp_dir, backend=backend, smtp_port=mail_catcher[0]) as server:
            yield server


def april_working_day(year: int) -> date:
    day = date(year, 4, 20)
    while is_day_off(day):
        day += timedelta(days=1)
    return day


def test_admin_imports_the_transfer_csv_and_the_successor_starts_on_april_first(browse, live_server, mailbox):
    next_year = current_fiscal_year() + 1
    admin = browse(name="admin")
    admin.log_in("admin@example.jp")
    admin.open("/admin/rollover")
    expect(admin.heading()).to_have_text(f"年度更新 {fiscal_year_label(next_year)}")

    # The 人事異動 list as Excel saves it: Shift_JIS. 川越市's chief moves; the successor is new to liaison.
    csv = f"団体,氏名,役職,メールアドレス\r\n川越市,山田 花子,職員課長,{SUCCESSOR}\r\n".encode("cp932")
    admin.page.get_by_label("CSVファイル", exact=True).set_input_files(
        files=[{"name": "jinji-idou.csv", "mimeType": "text/csv", "buffer": csv}])
    admin.press("確認する")
    preview = admin.page.locator("section", has=admin.page.get_by_role("heading", name="確認結果"))
    expect(preview.get_by_role("alert")).to_have_count(0)  # no problem found
    changed = preview.locator("tr.changed")
    expect(changed.first).to_contain_text(f"→ 山田 花子 <{SUCCESSOR}>")
    expect(changed.filter(has_text="企画運営部会")).to_have_count(1)
    expect(changed.filter(has_text="連絡調整会議")).to_have_count(1)
    expect(preview).to_contain_text("新しく作成するアカウント(招待メールを送信します): 山田 花子")
    admin.press("この内容で登録する")
    expect(admin.flash().first).to_contain_text(f"{fiscal_year_label(next_year)}の委員を")
    expect(admin.flash().first).to_contain_text("(登録済み0議席)")
    expect(admin.page.get_by_role("table").get_by_role("row").filter(has_text="川越市")).to_contain_text("山田 花子")

    # The secretariat announces the new year's first 企画運営部会.
    secretariat = browse(name="secretariat")
    secretariat.log_in("secretariat@example.jp")
    secretariat.open("/planning/meetings/new")
    secretariat.fill("開催日", april_working_day(next_year).isoformat())
    secretariat.fill("開始時刻", "14:00")
    secretariat.fill("終了時刻", "16:00")
    secretariat.fill("会場", "彩の国さいたま人づくり広域連合 研修室A")
    secretariat.press("下書きとして作成")
    expect(secretariat.heading()).to_contain_text(f"{fiscal_year_label(next_year)}第1回企画運営部会")
    secretariat.press("招集する", confirm=True)
    expect(secretariat.heading()).to_contain_text("招集済み")

    # The successor follows the invitation mail, chooses a password, and is told from when they sit.
    successor = browse(name="successor")
    accept_invitation(successor, live_server, mailbox, SUCCESSOR, "yamada-first-login")
    assert successor.path == "/"
    tenure = successor.page.get_by_role("heading", name=f"{era_year_label(next_year, 4, 1)}4月1日から")
    expect(tenure).to_contain_text("連絡調整会議・企画運営部会")  # 川越市 sits in the council and 企画運営部会 (and more)
    expect(tenure).to_contain_text("の委員です")
    successor.sees(f"{fiscal_year_label(next_year)}第1回企画運営部会")

    # Running it again changes nothing.
    admin.open("/admin/rollover")
    admin.page.get_by_label("CSVファイル", exact=True).set_input_files(
        files=[{"name": "jinji-idou.csv", "mimeType": "text/csv", "buffer": csv}])
    admin.press("確認する")
    expect(admin.page.locator("main")).to_contain_text("引き継ぐ議席: 0(登録済みのため変更しない議席:")
