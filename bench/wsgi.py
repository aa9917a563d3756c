"""The app as bench/run serves it (`gunicorn 'bench.wsgi:create_app()'`): liaison's app plus the bare route.

The bare route is a constant response through the same stack (WSGI server, Flask, the request
hooks), the ceiling the pages are compared with; it lives here, not in liaison's create_app.
"""
from __future__ import annotations

from flask import Flask

import liaison

BARE_PATH = "/_bench/bare"


def bare() -> tuple:
    return "ok\n", 200, {"Content-Type": "text/plain"}


def mount_bare(app: Flask) -> Flask:
    app.add_url_rule(BARE_PATH, "bench_bare", bare)
    return app


def create_app(config: dict | None = None) -> Flask:
    import os

    app = mount_bare(liaison.create_app(config))
    trace = os.environ.get("LIAISON_BENCH_TRACE")
    return traced(app, trace) if trace else app



def traced(app: Flask, path: str) -> Flask:
    """`LIAISON_BENCH_TRACE=/tmp/trace` (bench/live.py passes the environment on): one line per ballot POST into
    `<path>.<pid>`: the request's start (epoch s), wall ms, the thread's CPU ms, then each SQL statement's first
    word and start (ms after the request's start; `-M` marks the meeting's live version, COMMIT the commit) — the
    timeline that shows where 64 simultaneous casts wait (the lock queue, the pool, the interpreter)."""
    import os
    import threading
    import time

    from sqlalchemy import event

    from liaison.extensions import db

    inner = app.wsgi_app
    out = open(f"{path}.{os.getpid()}", "a", buffering=1, encoding="utf-8")  # noqa: SIM115 (the process's life)
    local = threading.local()
    with app.app_context():
        engine = db.engine

    def mark(label: str) -> None:
        marks = getattr(local, "marks", None)
        if marks is not None:
            marks.append((time.perf_counter(), label))

    event.listen(engine, "before_cursor_execute", lambda conn, cursor, statement, *rest: mark(
        statement.split()[0] + ("-M" if statement.startswith("UPDATE meetings") else "")))
    event.listen(engine, "commit", lambda conn: mark("COMMIT"))

    def wsgi(environ, start_response):
        started, cpu = time.perf_counter(), time.thread_time()
        local.marks = []
        try:
            return inner(environ, start_response)
        finally:
            if environ.get("PATH_INFO", "").endswith("/ballot"):
                ended = time.perf_counter()
                marks = " ".join(f"{label}@{(at - started) * 1000:.1f}" for at, label in local.marks)
                out.write(f"{time.time() - (ended - started):.4f} {(ended - started) * 1000:.2f} "
                          f"{(time.thread_time() - cpu) * 1000:.2f} {marks}\n")
            local.marks = None

    app.wsgi_app = wsgi
    return app
