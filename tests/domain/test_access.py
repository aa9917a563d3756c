"""Access questions within a request: the user's seats and the committees are loaded once and kept
until something could change them (a flush that writes a seat, a commit, a rollback, the request's end)."""
from liaison.dates import current_fiscal_year
from liaison.domain import access
from liaison.domain import memberships as membership_rules
from liaison.extensions import db
from liaison.models import Role, User


def test_a_request_asks_for_the_seats_once(app, factory, count_queries):
    member = factory.member(committee="planning", body="川越市")
    with app.test_request_context():
        user = db.session.get(User, member.id)
        with count_queries() as counter:
            planning = access.committee_by_slug("planning")
            council = access.committee_by_slug("council")
            assert access.all_committees()[0].slug == "council"
        assert counter.count == 1
        with count_queries() as counter:
            assert access.can_view_committee(user, planning)
            assert access.membership_in(user, planning).role is Role.MEMBER
            assert not access.chairs(user, planning)
            assert access.membership_in(user, council) is None
            assert access.membership_in(user, planning, current_fiscal_year() - 1) is None
            assert access.visible_committees(user) == [planning]
        assert counter.count == 1


def test_a_request_sees_the_seats_it_writes(app, factory):
    member = factory.member(committee="planning", body="川越市")
    admin_id = factory.admin().id
    with app.test_request_context():
        user, admin = db.session.get(User, member.id), db.session.get(User, admin_id)
        planning, council = access.committee_by_slug("planning"), access.committee_by_slug("council")
        assert access.membership_in(user, council) is None
        membership_rules.appoint(actor=admin, committee=council, fiscal_year=current_fiscal_year(), user=user,
                                 body=factory.body("川越市"), role=Role.OBSERVER)
        db.session.flush()
        assert access.membership_in(user, council) is not None
        assert access.visible_committees(user) == [council, planning]
        membership_rules.end(access.membership_in(user, planning), actor=admin)
        db.session.flush()
        assert access.membership_in(user, planning) is None
        db.session.rollback()  # nothing was committed: both changes are gone
        assert access.membership_in(user, council) is None
        assert access.membership_in(user, planning) is not None


def test_nothing_is_kept_outside_a_request(ctx, factory, count_queries):
    member = factory.member(committee="planning", body="川越市")
    planning = factory.committee("planning")
    assert member.id and planning.id  # loaded (the factory committed)
    with count_queries() as counter:
        access.membership_in(member, planning)
        access.membership_in(member, planning)
    assert counter.count == 2


def test_the_domain_keeps_nothing_without_the_web_layers_store(app, factory, count_queries):
    """The domain only declares what it keeps (domain/memo.py); the request's store is the web layer's."""
    from liaison import request_memo
    from liaison.domain import memo

    factory.member(committee="planning", body="川越市")
    with app.app_context():  # no request: every question loads
        with count_queries() as counter:
            access.all_committees()
            access.all_committees()
        assert counter.count == 2
    memo.install(None)
    try:
        with app.test_request_context():  # a request, but no store installed
            with count_queries() as counter:
                access.all_committees()
                access.all_committees()
            assert counter.count == 2
    finally:
        request_memo.install()
    with app.test_request_context():
        with count_queries() as counter:
            access.all_committees()
            access.all_committees()
        assert counter.count == 1
