"""The page cache (liaison/pages/cache.py): a cached page shows a change on the next request, on both databases,
with the per-process store and with Redis (skipped when no Redis answers at REDIS_TEST_URL)."""
from __future__ import annotations

import os
import re
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bench.scale import Scale, generate
from liaison.dates import utcnow
from liaison.domain import meetings as meeting_rules
from liaison.extensions import db
from liaison.models import (
    AgendaItem, AttendanceResponse, Committee, Meeting, Membership, PageVersion, Proposal, User, Vote,
)
from liaison.pages import cache as page_cache
from liaison.pages import slots

from .test_query_budget import PASSWORD, _ids

REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")


def _redis_url() -> str:
    """A database of its own for each xdist worker: one worker's clear() never empties another's pages."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    base, _, number = REDIS_TEST_URL.rpartition("/")
    return f"{base}/{int(number) - int(worker.removeprefix('gw') or 0)}" if number.isdigit() else REDIS_TEST_URL


class Spy:
    """The store, counting hits."""

    def __init__(self, inner):
        self.inner, self.hits = inner, 0

    def get(self, key):
        body = self.inner.get(key)
        self.hits += body is not None
        return body

    def put(self, key, body):
        self.inner.put(key, body)

    def clear(self):
        self.inner.clear()


class PinnedMinute:
    """The minute in the pages' keys (liaison/pages/slots.py key_parts), held still: a test whose two requests
    straddle a minute's turn would otherwise see a miss where it expects a hit. `advance()` turns it."""

    def __init__(self, monkeypatch):
        self.now = utcnow().replace(second=30, microsecond=0)
        monkeypatch.setattr(slots, "utcnow", lambda: self.now)

    def advance(self, minutes: int = 1) -> None:
        self.now += timedelta(minutes=minutes)


@pytest.fixture()
def pinned_minute(monkeypatch):
    return PinnedMinute(monkeypatch)


@pytest.fixture(params=["local", "redis"])
def cached_app(app, request, pinned_minute):
    if request.param == "redis":
        # A slow machine's Redis may pause longer than production's 0.25 s (an error there is a miss, which a
        # test expecting a hit would read as a fault of the cache).
        store = page_cache.RedisStore(_redis_url(), 60, timeout=5)
        try:
            store.client.ping()
        except store.errors as error:
            pytest.skip(f"no Redis at {REDIS_TEST_URL} ({error}): the shared store is not tested here")
    else:
        store = page_cache.LocalStore(8 << 20)
    spy = Spy(store)
    extension = app.extensions[page_cache.EXTENSION]
    saved = extension["store"], app.config.get("PAGE_CACHE")
    extension["store"], app.config["PAGE_CACHE"] = spy, True
    spy.clear()
    extension["headers"].clear()  # the viewers' kept headers and slots: the test database starts its counters anew
    try:
        yield app, spy
    finally:
        spy.clear()
        extension["headers"].clear()
        extension["store"], app.config["PAGE_CACHE"] = saved


@pytest.fixture()
def data(cached_app, client):
    app, _ = cached_app
    with app.app_context():
        generate(Scale.small())
        db.session.commit()
    return _ids(app, client)


def _get(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def _member_client(app, login, emails):
    client = app.test_client()
    login(client, emails["member"], PASSWORD)
    return client


def _rename_committee(name: str) -> None:
    """A Core UPDATE through the session (not a flushed object): its table's counter moves too."""
    db.session.execute(update(Committee).where(Committee.slug == "council").values(name=name))
    db.session.commit()


def _seen_twice_then_changed(app, spy, client, path: str, change, marker: str) -> None:
    _get(client, path)  # the dashboard keeps its やること count in the session (a part of the key): now it is there
    first = _get(client, path)
    hits = spy.hits
    again = _get(client, path)
    assert spy.hits == hits + 1, f"{path}: the second request is served from the cache"
    assert _strip_csrf(again) == _strip_csrf(first)
    assert marker not in first
    with app.app_context():
        change()
    after = _get(client, path)
    assert marker in after, f"{path}: the change is on the next request"
    hits = spy.hits
    assert _strip_csrf(_get(client, path)) == _strip_csrf(after) and spy.hits == hits + 1


def _csrf(page: str) -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def _strip_csrf(page: str) -> str:
    return page.replace(_csrf(page), "")


def test_a_cached_page_fills_the_viewers_own_csrf_token(cached_app, data, login):
    app, spy = cached_app
    params, emails = data
    path = f"/council/meetings/{params['convened']}"
    first, second = _member_client(app, login, emails), _member_client(app, login, emails)
    page = _get(first, path)
    other = _get(second, path)
    assert spy.hits >= 1
    assert page_cache.CSRF_MARK not in other and _csrf(other) != _csrf(page)
    # The token works: the attendance form posts with it.
    assert _csrf(other) in other.split("<main", 1)[-1] or "csrf_token" not in other.split("<main", 1)[-1]


def test_a_new_minute_is_a_new_key(cached_app, data, login, pinned_minute):
    """Pages show deadlines and "now": the minute is part of the key, so a page is rendered anew each minute."""
    app, spy = cached_app
    params, emails = data
    path = f"/council/meetings/{params['convened']}"
    client = _member_client(app, login, emails)
    _get(client, path)
    hits = spy.hits
    _get(client, path)
    assert spy.hits == hits + 1, "the same minute: served from the cache"
    pinned_minute.advance()
    _get(client, path)
    assert spy.hits == hits + 1, "the next minute: rendered anew"
    _get(client, path)
    assert spy.hits == hits + 2


def test_meeting_page_shows_an_attendance_answer_on_the_next_request(cached_app, data, login):
    app, spy = cached_app
    params, emails = data
    client = _member_client(app, login, emails)
    marker = f"代理{secrets.token_hex(3)}"

    def answer():
        meeting = db.session.get(Meeting, params["convened"])
        member = db.session.scalar(select(User).where(User.email == emails["member"]))
        seat = db.session.scalar(select(Membership).where(
            Membership.user_id == member.id, Membership.committee_id == meeting.committee_id,
            Membership.fiscal_year == meeting.fiscal_year))
        meeting_rules.answer_attendance(meeting, seat, actor=member, response=AttendanceResponse.PROXY,
                                        proxy_name=marker, proxy_title="職員課長")
        db.session.commit()

    _seen_twice_then_changed(app, spy, client, f"/council/meetings/{params['convened']}", answer, marker)


def test_proposal_pages_show_a_new_title_on_the_next_request(cached_app, data, login):
    app, spy = cached_app
    params, emails = data
    client = _member_client(app, login, emails)
    for path in (f"/council/proposals/{params['proposal']}", "/council/proposals/?q=研修&status=adopted"):
        marker = f"研修{secrets.token_hex(3)}"

        def retitle():
            proposal = db.session.get(Proposal, params["proposal"])
            proposal.title = f"{marker}の実施について"
            db.session.commit()

        _seen_twice_then_changed(app, spy, client, path, retitle, marker)


def test_vote_result_shows_a_new_item_title_on_the_next_request(cached_app, data, login):
    app, spy = cached_app
    params, emails = data
    client = _member_client(app, login, emails)
    marker = f"議題{secrets.token_hex(3)}"

    def retitle():
        vote = db.session.get(Vote, params["vote"])
        db.session.get(AgendaItem, vote.agenda_item_id).title = marker
        db.session.commit()

    _seen_twice_then_changed(app, spy, client, f"/council/votes/{params['vote']}", retitle, marker)


def test_dashboard_meeting_list_and_minutes_show_a_renamed_committee(cached_app, data, login):
    app, spy = cached_app
    params, emails = data
    client = _member_client(app, login, emails)
    with app.app_context():
        original = db.session.scalar(select(Committee.name).where(Committee.slug == "council"))
    try:
        for path in ("/", "/council/meetings/", f"/council/meetings/{params['published']}/minutes"):
            marker = f"連絡調整会議{secrets.token_hex(3)}"
            _seen_twice_then_changed(app, spy, client, path, lambda: _rename_committee(marker), marker)
    finally:
        with app.app_context():
            _rename_committee(original)


def test_every_commit_raises_the_counters_of_the_tables_it_wrote(app):
    with app.app_context():
        before = dict(db.session.execute(select(PageVersion.name, PageVersion.counter)).all())
        committee = db.session.scalar(select(Committee).where(Committee.slug == "council"))
        committee.position = committee.position  # no change: no counter moves
        db.session.commit()
        assert dict(db.session.execute(select(PageVersion.name, PageVersion.counter)).all()) == before
        name = committee.name
        committee.name = name + "!"
        db.session.commit()
        committee.name = name
        db.session.rollback()  # rolled back: nothing to count
        after = dict(db.session.execute(select(PageVersion.name, PageVersion.counter)).all())
        assert after["committees"] == before.get("committees", 0) + 1
        committee.name = name
        db.session.commit()
