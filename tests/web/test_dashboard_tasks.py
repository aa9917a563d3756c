"""The dashboard's やること, the header badge, and the successor's first day, over HTTP."""
from __future__ import annotations

from datetime import datetime

from liaison.dates import TOKYO, current_fiscal_year
from liaison.domain import memberships as membership_rules
from liaison.extensions import db
from liaison.models import User

# What counting the やること again costs a member's page after a change (tasks.count: seats, meetings,
# attendance, written votes, minutes to review, returned proposals; chairs and the secretariat a few more).
BADGE_RECOUNT_QUERIES = 5


def test_a_member_sees_the_minutes_to_review_with_deadline_link_and_badge(app, client, login, factory):
    factory.member("planning", body="熊谷市", role="chair")
    member = factory.member("planning", email="member05@example.jp")
    meeting = factory.meeting("planning", status="held")
    factory.minutes(meeting, status="in_review")
    login(client, member.email)
    page = client.get("/").get_data(as_text=True)
    assert "やること" in page and "議事録の確認" in page
    assert f'href="/planning/meetings/{meeting.id}/minutes"' in page
    # The header badge counts the tasks on every page.
    assert 'aria-label="やること1件"' in client.get("/account").get_data(as_text=True)


def test_nothing_to_do_says_so(client, login, factory):
    login(client, factory.member("planning").email)
    page = client.get("/").get_data(as_text=True)
    assert "いま必要な対応はありません。" in page and 'aria-label="やること' not in page  # no badge


def test_the_successor_sees_from_april_first_and_the_new_years_meetings(app, client, login, factory):
    next_year = current_fiscal_year() + 1
    successor = factory.member("council", body="川越市", fiscal_year=next_year)
    with app.app_context():
        membership_rules.appoint(actor=None, committee=factory.committee("planning"), fiscal_year=next_year,
                                 user=db.session.get(User, successor.id), body=factory.body("川越市"),
                                 role=membership_rules.Role.MEMBER)
        db.session.commit()
    factory.meeting("council", status="convened", starts_at=datetime(next_year, 4, 20, 14, tzinfo=TOKYO))
    login(client, successor.email)
    page = client.get("/").get_data(as_text=True)
    assert f"令和{next_year - 2018}年4月1日から" in page
    assert "連絡調整会議・企画運営部会 の委員です" in page
    assert f"令和{next_year - 2018}年度第1回" in page


def test_the_badge_follows_a_task_appearing_and_going_on_any_page_without_the_dashboard(app, client, login, factory):
    member = factory.member("planning")
    login(client, member.email)
    assert 'aria-label="やること' not in client.get("/account").get_data(as_text=True)
    meeting = factory.meeting("planning", status="convened")  # the secretariat convenes: attendance is asked
    assert 'aria-label="やること1件"' in client.get("/account").get_data(as_text=True)
    assert 'aria-label="やること1件"' in client.get("/notifications/").get_data(as_text=True)
    response = client.form(f"/planning/meetings/{meeting.id}/attendance", {"response": "attend"})
    assert response.status_code in (302, 303)
    assert 'aria-label="やること' not in client.get("/account").get_data(as_text=True)


def test_the_badge_costs_no_query_while_nothing_changed_and_a_fixed_few_after_a_change(app, client, login, factory,
                                                                                      count_queries):
    member = factory.member("planning")
    login(client, member.email)

    def queries(path="/account") -> int:
        with count_queries() as counter:
            assert client.get(path).status_code == 200
        return len(counter.statements)

    queries()
    unchanged = queries()
    costs = []
    for n in range(3):  # more and more to count: the cost stays the same
        factory.meeting("planning", status="convened")
        factory.minutes(factory.meeting("planning", status="held"), status="in_review")
        costs.append(queries() - unchanged)
        assert queries() == unchanged  # counted once, then kept
    assert costs == [BADGE_RECOUNT_QUERIES] * 3, costs
