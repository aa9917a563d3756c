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
    return mount_bare(liaison.create_app(config))
