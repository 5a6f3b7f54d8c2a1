"""Query-string filters of the product list (API.md "Catalog"), with django-filter.

Bad values are refused (400 naming the parameter) rather than ignored, so a typo
in ``?ordering=`` or ``?in_stock=`` never silently returns a different list.

The same filters make the browsable API's filter form: each has a label, the
category is a choice among the catalog's categories (the parameter still takes any
slug: an unknown one gives an empty list), and the choices never submit a blank
(``shop.api.filters``).
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.choices import CallableChoiceIterator

from catalog.models import Product
from catalog.selectors import category_list
from shop.api.filters import PlaceholderSelect

IN_STOCK_CHOICES = (("true", "in stock"), ("false", "sold out"))
# The default (name) first: a form that leaves it alone asks for what no parameter gives.
ORDERING_CHOICES = (
    ("name", "name, A to Z"),
    ("-name", "name, Z to A"),
    ("price", "price, low to high"),
    ("-price", "price, high to low"),
)
ANY_CATEGORY = ("", "any category")


def category_choices() -> list[tuple[str, str]]:
    """Return the category filter's choices: any category, then each category by name."""
    return [ANY_CATEGORY, *category_list().values_list("slug", "name")]


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
        field_name="category_id",
        max_length=50,
        label="Category",
        # Rendered as a choice (the categories are read when the form is shown), sent as a slug.
        widget=forms.Select(choices=CallableChoiceIterator(category_choices)),
        help_text="Category slug; an unknown slug gives no results.",
    )
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=200,
        label="Search",
        help_text="Text in the name, SKU or description (any case).",
    )
    in_stock = GivenChoiceFilter(
        choices=IN_STOCK_CHOICES,
        method="filter_in_stock",
        label="In stock",
        empty_label="in stock or not",
        widget=PlaceholderSelect,
        help_text="true: stock > 0; false: stock == 0.",
    )
    # A single choice, not django-filter's comma-separated OrderingFilter: anything
    # but these four values (``price,name`` included) is a 400.
    ordering = GivenChoiceFilter(
        choices=ORDERING_CHOICES,
        method="filter_ordering",
        label="Order by",
        empty_label=None,
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
