"""A section chief's proposal: drafted, submitted, returned with a reason, revised, accepted, put on an agenda."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from . import steps

pytestmark = pytest.mark.e2e


def status_of(visitor):
    return visitor.page.locator("main .status").first


def test_proposal_is_returned_revised_resubmitted_accepted_and_placed_on_the_agenda(browse):
    secretariat = browse(name="secretariat")
    secretariat.log_in("secretariat@example.jp")
    meeting = steps.schedule_meeting(secretariat, title=steps.unique("提案審議"), days_ahead=30)

    chief = browse(name="chief")
    chief.log_in("member05@example.jp")  # 川口市, a member of 企画運営部会
    chief.follow("企画運営部会")
    chief.follow("提案")
    chief.follow("新しい提案を作成")
    title = steps.unique("若手職員の合同研修の新設について")
    chief.fill("件名", title)
    chief.page.get_by_label("第6次広域計画の施策", exact=True).select_option(index=1)
    chief.fill("概要", "入庁3年目までの職員を対象に合同研修を新設する。")
    chief.fill("本文", "## 背景\n\n各団体の若手職員研修を共同で行います。")
    chief.press("保存")
    expect(chief.heading()).to_have_text(title)
    expect(status_of(chief)).to_have_text("下書き")
    chief.press("事務局へ提出")
    expect(chief.flash().first).to_have_text("提案を提出しました。事務局が確認します。")
    expect(status_of(chief)).to_have_text("提出済み")
    proposal_path = chief.path

    secretariat.open("/planning/proposals/?status=submitted")
    secretariat.follow(title)
    reason = "所要経費の見込みを本文に追記してください。"
    secretariat.fill("差戻しの理由", reason)
    secretariat.press("差し戻す")
    expect(status_of(secretariat)).to_have_text("差戻し")

    chief.open(proposal_path)
    expect(chief.page.get_by_role("note")).to_contain_text(reason)
    chief.follow("編集")
    chief.fill("本文", "## 背景\n\n各団体の若手職員研修を共同で行います。\n\n## 所要経費\n\n約80万円")
    chief.press("保存")
    expect(chief.flash().first).to_contain_text("版として保存しました")
    chief.press("修正して再提出")
    expect(status_of(chief)).to_have_text("提出済み")

    secretariat.open(proposal_path)
    secretariat.sees("約80万円")
    secretariat.press("受理して番号を付ける")
    expect(secretariat.flash().first).to_have_text("提案を受理しました。")
    expect(status_of(secretariat)).to_have_text("受理")
    number = secretariat.page.locator("main p strong").first.inner_text()
    assert number.startswith("企画-"), number
    steps.choose_containing(secretariat, "会議", meeting.name)
    secretariat.choose("議事の種類", "議決事項")
    secretariat.press("会議の議事に掲載")
    expect(status_of(secretariat)).to_have_text("議事に掲載")

    secretariat.follow(meeting.name)
    assert secretariat.path == meeting.path
    expect(secretariat.page.locator("#agenda tr", has_text=title)).to_contain_text("議決事項")
    chief.open(proposal_path)
    expect(status_of(chief)).to_have_text("議事に掲載")
    expect(chief.page.locator(".history")).to_contain_text(reason)
