"""Reads of the accounts app that are more than a one-line lookup."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from accounts.models import LoginFailureCounter


def login_failure_buckets(*, keys: list[tuple[str, str]], since: datetime) -> QuerySet:
    """Return ``(scope, key, window_start, count)`` rows of ``keys`` from ``since`` on.

    One query for every key: an ``$or`` of equality matches on MongoDB, each
    served by the unique (scope, key, window_start) index.
    """
    clauses = Q()
    for scope, key in keys:
        clauses |= Q(scope=scope, key=key)
    # No sort: the caller sums the rows, and an unsorted match needs no in-memory sort.
    return (
        LoginFailureCounter.objects.filter(clauses, window_start__gte=since)
        .order_by()
        .values_list("scope", "key", "window_start", "count")
    )
