"""The successor's first day and the predecessor's ended seats, on the dashboard."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from liaison.dates import TOKYO, current_fiscal_year
from liaison.domain import access, tenure
from liaison.domain import meetings as meeting_rules
from liaison.extensions import db
from liaison.models import Membership, User


def _fresh(user):
    access.forget()
    return db.session.get(User, user.id)


def test_a_successor_sees_from_when_and_where_they_sit_and_the_new_years_meetings(ctx, factory):
    next_year = current_fiscal_year() + 1
    successor = factory.member("council", body="川越市", fiscal_year=next_year, email="successor@example.jp")
    membership_rules = __import__("liaison.domain.memberships", fromlist=["appoint"])
    membership_rules.appoint(actor=None, committee=factory.committee("planning"), fiscal_year=next_year,
                             user=db.session.get(User, successor.id), body=factory.body("川越市"),
                             role=membership_rules.Role.MEMBER)
    db.session.commit()
    april = datetime(next_year, 4, 20, 14, 0, tzinfo=TOKYO)
    first = factory.meeting("council", status="convened", starts_at=april)
    factory.meeting("planning", starts_at=april + timedelta(days=7))  # a draft: not listed
    factory.meeting("council", status="convened", starts_at=datetime(next_year, 2, 1, 14, tzinfo=TOKYO) - timedelta(days=365))
    [future] = tenure.future_tenures(_fresh(successor))
    assert future.starts_label == f"令和{next_year - 2018}年4月1日"
    assert future.committee_names == "彩の国さいたま人づくり広域連合連絡調整会議・企画運営部会"  # names as stored
    assert [m.id for m in future.meetings] == [first.id]
    assert meeting_rules.meeting_name(future.meetings[0]).startswith(f"令和{next_year - 2018}年度第1回")
    assert tenure.ended_seats(_fresh(successor)) == []


def test_a_predecessor_is_told_which_seats_ended(ctx, factory):
    last_year = current_fiscal_year() - 1
    predecessor = factory.member("planning", body="熊谷市", fiscal_year=last_year)
    factory.member("council", body="熊谷市", fiscal_year=last_year, email="stays@example.jp")
    stays = db.session.scalar(select(User).where(User.email == "stays@example.jp"))
    membership_rules = __import__("liaison.domain.memberships", fromlist=["appoint"])
    membership_rules.appoint(actor=None, committee=factory.committee("council"), fiscal_year=current_fiscal_year(),
                             user=stays, body=factory.body("熊谷市"), role=membership_rules.Role.MEMBER)
    db.session.commit()
    [ended] = tenure.ended_seats(_fresh(predecessor))
    assert ended.seat.committee.slug == "planning"
    assert ended.ended_on.isoformat() == f"{last_year + 1}-03-31"
    assert tenure.ended_seats(_fresh(stays)) == []  # the same committee again this year: nothing ended
    assert tenure.future_tenures(_fresh(predecessor)) == []
    assert db.session.scalar(select(Membership).where(Membership.user_id == predecessor.id)).fiscal_year == last_year
