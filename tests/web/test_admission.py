"""liaison.admission: a few application calls of a process at once, the others wait their turn; streamed bodies
are sent outside the gate; 0 turns it off; a request that waited too long runs anyway."""
from __future__ import annotations

import threading
import time

from liaison import admission
from liaison.admission import ActiveRequests

from ..conftest import make_app


class Blocking:
    """A WSGI app whose calls wait for `release`; counts how many run at once."""

    def __init__(self, streamed: bool = False):
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.running = self.most = self.calls = 0
        self.streamed = streamed

    def __call__(self, environ, start_response):
        with self.lock:
            self.running += 1
            self.calls += 1
            self.most = max(self.most, self.running)
        try:
            if not self.streamed:
                self.release.wait(5)
        finally:
            with self.lock:
                self.running -= 1
        start_response("200 OK", [("Content-Type", "text/plain")])
        if self.streamed:
            return self._body()
        return [b"ok"]

    def _body(self):
        self.release.wait(5)  # a stream waiting for its next event: after the call returned
        yield b"event"


def _started(app, results, count: int) -> list[threading.Thread]:
    threads = [threading.Thread(target=_call, args=(app, results)) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads


def _wait_until(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)


def _call(app, results):
    body = app({"REQUEST_METHOD": "GET", "PATH_INFO": "/"}, lambda status, headers, exc_info=None: None)
    results.append(b"".join(body))


def test_at_most_the_limit_runs_at_once_and_every_request_is_served():
    inner = Blocking()
    gate = ActiveRequests(inner, 2)
    results: list = []
    threads = _started(gate, results, 6)
    _wait_until(lambda: inner.running >= 2)
    time.sleep(0.1)  # the four others had the time to enter, had the gate let them
    assert (inner.running, inner.calls) == (2, 2)
    inner.release.set()
    for thread in threads:
        thread.join(5)
    assert results == [b"ok"] * 6 and inner.most == 2


def test_a_streamed_body_is_sent_outside_the_gate():
    inner = Blocking(streamed=True)
    gate = ActiveRequests(inner, 1)
    results: list = []
    streams = _started(gate, results, 3)
    _wait_until(lambda: inner.calls >= 3)  # each call returned its body: the next one was let in
    assert inner.calls == 3 and results == []
    inner.release.set()
    for stream in streams:
        stream.join(5)
    assert results == [b"event"] * 3


def test_a_request_that_waited_too_long_runs_anyway(monkeypatch):
    monkeypatch.setattr(admission, "WAIT_SECONDS", 0.05)
    inner = Blocking()
    gate = ActiveRequests(inner, 1)
    results: list = []
    [first] = _started(gate, results, 1)
    _wait_until(lambda: inner.running >= 1)
    [second] = _started(gate, results, 1)
    _wait_until(lambda: inner.running >= 2)
    assert inner.running == 2  # never refused, only ordered
    inner.release.set()
    first.join(5)
    second.join(5)
    assert results == [b"ok", b"ok"]
    with gate._places._cond:  # the late one took no place, so it gave none back: the gate is whole again
        assert gate._places._value == 1


def test_the_app_is_gated_by_its_setting_and_zero_turns_the_gate_off(tmp_path):
    def gate_of(app):
        layer = app.wsgi_app
        while layer is not None and not isinstance(layer, ActiveRequests):
            layer = getattr(layer, "wsgi_app", None)
        return layer

    gated = make_app("sqlite://", tmp_path, WEB_ACTIVE_REQUESTS=3)
    assert gate_of(gated).limit == 3
    assert gated.test_client().get("/login").status_code == 200  # requests pass through it
    assert gate_of(make_app("sqlite://", tmp_path, WEB_ACTIVE_REQUESTS=0)) is None
