"""Wake the live streams of this process when a meeting's live version changes on any host.

The truth is `meetings.live_version` in the database (liaison.domain.live raises it and, on PostgreSQL,
sends `NOTIFY liaison_live, '<meeting id>:<version>'` in the same transaction). Each web process keeps
ONE listening connection (a daemon thread, started by the first stream) that hands every notification
to the streams waiting in this process; a stream holds no database connection while it waits.

Without PostgreSQL (SQLite in development and tests), or while the listener is reconnecting, a waiting
stream reads the version itself every LIVE_POLL_SECONDS (0.5 s): the notification is only a latency
optimisation, never needed for correctness.
"""
from __future__ import annotations

import logging
import threading
import time

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)
CHANNEL = "liaison_live"


class Hub:
    """meeting id → the newest version heard, and one condition the waiting streams sleep on."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._versions: dict[int, int] = {}
        self.listening = False  # a LISTEN connection is up: the streams need not poll often
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def publish(self, meeting_id: int, version: int) -> None:
        with self._condition:
            if version > self._versions.get(meeting_id, -1):
                self._versions[meeting_id] = version
            self._condition.notify_all()

    def heard(self, meeting_id: int) -> int | None:
        return self._versions.get(meeting_id)

    def wait(self, meeting_id: int, known: int, timeout: float) -> int | None:
        """Sleep until a version newer than `known` is heard for the meeting, or timeout; returns it (or None)."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                heard = self._versions.get(meeting_id)
                if heard is not None and heard > known:
                    return heard
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._condition.wait(remaining)

    # ------------------------------------------------------------------------------- the listener

    def start(self, database_uri: str) -> None:
        """Start the process's one listener thread (PostgreSQL only; idempotent, also after a fork)."""
        url = make_url(database_uri)
        if not url.drivername.startswith("postgresql"):
            return
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._thread = threading.Thread(target=self._listen, args=(conninfo,), name="liaison-live-listener",
                                            daemon=True)
            self._thread.start()

    def _listen(self, conninfo: str) -> None:
        import psycopg

        while True:
            try:
                with psycopg.connect(conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self.listening = True
                    with self._condition:
                        self._condition.notify_all()  # streams re-read once: nothing heard while reconnecting is lost
                    while True:
                        for notice in connection.notifies(timeout=30.0):
                            meeting_id, _sep, version = notice.payload.partition(":")
                            try:
                                self.publish(int(meeting_id), int(version))
                            except ValueError:
                                continue
                        connection.execute("SELECT 1")  # a dead connection raises here
            except Exception:  # the streams poll meanwhile; try again shortly
                log.warning("live listener lost its connection; reconnecting", exc_info=True)
            self.listening = False
            time.sleep(1.0)


_hubs: dict[str, Hub] = {}
_hubs_lock = threading.Lock()


def hub_for(database_uri: str) -> Hub:
    """The process's hub for a database (one listener per database and process), started on first use."""
    with _hubs_lock:
        hub = _hubs.get(database_uri)
        if hub is None:
            hub = _hubs[database_uri] = Hub()
    hub.start(database_uri)
    return hub
