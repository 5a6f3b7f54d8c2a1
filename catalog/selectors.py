"""Catalog reads: the product lists and product lookups the API and admin use.

Every query here compiles to a plain ``$match``/``$sort`` on MongoDB: the category
is the slug stored on the product, so neither filtering nor rendering needs a join.
"""

from __future__ import annotations

from django.db.models import QuerySet

from catalog.models import CATALOG_VERSION_NAME, CatalogVersion, Category, Product
from shop.db import built_once, primary_key_parse, unique_row
from shop.errors import NotFound


def category_list() -> QuerySet[Category]:
    """Return every category, by name."""
    return Category.objects.order_by("name")


def product_list(*, include_inactive: bool = False) -> QuerySet[Product]:
    """Return the products a caller may see: active ones only unless ``include_inactive`` (staff).

    Ordered by name then id, so pages are stable; ``catalog.filters`` narrows and reorders it.
    """
    products = Product.objects.order_by("name", "id")
    return products if include_inactive else products.filter(is_active=True)


# The demo catalog's Phone (load_demo_catalog), which the examples of the API documentation order.
EXAMPLE_PRODUCT_SKU = "EL-PHONE-001"


def product_for_examples() -> Product | None:
    """Return a product an example order can buy: active and in stock, or None if there is none.

    The demo catalog's Phone when it can be ordered, else the first such product by
    name, so the documentation's examples and the browsable API's order form work
    against whatever catalog the shop has.
    """
    # By SKU alone, so the SKU index finds it; whether it can be ordered is checked here.
    phone = unique_row(Product.objects.filter(sku=EXAMPLE_PRODUCT_SKU))
    if phone is not None and phone.is_active and phone.stock > 0:
        return phone
    return product_list().filter(stock__gt=0).first()


def product_get(*, product_id, include_inactive: bool = False) -> Product:
    """Return one product visible to the caller, or raise NotFound.

    An id that is malformed for the active backend (not an integer on SQLite, not
    an ObjectId on MongoDB) is simply not found, never a server error.
    """
    pk = primary_key_parse(model=Product, value=product_id)
    product = (
        None if pk is None else unique_row(product_list(include_inactive=include_inactive).filter(pk=pk))
    )
    if product is None:
        raise NotFound("No product with this id.")
    return product


@built_once
def catalog_version_query() -> QuerySet:
    """Return the read of the catalog version: at most one row, unsorted (a lookup by its unique name)."""
    versions = CatalogVersion.objects.filter(name=CATALOG_VERSION_NAME).order_by()
    return versions.values_list("version", flat=True)[:1]


def catalog_version() -> int:
    """Return the catalog version (0 before the first write): the key of the cached catalog pages."""
    return next(iter(catalog_version_query()), None) or 0


@built_once
def product_stock_query() -> QuerySet:
    """Return ``(pk, stock, updated_at)`` of every product, unsorted (``product_stock_rows`` narrows it)."""
    return Product.objects.order_by().values_list("pk", "stock", "updated_at")


def product_stock_rows(*, primary_keys: list) -> list[tuple]:
    """Return ``(pk, stock, updated_at)`` of the given products, in no particular order.

    The fields an order changes, read afresh for a cached page (``catalog.page_cache``):
    a plain ``_id $in`` on MongoDB, without a sort.
    """
    if not primary_keys:
        return []
    return list(product_stock_query().filter(pk__in=primary_keys))
