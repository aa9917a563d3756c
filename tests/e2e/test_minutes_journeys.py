"""Minutes: generated from a held meeting, reviewed (異議なし), approved by the chair, published, downloaded as PDF.

The demo leaves the 県職員研修部会's latest held meeting without minutes; this is the only journey that writes them.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from liaison.dates import TOKYO, utcnow

from . import steps

pytestmark = pytest.mark.e2e


def test_minutes_are_generated_reviewed_approved_published_and_downloaded_as_pdf(browse):
    secretariat = browse(name="secretariat")
    secretariat.log_in("secretariat@example.jp")
    secretariat.follow("県職員研修部会")
    secretariat.follow("会議一覧(過去の会議を含む)")
    latest_held = secretariat.page.locator("main section", has=secretariat.page.get_by_role("heading", name="の会議(終了)"))
    secretariat.navigate_by(latest_held.first.get_by_role("row").nth(1).get_by_role("link").click)
    meeting = steps.Meeting(secretariat.path, steps.meeting_name_on_page(secretariat))
    expect(secretariat.heading()).to_contain_text("開催済み")
    secretariat.follow("議事録")
    secretariat.sees("この会議の議事録はまだありません。")
    secretariat.press("議事録の案を作成")
    expect(secretariat.heading()).to_have_text("議事録の編集")
    secretariat.fill("開会・会議の概要", "部会長が開会を宣言し、定足数を満たしていることを確認して議事に入った。")
    secretariat.press("保存(新しい版)")
    expect(secretariat.flash().first).to_contain_text("議事録を保存しました")
    minutes_path = secretariat.path
    assert minutes_path == f"{meeting.path}/minutes"
    secretariat.sees("部会長が開会を宣言し")
    secretariat.sees("出席者")
    review_until = (utcnow() + timedelta(days=7)).astimezone(TOKYO).strftime("%Y-%m-%dT17:00")
    secretariat.fill("確認の期限", review_until)
    secretariat.press("委員に確認を依頼")
    expect(secretariat.flash().first).to_have_text("委員に議事録の確認を依頼しました。")

    for reviewed, login in enumerate(("pref03@example.jp", "pref04@example.jp"), start=1):
        member = browse(name=login.split("@")[0])
        member.log_in(login)
        member.follow("お知らせ", exact=False)  # the in-app list: 【議事録の確認依頼】
        member.press(f"【議事録の確認依頼】{meeting.name}", exact=False)
        assert member.path == minutes_path
        member.sees("部会長が開会を宣言し")
        member.press("異議なし")
        expect(member.flash().first).to_have_text("「異議なし」を登録しました。")
        expect(member.page.locator("#review")).to_contain_text(re.compile(rf"異議なし: {reviewed} / \d+ 名"))

    chair = browse(name="chair")
    chair.log_in("pref01@example.jp")  # 総務部, 部会長
    chair.open(minutes_path)
    # two of the seats have marked 異議なし and the deadline is a week away: approving now needs a reason (issue 15)
    chair.page.get_by_label("期限前に承認する理由").fill("次回会議の資料とするため、確認期限前に承認します。")
    chair.press("理由を付けて承認する", confirm=True)
    expect(chair.flash().first).to_contain_text("を承認しました。")

    secretariat.open(minutes_path)
    secretariat.press("公開する", confirm=True)
    expect(secretariat.flash().first).to_have_text("議事録を公開しました。連合のすべての利用者が閲覧できます。")
    expect(secretariat.heading().first).to_have_text("議事録 公開")

    reader = browse(name="reader")  # 春日部市: not on 県職員研修部会, reads the published minutes
    reader.log_in("member13@example.jp")
    reader.open(minutes_path)
    reader.sees("部会長が開会を宣言し")
    # The PDF opens inline in the browser's viewer (no download event): fetch it as that click would.
    pdf = reader.page.request.get(reader.page.get_by_role("link", name="PDF", exact=True).get_attribute("href"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert ".pdf" in pdf.headers["content-disposition"]
    assert pdf.body()[:5] == b"%PDF-"
