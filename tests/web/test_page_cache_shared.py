"""Shared pages (issue 22): one rendered page per view kind, the personal parts filled per request (slots).

Two members of one kind share the stored page and each sees their own name, answer and CSRF token; another
kind is another page; a change shows on the next request; nothing personal of one viewer reaches another."""
from __future__ import annotations

import re
import secrets
from datetime import timedelta

from sqlalchemy import select

from liaison.dates import utcnow
from liaison.domain import meetings as meeting_rules
from liaison.extensions import db
from liaison.models import AttendanceResponse, Meeting, Membership, ProposalComment, User
from liaison.pages import cache as page_cache
from liaison.pages import slots

from .test_page_cache import _csrf, _get, cached_app, data, pinned_minute  # noqa: F401 (fixtures)
from .test_query_budget import PASSWORD


def _seats_kind(user_id: int) -> set:
    return {(seat.fiscal_year, seat.role) for seat in db.session.scalars(select(Membership).where(
        Membership.user_id == user_id, Membership.committee.has(slug="council"), Membership.ended_at.is_(None)))}


def _two_members(app, params, emails):
    """The budget's member and another council member with the same seats (same view kind), both logged in."""
    with app.app_context():
        meeting = db.session.get(Meeting, params["convened"])
        first = db.session.scalar(select(User).where(User.email == emails["member"]))
        kind = _seats_kind(first.id)
        others = db.session.scalars(select(Membership).where(
            Membership.committee_id == meeting.committee_id, Membership.fiscal_year == meeting.fiscal_year,
            Membership.user_id != first.id).order_by(Membership.id))
        second = next(seat.user for seat in others if _seats_kind(seat.user_id) == kind
                      and not seat.user.is_admin and not seat.user.is_secretariat)
        people = [(first.email, first.name), (second.email, second.name)]
    return people


def _client(app, login, email):
    client = app.test_client()
    login(client, email, PASSWORD)
    return client


def _header(page: str) -> str:
    return page.split("<header", 1)[1].split("</header>", 1)[0]


def _my_answer(page: str) -> str:
    return page.split('id="my-answer"', 1)[1].split("</div>", 1)[0]


def test_two_members_of_one_kind_share_the_page_each_with_their_own_parts(cached_app, data, login):
    app, spy = cached_app
    params, emails = data
    (email_a, name_a), (email_b, name_b) = _two_members(app, params, emails)
    path = f"/council/meetings/{params['convened']}"
    a, b = _client(app, login, email_a), _client(app, login, email_b)
    page_a = _get(a, path)
    hits = spy.hits
    page_b = _get(b, path)
    assert spy.hits == hits + 1, "the second member of the same kind is served the stored page"
    assert name_b in _header(page_b) and name_a not in _header(page_b)
    assert name_a in _header(page_a)
    assert _csrf(page_a) not in page_b and _csrf(page_b) in page_b
    assert "\x00" not in page_b and page_cache.CSRF_MARK not in page_b
    # Their own seat's answer box: B's form, not A's.
    with app.app_context():
        meeting = db.session.get(Meeting, params["convened"])
        seat_of = {seat.user.email: seat.seat_label for seat in db.session.scalars(select(Membership).where(
            Membership.committee_id == meeting.committee_id, Membership.fiscal_year == meeting.fiscal_year))}
    if seat_of[email_a] != seat_of[email_b]:
        assert seat_of[email_b] in _my_answer(page_b) and seat_of[email_a] not in _my_answer(page_b)


def test_another_view_kind_is_another_page(cached_app, data, login):
    app, spy = cached_app
    params, emails = data
    path = f"/council/meetings/{params['convened']}"
    member, secretariat = _client(app, login, emails["member"]), _client(app, login, emails["secretariat"])
    _get(member, path)
    hits = spy.hits
    page = _get(secretariat, path)
    assert spy.hits == hits, "the secretariat's page is not the member's"
    assert "事務局の操作" in page
    assert "事務局の操作" not in _get(member, path)


def test_an_answer_moves_the_tally_for_another_member_and_stays_private(cached_app, data, login):
    app, spy = cached_app
    params, emails = data
    (email_a, _name_a), (email_b, _name_b) = _two_members(app, params, emails)
    path = f"/council/meetings/{params['convened']}"
    a, b = _client(app, login, email_a), _client(app, login, email_b)
    tally = re.compile(r'data-label="代理出席">(\d+)<')
    before = int(tally.search(_get(b, path)).group(1))
    marker = f"代理{secrets.token_hex(3)}"
    with app.app_context():
        meeting = db.session.get(Meeting, params["convened"])
        user = db.session.scalar(select(User).where(User.email == email_a))
        seat = db.session.scalar(select(Membership).where(
            Membership.user_id == user.id, Membership.committee_id == meeting.committee_id,
            Membership.fiscal_year == meeting.fiscal_year))
        meeting_rules.answer_attendance(meeting, seat, actor=user, response=AttendanceResponse.PROXY,
                                        proxy_name=marker, proxy_title="職員課長")
        db.session.commit()
    page_a = _get(a, path)
    assert marker in _my_answer(page_a), "A sees their own answer"
    hits = spy.hits
    page_b = _get(b, path)
    assert spy.hits == hits + 1 and int(tally.search(page_b).group(1)) == before + 1, "the tally moved for B"
    assert marker not in _my_answer(page_b), "A's answer is not in B's own answer box"
    assert _csrf(page_a) not in page_b


def test_a_new_comment_shows_to_the_next_viewer_with_actions_for_its_author_only(cached_app, data, login):
    app, spy = cached_app
    params, emails = data
    (email_a, _), (email_b, _) = _two_members(app, params, emails)
    path = f"/council/proposals/{params['proposal']}"
    a, b = _client(app, login, email_a), _client(app, login, email_b)
    _get(a, path), _get(b, path)
    text = f"意見{secrets.token_hex(3)}"
    with app.app_context():
        author = db.session.scalar(select(User).where(User.email == email_a))
        comment = ProposalComment(proposal_id=params["proposal"], author_id=author.id, text=text)
        db.session.add(comment)
        db.session.commit()
        edit = f"/comments/{comment.id}/edit"
    page_b = _get(b, path)
    page_a = _get(a, path)
    assert text in page_a and text in page_b
    assert edit in page_a and edit not in page_b, "修正 is the author's alone"


def test_every_shared_page_holds_its_personal_parts_as_slots(cached_app, data, login):
    app, spy = cached_app
    params, emails = data
    client = _client(app, login, emails["member"])
    store = spy.inner
    for path in (f"/council/meetings/{params['convened']}", f"/council/votes/{params['vote']}",
                 f"/council/meetings/{params['published']}/minutes", f"/council/proposals/{params['proposal']}",
                 "/council/meetings/", "/council/proposals/"):
        store.clear()
        page = _get(client, path)
        stored = [store.get(key) for key in getattr(store, "entries", {})] or [page]
        if getattr(store, "entries", None) is not None:
            assert len(stored) == 1 and "header" in slots.names_in(stored[0]), path
            assert page_cache.CSRF_MARK in stored[0] and "\x00" not in page, path


def test_a_hit_for_another_member_runs_no_view_and_few_queries(cached_app, data, login, count_queries, monkeypatch):
    from liaison.blueprints import meeting_page, votes as vote_views

    app, spy = cached_app
    params, emails = data
    (email_a, _), (email_b, _) = _two_members(app, params, emails)
    a, b = _client(app, login, email_a), _client(app, login, email_b)
    for path, module, loader, most in ((f"/council/meetings/{params['convened']}", meeting_page, "_page_data", 2),
                                       (f"/council/votes/{params['vote']}", vote_views, "_render_vote", 3)):
        _get(a, path)
        _get(b, "/council/meetings/")  # B's header kept (its own first page), then B's first sight of `path`:

        def refuse(*args, **kwargs):
            raise AssertionError(f"{path}: a hit ran the view")

        with monkeypatch.context() as patched:
            patched.setattr(module, loader, refuse)
            hits = spy.hits
            with count_queries() as counter:
                page = _get(b, path)
        assert spy.hits == hits + 1 and "\x00" not in page
        # The user with the page counters and the viewer's seats; the viewer's own part (the meeting with their
        # answer; the vote, then their seat with its ballot).
        assert counter.count <= most, (path, [s[:60] for s in counter.statements[:-1]] + counter.statements[-1:])


def test_a_no_objection_shows_on_the_next_request_for_both(cached_app, data, login):
    from liaison.domain import minutes as minutes_rules
    from liaison.models import Minutes, MinutesStatus

    app, spy = cached_app
    params, emails = data
    with app.app_context():
        minutes = db.session.scalar(select(Minutes).where(Minutes.meeting_id == params["draft_minutes"]))
        secretariat = db.session.scalar(select(User).where(User.email == emails["secretariat"]))
        minutes_rules.open_review(minutes, actor=secretariat, deadline=utcnow() + timedelta(days=7))
        db.session.commit()
        assert minutes.status is MinutesStatus.IN_REVIEW
        meeting = minutes.meeting
        reviewed = {line.seat.user_id for line in minutes_rules.review_sheet(minutes) if line.review}
        reviewers = [seat.user for seat in db.session.scalars(select(Membership).where(
            Membership.committee_id == meeting.committee_id, Membership.fiscal_year == meeting.fiscal_year,
            Membership.ended_at.is_(None)).order_by(Membership.id))
            if minutes_rules.can_review(seat.user, minutes) and seat.user_id not in reviewed]
        kinds = {}
        for user in reviewers:
            kinds.setdefault(frozenset(_seats_kind(user.id)), []).append(user)
        pair = next((users[:2] for users in kinds.values() if len(users) >= 2), None)
        assert pair, "two reviewers of one kind"
        (email_a, id_a), (email_b, _id_b) = [(user.email, user.id) for user in pair]
        meeting_id = meeting.id
    path = f"/council/meetings/{meeting_id}/minutes"
    a, b = _client(app, login, email_a), _client(app, login, email_b)
    _get(a, path), _get(b, path)
    done = re.compile(r"異議なし: (\d+) / ")
    before = int(done.search(_get(b, path)).group(1))
    with app.app_context():
        minutes = db.session.scalar(select(Minutes).where(Minutes.meeting_id == meeting_id))
        minutes_rules.mark_no_objection(minutes, actor=db.session.get(User, id_a))
        db.session.commit()
    page_a = _get(a, path)
    hits = spy.hits
    page_b = _get(b, path)
    assert spy.hits == hits + 1, "B is served the page A's request stored"
    assert int(done.search(page_b).group(1)) == before + 1, "the count moved"
    assert "と回答しました" in page_a.split('id="review"', 1)[1].split("</div>", 1)[0]
    assert "と回答しました" not in page_b.split('id="review"', 1)[1].split("</div>", 1)[0], "A's answer is A's"


def _open_electronic_vote(meeting_id: int) -> int:
    """An electronic vote on the meeting's first undecided item, the sitting opened and every seat present."""
    from liaison.domain import votes as vote_rules
    from liaison.models import AgendaItem, AgendaKind, Majority, MeetingStatus, Vote, VoteMethod

    meeting = db.session.get(Meeting, meeting_id)
    staff = db.session.scalar(select(User).where(User.is_secretariat.is_(True)).order_by(User.id))
    item = db.session.scalars(
        select(AgendaItem).where(AgendaItem.meeting_id == meeting.id, AgendaItem.kind != AgendaKind.REPORT,
                                 AgendaItem.outcome.is_(None))
        .where(~select(Vote.id).where(Vote.agenda_item_id == AgendaItem.id).exists())
        .order_by(AgendaItem.position)).first()
    if meeting.status is not MeetingStatus.IN_SESSION:
        meeting_rules.open_session(meeting, actor=staff, now=meeting.starts_at)
    meeting_rules.record_presence(meeting, actor=staff, now=meeting.starts_at, present_membership_ids=[
        seat.id for seat in meeting_rules.voting_seats(meeting)])
    vote = vote_rules.open_vote(item, actor=staff, method=VoteMethod.ELECTRONIC, majority=Majority.SIMPLE)
    db.session.commit()
    return vote.id


def test_a_ballot_moves_the_count_for_another_member_and_stays_theirs(cached_app, data, login):
    from liaison.domain import votes as vote_rules
    from liaison.models import Choice, Vote

    app, spy = cached_app
    params, emails = data
    (email_a, _), (email_b, _) = _two_members(app, params, emails)
    with app.app_context():
        vote_id = _open_electronic_vote(params["convened"])
    path = f"/council/votes/{vote_id}"
    a, b = _client(app, login, email_a), _client(app, login, email_b)
    count = re.compile(r"(\d+) / (\d+) 議席が投票済み")
    _get(a, path)
    hits = spy.hits
    page_b = _get(b, path)
    assert spy.hits == hits + 1, "the second member of the same kind is served the stored page"
    before = int(count.search(page_b).group(1))
    with app.app_context():
        vote = db.session.get(Vote, vote_id)
        user = db.session.scalar(select(User).where(User.email == email_a))
        seat = db.session.scalar(select(Membership).where(
            Membership.user_id == user.id, Membership.committee_id == vote.committee_id,
            Membership.fiscal_year == vote.agenda_item.meeting.fiscal_year))
        vote_rules.cast_ballot(vote, seat, Choice.YES, actor=user)
        db.session.commit()
    page_a = _get(a, path)
    mine = re.compile(r"現在の票: (賛成|反対|棄権)")
    assert int(count.search(page_a).group(1)) == before + 1 and mine.search(page_a).group(1) == "賛成", "A's ballot"
    hits = spy.hits
    page_b = _get(b, path)
    assert spy.hits == hits + 1, "B is served the page A's request stored"
    assert int(count.search(page_b).group(1)) == before + 1, "the count moved for B"
    assert mine.search(page_b) is None and "まだ投票していません。" in page_b, "A's ballot is not B's"


def test_a_new_meeting_shows_in_the_list_on_the_next_request(cached_app, data, login):
    from liaison.models import Committee, MeetingFormat

    app, spy = cached_app
    params, emails = data
    (email_a, _), (email_b, _) = _two_members(app, params, emails)
    path = "/council/meetings/"
    a, b = _client(app, login, email_a), _client(app, login, email_b)
    marker = f"臨時会{secrets.token_hex(3)}"
    assert marker not in _get(a, path)
    with app.app_context():
        committee = db.session.scalar(select(Committee).where(Committee.slug == "council"))
        staff = db.session.scalar(select(User).where(User.is_secretariat.is_(True)).order_by(User.id))
        start = utcnow() + timedelta(days=20)
        meeting = meeting_rules.create_meeting(committee, actor=staff, starts_at=start, ends_at=start + timedelta(hours=2),
                                               format=MeetingFormat.IN_PERSON, place="会議室", title=marker)
        meeting_rules.convene(meeting, actor=staff)
        db.session.commit()
    assert marker in _get(a, path), "the new meeting is on the next request"
    hits = spy.hits
    assert marker in _get(b, path) and spy.hits == hits + 1
