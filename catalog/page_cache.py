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

On SQLite a process also remembers the pages it served (``checked_pages``, 64 of them)
with the database's commit state when it checked them (``shop.db.commit_state``:
``PRAGMA data_version`` and the connection's own writes, a few microseconds). While no
process commits anything, not even an order, the version and the stock it would read
again are the ones it read, so the page is served from memory without a query; the
first commit anywhere sends the next request through the reads above. For anonymous
requests ``catalog.middleware`` goes one step further and answers again with the whole
response, before URL resolution and DRF. MongoDB has no such signal: every answer reads
the version and the stock.

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
from shop.cache import CommitStateMemo, PageCache
from shop.db import commit_state, primary_key_parse

pages = PageCache("catalog")
# The pages this process served, with the database's commit state when it checked
# them (SQLite only): reused without a query while nothing is committed anywhere.
checked_pages = CommitStateMemo("catalog", max_entries=64)
# Part of every key: bump it when the product representation changes, so a shared
# cache never serves pages of an older release.
KEY_PREFIX = "catalog:products:1"
CACHED_METHODS = frozenset({"GET", "HEAD"})
# Query parameters whose pages depend on the stock: built afresh every time.
STOCK_DEPENDENT_PARAMETERS = ("in_stock",)


class ProductPage:
    """The cached page of one public product-list request: found, or stored once built.

    Call :meth:`cached` first; on a miss, build the response and hand it to
    :meth:`store_when_rendered`.
    """

    def __init__(self, request):
        self.url_digest = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
        # Read before anything else this request reads: what it reads is at least this new.
        self.commit_state = commit_state()
        self.key: str | None = None

    def cached(self) -> dict | None:
        """Return the page with its products' current stock, or None (build it, then store it).

        A page this process checked at the same commit state is returned as it is: no
        query. Otherwise the catalog version is read (it names the shared cache entry)
        and then the stock of the entry's products. None as well when a product of the
        page is gone (a delete racing this request): the page is then built afresh.
        """
        data = checked_pages.get(self.url_digest, self.commit_state)
        if data is not None:
            pages.count_hit()
            return data
        self.key = f"{KEY_PREFIX}:{selectors.catalog_version()}:{self.url_digest}"
        data = with_current_stock(pages.get(self.key))
        if data is not None:
            checked_pages.set(self.url_digest, self.commit_state, data, settings.CATALOG_CACHE_SECONDS)
        return data

    def store_when_rendered(self, response) -> None:
        """Cache the data of ``response`` (a DRF Response) once rendered, if it is a 200 and small enough."""
        if self.key is None:
            raise RuntimeError("ProductPage.cached() must run before the page is built")
        data = response.data

        def store(rendered):
            if rendered.status_code != 200 or len(rendered.content) > settings.PAGE_CACHE_MAX_ENTRY_BYTES:
                return
            page = {name: value for name, value in data.items() if name != "results"}
            page["results"] = [dict(product) for product in data["results"]]
            primary_keys = [
                primary_key_parse(model=Product, value=product["id"]) for product in page["results"]
            ]
            pages.set(self.key, (primary_keys, page), settings.CATALOG_CACHE_SECONDS)
            checked_pages.set(self.url_digest, self.commit_state, page, settings.CATALOG_CACHE_SECONDS)

        response.add_post_render_callback(store)


def product_page(request) -> ProductPage | None:
    """Return the cached page of a public product-list request, or None if it must not be cached."""
    if settings.CATALOG_CACHE_SECONDS <= 0 or request.method not in CACHED_METHODS:
        return None
    if request.user.is_staff or not isinstance(request.accepted_renderer, JSONRenderer):
        return None
    if any(name in request.query_params for name in STOCK_DEPENDENT_PARAMETERS):
        return None
    return ProductPage(request)


def with_current_stock(entry: tuple[list, dict] | None) -> dict | None:
    """Return the page of a cache entry with its products' current stock (one query), or None.

    None when there is no entry, or when a product of the page is gone.
    """
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
