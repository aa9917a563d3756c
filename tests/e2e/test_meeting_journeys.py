"""The secretariat builds and convenes a 企画運営部会 meeting; a member gets the 招集通知 and opens it."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from liaison.dates import TOKYO, utcnow

from . import steps

pytestmark = pytest.mark.e2e


def test_secretariat_convenes_a_meeting_and_a_member_opens_it_from_the_convocation_mail(browse, live_server, mailbox):
    secretariat = browse(name="secretariat")
    secretariat.log_in("secretariat@example.jp")
    report, resolution = steps.unique("研修実施状況の報告"), steps.unique("研修計画(案)の決定")
    meeting = steps.schedule_meeting(
        secretariat, title=steps.unique("招集の通し確認"), items=(("報告事項", report), ("議決事項", resolution)),
    )
    secretariat.page.get_by_label("資料ファイル", exact=True).set_input_files(
        files=[{"name": "資料2 研修計画(案).pdf", "mimeType": "application/pdf", "buffer": steps.TINY_PDF}]
    )
    steps.choose_containing(secretariat, "添付先", resolution)
    secretariat.press("資料を添付")
    expect(secretariat.flash().first).to_have_text("資料「資料2 研修計画(案).pdf」を添付しました。")
    agenda = secretariat.page.locator("#agenda")
    expect(agenda.locator("tr", has_text=resolution)).to_contain_text("資料2 研修計画(案).pdf")
    expect(agenda.locator("tr", has_text=report)).to_contain_text("報告事項")

    steps.convene(secretariat, meeting)

    live_server.cli("scheduler", "tick")
    mail = mailbox.wait_for("member03@example.jp", f"【招集通知】{meeting.name}")  # 川越市, a member
    assert resolution in mail.text and "資料2 研修計画(案).pdf" in mail.text
    link = re.search(rf"https?://\S+{re.escape(meeting.path)}\b", mail.text)
    assert link, mail.text

    member = browse(name="member")
    member.open(link.group(0))
    assert member.path.startswith("/login?next="), "a link in a mail asks for a login first"
    member.log_in("member03@example.jp")
    assert member.path == meeting.path
    expect(member.heading()).to_have_text(f"{meeting.name} 招集済み")
    member.sees(report)
    member.sees("まだ回答していません。")
    # A PDF 資料 opens inside the page (pdf.js); the viewer offers the file itself too.
    member.navigate_by(member.page.locator("#documents").get_by_role("link", name="資料2 研修計画(案).pdf").click)
    assert "/materials/" in member.path and member.path.endswith("/view")
    with member.page.expect_download() as download:
        member.page.get_by_role("link", name="ダウンロード", exact=True).click()
    with open(download.value.path(), "rb") as document:
        assert document.read() == steps.TINY_PDF


def test_meeting_form_with_impossible_dates_shows_the_message_and_saves_nothing(browse):
    secretariat = browse(name="secretariat")
    secretariat.log_in("secretariat@example.jp")
    secretariat.follow("企画運営部会")
    secretariat.follow("会議を作成")
    title = steps.unique("日付の誤り")
    yesterday = (utcnow() - timedelta(days=1)).astimezone(TOKYO).date()
    secretariat.fill("開催日", yesterday.isoformat())
    secretariat.fill("開始時刻", "14:00")
    secretariat.fill("終了時刻", "16:00")
    secretariat.fill("会場", "研修室A")
    secretariat.fill("件名(任意)", title)
    secretariat.press("下書きとして作成")

    expect(secretariat.heading()).to_have_text("企画運営部会の会議を作成")
    expect(secretariat.page.get_by_role("alert")).to_have_text("開始日時が過去になっています。これからの日時を入力してください。")
    expect(secretariat.page.get_by_label("開始時刻", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(secretariat.page.get_by_label("件名(任意)", exact=True)).to_have_value(title)

    secretariat.fill("開催日", steps.working_day(20).isoformat())
    secretariat.fill("終了時刻", "13:00")
    secretariat.press("下書きとして作成")
    expect(secretariat.page.get_by_role("alert")).to_have_text("終了時刻は開始時刻より後にしてください。")
    expect(secretariat.page.get_by_label("終了時刻", exact=True)).to_have_attribute("aria-invalid", "true")

    secretariat.follow("会議一覧")
    expect(secretariat.heading()).to_have_text("企画運営部会の会議")
    secretariat.does_not_see(title)
