"""How a failing part is reported: once when it starts failing, once when it works again.

A part that fails on every request (a corrupted search index, a locked store) would otherwise
write one log line per request. `Outage` keeps the part's state: the first failure is logged as an
error with what it means for customers, later ones are not, and the first success after them is
logged with how long the outage lasted. While the part is down, `may_try()` lets one caller try it
every `retry` seconds, so a broken part costs one attempt per interval instead of one per request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable


class Outage:
    """The up/down state of one part (`name`), logged on each change, not on each call."""

    def __init__(
        self,
        name: str,
        consequence: str,
        log: logging.Logger,
        retry: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.name, self.consequence, self.log, self.retry, self.clock = name, consequence, log, retry, clock
        self._since: float | None = None  # when the part went down; None while it works
        self._last = float("-inf")  # when it last failed
        self._next_try = 0.0
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        """True from a failure until the next success."""
        return self._since is not None

    def may_try(self) -> bool:
        """True while the part works; while it is down, True for one caller every `retry` seconds."""
        if self._since is None:
            return True
        with self._lock:
            now = self.clock()
            if self._since is None or now >= self._next_try:
                self._next_try = now + self.retry
                return True
            return False

    def failed_within(self, seconds: float) -> bool:
        """True when the part is down and failed in the last `seconds` (so a caller that only counts
        something need not try it again yet)."""
        return self._since is not None and self.clock() - self._last < seconds

    def failed(self, error: BaseException) -> None:
        """Record a failure; the first one of an outage is logged (one line: what failed, what it means)."""
        with self._lock:
            first = self._since is None
            self._last = self.clock()
            if first:
                self._since = self.clock()
            self._next_try = self.clock() + self.retry
        if first:
            self.log.error("%s failed (%s: %s). %s", self.name, type(error).__name__, error, self.consequence)

    def worked(self) -> None:
        """Record a success; the first one after a failure is logged with the outage's length."""
        if self._since is None:  # the common case, without the lock
            return
        with self._lock:
            since, self._since = self._since, None
        if since is not None:
            self.log.warning("%s works again (after %.0f s).", self.name, self.clock() - since)
