"""A small in-process limiter for wrong feed tokens, per remote address (sliding window).

Each web worker counts on its own, so with N workers an address gets up to N times the limit:
enough to make guessing a 192-bit token pointless, without shared state.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque

# Addresses remembered at most; the oldest are forgotten first.
MAX_ADDRESSES = 10_000


class FailureLimiter:
    def __init__(self, max_failures: int, window_seconds: float, clock=time.monotonic):
        self.max_failures = max_failures
        self.window = window_seconds
        self.clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float] | None:
        failures = self._failures.get(address)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[address]
            return None
        return failures

    def retry_after(self, address: str) -> int:
        """Seconds until the address may try again; 0 when it is not blocked."""
        with self._lock:
            now = self.clock()
            failures = self._recent(address, now)
            if failures is None or len(failures) < self.max_failures:
                return 0
            return max(1, int(failures[0] + self.window - now) + 1)

    def fail(self, address: str) -> None:
        with self._lock:
            now = self.clock()
            failures = self._recent(address, now)
            if failures is None:
                failures = self._failures[address] = deque()
            failures.append(now)
            self._failures.move_to_end(address)
            while len(self._failures) > MAX_ADDRESSES:
                self._failures.popitem(last=False)

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()
