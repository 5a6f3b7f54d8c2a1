"""Pagination classes of the v1 API: ``page_size`` default 20, clamped to 100."""

from datetime import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class ClampedPageSizeMixin:
    """Clamp ``?page_size=`` to MAX_PAGE_SIZE instead of refusing larger values.

    A ``page_size`` that is not a positive whole number is a 400 naming it: DRF
    would silently fall back to the default, so a typo would go unnoticed.
    """

    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    page_size_error = "A positive whole number is required (values above 100 count as 100)."

    def get_page_size(self, request):
        """Return the page size asked for, clamped to MAX_PAGE_SIZE; 400 if it is not a positive integer."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
            raise ValidationError({self.page_size_query_param: [self.page_size_error]})
        return min(int(raw), self.max_page_size)

    def get_schema_operation_parameters(self, view):
        """Describe ``page_size`` as a whole number from 1 (larger than 100 counts as 100)."""
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Results per page: default {self.page_size}; values above {self.max_page_size} "
                    f"count as {self.max_page_size}."
                )
                parameter["schema"] = {"type": "integer", "minimum": 1}
        return parameters


class ShopPageNumberPagination(ClampedPageSizeMixin, PageNumberPagination):
    """Number-based pages (``?page=``) with a ``count``, for the product list."""

    def get_page_number(self, request, paginator):
        """Return the page asked for; an empty ``?page=`` is an invalid page (404) like ``?page=x``."""
        if request.query_params.get(self.page_query_param) == "":
            raise NotFound(
                self.invalid_page_message.format(page_number="", message="That page number is empty.")
            )
        return super().get_page_number(request, paginator)


class ShopCursorPagination(ClampedPageSizeMixin, CursorPagination):
    """Cursor pages (``?cursor=``): deep pages cost the same as the first.

    A cursor is the client's to send back, not to write: one whose position is not
    a valid value of the ordering field (a forged ``p=``, a naive datetime) is an
    invalid cursor (404), like one that does not decode at all, never a query error.
    """

    ordering = ("-created_at", "-id")

    def paginate_queryset(self, queryset, request, view=None):
        """Remember the model whose ordering field positions are checked, then page as DRF does."""
        self.position_field = queryset.model._meta.get_field(self.ordering[0].lstrip("-"))
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        """Return DRF's cursor after checking its position against the ordering field."""
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None and not self.position_valid(cursor.position):
            raise NotFound(self.invalid_cursor_message)
        return cursor

    def position_valid(self, position: str) -> bool:
        """Return whether ``position`` is a value of the ordering field (datetimes with their zone)."""
        field = getattr(self, "position_field", None)
        if field is None:
            return True
        try:
            value = field.to_python(position)
        except (DjangoValidationError, TypeError, ValueError, OverflowError):
            return False
        if isinstance(field, models.DateTimeField):
            return isinstance(value, datetime) and value.tzinfo is not None
        return value is not None
