"""The page cache (issue 22): a rendered page is reused by the next request for the same view of the same data.

Which pages: PAGES below (the dashboard, the meeting list and page, the proposal list and page, the vote
result and the minutes page), for a logged-in GET without a pending flash message.

The key holds everything the stored HTML depends on:
- every table's version counter (liaison/pages/versions.py: one query, read *before* the view reads its
  data), so a committed change is a new key on the next request, on every host;
- the endpoint with its path and query string, the locale, the current minute (pages that show deadlines
  and "now"), and the deployment (the templates', code's and catalogues' files);
- the viewer's *view kind* on the pages whose view is shared by nature (pages/kinds.py: the meeting, vote,
  minutes and proposal pages and the lists), so every viewer of one kind shares one stored page; on the
  dashboard (personal by nature: the viewer's own tasks) the user and the やること count it lists.

The personal parts are not stored: they are slots (pages/slots.py) filled per request — the header
(pages/header.py), the viewer's own answer, ballot, review and comment actions (their blueprints) — and the
CSRF token is a marker replaced per request. A hit runs no view: the user's query (with the counters and
the viewer's seats), then the slots' few queries.

Where: Redis when REDIS_URL is set (shared by every process and host; a Redis error is a miss), else a
bounded LRU in the process (PAGE_CACHE_MB). PAGE_CACHE=0 turns the cache off (tests run without it, apart
from tests/web/test_page_cache.py and tests/web/test_call_budget.py, which turn it on).
"""
from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections import OrderedDict
from pathlib import Path

from flask import Flask, current_app, g, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ..blueprints import handling
from ..blueprints.dashboard import TASK_BADGE
from . import header, kinds, slots, versions, viewers  # noqa: F401 (header: registers the header's slot)
from .slots import CSRF_MARK, EXTENSION

log = logging.getLogger(__name__)
PAGES = frozenset({"dashboard.index", "meetings.index", "meetings.show", "proposals.index", "proposals.show",
                   "votes.show", "minutes.show"})
_KEY = "_liaison_page_key"
_HIT = "_liaison_page_hit"
ROOT = Path(__file__).resolve().parents[2]


class LocalStore:
    """A least-recently-used map of rendered pages, bounded in bytes (one per process)."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.size = 0
        self.entries: OrderedDict[str, str] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self.lock:
            body = self.entries.get(key)
            if body is not None:
                self.entries.move_to_end(key)
            return body

    def put(self, key: str, body: str) -> None:
        cost = len(body) * 2
        if cost > self.max_bytes // 4:
            return
        with self.lock:
            old = self.entries.pop(key, None)
            if old is not None:
                self.size -= len(old) * 2
            self.entries[key] = body
            self.size += cost
            while self.size > self.max_bytes:
                _, dropped = self.entries.popitem(last=False)
                self.size -= len(dropped) * 2

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0


class RedisStore:
    """Rendered pages in Redis (every process and host), each for PAGE_CACHE_SECONDS; an error is a miss."""

    def __init__(self, url: str, seconds: int, timeout: float = 0.25):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self.seconds = seconds
        self.errors = redis.RedisError
        self._warned = 0.0

    def _failed(self, error: Exception) -> None:
        if time.monotonic() - self._warned > 60:
            self._warned = time.monotonic()
            log.warning("page cache: Redis is not answering (%s); pages are rendered anew", error)

    def get(self, key: str) -> str | None:
        try:
            body = self.client.get(key)
        except self.errors as error:
            self._failed(error)
            return None
        return None if body is None else body.decode("utf-8")

    def put(self, key: str, body: str) -> None:
        try:
            self.client.set(key, body.encode("utf-8"), ex=self.seconds)
        except self.errors as error:
            self._failed(error)

    def clear(self) -> None:
        try:
            for key in self.client.scan_iter("liaison:page:*"):
                self.client.delete(key)
        except self.errors as error:
            self._failed(error)


def _deployment() -> str:
    """The files a page is made from (code, templates, catalogues): a new deployment never reuses old pages."""
    digest = hashlib.sha1()
    for folder, pattern in (("liaison", "*.py"), ("templates", "*.html"), ("liaison/translations", "*.mo")):
        for path in sorted((ROOT / folder).rglob(pattern)):
            stat = path.stat()
            digest.update(f"{path.relative_to(ROOT)}:{stat.st_size}:{stat.st_mtime_ns};".encode())
    return digest.hexdigest()[:16]


def store():
    return current_app.extensions[EXTENSION]["store"]


def _may_serve() -> bool:
    """A GET of a cached page by a logged-in session (the user not loaded yet) without a pending flash message."""
    return (request.method == "GET" and request.endpoint in PAGES and current_app.config.get("PAGE_CACHE")
            and "_user_id" in session and "_flashes" not in session)


def counters_wanted() -> tuple:
    """For web.load_user: the page counters' column and where its value goes, when this request may be served
    from the cache (read in the user's query: one query for both), else nothing."""
    if request.endpoint in PAGES and current_app.config.get("PAGE_CACHE"):
        seats = kinds.wanted()  # a shared page: the viewer's seats in its committee too (pages/kinds.py)

        def keep(values):
            versions.keep(values)
            if seats:
                kinds.keep(values[1])
        return (versions.VERSION, *seats), keep
    return (), None


def page_key() -> str:
    if request.endpoint in kinds.SHARED:
        viewer = ("kind", kinds.view_kind())
    else:  # personal: the viewer and the やること count the page lists
        viewer = (current_user.get_id(), (session.get(TASK_BADGE) or (None,) * 3)[2])
    version = versions.current()
    g.liaison_page_version = version  # the header slot's own key (liaison/pages/header.py)
    deployment, locale, minute = slots.key_parts()
    parts = (deployment, request.endpoint, request.full_path, viewer, locale, minute, version)
    return "liaison:page:" + hashlib.sha1(repr(parts).encode("utf-8")).hexdigest()


def _kept_slot(name: str, args: str, render) -> str:
    """A viewer's rendered slot, kept per process under the viewer, the slot and its ids, the table versions
    of this request's key, the locale and the minute (a deadline passing): the next request of the same viewer
    and data renders nothing. The header keeps its own (pages/header.py: its badges are not table data)."""
    version = g.get("liaison_page_version")
    if name == "header" or version is None:
        return render()
    deployment, locale, minute = slots.key_parts()
    parts = (deployment, current_user.get_id(), name, args, version, locale, minute)
    key = "liaison:slot:" + hashlib.sha1(repr(parts).encode("utf-8")).hexdigest()
    kept = current_app.extensions[EXTENSION]["headers"]
    html = kept.get(key)
    if html is None:
        html = render()
        kept.put(key, html.replace(generate_csrf(), CSRF_MARK))
    return html


def _personal(body: str) -> str:
    """A stored page for this request's viewer: its slots filled, the viewer's CSRF token in place."""
    return slots.fill(body, _kept_slot, generate_csrf)


def init_app(app: Flask) -> None:
    versions.install()
    config = app.config
    config.setdefault("PAGE_CACHE", os.environ.get("PAGE_CACHE", "1").lower() not in ("0", "off", "false", "no")
                      and not config.get("TESTING"))
    redis_url = config.get("PAGE_CACHE_REDIS_URL", os.environ.get("REDIS_URL", ""))
    seconds = int(config.get("PAGE_CACHE_SECONDS", os.environ.get("PAGE_CACHE_SECONDS", "3600")))
    chosen = RedisStore(redis_url, seconds) if redis_url else LocalStore(int(config.get("PAGE_CACHE_MB", os.environ.get("PAGE_CACHE_MB", "32"))) << 20)
    app.extensions[EXTENSION] = {"store": chosen, "deployment": _deployment(), "headers": LocalStore(8 << 20)}  # headers, slots
    app.jinja_env.globals["page_slot"] = slots.page_slot
    viewers.init_app(app)

    @app.before_request
    def _serve_cached_page():
        if not _may_serve():
            return None
        handling.read_first()  # a hit only reads: in autocommit, no transaction (blueprints/handling.py)
        if not current_user.is_authenticated:  # the user's query (web.load_user: the counters and seats too)
            handling.in_transaction()
            return None
        key = page_key()
        setattr(g, _KEY, key)
        slots.hold()
        body = store().get(key)
        if body is None:
            handling.in_transaction()  # a miss: the view runs in a transaction, as without the cache
            return None
        setattr(g, _HIT, True)
        handling.read_only()  # and writes nothing: no COMMIT
        if g.get("committee_slug"):  # the slots' links are under the committee (blueprints/scoping.py)
            g.committee = kinds.CommitteeBySlug(g.committee_slug)
        return app.response_class(_personal(body), mimetype="text/html")

    @app.teardown_request
    def _forget_version(error=None):
        versions.forget()

    @app.after_request
    def _keep_page(response):
        key = g.pop(_KEY, None)
        if key is None or g.get(_HIT) or response.mimetype != "text/html" or response.direct_passthrough:
            return response
        body = response.get_data(as_text=True)
        if response.status_code == 200 and "_flashes" not in session:
            token = g.get("csrf_token")
            if token:
                body = body.replace(token, CSRF_MARK)
            store().put(key, body)
        response.set_data(_personal(body))  # the miss fills its slots as a hit does
        return response
