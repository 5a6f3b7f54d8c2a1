"""Serializers of the orders API: strict inputs, and the one order representation (API.md)."""

from __future__ import annotations

from rest_framework import serializers

from orders.models import Order, OrderLine, OrderStatus, OrderStatusChange
from shop.api.serializers import StrictInputSerializer, id_field


class OrderItemInputSerializer(StrictInputSerializer):
    """One requested line: ``{"product": id, "quantity": n}``.

    Only types are checked here; the business rules (counts, ranges, merging,
    known and active products) live in ``orders.services.order_create``.
    """

    product = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField()


class OrderCreateInputSerializer(StrictInputSerializer):
    """The body of ``POST /api/v1/orders/``."""

    items = OrderItemInputSerializer(many=True)


class OrderStatusInputSerializer(StrictInputSerializer):
    """The body of ``POST /api/v1/orders/{id}/status/`` (staff)."""

    status = serializers.ChoiceField(choices=OrderStatus.values)


class OrderLineSerializer(serializers.ModelSerializer):
    """One line of an order as snapshotted when it was placed."""

    product = serializers.CharField(source="product_id", read_only=True)

    class Meta:
        model = OrderLine
        fields = ["product", "sku", "name", "unit_price", "quantity", "line_total"]
        read_only_fields = fields


class OrderStatusChangeSerializer(serializers.ModelSerializer):
    """One history entry; who changed it is only ever the kind of actor, never a person."""

    class Meta:
        model = OrderStatusChange
        fields = ["from_status", "to_status", "changed_at", "changed_by"]
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    """The order representation of API.md, with its lines (``items``) and ``history``."""

    id = id_field()
    items = OrderLineSerializer(source="lines", many=True, read_only=True)
    history = OrderStatusChangeSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = ["id", "status", "items", "total", "currency", "created_at", "updated_at", "history"]
        read_only_fields = fields
