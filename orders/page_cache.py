"""Cached pages of a customer's own order list, exact across processes.

Customers follow their orders by polling the list, and a page changes only when one
of their orders does. A rendered page is kept in Django's cache (each worker's memory,
or Redis shared by every worker and machine when ``REDIS_URL`` is set) under:

- the customer and the customer's ``User.orders_version``, which the order services
  bump as the last write of every change to the customer's orders
  (``orders.services.customer_orders_version_bump``). The version comes with the
  user row that authentication loads anyway, so checking it costs no query;
- the absolute URL (scheme, host and query string: cursor, page size, status
  filter; the page's ``next``/``previous`` links are absolute) and the negotiated
  media type, hashed.

A request that read version N is answered from a page built at version N or later,
so a page is never served after a change that was committed before the request was
authenticated, whichever process cached it or made the change. The token checks run
before the cache is consulted. Not cached: staff lists (every customer's orders), the
browsable API (HTML), anything but a 200, and a page larger than
``PAGE_CACHE_MAX_ENTRY_BYTES`` (which, with the memory cache's ``MAX_ENTRIES``, bounds
what each process holds). ``ORDER_LIST_CACHE_SECONDS`` bounds an
entry's life (0 turns the cache off), which also covers a database restored under a
running server (versions going back).

A failing cache (Redis down) is never an error: ``shop.cache.PageCache`` logs it and the
page is built from the database, as if it had not been cached.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.http import HttpResponse
from rest_framework.renderers import JSONRenderer

from shop.cache import PageCache

pages = PageCache("order_list")
# Part of every key: bump it when the order representation changes, so a shared
# cache (if one is configured) never serves pages of an older release.
KEY_PREFIX = "orders:list:1"


def order_page_cache_key(request) -> str | None:
    """Return the cache key of an authenticated order-list request, or None if it must not be cached."""
    if settings.ORDER_LIST_CACHE_SECONDS <= 0:
        return None
    user = request.user
    if user.is_staff or not isinstance(request.accepted_renderer, JSONRenderer):
        return None
    variant = f"{request.accepted_media_type}\n{request.build_absolute_uri()}"
    digest = hashlib.sha256(variant.encode()).hexdigest()
    return f"{KEY_PREFIX}:{user.pk}:{user.orders_version}:{digest}"


def order_page_cached(key: str) -> HttpResponse | None:
    """Return the cached page under ``key`` as a response, or None."""
    entry = pages.get(key)
    if entry is None:
        return None
    content_type, content = entry
    return HttpResponse(content, content_type=content_type)


def order_page_store_when_rendered(response, key: str) -> None:
    """Cache ``response`` (a DRF Response) under ``key`` once it is rendered, if it is a 200."""

    def store(rendered):
        if rendered.status_code == 200 and len(rendered.content) <= settings.PAGE_CACHE_MAX_ENTRY_BYTES:
            entry = (rendered["Content-Type"], rendered.content)
            pages.set(key, entry, settings.ORDER_LIST_CACHE_SECONDS)

    response.add_post_render_callback(store)
