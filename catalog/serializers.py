"""Serializers of the catalog API: strict inputs, string ids, money as 2-place strings."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from catalog.models import MIN_PRICE
from catalog.services import (
    DESCRIPTION_MAX_LENGTH,
    MAX_PRICE,
    MAX_STOCK,
    PRODUCT_NAME_MAX_LENGTH,
    SKU_MAX_LENGTH,
)
from shop.api.serializers import (
    MoneyField,
    StrictBooleanField,
    StrictCharField,
    StrictDecimalField,
    StrictInputSerializer,
    StrictIntegerField,
    id_field,
    money,
    timestamp,
)


class CategoryOutputSerializer(serializers.Serializer):
    """A category as ``{slug, name}``."""

    slug = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class ProductOutputSerializer(serializers.Serializer):
    """A product as API.md shows it; ``category`` is the slug, so rendering needs no join.

    The fields describe the product in the OpenAPI schema; a product renders in one
    pass (:meth:`to_representation`), in DRF's formats (a test compares the two):
    DRF's field-by-field rendering was the largest part of an uncached product page.
    """

    id = id_field()
    sku = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    category = serializers.CharField(source="category_id", read_only=True)
    description = serializers.CharField(read_only=True)
    price = MoneyField()
    currency = serializers.SerializerMethodField()
    stock = serializers.IntegerField(read_only=True)
    is_active = serializers.BooleanField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    def get_currency(self, product) -> str:
        """Return the shop's ISO 4217 currency code (settings.SHOP_CURRENCY)."""
        return settings.SHOP_CURRENCY

    def to_representation(self, product):
        """Render ``product`` as DRF's fields above would, in one pass."""
        return {
            "id": str(product.pk),
            "sku": product.sku,
            "name": product.name,
            "category": product.category_id,
            "description": product.description,
            "price": money(product.price),
            "currency": settings.SHOP_CURRENCY,
            "stock": product.stock,
            "is_active": product.is_active,
            "created_at": timestamp(product.created_at),
            "updated_at": timestamp(product.updated_at),
        }


class ProductCreateInputSerializer(StrictInputSerializer):
    """Body of ``POST /api/v1/products/``; the service re-checks every rule."""

    sku = StrictCharField(max_length=SKU_MAX_LENGTH)
    name = StrictCharField(max_length=PRODUCT_NAME_MAX_LENGTH)
    category = StrictCharField(max_length=50, help_text="Slug of an existing category.")
    description = StrictCharField(max_length=DESCRIPTION_MAX_LENGTH, allow_blank=True, required=False)
    price = StrictDecimalField(max_digits=12, decimal_places=2, min_value=MIN_PRICE, max_value=MAX_PRICE)
    stock = StrictIntegerField(min_value=0, max_value=MAX_STOCK, required=False)
    is_active = StrictBooleanField(required=False)


class ProductUpdateInputSerializer(ProductCreateInputSerializer):
    """Body of ``PATCH /api/v1/products/{id}/``: any subset of the create fields.

    ``stock`` is applied as a difference from the stock the editor saw: send that
    value as ``expected_stock`` (for example the stock shown on screen); without it,
    the stock read at the start of the request counts as seen. Either way orders
    reserved in between are not overwritten.
    """

    expected_stock = StrictIntegerField(
        min_value=0,
        max_value=MAX_STOCK,
        required=False,
        help_text="The stock the editor saw; stock moves by (stock - expected_stock). Needs stock.",
    )

    def to_representation(self, product):
        """Render ``product`` as an edit that changes nothing: the writable fields, expected_stock = stock.

        The browsable API's PATCH form starts from this, so it works as shown, and a
        stock typed into it moves the stock by the difference from the one shown.
        """
        return {
            "sku": product.sku,
            "name": product.name,
            "category": product.category_id,
            "description": product.description,
            "price": f"{product.price:.2f}",
            "stock": product.stock,
            "expected_stock": product.stock,
            "is_active": product.is_active,
        }

    def validate(self, attrs):
        """Refuse ``expected_stock`` without ``stock`` (it would have nothing to qualify)."""
        if "expected_stock" in attrs and "stock" not in attrs:
            raise serializers.ValidationError({"expected_stock": ["Only meaningful together with stock."]})
        return attrs
