"""A member on a phone (390×844): the pages fit the screen and every control can be reached."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .harness import PHONE

pytestmark = pytest.mark.e2e


def test_member_on_a_phone_logs_in_and_opens_their_committee(browse):
    member = browse(viewport=PHONE)
    member.open("/login")
    member.fits_the_screen()
    member.log_in("member08@example.jp")  # 所沢市: the council and 企画運営部会
    member.fits_the_screen()
    expect(member.heading()).to_be_in_viewport()

    committee = member.page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="企画運営部会")
    expect(committee).to_be_in_viewport()
    member.navigate_by(committee.tap)
    expect(member.heading()).to_have_text("企画運営部会")
    member.fits_the_screen()
    roll = member.page.locator("section", has=member.page.get_by_role("heading", name="委員名簿")).get_by_role("table")
    expect(roll.get_by_role("row").filter(has_text="所沢市")).to_contain_text("委員")

    member.log_out()
    member.fits_the_screen()
