"""The app as bench/run serves it: the application of wsgi.py plus the bare route.

The bare route is a constant response through the same stack (WSGI server, Flask, the request
hooks), the ceiling the pages are compared with; it lives here, not in create_app.
"""
from liaison import create_app

BARE_PATH = "/_bench/bare"


def bare() -> tuple:
    return "ok\n", 200, {"Content-Type": "text/plain"}


app = create_app()
app.add_url_rule(BARE_PATH, "bench_bare", bare)
