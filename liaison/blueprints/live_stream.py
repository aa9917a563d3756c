"""The meeting day's Server-Sent Events stream (/<slug>/meetings/<id>/live/events, liaison.blueprints.sitting).

`id: <version>`, `event: state`, `data: <live.json>` at connect (unless the client's Last-Event-ID is current) and
on every new version; `: heartbeat` every LIVE_HEARTBEAT_SECONDS; the stream ends after LIVE_STREAM_SECONDS and the
browser reconnects (`retry: 1000`). While it waits it holds no database connection: it sleeps on the process's hub
(liaison.fanout, woken by PostgreSQL NOTIFY) or, without a listener, reads the version every LIVE_POLL_SECONDS.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from flask import Response, current_app, request, stream_with_context
from sqlalchemy import select

from ..extensions import db
from ..fanout import hub_for
from ..models import Meeting


def last_seen_version() -> int | None:
    """The version the client has: Last-Event-ID on a reconnect, ?v= on the first connect (live.js)."""
    try:
        return int(request.headers.get("Last-Event-ID", "") or request.args.get("v", ""))
    except ValueError:
        return None


def _event(state: dict) -> str:
    data = current_app.json.dumps(state, separators=(",", ":"))
    return f"id: {state['version']}\nevent: state\ndata: {data}\n\n"


def event_stream(meeting_id: int, read_state: Callable[[], dict | None]) -> Response:
    """The stream of a meeting's live state; read_state() builds it (None: the meeting is gone)."""
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

    def state_now() -> dict | None:
        try:
            return read_state()
        finally:
            db.session.close()

    def stream():
        yield "retry: 1000\n\n"
        sent = last_seen
        started = beat = time.monotonic()
        version = read_version()
        while version is not None:
            if sent is None or version != sent:
                state = state_now()
                if state is None:
                    return
                sent = version = state["version"]
                yield _event(state)
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
