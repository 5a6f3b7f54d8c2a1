"""The shop's Prometheus metrics (prometheus-client), served at ``/metrics`` (``shop.ops.views``).

- ``shop_http_request_duration_seconds{method, view, status}``: a histogram of every
  request; its ``_count`` is the number of requests by view and status;
- ``shop_orders_placed_total``: orders committed (idempotent replays are not new orders);
- ``shop_login_failures_total``: logins refused for a wrong email or password;
- ``shop_login_lockouts_total``: logins refused because the client address or the
  email is locked out (HTTP 429);
- ``shop_cache_lookups_total{cache, result}`` (``hit``, ``miss``, ``unavailable``) and
  ``shop_cache_errors_total{cache, operation}``: the page caches (``shop.cache``);
- ``shop_outbox_emails{status}`` (``pending``, ``sending``, ``failed``) and
  ``shop_outbox_oldest_pending_age_seconds``: the email outbox's backlog, read from the
  database at each scrape (:class:`OutboxBacklogCollector`: two queries on the outbox's
  status index, the same for every worker, so it is not added up over them).

Under gunicorn every worker is a process of its own: ``deploy/gunicorn.conf.py`` sets
``PROMETHEUS_MULTIPROC_DIR`` before the workers start, each worker writes its values
there, and a scrape adds up every worker's (prometheus-client's multiprocess mode).
Without it (``make run``, tests) the values live in this process.
"""

from __future__ import annotations

import functools
import logging

from django.db import DatabaseError
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

from shop import errors

logger = logging.getLogger(__name__)

HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUEST_DURATION = Histogram(
    "shop_http_request_duration_seconds",
    "Time to answer a request, by HTTP method, view (URL name) and status code.",
    ["method", "view", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
ORDERS_PLACED = Counter("shop_orders_placed", "Orders placed and committed.")
LOGIN_FAILURES = Counter("shop_login_failures", "Logins refused for a wrong email or password.")
LOGIN_LOCKOUTS = Counter(
    "shop_login_lockouts",
    "Logins refused because the client address or the email is locked out after too many failures.",
)
CACHE_LOOKUPS = Counter(
    "shop_cache_lookups",
    "Page-cache lookups by cache and result (hit, miss, unavailable).",
    ["cache", "result"],
)
CACHE_ERRORS = Counter(
    "shop_cache_errors",
    "Errors of the cache server by cache and operation; the database answered instead.",
    ["cache", "operation"],
)


class OutboxBacklogCollector:
    """The outbox's backlog as gauges, read at each scrape (``notifications.services.outbox_backlog``).

    The database holds the one true value, so every process reports the same and a
    gauge kept in one worker's memory would be wrong. A database error leaves the
    gauges out of that scrape (logged), never the whole answer.
    """

    def collect(self):
        """Yield the backlog gauges, or nothing if the database does not answer."""
        from notifications.services import outbox_backlog

        try:
            backlog = outbox_backlog()
        except DatabaseError:
            logger.warning("the outbox backlog could not be read for /metrics", exc_info=True)
            return
        emails = GaugeMetricFamily(
            "shop_outbox_emails", "Emails of the outbox not delivered yet, by status.", labels=["status"]
        )
        for status, count in backlog.counts.items():
            emails.add_metric([status], count)
        yield emails
        age = backlog.oldest_pending_age
        yield GaugeMetricFamily(
            "shop_outbox_oldest_pending_age_seconds",
            "Age of the oldest email waiting to be sent (0 when none waits).",
            value=age.total_seconds() if age is not None else 0.0,
        )


# Scraped beside the process (or multiprocess) registry by shop.ops.views.exposition.
DATABASE_REGISTRY = CollectorRegistry(auto_describe=False)
DATABASE_REGISTRY.register(OutboxBacklogCollector())


def request_observed(*, method: str, view: str, status: int, seconds: float) -> None:
    """Count one answered request and its duration."""
    method = method if method in HTTP_METHODS else "other"
    REQUEST_DURATION.labels(method=method, view=view, status=str(status)).observe(seconds)


def login_outcomes_counted(function):
    """Decorate a login service: count the failures and the lockouts it raises."""

    @functools.wraps(function)
    def counted(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except errors.Throttled:
            LOGIN_LOCKOUTS.inc()
            raise
        except errors.NotAuthenticated:
            LOGIN_FAILURES.inc()
            raise

    return counted


def order_saved(sender, instance, created: bool, using: str, **kwargs) -> None:
    """Count a new order once its transaction commits (a ``post_save`` receiver)."""
    if created:
        from django.db import transaction

        transaction.on_commit(ORDERS_PLACED.inc, using=using)


def connect_signals() -> None:
    """Connect the receivers that count business events (called once, from ``OpsConfig.ready``)."""
    from django.db.models.signals import post_save

    from orders.models import Order

    post_save.connect(order_saved, sender=Order, dispatch_uid="shop.ops.metrics.order_saved")
