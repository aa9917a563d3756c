"""Votes: attendance from phones (one by proxy), presence, an electronic vote tied and decided by the
chair (可決); a written vote (書面表決) in a written session, cast after a confirmation step, with
reminders to the seats that have not voted."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from liaison.dates import TOKYO, utcnow

from . import steps
from .harness import PHONE

pytestmark = pytest.mark.e2e

# 企画運営部会's voting seats in the demo: 埼玉県 (member01, 部会長), さいたま市, 川越市 (member03), 熊谷市 (member04),
# 川口市 (member05), 所沢市 (member08), 越谷市, 伊奈町, and any seat another journey appoints (the admin's), so
# counts are read as "n of however many seats".
ACCEPTED_DEMO_PROPOSAL = "専門職ネットワーク交流会の開催について"


def answer_attendance_on_a_phone(member, meeting, response, **proxy):
    """From the dashboard's 「出欠の回答をお願いします」 list to the answer form, at 390×844."""
    owed = member.page.locator("#owed-answers")
    expect(owed).to_contain_text(meeting.name)
    member.navigate_by(owed.get_by_role("link", name=meeting.name).tap)
    member.fits_the_screen()
    member.tick(response)
    for label, value in proxy.items():
        member.fill(label, value)
    member.press("回答する")
    expect(member.flash().first).to_have_text(f"出欠を「{response}」で回答しました。")
    member.fits_the_screen()


def cast(member, choice):
    member.tick(choice)
    member.press("投票する")
    expect(member.flash().first).to_have_text(f"「{choice}」で投票しました。締切までは変更できます。")


def test_members_answer_on_phones_vote_electronically_and_the_chair_breaks_the_tie(browse):
    secretariat = browse(name="secretariat")
    secretariat.log_in("secretariat@example.jp")
    # An electronic vote belongs to the sitting: the meeting is today and is opened (開会) before the vote.
    meeting = steps.schedule_meeting(secretariat, title=steps.unique("電子表決"), today=True)
    secretariat.open("/planning/proposals/?status=accepted")
    secretariat.follow(ACCEPTED_DEMO_PROPOSAL)
    proposal_path = secretariat.path
    steps.choose_containing(secretariat, "会議", meeting.name)
    secretariat.choose("議事の種類", "議決事項")
    secretariat.press("会議の議事に掲載")
    steps.convene(secretariat, meeting)

    kawagoe = browse(name="kawagoe", viewport=PHONE)
    kawagoe.log_in("member03@example.jp")
    answer_attendance_on_a_phone(kawagoe, meeting, "出席")
    kumagaya = browse(name="kumagaya", viewport=PHONE)
    kumagaya.log_in("member04@example.jp")
    answer_attendance_on_a_phone(kumagaya, meeting, "代理出席", **{"代理出席者の氏名": "熊谷 次郎", "代理出席者の職名": "職員課 課長補佐"})
    kumagaya.sees("現在の回答: 代理出席(職員課 課長補佐 熊谷 次郎)")

    steps.open_session(secretariat, meeting)
    secretariat.follow("出欠の代理入力・出席の記録")
    checklist = secretariat.page.locator(".checklist")
    for seat in checklist.get_by_role("checkbox").all():  # everyone came but 伊奈町: a quorum however many seats
        seat.check()
    checklist.get_by_role("checkbox", name=re.compile("^伊奈町")).uncheck()
    present = checklist.get_by_role("checkbox", checked=True).count()
    secretariat.press("出席者を保存")
    expect(secretariat.flash().first).to_have_text(f"出席者を記録しました({present}名)。")

    steps.open_vote_panel(secretariat, meeting, ACCEPTED_DEMO_PROPOSAL)
    secretariat.choose("表決の方法", "電子表決(会議中に各委員が入力)")
    secretariat.choose("必要な賛成数", "過半数")
    secretariat.press("表決を開始する")
    expect(secretariat.heading()).to_contain_text(ACCEPTED_DEMO_PROPOSAL)
    vote_path = secretariat.path

    # At the meeting, each member votes from their own device; the first finds the vote from the committee page.
    kawagoe.follow("企画運営部会")
    kawagoe.follow("表決一覧")
    kawagoe.follow(ACCEPTED_DEMO_PROPOSAL, exact=False)
    assert kawagoe.path == vote_path
    kawagoe.fits_the_screen()
    cast(kawagoe, "賛成")
    kumagaya.open(vote_path)
    cast(kumagaya, "反対")
    for login, choice in (("member05@example.jp", "賛成"), ("member08@example.jp", "反対")):
        member = browse(name=login.split("@")[0])
        member.log_in(login)
        member.open(vote_path)
        cast(member, choice)

    secretariat.open(vote_path)
    secretariat.sees(f"4 / {present + 1} 議席が投票済み")
    secretariat.press("締め切って集計する", confirm=True)
    expect(secretariat.flash().first).to_have_text("可否同数です。議長の裁決により結果が確定します。")
    expect(secretariat.page.locator(".outcome")).to_have_text("可否同数(議長裁決待ち)")

    chair = browse(name="chair")
    chair.log_in("member01@example.jp")  # 埼玉県, 部会長
    chair.open(vote_path)
    chair.tick("可とする(可決)")
    chair.press("裁決を記録する")
    expect(chair.flash().first).to_have_text("議長裁決を記録しました。結果: 可決")
    result = chair.page.locator("section", has=chair.page.get_by_role("heading", name="表決の結果"))
    expect(result.locator(".outcome")).to_have_text("可決")
    # 賛成 反対 棄権 未投票 出席 議席数 母数
    tally = [2, 2, 0, present - 3, present, present + 1, 4]
    expect(result.get_by_role("row").nth(1).get_by_role("cell")).to_have_text([str(n) for n in tally])
    expect(result).to_contain_text("可否同数のため議長が決しました: 可")

    chair.open(proposal_path)
    expect(chair.page.locator("main .status").first).to_have_text("可決")
    chair.open(meeting.path)
    expect(chair.page.locator("#agenda tr", has_text=ACCEPTED_DEMO_PROPOSAL)).to_contain_text("可決")


def test_written_vote_reminds_the_seats_that_have_not_voted_and_one_answers_from_the_mail(browse, live_server, mailbox):
    secretariat = browse(name="secretariat")
    secretariat.log_in("secretariat@example.jp")
    item = steps.unique("研修規程の一部改正について")
    meeting = steps.schedule_meeting(secretariat, title=steps.unique("書面開催"), days_ahead=12, written=True,
                                     items=(("議決事項", item),))
    steps.convene(secretariat, meeting)
    steps.open_vote_panel(secretariat, meeting, item)
    secretariat.choose("表決の方法", "書面表決")
    secretariat.choose("必要な賛成数", "過半数")
    # Closing tomorrow: the reminder "2 days before" is due as soon as the vote opens.
    tomorrow = (utcnow() + timedelta(days=1)).astimezone(TOKYO).date()
    secretariat.fill("締切(書面表決)", f"{tomorrow.isoformat()}T17:00")
    secretariat.press("表決を開始する")
    expect(secretariat.flash().first).to_have_text("表決を開始しました。")
    secretariat.sees("書面表決")
    expect(secretariat.page.locator("main .count")).to_have_text(re.compile(r"^0 / \d+ 議席が投票済み$"))
    vote_path = secretariat.path

    kawaguchi = browse(name="kawaguchi")
    kawaguchi.log_in("member05@example.jp")  # 川口市 answers at once, from the dashboard
    pending = kawaguchi.page.locator("section", has=kawaguchi.page.get_by_role("heading", name="回答が必要な書面表決"))
    kawaguchi.navigate_by(pending.get_by_role("link", name=re.compile(re.escape(item))).click)
    assert kawaguchi.path == vote_path
    kawaguchi.tick("反対")
    kawaguchi.press("確認へ進む")
    expect(kawaguchi.heading()).to_have_text("投票の確認")
    kawaguchi.sees("川口市の議席として次の票を投じます")
    expect(kawaguchi.page.locator("main .outcome")).to_have_text("反対")
    kawaguchi.press("この内容で投票する")
    expect(kawaguchi.flash().first).to_have_text("「反対」で投票しました。締切までは変更できます。")
    kawaguchi.sees("現在の票: 反対")
    kawaguchi.follow("ダッシュボード")
    expect(kawaguchi.page.get_by_role("link", name=re.compile(re.escape(item)))).to_have_count(0)

    live_server.cli("scheduler", "tick")
    reminder = mailbox.wait_for("member03@example.jp", f"【書面表決のお願い】{item}")  # 川越市 has not voted
    assert "明日が締切です" in reminder.text
    assert not [m for m in mailbox.to("member05@example.jp") if item in m.subject], "川口市 has voted: no reminder"

    kawagoe = browse(name="kawagoe")
    link = re.search(rf"https?://\S+{re.escape(vote_path)}\b", reminder.text)
    assert link, reminder.text
    kawagoe.open(link.group(0))
    kawagoe.log_in("member03@example.jp")
    assert kawagoe.path == vote_path
    kawagoe.tick("賛成")
    kawagoe.press("確認へ進む")
    kawagoe.press("この内容で投票する")
    expect(kawagoe.flash().first).to_have_text("「賛成」で投票しました。締切までは変更できます。")

    secretariat.open(vote_path)
    expect(secretariat.page.locator("main .count")).to_have_text(re.compile(r"^2 / \d+ 議席が投票済み$"))
    seats = secretariat.page.locator("section", has=secretariat.page.get_by_role("heading", name="議席ごとの投票"))
    expect(seats.get_by_role("row").filter(has_text="川口市")).to_contain_text("反対")
    expect(seats.get_by_role("row").filter(has_text="川越市")).to_contain_text("賛成")


def test_an_absent_seat_cannot_vote_even_by_a_forged_post_and_the_chair_only_decides_the_tie(browse):
    """The sitting opens (開会); a seat recorded absent sees no vote buttons and the server refuses a ballot
    posted by hand with a valid CSRF token; the presiding 部会長 has no vote, only the decision of the tie."""
    secretariat = browse(name="secretariat")
    secretariat.log_in("secretariat@example.jp")
    item = steps.unique("県職員研修計画の変更について")
    # 県職員研修部会's eight seats: 総務部 (pref01, 部会長), 企画財政部 (pref02, 副部会長), 県民生活部, 環境部,
    # 福祉部, 保健医療部, 産業労働部, 県土整備部 (pref03 … pref08); 埼玉県 人材育成課 (member01) observes.
    meeting = steps.schedule_meeting(secretariat, "/prefectural-training/", title=steps.unique("開会中の表決"),
                                     today=True, items=(("議決事項", item),))
    steps.convene(secretariat, meeting)
    steps.open_session(secretariat, meeting)

    secretariat.follow("出欠の代理入力・出席の記録")
    checklist = secretariat.page.locator(".checklist")
    present_seats = ("総務部", "企画財政部", "県民生活部", "環境部", "福祉部")
    for department in present_seats:
        checklist.get_by_role("checkbox", name=re.compile(f"^埼玉県 {department}")).check()
    for department in ("保健医療部", "産業労働部", "県土整備部"):
        expect(checklist.get_by_role("checkbox", name=re.compile(f"^埼玉県 {department}"))).not_to_be_checked()
    secretariat.press("出席者を保存")
    expect(secretariat.flash().first).to_have_text("出席者を記録しました(5名)。")

    steps.open_vote_panel(secretariat, meeting, item)
    secretariat.choose("表決の方法", "電子表決(会議中に各委員が入力)")
    secretariat.choose("必要な賛成数", "過半数")
    secretariat.press("表決を開始する")
    expect(secretariat.flash().first).to_have_text("表決を開始しました。")
    vote_path = secretariat.path
    secretariat.sees("0 / 8 議席が投票済み")

    # 県土整備部 was not there when the vote opened: no vote buttons, and a hand-made POST is refused.
    absent = browse(name="absent", viewport=PHONE)
    absent.log_in("pref08@example.jp")
    absent.open(vote_path)
    absent.sees("表決の開始時に出席していなかったため投票できません")
    expect(absent.page.get_by_role("button", name="投票する")).to_have_count(0)
    expect(absent.page.get_by_role("radio")).to_have_count(0)
    token = absent.page.locator("input[name=csrf_token]").first.get_attribute("value")  # another form's token
    assert token
    forged = absent.page.request.post(f"{vote_path}/ballot", form={"csrf_token": token, "choice": "yes"},
                                      max_redirects=0)
    assert forged.status == 400, forged.status
    assert "埼玉県 県土整備部は表決の開始時に出席していなかったため投票できません" in forged.text()

    # The presiding 部会長 sees no vote either, and the server refuses a ballot from the chair.
    chair = browse(name="chair")
    chair.log_in("pref01@example.jp")
    chair.open(vote_path)
    chair.sees("議長は表決に加わりません。可否同数のときに裁決します。")
    expect(chair.page.get_by_role("button", name="投票する")).to_have_count(0)
    expect(chair.page.get_by_role("radio")).to_have_count(0)
    token = chair.page.locator("input[name=csrf_token]").first.get_attribute("value")
    refused = chair.page.request.post(f"{vote_path}/ballot", form={"csrf_token": token, "choice": "no"},
                                      max_redirects=0)
    assert refused.status == 400, refused.status
    assert "議長は表決に加わりません" in refused.text()

    for login, choice in (("pref02@example.jp", "賛成"), ("pref03@example.jp", "反対"),
                          ("pref04@example.jp", "賛成"), ("pref05@example.jp", "反対")):
        member = browse(name=login.split("@")[0], viewport=PHONE)
        member.log_in(login)
        member.open(vote_path)
        cast(member, choice)

    secretariat.open(vote_path)
    secretariat.sees("4 / 8 議席が投票済み")  # neither the absent seat's forged ballot nor the chair's counted
    secretariat.press("締め切って集計する", confirm=True)
    expect(secretariat.flash().first).to_have_text("可否同数です。議長の裁決により結果が確定します。")

    # Now the chair's page offers the decision of the tie, and still no vote.
    chair.open(vote_path)
    expect(chair.page.get_by_role("button", name="投票する")).to_have_count(0)
    expect(chair.page.get_by_role("radio")).to_have_count(2)
    expect(chair.page.get_by_label("可とする(可決)", exact=True)).to_be_visible()
    chair.tick("否とする(否決)")
    chair.press("裁決を記録する")
    expect(chair.flash().first).to_have_text("議長裁決を記録しました。結果: 否決")
    result = chair.page.locator("section", has=chair.page.get_by_role("heading", name="表決の結果"))
    expect(result.locator(".outcome")).to_have_text("否決")
    expect(result).to_contain_text("可否同数のため議長が決しました: 否")
    absent.open(vote_path)
    expect(absent.page.get_by_role("button", name="裁決を記録する")).to_have_count(0)
