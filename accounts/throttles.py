"""Attempt counters shared by every server process: failed logins and registrations.

A counter counts attempts of one scope (``LoginFailureScope``) and key within a
sliding window, split into buckets of a fifteenth of the window: an attempt bumps
its bucket's row with an atomic ``F()`` update, so concurrent attempts in several
processes never lose a count (DESIGN.md "Backends"), and a check reads at most
fifteen rows per key. Keys are keyed hashes (HMAC with the secret key), so the
counters hold no address and no email. The policies built on them (who is refused
when) live in ``accounts.services``; this module only counts and measures.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.crypto import salted_hmac

from accounts.models import LoginFailureCounter
from shop import transactions

BUCKETS = 15


def counter_key(scope: str, value: str) -> str:
    """Return the key ``value`` is counted under in ``scope``: an HMAC, never the value itself."""
    return salted_hmac(f"accounts.login-failure.{scope}", value, algorithm="sha256").hexdigest()


def bucket_size(window: timedelta) -> timedelta:
    """Return the length of one bucket of ``window`` (at least a second)."""
    return timedelta(seconds=max(1, int(window.total_seconds()) // BUCKETS))


def counted_span(window: timedelta) -> timedelta:
    """Return how long a bucket counts: the window, rounded down to whole buckets."""
    size = bucket_size(window)
    return size * max(1, window // size)


def bucket_start(now: datetime, window: timedelta) -> datetime:
    """Return the start of the bucket ``now`` falls in."""
    size = int(bucket_size(window).total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % size, tz=UTC)


def counted_since(now: datetime, window: timedelta) -> datetime:
    """Return the start of the oldest bucket still inside the window at ``now``."""
    return bucket_start(now, window) + bucket_size(window) - counted_span(window)


@dataclass
class Counts:
    """The attempts counted for one key in the window, bucket by bucket."""

    buckets: list[tuple[datetime, int]]

    @property
    def total(self) -> int:
        """Return the attempts in the window."""
        return sum(count for _start, count in self.buckets)

    def seconds_below(self, limit: int, *, now: datetime, window: timedelta) -> int:
        """Return how long until fewer than ``limit`` attempts are in the window (0 if already)."""
        total = self.total
        if total < limit:
            return 0
        span = counted_span(window)
        # Drop the oldest buckets until one more attempt fits: the last one dropped
        # stops counting once the current bucket starts at its start + span.
        for start, count in sorted(self.buckets):
            total -= count
            if total < limit:
                return max(1, math.ceil((start + span - now).total_seconds()))
        return 1  # unreachable: dropping every bucket leaves 0 < limit


def counts_read(*, keys: Iterable[tuple[str, str]], now: datetime, window: timedelta) -> dict:
    """Return ``{(scope, key): Counts}`` for ``keys`` within the window, in one query.

    An ``$or`` of equality matches on MongoDB, each branch served by the
    (scope, key, window_start) index; no sort, since the rows are only summed.
    """
    keys = list(keys)
    clauses = Q()
    for scope, key in keys:
        clauses |= Q(scope=scope, key=key)
    counts = {pair: Counts(buckets=[]) for pair in keys}
    rows = (
        LoginFailureCounter.objects.filter(clauses, window_start__gte=counted_since(now, window))
        .order_by()
        .values_list("scope", "key", "window_start", "count")
    )
    for scope, key, start, count in rows:
        counts.setdefault((scope, key), Counts(buckets=[])).buckets.append((start, count))
    return counts


def attempt_record(*, keys: Iterable[tuple[str, str]], now: datetime, window: timedelta) -> None:
    """Count one attempt for each key in the current bucket.

    The bump is a conditional ``F()`` update; if the row does not exist yet it is
    created, and if a concurrent request created it first (unique index), bumped.
    """
    start = bucket_start(now, window)
    for scope, key in keys:
        rows = LoginFailureCounter.objects.filter(scope=scope, key=key, window_start=start)
        if rows.update(count=F("count") + 1):
            continue
        try:
            with transaction.atomic():
                LoginFailureCounter.objects.create(scope=scope, key=key, window_start=start, count=1)
        except IntegrityError as exc:
            transactions.rerun_if_in_transaction(exc)
            rows.update(count=F("count") + 1)


def counters_purge(*, now: datetime, window: timedelta) -> int:
    """Delete counter rows older than ``window`` (the longest any policy uses); return how many."""
    deleted, _ = LoginFailureCounter.objects.filter(window_start__lt=counted_since(now, window)).delete()
    return deleted
