"""Query-string filters of the product list (API.md "Catalog"), with django-filter.

Bad values are refused (400 naming the parameter) rather than ignored, so a typo
in ``?ordering=`` or ``?in_stock=`` never silently returns a different list.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from catalog.models import Product

IN_STOCK_CHOICES = (("true", "true"), ("false", "false"))
ORDERING_CHOICES = (("price", "price"), ("-price", "-price"), ("name", "name"), ("-name", "-name"))


class GivenChoiceField(django_filters.fields.ChoiceField):
    """A choice that may be absent but, when given, must be one of the choices (``""`` too)."""

    def clean(self, value):
        """Refuse an empty value sent explicitly (``?ordering=``); ``None`` means absent."""
        if value == "":
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            )
        return super().clean(value)


class GivenChoiceFilter(django_filters.ChoiceFilter):
    """A ChoiceFilter whose empty value is a 400 like any other unknown one (API.md: "anything else")."""

    field_class = GivenChoiceField


class ProductFilter(django_filters.FilterSet):
    """Filters of ``GET /api/v1/products/``."""

    category = django_filters.CharFilter(
        field_name="category_id", max_length=50, help_text="Category slug; an unknown slug gives no results."
    )
    search = django_filters.CharFilter(
        method="filter_search", max_length=200, help_text="Text in the name, SKU or description (any case)."
    )
    in_stock = GivenChoiceFilter(
        choices=IN_STOCK_CHOICES, method="filter_in_stock", help_text="true: stock > 0; false: stock == 0."
    )
    # A single choice, not django-filter's comma-separated OrderingFilter: anything
    # but these four values (``price,name`` included) is a 400.
    ordering = GivenChoiceFilter(
        choices=ORDERING_CHOICES,
        method="filter_ordering",
        help_text="price, -price, name or -name (default: name).",
    )

    class Meta:
        model = Product
        fields = ("category", "search", "in_stock", "ordering")

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Match the text anywhere in name, SKU or description, ignoring case.

        ``icontains`` compiles to an escaped, case-insensitive ``$regex`` on MongoDB
        (no ``$expr``), and to LIKE on SQLite.
        """
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(sku__icontains=value) | Q(description__icontains=value)
        )

    def filter_in_stock(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Keep products in stock (``true``) or sold out (``false``)."""
        return queryset.filter(stock__gt=0) if value == "true" else queryset.filter(stock=0)

    def filter_ordering(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Order by the chosen field, then by id in the same direction, so pages are stable."""
        return queryset.order_by(value, "-id" if value.startswith("-") else "id")
