"""Vote pages: the secretariat's panel, members' ballots, results, CSV, dashboard, access, CSRF, query counts, races."""
import re
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from liaison.dates import TOKYO, current_fiscal_year, utcnow
from liaison.domain import votes
from liaison.extensions import db
from liaison.models import (
    AgendaItem, AuditEvent, Ballot, Choice, Committee, Majority, MeetingStatus, Membership, User, Vote, VoteMethod,
    VoteOutcome, VoteState,
)
from liaison.security import SESSION_STARTED

from ..factories import Factory


def open_vote(app, item_id, method=VoteMethod.ELECTRONIC, **settings):
    """Open a vote through the domain; returns its id."""
    with app.app_context():
        staff = db.session.scalar(select(User).where(User.is_secretariat.is_(True)).limit(1))
        settings.setdefault("majority", Majority.SIMPLE)
        if method is VoteMethod.WRITTEN:
            settings.setdefault("closes_at", utcnow() + timedelta(days=5))
        item = db.session.get(AgendaItem, item_id)
        if method is VoteMethod.ELECTRONIC and item.meeting.status is MeetingStatus.HELD:
            Factory(app).sitting(item.meeting)  # a vote of the sitting: the meeting in session, every seat checked in
        vote = votes.open_vote(item, actor=staff, method=method, **settings)
        db.session.commit()
        return vote.id


def cast(app, vote_id, user, choice):
    with app.app_context():
        user = db.session.get(User, user.id)
        membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
        votes.cast_ballot(db.session.get(Vote, vote_id), membership, choice, actor=user)
        db.session.commit()


def membership_id(app, user):
    with app.app_context():
        return db.session.scalar(select(Membership.id).where(Membership.user_id == user.id))


@pytest.fixture()
def login(login):
    """Log in through the form, logging out whoever the client was logged in as (the form ignores a second log-in)."""

    def _login(client, email):
        client.form("/logout")
        return login(client, email)

    return _login


@pytest.fixture()
def council(app, factory):
    """Five council seats, the secretariat, a held meeting's resolution item.

    The chair votes as a member here (the committee's alternative rule); the default rule has its own tests.
    """
    staff = factory.secretariat()
    users = factory.seated("council", 5)
    item = factory.agenda_item("council")
    with app.app_context():
        db.session.scalar(select(Committee).where(Committee.slug == "council")).chair_votes = True
        db.session.commit()
    return {"staff": staff, "users": users, "item": item}


def panel_path(item):
    return f"/council/meetings/{item.meeting_id}/items/{item.id}/vote"


# ------------------------------------------------------------------------------------------- access

@pytest.mark.parametrize(
    "page, who, expected",
    [
        ("panel", "anonymous", 302), ("panel", "outsider", 403), ("panel", "member", 403), ("panel", "staff", 200),
        ("vote", "anonymous", 302), ("vote", "outsider", 403), ("vote", "member", 200), ("vote", "staff", 200),
        ("csv", "outsider", 403), ("csv", "member", 200), ("csv", "staff", 200),
        ("index", "outsider", 403), ("index", "member", 200), ("index", "staff", 200),
        ("decisions", "outsider", 403), ("decisions", "member", 200),
        ("quorum", "member", 403), ("quorum", "staff", 403), ("quorum", "admin", 200),
        ("missing", "staff", 404), ("other-committee", "staff", 404),
    ],
)
def test_access(app, client, login, factory, council, page, who, expected):
    vote_id = open_vote(app, council["item"].id)
    other_item = factory.agenda_item("planning")
    paths = {
        "panel": panel_path(council["item"]),
        "vote": f"/council/votes/{vote_id}",
        "csv": f"/council/votes/{vote_id}/ballots.csv",
        "index": "/council/votes/",
        "decisions": "/council/votes/decisions.csv",
        "quorum": "/council/votes/quorum",
        "missing": "/council/votes/999999",
        "other-committee": f"/council/meetings/{other_item.meeting_id}/items/{other_item.id}/vote",
    }
    users = {
        "outsider": lambda: factory.member(committee="planning", body="寄居町"),
        "member": lambda: council["users"][3],
        "staff": lambda: council["staff"],
        "admin": factory.admin,
    }
    if who != "anonymous":
        login(client, users[who]().email)
    assert client.get(paths[page]).status_code == expected


# ------------------------------------------------------------------------------------- the panel

def test_the_secretariat_opens_records_and_closes_a_vote(app, client, login, council):
    item, users = council["item"], council["users"]
    login(client, council["staff"].email)
    response = client.form(panel_path(item), {"method": "in_meeting", "majority": "simple"})
    assert response.status_code == 303
    with app.app_context():
        vote = db.session.scalar(select(Vote).where(Vote.agenda_item_id == item.id))
        vote_id, entitled = vote.id, vote.entitled_count
    assert entitled == 5
    seats = {f"seat-{membership_id(app, u)}": c for u, c in zip(users, ["yes", "yes", "no", "abstain", ""])}
    assert client.form(f"/council/votes/{vote_id}/record", seats).status_code == 303
    page = client.get(panel_path(item)).get_data(as_text=True)
    assert page.count("(事務局記録)") == 4
    assert client.form(f"/council/votes/{vote_id}/close").status_code == 303
    result = client.get(f"/council/votes/{vote_id}").get_data(as_text=True)
    assert "可決" in result and "<td>2</td><td>1</td><td>1</td>" in result
    with app.app_context():
        assert db.session.get(AgendaItem, item.id).outcome.value == "adopted"
        actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("%vote%") | AuditEvent.action.like("ballot.%"))))
    assert actions.count("ballot.cast") == 4 and "vote.opened" in actions and "vote.closed" in actions


def test_bad_settings_re_render_the_panel_and_save_nothing(app, client, login, council):
    login(client, council["staff"].email)
    response = client.form(panel_path(council["item"]), {"method": "written", "majority": "simple", "closes_at": ""})
    assert response.status_code == 400
    assert "書面表決の締切日時を入力してください" in response.get_data(as_text=True)
    response = client.form(panel_path(council["item"]), {"method": "bogus", "majority": "simple"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Vote)) == 0


def test_written_vote_opened_with_a_tokyo_deadline(app, client, login, council):
    login(client, council["staff"].email)
    deadline = (utcnow() + timedelta(days=3)).astimezone(TOKYO).replace(second=0, microsecond=0)
    response = client.form(panel_path(council["item"]), {
        "method": "written", "majority": "two_thirds", "secret": "y", "closes_at": deadline.strftime("%Y-%m-%dT%H:%M"),
    })
    assert response.status_code == 303
    with app.app_context():
        vote = db.session.scalar(select(Vote))
        assert (vote.closes_at, vote.secret, vote.majority) == (deadline, True, Majority.TWO_THIRDS)


def test_posts_without_the_csrf_token_are_refused(app, client, login, council):
    vote_id = open_vote(app, council["item"].id)
    login(client, council["users"][2].email)
    assert client.post(f"/council/votes/{vote_id}/ballot", data={"choice": "yes"}).status_code == 400
    login(client, council["staff"].email)
    assert client.post(f"/council/votes/{vote_id}/close").status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0
        assert db.session.get(Vote, vote_id).state is VoteState.OPEN


def test_defer_and_note_through_the_panel(app, client, login, factory, council):
    report = factory.agenda_item("council", kind="report", title="報告 研修実績")
    login(client, council["staff"].email)
    assert client.form(panel_path(council["item"]).replace("/vote", "/defer")).status_code == 303
    assert client.form(panel_path(report).replace("/vote", "/note")).status_code == 303
    assert "継続審議" in client.get(panel_path(council["item"])).get_data(as_text=True)
    exported = client.get("/council/votes/decisions.csv").get_data(as_text=True)
    assert "継続審議" in exported and "報告了承" in exported


# ---------------------------------------------------------------------------------- members' ballots

def test_a_member_casts_and_changes_their_seats_ballot(app, client, login, council):
    vote_id = open_vote(app, council["item"].id)
    member = council["users"][2]
    login(client, member.email)
    assert client.form(f"/council/votes/{vote_id}/ballot", {"choice": "yes"}).status_code == 303
    assert client.form(f"/council/votes/{vote_id}/ballot", {"choice": "no"}).status_code == 303
    assert "現在の票: 反対" in client.get(f"/council/votes/{vote_id}").get_data(as_text=True)
    with app.app_context():
        assert [b.choice for b in db.session.scalars(select(Ballot))] == [Choice.NO]


def test_bad_ballot_input_is_refused(app, client, login, council):
    vote_id = open_vote(app, council["item"].id)
    login(client, council["users"][2].email)
    response = client.form(f"/council/votes/{vote_id}/ballot", {"choice": "maybe"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0


def test_a_written_ballot_is_confirmed_before_it_is_saved(app, client, login, council):
    vote_id = open_vote(app, council["item"].id, method=VoteMethod.WRITTEN)
    login(client, council["users"][1].email)
    page = client.get(f"/council/votes/{vote_id}").get_data(as_text=True)
    assert "締切:" in page and "確認へ進む" in page
    confirm = client.form(f"/council/votes/{vote_id}/ballot", {"choice": "abstain"})
    assert confirm.status_code == 200 and "この内容で投票する" in confirm.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0
    assert client.form(f"/council/votes/{vote_id}/ballot", {"choice": "abstain", "confirmed": "1"}).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Ballot.choice)) is Choice.ABSTAIN


@pytest.mark.parametrize("who", ["observer", "staff-without-seat"])
def test_only_seat_holders_cast_on_the_ballot_page(app, client, login, factory, council, who):
    vote_id = open_vote(app, council["item"].id)
    user = factory.member(committee="council", body="寄居町", role="observer") if who == "observer" else council["staff"]
    login(client, user.email)
    assert client.form(f"/council/votes/{vote_id}/ballot", {"choice": "yes"}).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0


def test_a_member_cannot_record_for_other_seats(app, client, login, council):
    vote_id = open_vote(app, council["item"].id)
    login(client, council["users"][2].email)
    other = membership_id(app, council["users"][3])
    assert client.form(f"/council/votes/{vote_id}/record", {f"seat-{other}": "no"}).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ballot)) == 0


def test_nobody_casts_after_close(app, client, login, council):
    vote_id = open_vote(app, council["item"].id)
    for user in council["users"][:3]:
        cast(app, vote_id, user, Choice.YES)
    login(client, council["staff"].email)
    assert client.form(f"/council/votes/{vote_id}/close").status_code == 303
    login(client, council["users"][4].email)
    response = client.form(f"/council/votes/{vote_id}/ballot", {"choice": "no"})
    assert response.status_code == 400 and "この表決は締め切られています" in response.get_data(as_text=True)
    login(client, council["staff"].email)
    response = client.form(f"/council/votes/{vote_id}/record", {f"seat-{membership_id(app, council['users'][4])}": "no"})
    assert response.status_code == 400 and "この表決は締め切られています" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Ballot)) == 3


# ------------------------------------------------------------------------------- tie and casting vote

def test_the_chair_decides_a_tie_on_the_vote_page(app, client, login, council):
    chair, vice, *members = council["users"]
    with app.app_context():  # the default rule: the presiding chair does not vote and decides a tie
        db.session.scalar(select(Committee).where(Committee.slug == "council")).chair_votes = False
        db.session.commit()
    vote_id = open_vote(app, council["item"].id)
    for user, choice in zip([vice, *members], [Choice.NO, Choice.YES, Choice.NO, Choice.YES]):
        cast(app, vote_id, user, choice)
    login(client, chair.email)
    page = client.get(f"/council/votes/{vote_id}").get_data(as_text=True)
    assert "議長は表決に加わりません" in page and 'name="choice" value="yes"' not in page
    with app.app_context():
        chair_seat = membership_id(app, chair)
    assert client.form(f"/council/votes/{vote_id}/ballot", {"choice": "yes"}).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Ballot).where(Ballot.vote_id == vote_id, Ballot.membership_id == chair_seat)) is None
    login(client, council["staff"].email)
    client.form(f"/council/votes/{vote_id}/close")
    assert "議長裁決待ち" in client.get(f"/council/votes/{vote_id}").get_data(as_text=True)
    login(client, members[0].email)
    assert "裁決を記録する" not in client.get(f"/council/votes/{vote_id}").get_data(as_text=True)
    assert client.form(f"/council/votes/{vote_id}/casting", {"choice": "yes"}).status_code == 403
    login(client, chair.email)
    assert "裁決を記録する" in client.get(f"/council/votes/{vote_id}").get_data(as_text=True)
    assert client.form(f"/council/votes/{vote_id}/casting", {"choice": ""}).status_code == 400
    assert client.form(f"/council/votes/{vote_id}/casting", {"choice": "yes"}).status_code == 303
    page = client.get(f"/council/votes/{vote_id}").get_data(as_text=True)
    assert "可否同数のため議長が決しました: 可" in page and "可決" in page


# ------------------------------------------------------------------------------------------- secrecy

@pytest.mark.parametrize("secret", [True, False])
def test_secret_choices_are_hidden_in_every_view_and_export(app, client, login, factory, council, secret):
    vote_id = open_vote(app, council["item"].id, secret=secret)
    for user, choice in zip(council["users"], [Choice.YES, Choice.NO, Choice.ABSTAIN, Choice.YES]):
        cast(app, vote_id, user, choice)
    admin = factory.admin()

    def views(user):
        login(client, user.email)
        return [client.get(path).get_data(as_text=True) for path in (
            f"/council/votes/{vote_id}", f"/council/votes/{vote_id}/ballots.csv",
            *([panel_path(council["item"])] if user.is_secretariat else []),
            *(["/admin/audit"] if user.is_admin else []),
        )]

    open_views = views(council["staff"]) + views(admin)
    login(client, council["staff"].email)
    client.form(f"/council/votes/{vote_id}/close")
    closed_views = views(council["users"][4]) + views(council["staff"]) + views(admin) \
        + [client.get("/council/votes/decisions.csv").get_data(as_text=True)]
    seat_choice_marks = ["<td>賛成</td>", "<td>反対</td>", "<td>棄権</td>",  # pages
                         "投票済み,賛成", "投票済み,反対", "投票済み,棄権",  # ballots CSV
                         "after: yes", "after: no", "after: abstain"]  # audit log
    found = [mark for page in open_views + closed_views for mark in seat_choice_marks if mark in page]
    if secret:
        assert found == []
    else:  # the same views show an open vote's choices to the secretariat, and everyone's after close
        assert set(found) == set(seat_choice_marks)


# ------------------------------------------------------------------------------------ done means

def test_done_means_written_vote_of_64_through_the_pages(app, client, login, factory):
    factory.secretariat()
    users = factory.seated("council", 64)
    with app.app_context():  # all 64 seats vote here (the chair as a member); the chair's rule has its own tests
        db.session.scalar(select(Committee).where(Committee.slug == "council")).chair_votes = True
        db.session.commit()
    item = factory.agenda_item("council", meeting_format="written")
    vote_id = open_vote(app, item.id, method=VoteMethod.WRITTEN)
    with app.app_context():
        vote = db.session.get(Vote, vote_id)
        for user, choice in zip(users, [Choice.YES] * 40 + [Choice.NO] * 10 + [Choice.ABSTAIN] * 5):
            membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
            votes.cast_ballot(vote, membership, choice, actor=db.session.get(User, user.id))
        db.session.commit()
    # the deadline passes
    with app.app_context():
        db.session.get(Vote, vote_id).closes_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    login(client, factory.secretariat().email)
    assert client.form(f"/council/votes/{vote_id}/close").status_code == 303
    page = client.get(f"/council/votes/{vote_id}").get_data(as_text=True)
    assert "可決" in page and "55 / 64 議席出席" in page and "<td>40</td><td>10</td><td>5</td><td>9</td>" in page
    exported = client.get("/council/votes/decisions.csv").get_data(as_text=True)
    assert "可決" in exported and ",40,10,5,9,55,64,50," in exported


# ---------------------------------------------------------------------------------- CSV and dashboard

def test_csv_exports_are_utf8_with_a_bom(app, client, login, council):
    vote_id = open_vote(app, council["item"].id)
    cast(app, vote_id, council["users"][0], Choice.YES)
    login(client, council["staff"].email)
    response = client.get(f"/council/votes/{vote_id}/ballots.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.data.startswith("\ufeff".encode())
    text = response.data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("議席,委員,投票,表決") and "埼玉県" in text
    assert client.get(f"/council/votes/decisions.csv?fy={current_fiscal_year()}").data.startswith("\ufeff".encode())


def test_dashboard_lists_written_votes_my_seat_still_has_to_cast(app, client, login, council):
    vote_id = open_vote(app, council["item"].id, method=VoteMethod.WRITTEN)
    member = council["users"][2]
    login(client, member.email)
    page = client.get("/").get_data(as_text=True)
    assert "回答が必要な書面表決" in page and f"/council/votes/{vote_id}" in page and "締切:" in page
    cast(app, vote_id, member, Choice.YES)
    assert f"/council/votes/{vote_id}" not in client.get("/").get_data(as_text=True)


# ----------------------------------------------------------------------------------- query counts

def test_query_counts_do_not_grow_with_the_seats(app, client, login, factory, count_queries):
    """Each page runs as many queries for 5 seats as for 64."""
    staff = factory.secretariat()
    counts = {}
    for n, committee in ((5, "planning"), (64, "council")):
        users = factory.seated(committee, n)
        open_item, closed_item = factory.agenda_item(committee), factory.agenda_item(committee)
        with app.app_context():  # every seat votes here (the chair as a member)
            db.session.scalar(select(Committee).where(Committee.slug == committee)).chair_votes = True
            db.session.commit()
        open_id = open_vote(app, open_item.id, method=VoteMethod.WRITTEN)
        closed_id = open_vote(app, closed_item.id, method=VoteMethod.IN_MEETING)  # the secretariat records it
        with app.app_context():
            votes.record_ballots(db.session.get(Vote, closed_id),
                                 {membership_id(app, u): Choice.YES for u in users[:-1]}, actor=db.session.get(User, staff.id))
            votes.close_vote(db.session.get(Vote, closed_id), actor=db.session.get(User, staff.id))
            db.session.commit()
        pages = {
            "vote": (staff, f"/{committee}/votes/{closed_id}"),
            "csv": (staff, f"/{committee}/votes/{closed_id}/ballots.csv"),
            "index": (staff, f"/{committee}/votes/"),
            "panel": (staff, f"/{committee}/meetings/{open_item.meeting_id}/items/{open_item.id}/vote"),
            "ballot page": (users[-1], f"/{committee}/votes/{open_id}"),
            "dashboard": (users[-1], "/"),
        }
        for name, (user, path) in pages.items():
            login(client, user.email)
            with count_queries() as counter:
                assert client.get(path).status_code == 200
            counts.setdefault(name, []).append(counter.count)
    assert {name: c[0] for name, c in counts.items()} == {name: c[1] for name, c in counts.items()}


# ------------------------------------------------------------------------------------------ the race

def test_64_seats_cast_at_once_and_every_ballot_counts_once(app, backend, factory):
    """PostgreSQL: 64 clients cast together, 16 of them race a second request for the same seat, then change again."""
    if backend != "postgresql":
        pytest.skip("the concurrency test runs on PostgreSQL")
    from tests.conftest import Client

    factory.secretariat()
    users = factory.seated("council", 64)
    with app.app_context():  # all 64 seats vote here (the chair as a member); the chair's rule has its own tests
        db.session.scalar(select(Committee).where(Committee.slug == "council")).chair_votes = True
        db.session.commit()
    item = factory.agenda_item("council")
    vote_id = open_vote(app, item.id)
    app.test_client_class = Client

    def logged_in(user):
        """A client with the user's session set directly (80 log-ins through the form would be slow)."""
        c = app.test_client()
        with c.session_transaction() as session:
            session["_user_id"], session["_fresh"] = f"{user.id}:1", True
            session[SESSION_STARTED] = int(time.time())  # when the log-in happened (the absolute lifetime)
        c.csrf_token()
        return c

    clients = [logged_in(user) for user in users]
    racers = [logged_in(user) for user in users[:16]]

    def wave(requests):
        barrier = threading.Barrier(len(requests))
        statuses = [None] * len(requests)

        def run(index, c, choice):
            barrier.wait()
            statuses[index] = c.form(f"/council/votes/{vote_id}/ballot", {"choice": choice}).status_code

        threads = [threading.Thread(target=run, args=(i, c, choice)) for i, (c, choice) in enumerate(requests)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return statuses

    first = wave([(c, "yes") for c in clients] + [(c, "no") for c in racers])
    assert first == [303] * 80
    second = wave([(c, "abstain") for c in clients[:16]] + [(c, "no") for c in clients[16:24]])
    assert second == [303] * 24
    with app.app_context():
        rows = db.session.execute(select(Ballot.membership_id, Ballot.choice, Ballot.revision).where(Ballot.vote_id == vote_id)).all()
        assert len(rows) == 64 and len({r.membership_id for r in rows}) == 64
        assert sorted(r.revision for r in rows) == [1] * 40 + [2] * 8 + [3] * 16
        staff = db.session.scalar(select(User).where(User.is_secretariat.is_(True)).limit(1))
        vote = votes.close_vote(db.session.get(Vote, vote_id), actor=staff)
        db.session.commit()
        assert (vote.yes_count, vote.no_count, vote.abstain_count, vote.present_count) == (40, 8, 16, 64)
        assert vote.outcome is VoteOutcome.ADOPTED
        ballot_events = db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action.like("ballot.%"))
        )
        assert ballot_events == 64 + 16 + 24


@pytest.fixture()
def restore_quorum(app):
    """Committees are reference data that outlive a test: put the default rule back."""
    yield
    with app.app_context():
        for committee in db.session.scalars(select(Committee)):
            committee.quorum_numerator, committee.quorum_denominator, committee.quorum_at_least = 1, 2, False
        db.session.commit()


def test_an_administrator_sets_the_quorum_and_bad_input_changes_nothing(app, client, login, factory, restore_quorum):
    login(client, factory.admin().email)
    response = client.form("/council/votes/quorum", {"numerator": "3", "denominator": "2"})
    assert response.status_code == 400 and "分母" in response.get_data(as_text=True)
    with app.app_context():
        assert factory.committee("council").quorum_denominator == 2
    assert client.form("/council/votes/quorum", {"numerator": "2", "denominator": "3", "at_least": "y"}).status_code == 303
    assert "議席の3分の2以上の出席" in client.get("/council/votes/quorum").get_data(as_text=True)
    with app.app_context():
        council = factory.committee("council")
        assert (council.quorum_numerator, council.quorum_denominator, council.quorum_at_least) == (2, 3, True)
        assert factory.committee("planning").quorum_numerator == 1


def test_an_administrator_sets_the_chair_rule_beside_the_quorum_and_bad_input_changes_nothing(app, client, login, factory):
    login(client, factory.secretariat().email)
    assert client.form("/council/votes/chair-rule", {"chair_votes": "1"}).status_code == 403
    login(client, factory.admin().email)
    page = client.get("/council/votes/quorum").get_data(as_text=True)
    assert "議長の表決の扱い" in page and "地方自治法第116条の例による" in page and "可否同数は否決" in page
    assert re.search(r'<input checked[^>]*value="0"', page) and not re.search(r'<input checked[^>]*value="1"', page)
    for bad in ({"chair_votes": "2"}, {}):
        response = client.form("/council/votes/chair-rule", bad)
        assert response.status_code == 400 and 'class="error"' in response.get_data(as_text=True)
    assert client.post("/council/votes/chair-rule", data={"chair_votes": "1"}).status_code == 400  # no CSRF token
    with app.app_context():
        assert factory.committee("council").chair_votes is False
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "committee.chair_rule_set")) == 0
    assert client.form("/council/votes/chair-rule", {"chair_votes": "1"}).status_code == 303
    assert "現在: 議長も委員として表決に加わり、可否同数は否決" in client.get("/council/votes/quorum").get_data(as_text=True)
    with app.app_context():
        assert factory.committee("council").chair_votes is True
        assert factory.committee("planning").chair_votes is False
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "committee.chair_rule_set"))
        assert "地方自治法第116条" in event.data["before"] and "否決" in event.data["after"]
    audit_page = client.get("/admin/audit?committee=council").get_data(as_text=True)
    assert "議長の表決の扱いを変更" in audit_page and "議長の表決" in audit_page


def test_the_meeting_page_links_each_item_to_its_vote_panel_and_shows_the_outcome(app, client, login, council):
    item = council["item"]
    login(client, council["staff"].email)
    client.form(panel_path(item).replace("/vote", "/defer"))
    page = client.get(f"/council/meetings/{item.meeting_id}").get_data(as_text=True)
    assert panel_path(item) in page and '<span class="badge">継続審議</span>' in page
    login(client, council["users"][3].email)
    page = client.get(f"/council/meetings/{item.meeting_id}").get_data(as_text=True)
    assert panel_path(item) not in page and '<span class="badge">継続審議</span>' in page
