"""Input and output serializers of the legacy routes (LEGACY.md).

``/register`` and ``/login`` reuse the v1 input serializers of ``accounts``
unchanged; the shapes below exist only where the original service's keys differ
from v1 (``type``/``products``/``Quantity``, ``_id``, ``access_token``...).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.serializers import RegisterInputSerializer
from catalog.services import CATEGORY_NAME_MAX_LENGTH, PRODUCT_NAME_MAX_LENGTH
from orders.models import OrderStatus
from orders.serializers import OrderLineSerializer
from orders.services import MAX_QUANTITY, MIN_QUANTITY
from shop.api.serializers import StrictCharField, StrictInputSerializer

STATUS_TEXT_MAX_LENGTH = 50


class StrictIntegerField(serializers.IntegerField):
    """An IntegerField that accepts JSON integers only: no strings, floats or booleans."""

    def to_internal_value(self, data):
        """Return ``data`` if it is a JSON integer; DRF alone would accept ``"3"`` and ``3.0``."""
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


def quantity_field() -> StrictIntegerField:
    """Return the optional count of ``POST /order`` (the same range as a v1 order line)."""
    return StrictIntegerField(required=False, min_value=MIN_QUANTITY, max_value=MAX_QUANTITY)


class LegacyOrderCreateInputSerializer(StrictInputSerializer):
    """Body of ``POST /order``: ``{"type", "products", "Quantity" | "quantity", "status"?}``.

    ``status`` is accepted and ignored (new orders always start IN_PROGRESS): the one
    extra key the original clients send. The count goes to ``validated_data["count"]``.
    """

    type = StrictCharField(max_length=CATEGORY_NAME_MAX_LENGTH, help_text="Category slug or name, any case.")
    products = StrictCharField(max_length=PRODUCT_NAME_MAX_LENGTH, help_text="Product name, any case.")
    Quantity = quantity_field()
    quantity = quantity_field()
    status = serializers.JSONField(required=False, write_only=True, help_text="Ignored.")

    def validate(self, attrs):
        """Require exactly one of ``Quantity`` and ``quantity``; drop the ignored ``status``."""
        given = [name for name in ("Quantity", "quantity") if name in attrs]
        if not given:
            raise serializers.ValidationError({"Quantity": ["This field is required."]})
        if len(given) > 1:
            raise serializers.ValidationError({"Quantity": ["Send Quantity or quantity, not both."]})
        return {"type": attrs["type"], "products": attrs["products"], "count": attrs[given[0]]}


class LegacyUserDocumentSerializer(RegisterInputSerializer):
    """A user document of the original service (``import_legacy``): registration's email and names.

    The password is not validated here: ``legacy.passwords`` reads whatever the
    original service stored.
    """

    password = None


class LegacyStatusInputSerializer(StrictInputSerializer):
    """Body of ``PUT /orders/update``: ``{"status": "Shipped"}`` (any case, spaces or underscores)."""

    status = StrictCharField(max_length=STATUS_TEXT_MAX_LENGTH)


class LegacyMessageSerializer(serializers.Serializer):
    """``{"message": "..."}``: the legacy routes' answer to errors and to deletion."""

    message = serializers.CharField()


class LegacyRegisteredSerializer(serializers.Serializer):
    """Answer of ``POST /register``."""

    message = serializers.CharField()
    user_id = serializers.CharField()


class LegacyTokenPairSerializer(serializers.Serializer):
    """Answer of ``POST /login``."""

    access_token = serializers.CharField()
    refresh_token = serializers.CharField()


class LegacyIdMessageSerializer(serializers.Serializer):
    """Answer of ``POST /order``, ``PUT /orders/update`` and ``PUT /orders/cancel``."""

    id = serializers.CharField()
    message = serializers.CharField()


class LegacyStatusSerializer(serializers.Serializer):
    """Answer of ``GET /orders/status``."""

    data = serializers.ChoiceField(choices=OrderStatus.choices)
    message = serializers.CharField()


class LegacyOrderSerializer(serializers.Serializer):
    """One order in the original keys (``_id``, ``type``, ``products``, ``quantity``...), then more.

    ``type``, ``products`` and ``quantity`` describe the first line. Renders orders
    that went through ``orders.selectors.order_details_attach`` (``item_rows``).
    """

    _id = serializers.CharField(source="pk")
    type = serializers.SerializerMethodField()
    products = serializers.SerializerMethodField()
    quantity = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=OrderStatus.choices)
    customer_id = serializers.CharField(allow_null=True)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    created_at = serializers.DateTimeField()
    items = OrderLineSerializer(source="item_rows", many=True)

    @staticmethod
    def first_line(order) -> dict:
        """Return the order's first line (an empty dict for none)."""
        return order.item_rows[0] if order.item_rows else {}

    @extend_schema_field(OpenApiTypes.STR)
    def get_type(self, order):
        """Return the category slug of the first line."""
        return self.first_line(order).get("category_slug")

    @extend_schema_field(OpenApiTypes.STR)
    def get_products(self, order):
        """Return the product name of the first line."""
        return self.first_line(order).get("name")

    @extend_schema_field(OpenApiTypes.INT)
    def get_quantity(self, order):
        """Return the quantity of the first line."""
        return self.first_line(order).get("quantity")


class LegacyOrderListSerializer(serializers.Serializer):
    """Answer of ``GET /order``: ``{"data": [order, ...], "message": "orders"}``."""

    data = LegacyOrderSerializer(many=True)
    message = serializers.CharField()
