"""Wake the live streams of this process when a meeting's live version changes on any host.

The truth is `meetings.live_version` in the database (liaison.domain.live raises it and, on PostgreSQL,
sends `NOTIFY liaison_live, '<meeting id>:<version>'` in the same transaction). Each web process keeps
ONE listening connection (a daemon thread, started by the first stream) that hands every notification
to the streams waiting in this process; a stream holds no database connection while it waits.

Without PostgreSQL (SQLite in development and tests), or while the listener is reconnecting, a waiting
stream reads the version itself every LIVE_POLL_SECONDS (0.5 s): the notification is only a latency
optimisation, never needed for correctness.

The hub also keeps, while it listens, what the screen's revalidation needs (`Mirror`: a meeting's committee, version
and screen generation, read from the database by a full live.json request): liaison.live_edge answers a 304 from it
without a query. An entry goes at the first notification of a newer version and all go when the listener
drops, so it is never older than what PostgreSQL has told this process.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)
CHANNEL = "liaison_live"


@dataclass(frozen=True)
class Mirror:
    """What a 304 of the screen's live.json depends on, as the database had it."""
    meeting_id: int
    committee_slug: str
    version: int
    screen_generation: int

    @property
    def id(self) -> int:  # read by liaison.domain.live.screen_token like a meeting's
        return self.meeting_id


class Hub:
    """meeting id → the newest version heard, and one condition the waiting streams sleep on."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._versions: dict[int, int] = {}
        self.listening = False  # a LISTEN connection is up: the streams need not poll often
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.epoch = 0  # raised whenever the listener connects or drops: a reading from before is not remembered
        self._mirror: dict[int, Mirror] = {}
        self._ticks: dict[tuple[int, int], int] = {}  # (meeting, coalescing tick) → the version sent at it

    def publish(self, meeting_id: int, version: int) -> None:
        with self._condition:
            if version > self._versions.get(meeting_id, -1):
                self._versions[meeting_id] = version
            mirrored = self._mirror.get(meeting_id)
            if mirrored is not None and version > mirrored.version:
                del self._mirror[meeting_id]
            self._condition.notify_all()

    def heard(self, meeting_id: int) -> int | None:
        return self._versions.get(meeting_id)

    def heard_at_tick(self, meeting_id: int, tick: int, version: int) -> int:
        """The version the process's streams send at a coalescing tick: the newest heard (or `version`, what the
        asking stream heard) when the first stream asks, the same for every later one at that tick — so the state
        is built once per tick and process, not once per version each stream happened to wake to. A version
        heard after it goes at the next tick."""
        with self._condition:
            key = (meeting_id, tick)
            agreed = self._ticks.get(key)
            if agreed is None:
                agreed = max(version, self._versions.get(meeting_id) or 0)
                if len(self._ticks) >= 256:
                    self._ticks.clear()
                self._ticks[key] = agreed
            return agreed

    def remember(self, mirror: "Mirror", epoch: int) -> None:
        """Keep a meeting's state as a request read it, if the listener was up the whole time since `epoch`
        was taken (before the read) and nothing newer has been heard meanwhile."""
        with self._condition:
            heard = self._versions.get(mirror.meeting_id)
            if self.listening and epoch == self.epoch and (heard is None or mirror.version >= heard):
                self._mirror[mirror.meeting_id] = mirror

    def mirrored(self, meeting_id: int) -> "Mirror | None":
        return self._mirror.get(meeting_id) if self.listening else None

    def _set_listening(self, up: bool) -> None:
        with self._condition:
            self.listening = up
            self.epoch += 1
            self._mirror.clear()
            self._condition.notify_all()  # streams re-read once: nothing heard while reconnecting is lost

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

        pause = 1.0
        while True:
            try:
                with psycopg.connect(conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self._set_listening(True)
                    pause = 1.0
                    while True:
                        for notice in connection.notifies(timeout=30.0):
                            meeting_id, _sep, version = notice.payload.partition(":")
                            try:
                                self.publish(int(meeting_id), int(version))
                            except ValueError:
                                continue
                        connection.execute("SELECT 1")  # a dead connection raises here
            except Exception as error:  # the streams poll meanwhile; try again, less often while it keeps failing
                (log.warning if pause == 1.0 else log.debug)("live listener: %s; reconnecting in %.0f s", error, pause)
            self._set_listening(False)
            time.sleep(pause)
            pause = min(pause * 2, 60.0)


_hubs: dict[str, Hub] = {}
_hubs_lock = threading.Lock()


def existing_hub(database_uri: str) -> Hub | None:
    """The process's hub for a database if a stream or a request started it (never starts one)."""
    return _hubs.get(database_uri)


def hub_for(database_uri: str) -> Hub:
    """The process's hub for a database (one listener per database and process), started on first use."""
    with _hubs_lock:
        hub = _hubs.get(database_uri)
        if hub is None:
            hub = _hubs[database_uri] = Hub()
    hub.start(database_uri)
    return hub
