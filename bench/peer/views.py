"""The order list as a textbook DRF view: nested ModelSerializers over ``prefetch_related``, no cache.

What a DRF tutorial would write for ``GET /api/v1/orders/``: a ``ListAPIView`` whose
queryset prefetches the lines and the history, rendered by ``ModelSerializer``s
nested in the order's, paged by the shop's cursor pagination. It renders the same
fields as the shop (``id`` and ``product`` as strings, money as 2-place strings), so
the bench compares the same page written two ways.
"""

from __future__ import annotations

from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated

from orders.models import Order, OrderLine, OrderStatusChange
from shop.api.pagination import ShopCursorPagination


class LineSerializer(serializers.ModelSerializer):
    """One order line."""

    product = serializers.CharField(source="product_id")

    class Meta:
        model = OrderLine
        fields = ["product", "sku", "name", "unit_price", "quantity", "line_total"]


class HistorySerializer(serializers.ModelSerializer):
    """One status change."""

    class Meta:
        model = OrderStatusChange
        fields = ["from_status", "to_status", "changed_at", "changed_by"]


class OrderSerializer(serializers.ModelSerializer):
    """An order with its lines and history."""

    id = serializers.CharField()
    number = serializers.CharField()
    items = LineSerializer(source="lines", many=True)
    shipping_address = serializers.JSONField()
    history = HistorySerializer(many=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "status",
            "items",
            "total",
            "currency",
            "shipping_address",
            "note",
            "created_at",
            "updated_at",
            "history",
        ]


class OrderList(generics.ListAPIView):
    """The signed-in customer's orders, newest first."""

    serializer_class = OrderSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = ShopCursorPagination

    def get_queryset(self):
        """Return the customer's orders with their lines and history prefetched."""
        return (
            Order.objects.filter(customer=self.request.user)
            .order_by("-created_at", "-id")
            .prefetch_related("lines", "history")
        )
