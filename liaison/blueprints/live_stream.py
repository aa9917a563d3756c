"""The meeting day's Server-Sent Events stream (/<slug>/meetings/<id>/live/events, liaison.blueprints.sitting).

`id: <version>`, `event: state`, `data: <live.json>` at connect (unless the client's Last-Event-ID is current) and
on every new version; `: heartbeat` every LIVE_HEARTBEAT_SECONDS; the stream ends after LIVE_STREAM_SECONDS and the
browser reconnects (`retry: 1000`). While it waits it holds no database connection: it sleeps on the process's hub
(liaison.fanout, woken by PostgreSQL NOTIFY) or, without a listener, reads the version every LIVE_POLL_SECONDS.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from flask import Response, current_app, g, request, stream_with_context, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..domain import access
from ..domain import live as live_rules
from ..domain.live_state import Viewer, personal, shared_state, sharing_key
from ..extensions import db
from ..fanout import hub_for
from ..models import Meeting


# A stream that sent within this time waits for the next tick (a multiple of it on the host's monotonic clock) and
# sends the version the process's streams agreed on for that tick: a burst of ballots gives a few sends, each
# state built once per process (not once per version that each of 50 streams happened to wake to).
COALESCE_SECONDS = 0.25


class SharedStates:
    """The shared (non-personal) live state per (meeting, version, viewer kind, …), built once per process.

    Keyed by the version read from the database, so an entry is never served for another version; a
    small bounded LRU. While one thread builds a key the others wanting it wait for it instead of
    building it again (100 streams woken by one ballot build the state once).
    """

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._entries: OrderedDict = OrderedDict()
        self._building: dict = {}
        self._lock = threading.Lock()

    def get(self, key, build: Callable):
        """The entry for key, from build() when missing; build() may return (actual key, value) for a newer one."""
        while True:
            with self._lock:
                if key in self._entries:
                    self._entries.move_to_end(key)
                    return self._entries[key]
                waiting = self._building.get(key)
                if waiting is None:
                    waiting = self._building[key] = threading.Event()
                    break
            waiting.wait(5.0)  # another thread builds it; then look again (or build, if it failed)
        try:
            built_key, value = build()
            if value is not None:  # a newer version than asked is still right for whoever asked (never older)
                self.put(built_key, value)
                if built_key != key:
                    self.put(key, value)
            return value
        finally:
            with self._lock:
                self._building.pop(key, None)
            waiting.set()

    def put(self, key, value) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def shared_states(app) -> SharedStates:
    """The app's cache (one per app object and process: tests with their own app never share entries)."""
    states = app.extensions.get("liaison_live_states")
    if states is None:
        states = app.extensions.setdefault("liaison_live_states", SharedStates())
    return states


def last_seen_version() -> int | None:
    """The version the client has: Last-Event-ID on a reconnect, ?v= on the first connect (live.js)."""
    try:
        return int(request.headers.get("Last-Event-ID", "") or request.args.get("v", ""))
    except ValueError:
        return None


def _event(state: dict) -> str:
    data = current_app.json.dumps(state, separators=(",", ":"))
    return f"id: {state['version']}\nevent: state\ndata: {data}\n\n"


def coalesced_version(hub, meeting_id: int, version: int, sent: int | None, sent_at: float) -> int:
    """The version a stream sends now, having heard `version` and sent `sent` at `sent_at`: at once if it sent
    nothing within COALESCE_SECONDS; else, after sleeping until the next tick, the version the process's streams
    agreed on for that tick (Hub.heard_at_tick) — or the newest, if the stream sent that one already."""
    now = time.monotonic()
    if now - sent_at >= COALESCE_SECONDS:
        return version
    tick = int(now // COALESCE_SECONDS) + 1
    time.sleep(max(0.0, tick * COALESCE_SECONDS - now))
    agreed = hub.heard_at_tick(meeting_id, tick, version)
    if sent is None or agreed > sent:
        return agreed
    return max(version, hub.heard(meeting_id) or 0)


def event_stream(meeting_id: int, read_event: Callable[[int | None], tuple[int, str] | None]) -> Response:
    """The stream of a meeting's live state; read_event(version heard or None) gives (version, the event's
    text) at that version or a newer one (None: the meeting is gone)."""
    last_seen = last_seen_version()
    config = current_app.config
    heartbeat = float(config.get("LIVE_HEARTBEAT_SECONDS", 15))
    poll = float(config.get("LIVE_POLL_SECONDS", 0.5))
    lifetime = float(config.get("LIVE_STREAM_SECONDS", 300))
    hub = hub_for(config["SQLALCHEMY_DATABASE_URI"])
    db.session.close()  # the stream holds no database connection while it waits

    def read_version() -> int | None:
        try:
            return db.session.scalar(select(Meeting.live_version).where(Meeting.id == meeting_id))
        finally:
            db.session.close()

    def event_now(known: int | None) -> tuple[int, str] | None:
        try:
            return read_event(known)
        finally:
            db.session.close()

    def stream():
        yield "retry: 1000\n\n"
        sent = last_seen
        started = beat = time.monotonic()
        sent_at = 0.0
        version = read_version()
        while version is not None:
            if sent is None or version != sent:
                version = coalesced_version(hub, meeting_id, version, sent, sent_at)
                # A version PostgreSQL has announced (or this stream read) is asked for by its number: the
                # process's streams share its state and text, so the first one builds it and the rest read no row.
                event = event_now(version if hub.listening else None)
                if event is None:
                    return
                version, text = event
                sent = version
                sent_at = time.monotonic()
                yield text
            now = time.monotonic()
            if now - started >= lifetime:
                return  # the browser reconnects with Last-Event-ID (retry: 1 s)
            if now - beat >= heartbeat:
                beat = now
                yield ": heartbeat\n\n"
            wait = min(heartbeat - (now - beat), lifetime - (now - started), poll if not hub.listening else 5.0)
            heard = hub.wait(meeting_id, version, max(wait, 0.01))
            version = heard if heard is not None and heard > version else read_version()

    response = Response(stream_with_context(stream()), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # a proxy (nginx) passes each event on at once
    return response


# ------------------------------------------------------------------ live.json shared across streams

def documents_url(meeting: Meeting, state: dict) -> dict:
    """資料 links on every item and the meeting: the download route, and the in-page viewer for a PDF."""
    def link(documents):
        for document in documents:
            document["url"] = url_for("meetings.download", meeting_id=meeting.id, attachment_id=document["id"])
            document["view_url"] = (url_for("meetings.view_material", meeting_id=meeting.id,
                                            attachment_id=document["id"]) if document.get("pdf") else None)
    link(state["meeting"]["documents"])
    for item in state["items"]:
        link(item["documents"])
    if state.get("presenting"):
        state["presenting"] = presenting_url(meeting, state["presenting"])
    return state


def presenting_url(meeting: Meeting, presenting: dict) -> dict:
    """The presented 資料's in-page viewer at the presenter's page (a new dict: the shared one is kept)."""
    return {**presenting, "url": url_for("meetings.view_material", committee=meeting.committee.slug,
                                         meeting_id=meeting.id, attachment_id=presenting["attachment_id"],
                                         page=presenting["page"])}


def _shared_key(meeting_id: int, created_at, version: int, viewer: Viewer) -> tuple:
    # created_at: a meeting id used again (a database emptied and refilled, as the tests do) is another meeting
    return (meeting_id, created_at, version, sharing_key(viewer), str(get_locale()), g.committee.slug)


def cached_state(meeting_id: int, viewer: Viewer, meeting: Meeting | None = None) -> dict | None:
    """live.json for the streams and polling: the shared part built once per (meeting, version, kind) and
    process (liaison.blueprints.live_stream.SharedStates), the viewer's `me` on top (at most one query).
    The version is read from the database first; an entry is only ever used for its own version."""
    shared = _shared(meeting_id, viewer, meeting)
    return None if shared is None else personal(shared, viewer)


def state_event(meeting_id: int, viewer: Viewer, created_at, known: int | None = None) -> tuple[int, str] | None:
    """(version, the stream's event text) for a viewer. `known`: a version PostgreSQL announced for this
    meeting (created at `created_at`), asked for without reading the row when its state is built already;
    else the version is read first, as cached_state does. The text is kept with the shared state per `me`,
    so the screens and the viewers of one kind and seat state serialise it once per version and process."""
    shared = _shared(meeting_id, viewer, None, None if known is None else (known, created_at))
    if shared is None:
        return None
    state = personal(shared, viewer)
    me = state["me"]
    mine = None if me is None else tuple(sorted(me.items()))
    text = shared.texts.get(mine)
    if text is None:
        text = shared.texts.setdefault(mine, _event(state))
    return state["version"], text


def _shared(meeting_id: int, viewer: Viewer, meeting: Meeting | None, known: tuple | None = None):
    if meeting is not None:
        version, created_at = meeting.live_version, meeting.created_at
    elif known is not None:
        version, created_at = known
    else:
        row = db.session.execute(select(Meeting.live_version, Meeting.created_at).where(Meeting.id == meeting_id)).first()
        if row is None:
            return None
        version, created_at = row

    def build():
        row = db.session.scalar(select(Meeting).options(joinedload(Meeting.committee)).where(Meeting.id == meeting_id))
        if row is None:
            return None, None
        shared = shared_state(row, viewer)
        documents_url(row, shared.state)
        return _shared_key(meeting_id, row.created_at, row.live_version, viewer), shared

    return shared_states(current_app).get(_shared_key(meeting_id, created_at, version, viewer), build)


def live_etag(meeting_id: int, version: int, part: str) -> str:
    """The weak ETag of a live state: the meeting, its version, the viewer ("screen", "member-12", "staff-3")."""
    return f"live-{meeting_id}-{version}-{part}"


def not_modified(meeting_id: int) -> Response | None:
    """304 after ONE small query (version + screen generation) when If-None-Match names this viewer's
    current version: the screen's key checked, or the logged-in user's own tag (issued to them after the
    full check at that version; it tells nothing they do not have)."""
    if not request.if_none_match:
        return None
    row = db.session.execute(
        select(Meeting.id, Meeting.live_version, Meeting.screen_generation)
        .where(Meeting.id == meeting_id, Meeting.committee_id == g.committee.id)
    ).first()
    if row is None:
        return None
    key = request.args.get("k")
    if key:
        if not live_rules.screen_token_valid(row, key, current_app.config["SECRET_KEY"]):
            return None
        part = "screen"
    elif current_user.is_authenticated:
        part = f"{'staff' if access.is_staff(current_user) else 'member'}-{current_user.id}"
    else:
        return None
    etag = live_etag(row.id, row.live_version, part)
    if not request.if_none_match.contains_weak(etag):
        return None
    response = Response(status=304)
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = "private, no-cache"
    return response
