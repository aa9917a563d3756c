"""A member copies their calendar URL from the account page; the feed behind it holds their meetings."""
from __future__ import annotations

import urllib.request

import pytest
from icalendar import Calendar
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e


def test_member_copies_the_calendar_url_and_the_feed_contains_their_meeting(browse, live_server):
    member = browse(name="member")
    member.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    member.log_in("member02@example.jp")  # さいたま市: the council and two 部会
    first_meeting = member.page.locator("#next-meetings").get_by_role("row").nth(1).get_by_role("link")
    meeting_name, meeting_path = first_meeting.inner_text(), first_meeting.get_attribute("href")

    member.navigate_by(member.page.locator(".user-menu").get_by_role("link").last.click)  # their name: the account
    expect(member.heading()).to_have_text("アカウント")
    member.page.get_by_role("button", name="URLをコピー").click()
    expect(member.page.locator("#calendar-copy-status")).to_have_text("URLをコピーしました。")
    copied = member.page.evaluate("() => navigator.clipboard.readText()")
    expect(member.page.get_by_label("あなた専用のカレンダーURL")).to_have_value(copied)
    assert copied.startswith(f"{live_server.url}/calendar/") and copied.endswith(".ics"), copied

    with urllib.request.urlopen(copied, timeout=10) as response:  # as a calendar app would: no session
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
        feed = Calendar.from_ical(response.read())
    events = [e for e in feed.walk("VEVENT") if str(e.get("url", "")).endswith(meeting_path)]
    assert events, f"{meeting_path} is not in the feed"
    assert str(events[0]["summary"]).startswith(meeting_name)
