import pytest
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from liaison.dates import current_fiscal_year
from liaison.domain import DomainError
from liaison.domain import memberships as rules
from liaison.extensions import db
from liaison.models import AuditEvent, Membership, Role


def test_one_voting_seat_per_body(ctx, factory):
    admin = factory.admin()
    factory.member(committee="council", body="川越市")
    other = factory.user(body="川越市")
    with pytest.raises(DomainError, match="1議席1票"):
        rules.appoint(actor=admin, committee=factory.committee("council"), fiscal_year=current_fiscal_year(),
                      user=other, body=factory.body("川越市"), role=Role.MEMBER)
    # an observer from the same body is allowed: observers have no vote
    rules.appoint(actor=admin, committee=factory.committee("council"), fiscal_year=current_fiscal_year(),
                  user=other, body=factory.body("川越市"), role=Role.OBSERVER)


def test_prefectural_departments_are_separate_seats(ctx, factory):
    factory.member(committee="prefectural-training", body="埼玉県", department="総務部")
    factory.member(committee="prefectural-training", body="埼玉県", department="福祉部")
    seats = rules.seats(factory.committee("prefectural-training"), current_fiscal_year(), include_observers=False)
    assert sorted(m.seat_label for m in seats) == ["埼玉県 福祉部", "埼玉県 総務部"]


def test_only_administrators_appoint(ctx, factory):
    secretariat = factory.secretariat()
    with pytest.raises(Forbidden):
        rules.appoint(actor=secretariat, committee=factory.committee("planning"), fiscal_year=current_fiscal_year(),
                      user=factory.user(), body=factory.body("熊谷市"), role=Role.MEMBER)


def test_one_chair_per_year(ctx, factory):
    factory.member(committee="planning", body="熊谷市", role="chair")
    second = factory.member(committee="planning", body="川口市")
    membership = db.session.scalar(select(Membership).where(Membership.user_id == second.id))
    with pytest.raises(DomainError, match="既に決まっています"):
        rules.change_role(membership, Role.CHAIR, actor=factory.admin())


def test_handover_replaces_a_holder_and_keeps_the_past(ctx, factory):
    admin = factory.admin()
    fy = current_fiscal_year()
    planning = factory.committee("planning")
    leaving = factory.member(committee="planning", body="川越市", role="chair", email="old@example.jp")
    staying = factory.member(committee="planning", body="熊谷市", email="stay@example.jp")
    successor = factory.user(body="川越市", email="new@example.jp")
    old_membership = db.session.scalar(select(Membership).where(Membership.user_id == leaving.id))

    created = rules.handover(actor=admin, committee=planning, from_year=fy, replacements={old_membership.id: successor})
    db.session.commit()

    assert {(m.user.email, m.role) for m in created} == {("new@example.jp", Role.CHAIR), ("stay@example.jp", Role.MEMBER)}
    past = rules.seats(planning, fy)
    assert {m.user.email for m in past} == {"old@example.jp", "stay@example.jp"}  # the past keeps who acted
    assert all(m.fiscal_year == fy + 1 for m in created)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "committee.handover")).data["created"] == 2
    # running it again changes nothing
    assert rules.handover(actor=admin, committee=planning, from_year=fy) == []
    assert staying.id in {m.user_id for m in rules.seats(planning, fy + 1)}


def test_handover_refuses_two_seats_for_one_person(ctx, factory):
    fy = current_fiscal_year()
    a = factory.member(committee="planning", body="川越市")
    factory.member(committee="planning", body="熊谷市", email="kumagaya@example.jp")
    kumagaya = db.session.scalar(select(Membership).join(Membership.user).where(Membership.user_id != a.id))
    with pytest.raises(DomainError, match="二つの議席"):
        rules.handover(actor=factory.admin(), committee=factory.committee("planning"), from_year=fy,
                       replacements={kumagaya.id: a})
