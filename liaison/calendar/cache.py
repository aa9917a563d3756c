"""The one cache of built feeds, per process: an LRU bounded by count and bytes, each entry valid for one
version of its feed's data (scopes.feed_version) and keeping the feed's serialised events for the next rebuild."""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from flask import current_app


FEED_CACHE_SIZE = 4096
FEED_CACHE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Feed:
    body: bytes
    etag: str  # strong, over the bytes
    last_modified: datetime


def make_feed(body: bytes, last_modified: datetime) -> Feed:
    return Feed(body=body, etag=hashlib.sha256(body).hexdigest()[:40], last_modified=last_modified)


def _weight(entry) -> int:
    return entry.weight


class _LRU:
    """At most `size` entries and at most `max_bytes` by their weight (`weigh`; the least recently used go first)."""

    def __init__(self, size: int, *, max_bytes: int, weigh=_weight):
        self.size = size
        self.max_bytes = max_bytes
        self._weigh = weigh
        self._bytes = 0
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            old = self._items.get(key)
            self._bytes += self._weigh(value) - (self._weigh(old) if old is not None else 0)
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size or (self._bytes > self.max_bytes and len(self._items) > 1):
                _key, dropped = self._items.popitem(last=False)
                self._bytes -= self._weigh(dropped)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0


@dataclass
class CachedFeed:
    """The one cache's entry for a feed: its bytes under the version they were built for.

    `events` are the serialised VEVENTs of that build by their own keys (a meeting's change and
    sequence, a deadline's): the next build of the same feed, after a change, writes only the
    events whose key moved. `checked_until`: a personal feed's revalidation with this ETag gets its
    304 without a query until then (FEED_RECHECK_SECONDS after its last full check).
    """

    version: str
    feed: Feed
    events: dict
    checked_until: float = 0.0

    @property
    def weight(self) -> int:
        return 2 * len(self.feed.body)  # the body, and the same bytes again as events


@dataclass
class CalendarState:
    """Per-app state (each process has its own): the one cache of built feeds."""

    cache: _LRU
    builds: int = 0  # how many feeds were built (tests check a 304 built none)

    def clear(self) -> None:
        self.cache.clear()
        self.builds = 0


def state() -> CalendarState:
    extensions = current_app.extensions
    if "liaison.calendar" not in extensions:
        extensions["liaison.calendar"] = CalendarState(
            # A council member's feed over five years is about 1 MB (2 MB with its events): 64 MB per process.
            cache=_LRU(FEED_CACHE_SIZE, max_bytes=FEED_CACHE_BYTES),
        )
    return extensions["liaison.calendar"]
