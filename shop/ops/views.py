"""``GET /metrics``: Prometheus text, only for allowed addresses or with the metrics token.

A scrape is allowed when either holds:

- the client's address is in ``METRICS_ALLOWED_ADDRESSES`` (addresses or networks,
  default loopback). The address is found as for login throttling (DRF's
  ``NUM_PROXIES`` rule, ``TRUSTED_PROXY_COUNT``). With no trusted proxy, a request that
  carries ``X-Forwarded-For`` came through a proxy the settings do not know about,
  whose own address says nothing about the client: it is not allowed by address;
- it sends ``Authorization: Bearer <METRICS_TOKEN>`` (when a token is set).

Otherwise the answer is 401 for a wrong token and 403 without one, in the API's
error shape.
"""

from __future__ import annotations

import hmac
import ipaddress
import os

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from shop.health import json_require_safe
from shop.ops.metrics import DATABASE_REGISTRY

MULTIPROCESS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"


def client_ip(request) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """Return the client's address as the settings let us know it, or None when unknown."""
    if not api_settings.NUM_PROXIES and "HTTP_X_FORWARDED_FOR" in request.META:
        return None
    address = BaseThrottle().get_ident(request)
    try:
        return ipaddress.ip_address((address or "").strip())
    except ValueError:
        return None


def address_allowed(request) -> bool:
    """Return whether the client's address is in ``METRICS_ALLOWED_ADDRESSES``."""
    address = client_ip(request)
    if address is None:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in settings.METRICS_ALLOWED_ADDRESSES)


def bearer_token(request) -> str | None:
    """Return the bearer credential of the request, or None."""
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        return None
    return credential.strip()


def exposition() -> bytes:
    """Return every metric in Prometheus text format, added up over gunicorn's workers.

    The gauges read from the database (the outbox's backlog) come after them, once.
    """
    if os.environ.get(MULTIPROCESS_DIRECTORY):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry) + generate_latest(DATABASE_REGISTRY)


@never_cache
@json_require_safe
def metrics(request):
    """Answer Prometheus text to allowed addresses and to holders of the metrics token."""
    offered = bearer_token(request)
    expected = settings.METRICS_TOKEN
    token_valid = bool(expected and offered and hmac.compare_digest(offered.encode(), expected.encode()))
    if not token_valid and not address_allowed(request):
        if offered is not None:
            response = JsonResponse(
                {"detail": "The metrics token is not valid.", "code": "not_authenticated"}, status=401
            )
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        return JsonResponse(
            {
                "detail": "Metrics are served to the allowed addresses or with the metrics token only.",
                "code": "permission_denied",
            },
            status=403,
        )
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
