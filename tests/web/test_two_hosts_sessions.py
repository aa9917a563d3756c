"""Issue 17 item 10: nothing security depends on lives in one process.

Two app processes (each with its own instance and upload folder, the same SECRET_KEY) on one PostgreSQL
database and one Redis play two web hosts behind a load balancer. A session opened on one is valid on the
other; a logout on one ends it on the other; log-in failures counted on one throttle the other; a feed URL
revoked on one is refused by the other.
"""
from __future__ import annotations

import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest

from liaison.calendar.tokens import feed_token
from liaison.extensions import db
from liaison.models import User

from ..conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
SERVER = """
import sys
from werkzeug.serving import make_server
from liaison import create_app

port, instance = int(sys.argv[1]), sys.argv[2]
app = create_app({"UPLOAD_FOLDER": instance + "/uploads", "FEED_RECHECK_SECONDS": 0})
app.instance_path = instance
server = make_server("127.0.0.1", port, app, threaded=True)
print("ready", flush=True)
server.serve_forever()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


class Browser:
    """Cookies kept by hand, so a test decides which host sees which cookie (and can copy them)."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(self, port: int, method: str, path: str, form: dict | None = None, address: str | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                if morsel["max-age"] == "0" or morsel.value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        connection.close()
        return response.status, response.headers, text

    def csrf(self, port: int, path: str) -> str:
        status, _headers, text = self.request(port, "GET", path)
        match = re.search(r'<meta name="csrf-token" content="([^"]+)"', text)
        assert match, f"no CSRF token on {path} ({status})"
        return match.group(1)

    def post(self, port: int, path: str, data: dict, token_from: str):
        return self.request(port, "POST", path, dict(data, csrf_token=self.csrf(port, token_from)))

    def copy(self) -> "Browser":
        other = Browser()
        other.cookies = dict(self.cookies)
        return other


@pytest.fixture()
def two_hosts(app, backend, tmp_path):
    if backend != "postgresql":
        pytest.skip("two web hosts share one PostgreSQL database")
    if not _redis_reachable():
        pytest.skip("Redis not reachable at 127.0.0.1:6379")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    env = dict(os.environ, PYTHONPATH=str(ROOT), DATABASE_URL=url, SECRET_KEY=app.config["SECRET_KEY"],
               REDIS_URL="redis://127.0.0.1:6379/0", RATELIMIT_KEY_PREFIX=f"liaison-two-hosts-{secrets.token_hex(6)}",
               LIAISON_ENV="testing", BASE_URL="http://127.0.0.1")
    processes, ports = [], []
    try:
        for name in ("host-a", "host-b"):
            instance = tmp_path / name
            instance.mkdir()
            port = _free_port()
            process = subprocess.Popen([sys.executable, "-c", SERVER, str(port), str(instance)], cwd=ROOT, env=env,
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            processes.append(process)
            assert process.stdout.readline().strip() == "ready", f"{name} did not start"
            ports.append(port)
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)
            process.stdout.close()


def _log_in(browser: Browser, port: int, email: str, password: str = PASSWORD):
    return browser.post(port, "/login", {"email": email, "password": password}, token_from="/login")


def test_a_logout_on_one_host_ends_the_session_on_the_other(app, factory, two_hosts):
    a, b = two_hosts
    factory.member("planning", email="member@example.jp")
    browser = Browser()
    assert _log_in(browser, a, "member@example.jp")[0] == 302
    assert browser.request(b, "GET", "/account")[0] == 200  # one session, any host
    stolen = browser.copy()
    assert stolen.request(a, "GET", "/account")[0] == 200
    status, _headers, _text = browser.post(b, "/logout", {}, token_from="/account")
    assert status == 302
    for port in (a, b):
        status, headers, _text = stolen.request(port, "GET", "/account")
        assert status == 302 and "/login" in headers["Location"], port


def test_log_in_failures_on_one_host_throttle_the_other(app, factory, two_hosts):
    a, b = two_hosts
    factory.user(email="chief@example.jp")
    browser = Browser()
    for n in range(app.config["LOGIN_MAX_FAILURES"]):
        assert _log_in(browser, (a, b)[n % 2], "chief@example.jp", "wrong-password-1")[0] == 401
    for port in (a, b):
        assert _log_in(Browser(), port, "chief@example.jp")[0] == 429, port


def test_a_feed_url_revoked_on_one_host_is_refused_by_the_other(app, factory, two_hosts):
    a, b = two_hosts
    factory.member("planning", email="member@example.jp")
    with app.app_context():
        old = f"/calendar/{feed_token(db.session.query(User).filter_by(email='member@example.jp').one())}.ics"
    browser = Browser()
    assert browser.request(b, "GET", old)[0] == 200
    assert _log_in(browser, a, "member@example.jp")[0] == 302
    assert browser.post(a, "/account/calendar/regenerate", {}, token_from="/account")[0] == 303
    time.sleep(0.1)
    assert Browser().request(b, "GET", old)[0] == 404
