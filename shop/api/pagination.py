"""Pagination classes of the v1 API: ``page_size`` default 20, clamped to 100."""

from rest_framework.pagination import CursorPagination, PageNumberPagination

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class ClampedPageSizeMixin:
    """Clamp ``?page_size=`` to MAX_PAGE_SIZE instead of refusing larger values."""

    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE


class ShopPageNumberPagination(ClampedPageSizeMixin, PageNumberPagination):
    """Number-based pages (``?page=``) with a ``count``, for the product list."""


class ShopCursorPagination(ClampedPageSizeMixin, CursorPagination):
    """Cursor pages (``?cursor=``): deep pages cost the same as the first."""

    ordering = ("-created_at", "-id")
