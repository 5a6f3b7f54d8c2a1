"""Cached pages of the public product list, exact across processes.

Every shopper who is not staff sees the same product list, so a page (the data DRF
renders: ``count``, links and products) is kept in Django's cache (each worker's
memory, or Redis shared by every worker and machine when ``REDIS_URL`` is set) under:

- the catalog version (``catalog.models.CatalogVersion``), a counter in the database
  that the catalog services bump once a write to a product has committed
  (``catalog.services.catalog_version_bump``: products created, changed, deactivated
  or deleted, through the API, the admin or a command). It is read with one indexed
  query on every public list request, before the page's own queries, so a request
  that started after such a write committed never gets a page built before it,
  whichever process built the page or made the write. It lives in the database, not
  in a cache, because a worker's own memory cache would never see another process's
  bump;
- the absolute URL (scheme, host, query string: filters, ordering, page, page size;
  ``next`` and ``previous`` are absolute), hashed.

Stock moves with every order, so orders do not bump the version (a counter written by
every order would be a hot spot, and a conflict between all concurrent MongoDB
transactions): instead the stock and ``updated_at`` of the page's products, the two
fields a reservation or a release changes, are read afresh on every cached answer
(one query by primary key, ``_id $in`` on MongoDB). Pages filtered by ``in_stock``,
whose membership moves with the stock, are not cached.

Not cached either: staff (they see inactive products: live data, always), the
browsable API (HTML with the user's name), anything but a 200, and a page whose
rendering is larger than ``PAGE_CACHE_MAX_ENTRY_BYTES``. ``CATALOG_CACHE_SECONDS``
bounds an entry's life (0 turns the cache off), which also covers a database restored
under a running server and a bump lost after its commit. A failing cache is never an
error (``shop.cache``).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from rest_framework.renderers import JSONRenderer

from catalog import selectors
from catalog.models import Product
from shop.api.serializers import timestamp
from shop.cache import PageCache
from shop.db import primary_key_parse

pages = PageCache("catalog")
# Part of every key: bump it when the product representation changes, so a shared
# cache never serves pages of an older release.
KEY_PREFIX = "catalog:products:1"
CACHED_METHODS = frozenset({"GET", "HEAD"})
# Query parameters whose pages depend on the stock: built afresh every time.
STOCK_DEPENDENT_PARAMETERS = ("in_stock",)


def product_page_cache_key(request) -> str | None:
    """Return the cache key of a public product-list request, or None if it must not be cached.

    Reads the catalog version (one query) when the request may be cached.
    """
    if settings.CATALOG_CACHE_SECONDS <= 0 or request.method not in CACHED_METHODS:
        return None
    if request.user.is_staff or not isinstance(request.accepted_renderer, JSONRenderer):
        return None
    if any(name in request.query_params for name in STOCK_DEPENDENT_PARAMETERS):
        return None
    digest = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
    return f"{KEY_PREFIX}:{selectors.catalog_version()}:{digest}"


def product_page_cached(key: str) -> dict | None:
    """Return the page cached under ``key`` with its products' current stock, or None.

    None as well when a product of the page is gone (a delete racing this request):
    the page is then built afresh.
    """
    entry = pages.get(key)
    if entry is None:
        return None
    primary_keys, data = entry
    current = {
        str(pk): (stock, updated_at)
        for pk, stock, updated_at in selectors.product_stock_rows(primary_keys=primary_keys)
    }
    if len(current) != len(primary_keys):
        return None
    for product in data["results"]:
        stock, updated_at = current[product["id"]]
        product["stock"] = stock
        product["updated_at"] = timestamp(updated_at)
    return data


def product_page_store(key: str, response) -> None:
    """Cache the data of ``response`` (a DRF Response) under ``key`` once rendered, if it is a 200."""
    data = response.data

    def store(rendered):
        if rendered.status_code != 200 or len(rendered.content) > settings.PAGE_CACHE_MAX_ENTRY_BYTES:
            return
        page = {name: value for name, value in data.items() if name != "results"}
        page["results"] = [dict(product) for product in data["results"]]
        primary_keys = [primary_key_parse(model=Product, value=product["id"]) for product in page["results"]]
        pages.set(key, (primary_keys, page), settings.CATALOG_CACHE_SECONDS)

    response.add_post_render_callback(store)
