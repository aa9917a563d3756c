"""The projector's revalidation of live.json answered in front of Flask: a 304 without a query (issue 18).

A screen polls `/<slug>/meetings/<id>/live.json?k=<screen key>` with the ETag of the state it has. The full
request (liaison.blueprints.sitting.live_json) reads the meeting and leaves what a 304 depends on with the
process's hub (liaison.fanout.Mirror: committee, live version, screen generation), which PostgreSQL's
notifications keep current: the entry goes at the first notification of a newer version, and all entries go
while the listener is down. This middleware answers the next revalidations from that entry: the same key
check (HMAC of the meeting and its screen generation) and the same weak ETag as the view, nothing else.
Whatever it cannot answer (no entry, another viewer, a changed version, SQLite) goes to Flask unchanged.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qs

from werkzeug.http import parse_etags

from .blueprints.live_stream import live_etag
from .domain import live as live_rules
from .fanout import existing_hub
from .security import baseline_headers

PATH = re.compile(r"/([^/]+)/meetings/(\d+)/live\.json")


class LiveNotModified:
    """WSGI middleware: 304 for a screen that already has the meeting's current live state."""

    def __init__(self, wsgi_app, database_uri: str, secret_key: str, base_url: str):
        self.wsgi_app = wsgi_app
        self.database_uri = database_uri
        self.secret_key = secret_key
        self.headers = baseline_headers(base_url)  # what Flask's own 304 of the view carries

    def __call__(self, environ, start_response):
        tags = environ.get("HTTP_IF_NONE_MATCH")
        if tags and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            etag = self._current(environ)
            if etag is not None and parse_etags(tags).contains_weak(etag):
                start_response("304 NOT MODIFIED", [("ETag", f'W/"{etag}"'), *self.headers])
                return []
        return self.wsgi_app(environ, start_response)

    def _current(self, environ) -> str | None:
        """The screen's current ETag when the hub mirrors the meeting and the key is valid, else None."""
        match = PATH.fullmatch(environ.get("PATH_INFO", ""))
        hub = existing_hub(self.database_uri) if match else None
        mirror = hub.mirrored(int(match.group(2))) if hub is not None else None
        if mirror is None or mirror.committee_slug != match.group(1):
            return None
        keys = parse_qs(environ.get("QUERY_STRING", "")).get("k")
        if not keys or not live_rules.screen_token_valid(mirror, keys[0], self.secret_key):
            return None
        return live_etag(mirror.meeting_id, mirror.version, "screen")


def init_app(app) -> None:
    app.wsgi_app = LiveNotModified(app.wsgi_app, app.config["SQLALCHEMY_DATABASE_URI"], app.config["SECRET_KEY"],
                                   app.config["BASE_URL"])
