"""Anonymous product-list requests answered again, before URL resolution and DRF, while nothing changed.

An anonymous ``GET /api/v1/products/`` (no ``Authorization`` header, no session
cookie) asks for what every anonymous shopper gets. Once the view has answered such
a request with a public page (``catalog.page_cache``: JSON, not staff, not filtered by
stock) this middleware keeps the whole response, its status, headers and bytes, with
the database's commit state read before the view ran (``shop.db.commit_state``). The
same request (absolute URL, ``Accept`` header) arriving while the commit state has not
moved, so nothing was committed since by any process, is answered with a copy of it:
the catalog version and the stock it would read are the ones the view read.

It sits inside ``SecurityMiddleware`` (HTTPS redirect, its headers) and
``CorsMiddleware`` (headers that depend on the request's ``Origin``), which run for
every request as before, and outside everything that only adds the same headers to
every anonymous catalog answer (clickjacking, content security policy), whose headers
it keeps. Never reused: anything but a 200 the view marked public, a response that
sets a cookie or is larger than ``PAGE_CACHE_MAX_ENTRY_BYTES``, and any request with
credentials. SQLite only: on MongoDB the commit state is None and every request goes
to the view. ``CATALOG_CACHE_SECONDS`` (0: off) bounds the age of an entry, and at
most 64 are kept per process.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.urls import NoReverseMatch, reverse

from catalog import page_cache
from shop.cache import CommitStateMemo
from shop.db import commit_state

answers = CommitStateMemo("catalog_responses", max_entries=64)
# Set by the product list on a response that is the same for every anonymous shopper.
PUBLIC_PAGE_ATTRIBUTE = "shop_public_catalog_page"


def public_page_mark(response) -> None:
    """Mark ``response`` as a public product page, which this middleware may answer again."""
    setattr(response, PUBLIC_PAGE_ATTRIBUTE, True)


class PublicCatalogPageMiddleware:
    """Answer an anonymous product-list request again while the database has not changed."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.product_list_path: str | None = None

    def __call__(self, request):
        """Answer from a kept response of the same request, or let the view answer (and keep it)."""
        key = self.request_key(request)
        if key is None:
            return self.get_response(request)
        state = commit_state()
        kept = answers.get(key, state)
        if kept is not None:
            page_cache.pages.count_hit()
            return self.replay(request, kept)
        response = self.get_response(request)
        if self.reusable(response):
            kept = (list(response.items()), response.content, getattr(request, "resolver_match", None))
            answers.set(key, state, kept, settings.CATALOG_CACHE_SECONDS)
        return response

    def request_key(self, request) -> str | None:
        """Return the key of an anonymous product-list GET, or None for any other request."""
        if request.method != "GET" or settings.CATALOG_CACHE_SECONDS <= 0:
            return None
        if self.product_list_path is None:
            try:
                self.product_list_path = reverse("product-list")
            except NoReverseMatch:  # a URLconf without the catalog (the bench's peer): never
                self.product_list_path = ""
        if request.path_info != self.product_list_path:
            return None
        if "HTTP_AUTHORIZATION" in request.META or settings.SESSION_COOKIE_NAME in request.COOKIES:
            return None
        return f"{request.build_absolute_uri()}\n{request.META.get('HTTP_ACCEPT', '')}"

    @staticmethod
    def reusable(response) -> bool:
        """Return whether ``response`` is a public page this middleware may answer again."""
        return (
            response.status_code == 200
            and getattr(response, PUBLIC_PAGE_ATTRIBUTE, False)
            and not response.streaming
            and not response.cookies
            and len(response.content) <= settings.PAGE_CACHE_MAX_ENTRY_BYTES
        )

    @staticmethod
    def replay(request, kept) -> HttpResponse:
        """Return a new response with the kept headers and bytes (the request's view for the logs)."""
        headers, content, resolver_match = kept
        response = HttpResponse(content)
        for name, value in headers:
            response[name] = value
        if resolver_match is not None:
            request.resolver_match = resolver_match
        return response
