"""Issue 18: several web processes on one PostgreSQL. A page following the meeting on one gunicorn process hears
an action taken through another process within a second (PostgreSQL LISTEN/NOTIFY, no process memory)."""
import http.client
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from ..conftest import PASSWORD
from .test_sitting import day  # noqa: F401  (the fixture: a meeting in session today)

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(app, port: int) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"], SECRET_KEY=app.config["SECRET_KEY"],
               LIAISON_ENV="testing", BASE_URL=f"http://127.0.0.1:{port}", PYTHONPATH=str(ROOT),
               LIVE_STREAM_SECONDS="20")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-k", "gthread", "--threads", "8", "-w", "1", "-b", f"127.0.0.1:{port}",
         "wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("the app process did not start")


def _csrf(opener, url: str) -> str:
    page = opener.open(url).read().decode()
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)


def test_an_action_on_one_process_reaches_a_stream_on_the_other(app, backend, day):  # noqa: F811
    if backend != "postgresql":
        pytest.skip("the fan-out between processes is PostgreSQL's LISTEN/NOTIFY (SQLite polls in one process)")
    ports = [_free_port(), _free_port()]
    servers = [_serve(app, port) for port in ports]
    try:
        # the screen follows the meeting on process A
        stream = http.client.HTTPConnection("127.0.0.1", ports[0], timeout=10)
        stream.request("GET", f"{day['base']}/live/events?k={day['token']}")
        answer = stream.getresponse()
        assert answer.status == 200
        events, arrived = [], threading.Event()

        def follow():
            block = []
            while True:
                line = answer.fp.readline().decode()
                if not line:
                    return
                if line.strip():
                    block.append(line.rstrip("\n"))
                    continue
                fields = dict(entry.split(": ", 1) for entry in block if ": " in entry and not entry.startswith(":"))
                block = []
                if fields.get("event") == "state":
                    events.append((time.monotonic(), json.loads(fields["data"])))
                    if len(events) >= 2:
                        arrived.set()
                        return

        reader = threading.Thread(target=follow, daemon=True)
        reader.start()
        deadline = time.monotonic() + 5
        while not events and time.monotonic() < deadline:
            time.sleep(0.05)
        assert events, "no state at connect"
        # the secretariat moves to the next item through process B
        base_b = f"http://127.0.0.1:{ports[1]}"
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        token = _csrf(opener, f"{base_b}/login")
        opener.open(f"{base_b}/login", urllib.parse.urlencode(
            {"email": day["staff"].email, "password": PASSWORD, "csrf_token": token}).encode())
        token = _csrf(opener, f"{base_b}{day['base']}/console")
        request = urllib.request.Request(f"{base_b}{day['base']}/console/next",
                                         urllib.parse.urlencode({"csrf_token": token}).encode(),
                                         headers={"Accept": "application/json"})
        sent = time.monotonic()
        with opener.open(request) as done:
            assert json.loads(done.read())["ok"]
        answered = time.monotonic()
        assert arrived.wait(5), "the stream on the other process heard nothing"
        latency = events[1][0] - sent  # from sending the action (its whole request included) to the event
        first, second = events[0][1], events[1][1]
        assert second["version"] == first["version"] + 1
        assert second["current_item"]["id"] != first["current_item"]["id"]
        assert latency < 1.0, f"{latency:.3f} s"
        print(f"cross-process: event {latency * 1000:.0f} ms after the action was sent "
              f"(its response took {(answered - sent) * 1000:.0f} ms)")
        stream.close()
    finally:
        for server in servers:
            server.send_signal(signal.SIGINT)  # gunicorn's quick shutdown: the open stream is not waited for
        for server in servers:
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(5)
