"""Access to Django's cache for the shop's page caches, where a cache failure is never an error.

The page caches (``orders.page_cache``, and any later one) only save work: whatever
they hold, the database can answer. So a cache server that fails (Redis down,
unreachable, answering garbage) must cost a request neither a 500 nor a long wait.
:class:`PageCache` wraps the cache alias and:

- catches every error of a ``get`` or ``set``, logs it (``shop.cache``, WARNING) and
  counts it (``shop_cache_errors_total``), and answers "not cached";
- then leaves the cache alone for ``OUTAGE_PAUSE_SECONDS`` in this process, so
  requests during an outage go straight to the database instead of each waiting for
  a timeout, and the log gets one line per pause instead of one per request;
- counts lookups as ``hit``, ``miss`` or ``unavailable`` (``shop_cache_lookups_total``).

The Redis client's own timeouts are short (``shop.config.redis_cache``).

:class:`CommitStateMemo` keeps, in the process, what a request built from the database
together with the database's commit state at the start of that request
(``shop.db.commit_state``): a later request that finds the same state may reuse it
without reading the database or the cache server, since nothing was committed in
between, by any process. SQLite only (on MongoDB the state is None and the memo holds
nothing); bounded in entries and in age.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache import caches

from shop.ops import metrics

logger = logging.getLogger(__name__)

OUTAGE_PAUSE_SECONDS = 5.0

# Cache alias -> time.monotonic() until which it is left alone after an error.
_paused_until: dict[str, float] = {}


class PageCache:
    """One named page cache on a Django cache alias; its failures fall back to "not cached"."""

    def __init__(self, name: str, *, alias: str = "default"):
        self.name = name
        self.alias = alias

    def available(self) -> bool:
        """Return whether the cache may be used now (no recent error in this process)."""
        return time.monotonic() >= _paused_until.get(self.alias, 0.0)

    def get(self, key: str) -> Any | None:
        """Return the value cached under ``key``, or None when missing or the cache fails."""
        if not self.available():
            metrics.CACHE_LOOKUPS.labels(cache=self.name, result="unavailable").inc()
            return None
        try:
            value = caches[self.alias].get(key)
        except Exception as error:  # any backend error: the database answers instead
            self.failed("get", error)
            metrics.CACHE_LOOKUPS.labels(cache=self.name, result="unavailable").inc()
            return None
        metrics.CACHE_LOOKUPS.labels(cache=self.name, result="miss" if value is None else "hit").inc()
        return value

    def count_hit(self) -> None:
        """Count a lookup answered without asking the cache (a :class:`CommitStateMemo` had it)."""
        metrics.CACHE_LOOKUPS.labels(cache=self.name, result="hit").inc()

    def set(self, key: str, value: Any, timeout: float) -> None:
        """Store ``value`` under ``key`` for ``timeout`` seconds; a failure is logged, not raised."""
        if not self.available():
            return
        try:
            caches[self.alias].set(key, value, timeout)
        except Exception as error:  # any backend error: the page is simply not cached
            self.failed("set", error)

    def failed(self, operation: str, error: Exception) -> None:
        """Log and count a cache error, and leave the cache alone for a while."""
        _paused_until[self.alias] = time.monotonic() + OUTAGE_PAUSE_SECONDS
        metrics.CACHE_ERRORS.labels(cache=self.name, operation=operation).inc()
        logger.warning(
            "cache %r failed on %s (%s: %s); serving from the database, cache left alone for %.0f s",
            self.alias,
            operation,
            type(error).__name__,
            error,
            OUTAGE_PAUSE_SECONDS,
        )


class CommitStateMemo:
    """Values built from the database, reusable in this process while its commit state stands still.

    Each entry holds the commit state read before the value was built (the value may
    be newer than the state, never older), so a ``get`` with the same state returns
    what the database would give again. At most ``max_entries`` entries (the oldest
    goes first), each for at most the ``timeout`` it was stored with. Safe under
    threads (``runserver``, threaded workers): changes hold a lock.
    """

    def __init__(self, name: str, *, max_entries: int):
        self.name = name
        self.max_entries = max_entries
        self._entries: dict[str, tuple[tuple, float, Any]] = {}
        self._lock = threading.Lock()
        _memos.append(self)

    def get(self, key: str, state: tuple | None) -> Any | None:
        """Return the value stored under ``key`` at commit state ``state`` and not expired, or None."""
        entry = self._entries.get(key) if state is not None else None
        if entry is None or entry[0] != state or entry[1] <= time.monotonic():
            return None
        return entry[2]

    def set(self, key: str, state: tuple | None, value: Any, timeout: float) -> None:
        """Keep ``value``, built after the database was at commit state ``state``, for ``timeout`` seconds."""
        if state is None or timeout <= 0:
            return
        with self._lock:
            self._entries.pop(key, None)
            while len(self._entries) >= self.max_entries:
                del self._entries[next(iter(self._entries))]
            self._entries[key] = (state, time.monotonic() + timeout, value)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


_memos: list[CommitStateMemo] = []


def memos_clear() -> None:
    """Empty every :class:`CommitStateMemo` of this process (tests)."""
    for memo in _memos:
        memo.clear()


def outage_pauses_reset() -> None:
    """Forget every outage pause (tests, and after the cache settings change)."""
    _paused_until.clear()
