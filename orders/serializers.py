"""Serializers of the orders API: strict inputs, and the one order representation (API.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework import serializers
from rest_framework.reverse import reverse

from accounts.serializers import AddressFieldsInputSerializer
from orders.models import Actor, OrderStatus
from orders.representation import history_render, line_render, order_render, shipping_address_render
from orders.services import ORDER_NOTE_MAX_LENGTH, SHIPPING_ADDRESS_FIELD
from shop.api.serializers import (
    MoneyField,
    StrictCharField,
    StrictInputSerializer,
    StrictIntegerField,
    id_field,
)


class OrderItemInputSerializer(StrictInputSerializer):
    """One requested line: ``{"product": id, "quantity": n}``.

    Only types are checked here; the business rules (counts, ranges, merging,
    known and active products) live in ``orders.services.order_create``, and
    ``orders.schema`` states the limits in the OpenAPI document.
    """

    # Not trimmed: an id is taken only in the exact form the API emits (" 17" is no id).
    product = StrictCharField(max_length=64, trim_whitespace=False)
    quantity = StrictIntegerField()


class OrderCreateInputSerializer(StrictInputSerializer):
    """The body of ``POST /api/v1/orders/``: the lines, where they go, and a note.

    Exactly one of ``shipping_address`` (the address itself) and
    ``shipping_address_id`` (one of the customer's saved addresses): neither or both
    is a 400 on ``shipping_address``. Whether the id is the customer's is the
    service's to say (400 on ``shipping_address_id``).
    """

    items = OrderItemInputSerializer(many=True)
    shipping_address = AddressFieldsInputSerializer(
        required=False, help_text="Where the order goes; or send shipping_address_id instead."
    )
    shipping_address_id = StrictCharField(
        max_length=64,
        trim_whitespace=False,
        required=False,
        help_text="The id of one of your saved addresses; or send shipping_address instead.",
    )
    note = StrictCharField(
        max_length=ORDER_NOTE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        default="",
        help_text="A note to the shop (delivery instructions, a gift message).",
    )

    def validate(self, attrs):
        """Require exactly one of ``shipping_address`` and ``shipping_address_id``."""
        given = [name for name in (SHIPPING_ADDRESS_FIELD, "shipping_address_id") if name in attrs]
        if len(given) != 1:
            raise serializers.ValidationError(
                {
                    SHIPPING_ADDRESS_FIELD: [
                        "Send exactly one of shipping_address (the address) and shipping_address_id "
                        "(one of your saved addresses)."
                    ]
                }
            )
        return attrs


class OrderStatusInputSerializer(StrictInputSerializer):
    """The body of ``POST /api/v1/orders/{id}/status/`` (staff)."""

    status = serializers.ChoiceField(choices=OrderStatus.values)


# The order representation is the hottest output of the API (20 orders with their
# lines and history per list page). DRF renders field by field, which cost a third
# of the order list's CPU time (BENCHMARKS.md). So these serializers declare their
# fields only to describe them in the OpenAPI schema, and render in one pass: an
# order's lines and history come rendered in its read model (``Order.details``,
# ``orders.representation``), in DRF's formats (a test compares the renderings).


class OrderLineSerializer(serializers.Serializer):
    """One line of an order as snapshotted when it was placed."""

    product = serializers.CharField(read_only=True)
    sku = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    unit_price = MoneyField()
    quantity = serializers.IntegerField(read_only=True)
    line_total = MoneyField()

    def to_representation(self, row):
        """Render a row of ``OrderLine`` values."""
        return line_render(**row)


class OrderStatusChangeSerializer(serializers.Serializer):
    """One history entry; who changed it is only ever the kind of actor, never a person."""

    from_status = serializers.ChoiceField(choices=OrderStatus.choices, allow_null=True, read_only=True)
    to_status = serializers.ChoiceField(choices=OrderStatus.choices, read_only=True)
    changed_at = serializers.DateTimeField(read_only=True)
    changed_by = serializers.ChoiceField(choices=Actor.choices, read_only=True)

    def to_representation(self, row):
        """Render a row of ``OrderStatusChange`` values."""
        return history_render(**row)


class ShippingAddressSerializer(serializers.Serializer):
    """The address an order ships to: the address fields as they were when it was placed."""

    full_name = serializers.CharField(read_only=True)
    line1 = serializers.CharField(read_only=True)
    line2 = serializers.CharField(read_only=True)
    city = serializers.CharField(read_only=True)
    postal_code = serializers.CharField(read_only=True)
    region = serializers.CharField(read_only=True)
    country = serializers.CharField(read_only=True, help_text="ISO 3166-1 alpha-2 code.")
    phone = serializers.CharField(read_only=True, help_text="E.164, or empty.")

    def to_representation(self, snapshot):
        """Render an order's address snapshot."""
        return shipping_address_render(snapshot)


class OrderLinksSerializer(serializers.Serializer):
    """Where an order and its actions are (staff only)."""

    self = serializers.URLField(read_only=True)
    cancel = serializers.URLField(read_only=True)
    status = serializers.URLField(read_only=True)


# The order representation's fields only staff get (optional in the OpenAPI document: orders.schema).
STAFF_ONLY_FIELDS = ("customer_email", "links")


class OrderSerializer(serializers.Serializer):
    """The order representation of API.md, with its lines (``items``) and ``history``.

    Renders an order with its ``details`` (``orders.selectors.order_details_load``).
    For staff (the request in the context says so) it adds ``customer_email``
    (attached by ``orders.selectors.order_customer_emails_attach``; null once the
    account is closed) and ``links`` to the order and its actions.
    """

    id = id_field()
    number = serializers.CharField(
        read_only=True, help_text="The order number to quote: digits, unique, increasing from 1001."
    )
    status = serializers.ChoiceField(choices=OrderStatus.choices, read_only=True)
    items = OrderLineSerializer(many=True, read_only=True)
    total = MoneyField()
    currency = serializers.CharField(read_only=True)
    shipping_address = ShippingAddressSerializer(
        read_only=True,
        allow_null=True,
        help_text="Where the order goes, as it was when the order was placed (null: a legacy order).",
    )
    note = serializers.CharField(read_only=True, help_text="The customer's note (empty when none).")
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    history = OrderStatusChangeSerializer(many=True, read_only=True)
    customer_email = serializers.EmailField(
        read_only=True,
        allow_null=True,
        help_text="Staff only: the customer's email (null once the customer closed the account).",
    )
    links = OrderLinksSerializer(read_only=True, help_text="Staff only: the order and its actions.")

    def to_representation(self, order):
        """Render ``order`` from its row and its ``details`` (and staff's extras)."""
        data = order_render(order)
        request = self.context.get("request")
        if request is not None and request.user.is_staff:
            data["customer_email"] = order.customer_email
            data["links"] = order_links(order_id=order.pk, request=request)
        return data


def order_links(*, order_id, request) -> dict[str, str]:
    """Return the absolute URLs of an order and of its cancel and status actions."""
    kwargs = {"order_id": str(order_id)}
    return {
        "self": reverse("order-detail", kwargs=kwargs, request=request),
        "cancel": reverse("order-cancel", kwargs=kwargs, request=request),
        "status": reverse("order-status", kwargs=kwargs, request=request),
    }


# What stands for the id while a page's link routes are reversed (no host or route holds it).
ORDER_ID_STAND_IN = "~order~"


def order_links_builder(*, request) -> Callable[[Any], dict[str, str]]:
    """Return ``links(order_id)``, which gives what :func:`order_links` gives, each route reversed once.

    For a page of orders: a reverse costs about 50 us, three per order. The ids (digits,
    or an ObjectId's hex) go into a URL as they are, as ``reverse`` would put them.
    """
    templates = order_links(order_id=ORDER_ID_STAND_IN, request=request)

    def links(order_id) -> dict[str, str]:
        return {name: url.replace(ORDER_ID_STAND_IN, str(order_id)) for name, url in templates.items()}

    return links
