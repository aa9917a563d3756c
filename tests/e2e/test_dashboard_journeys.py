"""The dashboard's やること: a member finds the minutes they still have to review, with the deadline and a link."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.e2e

NOT_REVIEWED = text("""
    SELECT u.email FROM minutes m
    JOIN meetings mt ON mt.id = m.meeting_id JOIN committees c ON c.id = mt.committee_id
    JOIN memberships ms ON ms.committee_id = mt.committee_id AND ms.fiscal_year = mt.fiscal_year
                       AND ms.ended_at IS NULL AND ms.role <> 'observer'
    JOIN users u ON u.id = ms.user_id
    WHERE m.status = 'in_review' AND c.slug = 'planning'
      AND NOT EXISTS (SELECT 1 FROM minutes_reviews r WHERE r.minutes_id = m.id AND r.membership_id = ms.id)
    ORDER BY ms.id LIMIT 1
""")


def test_a_member_sees_the_minutes_to_review_and_opens_them_from_the_dashboard(browse, live_server):
    engine = create_engine(live_server.env["DATABASE_URL"])
    try:
        with engine.connect() as connection:
            email = connection.execute(NOT_REVIEWED).scalar_one()  # the demo's 企画運営部会 minutes in review
    finally:
        engine.dispose()
    member = browse(name="reviewer")
    member.log_in(email)
    tasks = member.page.locator("section", has=member.page.get_by_role("heading", name="やること"))
    row = tasks.get_by_role("row").filter(has_text="議事録の確認")
    expect(row).to_contain_text("企画運営部会")
    expect(member.page.get_by_role("navigation").first).to_contain_text("ダッシュボード")
    member.navigate_by(lambda: row.get_by_role("link").first.click())
    assert member.path.endswith("/minutes")
    member.sees("異議なし")
