"""What each calendar feed holds, its version, and the cache of built feeds.

A feed is answered in two steps: one aggregate query gives the version of its data (count,
id sum and latest change of its meetings and of its written sessions' votes, the user's seats and
settings; with the user's deadlines, one more query per kind that has data of its own); the built bytes
are kept in one cache per process under that version, so a revalidation that ends in 304 never builds
the calendar, and a rebuild after one change takes the serialised events that did not change from the
feed's previous build. A personal feed revalidated within FEED_RECHECK_SECONDS of its last check gets
its 304 from the same cache entry without a query. Nothing else is cached: a process that has just
started builds each feed once in full. Building reads the feed's meetings in one query, their agendas
in one more, whatever their number.

The parts: scopes.py (which meetings, the version), rows.py (reading them), deadlines.py and written.py
(the user's deadlines, written sessions), cache.py (the one cache of built feeds), ical.py (the events).
"""
from __future__ import annotations

import time

from flask import current_app
from flask_babel import force_locale, get_locale

from ..i18n import pinned_locale
from ..models import Committee, Meeting, User
from . import deadlines as providers
from . import ical
from .cache import CachedFeed, Feed, make_feed, state
from .rows import feed_rows, load_meetings
from .scopes import Scope, committee_scope, feed_version, latest, user_scope
from .written import written_votes_of


def _meeting_key(row, locale: str, base_url: str) -> tuple:
    return ("meeting", row.id, row.updated_at, row.sequence, row.vote_deadline, row.votes_changed_at, locale, base_url)


def _row_written_votes(row) -> ical.WrittenVotes:
    if row.vote_deadline is None and row.votes_changed_at is None:  # all but written sessions with votes
        return ical.NO_WRITTEN_VOTES  # equal to WrittenVotes(None, None), without making one per meeting
    return ical.WrittenVotes(deadline=row.vote_deadline, changed_at=row.votes_changed_at)


def _deadline_key(deadline: ical.Deadline, locale: str, base_url: str) -> tuple:
    return ("deadline", deadline.key, deadline.due_at, deadline.updated_at, deadline.sequence, locale, base_url)


def build_events(scope: Scope, base_url: str, reuse: dict | None = None) -> tuple[bytes, dict]:
    """The feed's bytes and its serialised events by their keys.

    `reuse`: the events of an earlier build of this feed (CachedFeed.events); those whose key has not
    moved are taken as they are, and only the meetings of the others are loaded (as MeetingView rows)
    and written.
    """
    locale = str(get_locale() or "ja")
    reuse = reuse or {}
    rows = feed_rows(scope)
    deadlines: list[ical.Deadline] = []
    if scope.user is not None and scope.include_deadlines:
        deadlines = [deadline for provider in providers.DEADLINE_PROVIDERS for deadline in provider.deadlines(scope.user, rows)]
        deadlines.sort(key=lambda deadline: (deadline.due_at, deadline.key))
    meeting_keys = [_meeting_key(row, locale, base_url) for row in rows]
    deadline_keys = [_deadline_key(deadline, locale, base_url) for deadline in deadlines]
    wanted = {row.id for row, key in zip(rows, meeting_keys) if key not in reuse}
    wanted |= {deadline.meeting_id for deadline, key in zip(deadlines, deadline_keys) if key not in reuse}
    meetings = load_meetings(wanted, rows)
    events: dict = {}
    chunks: list[bytes] = []
    with pinned_locale():
        wording = ical.Wording(base_url)  # the build's messages, translated once
        for row, key in zip(rows, meeting_keys):
            data = reuse.get(key)
            if data is None:
                data = ical.meeting_event_bytes(meetings.get(row.id), base_url, _row_written_votes(row), wording)
            events[key] = data
            chunks.append(data)
        for deadline, key in zip(deadlines, deadline_keys):
            data = reuse.get(key)
            if data is None:
                data = ical.deadline_event_bytes(deadline, meetings.get(deadline.meeting_id), base_url, wording)
            events[key] = data
            chunks.append(data)
        body = ical.calendar_bytes(scope.name, chunks)
    return body, events


def build_feed(scope: Scope, base_url: str) -> bytes:
    """The feed's bytes, every event written."""
    return build_events(scope, base_url)[0]


def cached_feed(scope: Scope, *, key: tuple | None = None, recheck_seconds: int = 0) -> Feed:
    """The feed for a scope: from the cache when its version has not changed, else built and cached.

    `key` names the feed in the cache (default: its scope and language); with `recheck_seconds`, a
    revalidation under that key within so many seconds needs no query (recently_checked).
    """
    base_url = current_app.config["BASE_URL"]
    calendar_state = state()
    key = key or ("scope", scope.key, str(get_locale() or "ja"))
    version = feed_version(scope, base_url)
    entry = calendar_state.cache.get(key)
    if entry is None or entry.version != version.key:
        body, events = build_events(scope, base_url, entry.events if entry is not None else None)
        entry = CachedFeed(version=version.key, feed=make_feed(body, version.last_modified), events=events)
        calendar_state.builds += 1
    entry.checked_until = time.monotonic() + recheck_seconds if recheck_seconds else 0.0
    calendar_state.cache.put(key, entry)
    return entry.feed


def recently_checked(token: str) -> Feed | None:
    """The personal feed of `token` as checked within FEED_RECHECK_SECONDS, or None."""
    entry = state().cache.get(("token", token))
    if entry is None or entry.checked_until < time.monotonic():
        return None
    return entry.feed


def user_feed(user: User, *, locale: str | None = None, token: str | None = None) -> Feed:
    """The personal feed, in the user's own language; requested by its `token`, it is cached under it and
    its next revalidations within FEED_RECHECK_SECONDS need no query."""
    with force_locale(locale or user.locale or "ja"):
        if token is None:
            return cached_feed(user_scope(user))
        return cached_feed(user_scope(user), key=("token", token),
                           recheck_seconds=current_app.config.get("FEED_RECHECK_SECONDS", 0))


def committee_feed(committee: Committee) -> Feed:
    return cached_feed(committee_scope(committee))


def meeting_ics(meeting: Meeting, base_url: str) -> bytes:
    """A single meeting's .ics, a written session on its written votes' deadline like in the feeds."""
    return ical.meeting_calendar_bytes(meeting, base_url, written_votes_of(meeting))


def meeting_feed(meeting: Meeting) -> Feed:
    votes = written_votes_of(meeting)
    body = ical.meeting_calendar_bytes(meeting, current_app.config["BASE_URL"], votes)
    return make_feed(body, latest(meeting.updated_at, votes.changed_at))
