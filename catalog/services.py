"""Catalog services: every write to categories and products goes through here."""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from catalog.models import Product


def product_stock_reserve(*, product_id, quantity: int) -> bool:
    """Take ``quantity`` units of an active product if that many are in stock.

    One conditional single-document update: it succeeds only while the stock is
    high enough, so concurrent reservations can never drive stock below zero.
    Return whether the units were taken.
    """
    taken = Product.objects.filter(pk=product_id, is_active=True, stock__gte=quantity).update(
        stock=F("stock") - quantity, updated_at=timezone.now()
    )
    return taken == 1


def product_stock_release(*, product_id, quantity: int) -> None:
    """Give ``quantity`` units back to a product (cancellation, compensation)."""
    Product.objects.filter(pk=product_id).update(stock=F("stock") + quantity, updated_at=timezone.now())
