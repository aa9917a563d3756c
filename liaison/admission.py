"""How many requests of this process run the application's code at once (WEB_ACTIVE_REQUESTS, 3 by default).

gunicorn's threaded worker gives every open connection a thread (gunicorn.conf.py: 128), so the meeting day's
event streams can stay open; but one process runs Python on one core at a time (the interpreter lock). When 64
tablets cast at once, 32 threads of a process interleaved every few milliseconds: each request paid for the others'
cache misses and lock hand-overs (a cast's CPU rose from ~8 to ~14 ms) and held its database locks while waiting
for the interpreter. This gate lets a few requests run (enough to overlap one's database round trip with
another's Python) and queues the rest in arrival order on a semaphore, where a waiting thread costs nothing.

Only the application call is gated: a streamed body (an event stream, a file) is sent after it returns, outside
the gate, so a stream waiting for the next event never holds a place. A request that waited `WAIT_SECONDS`
without a place runs anyway (the gate only orders work; it never refuses it). 0 turns the gate off.
"""
from __future__ import annotations

import threading

WAIT_SECONDS = 30.0


class ActiveRequests:
    """WSGI middleware: at most `limit` application calls of this process at once, the others wait their turn."""

    def __init__(self, wsgi_app, limit: int):
        self.wsgi_app = wsgi_app
        self.limit = limit
        self._places = threading.BoundedSemaphore(limit)

    def __call__(self, environ, start_response):
        admitted = self._places.acquire(timeout=WAIT_SECONDS)
        try:
            return self.wsgi_app(environ, start_response)
        finally:
            if admitted:
                self._places.release()


def init_app(app) -> None:
    limit = int(app.config.get("WEB_ACTIVE_REQUESTS") or 0)
    if limit > 0:
        app.wsgi_app = ActiveRequests(app.wsgi_app, limit)
