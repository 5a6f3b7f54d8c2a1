"""The order list and order placement as textbook DRF views: nested ModelSerializers, no cache.

What a DRF tutorial would write for ``/api/v1/orders/``: a ``ListCreateAPIView``.

* ``GET``: its queryset prefetches the lines and the history, rendered by
  ``ModelSerializer``s nested in the order's, paged by the shop's cursor pagination.
  It renders the same fields as the shop (``id`` and ``product`` as strings, money as
  2-place strings), so the bench compares the same page written two ways.
* ``POST``: a nested input serializer (active products by primary key, quantities,
  the address fields as strings), then in one ``transaction.atomic``: the next
  number, a conditional stock update per line (400 and nothing written if one is
  short), the order, its lines (``bulk_create``) and its first history entry; the
  confirmation email is rendered from the shop's templates and sent with
  ``send_mail`` on commit; the answer is the created order read back through the
  list's serializer. What it leaves out is what the shop adds on purpose: the
  outbox that survives a failed send, idempotency keys, merged and capped lines, the
  address checks (country, phone), the order's stored rendering and the order-list
  cache's version. The bench reports the shop's ratio to it (BENCHMARKS.md).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Max
from django.template.loader import render_to_string
from django.utils import timezone
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from catalog.models import Product
from orders.models import Actor, Order, OrderLine, OrderStatus, OrderStatusChange
from shop.api.pagination import ShopCursorPagination

FIRST_NUMBER = 1001


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


class LineInputSerializer(serializers.Serializer):
    """One line to order: an active product and how many."""

    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.filter(is_active=True))
    quantity = serializers.IntegerField(min_value=1, max_value=1000)


class AddressInputSerializer(serializers.Serializer):
    """Where the order goes."""

    full_name = serializers.CharField(max_length=200)
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100)
    postal_code = serializers.CharField(max_length=20)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True)
    country = serializers.CharField(max_length=2)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)


class OrderCreateSerializer(serializers.Serializer):
    """The body of an order: its lines, where it goes, a note."""

    items = LineInputSerializer(many=True, allow_empty=False)
    shipping_address = AddressInputSerializer()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def create(self, validated_data):
        """Write the order with its lines and history, taking each line's stock; email the customer."""
        customer = self.context["request"].user
        items = validated_data["items"]
        now = timezone.now()
        with transaction.atomic():
            for item in items:
                taken = Product.objects.filter(pk=item["product"].pk, stock__gte=item["quantity"]).update(
                    stock=F("stock") - item["quantity"]
                )
                if not taken:
                    short = item["product"].pk
                    raise serializers.ValidationError({"items": [f"Not enough stock of {short}."]})
            highest = Order.objects.aggregate(highest=Max("number"))["highest"]
            order = Order.objects.create(
                customer=customer,
                number=max(highest or 0, FIRST_NUMBER - 1) + 1,
                status=OrderStatus.IN_PROGRESS,
                total=sum((item["product"].price * item["quantity"] for item in items), Decimal("0.00")),
                currency=settings.SHOP_CURRENCY,
                shipping_address=validated_data["shipping_address"],
                note=validated_data["note"],
                created_at=now,
                updated_at=now,
            )
            lines = OrderLine.objects.bulk_create(
                OrderLine(
                    order=order,
                    product=item["product"],
                    position=position,
                    sku=item["product"].sku,
                    name=item["product"].name,
                    category_slug=item["product"].category_id,
                    unit_price=item["product"].price,
                    quantity=item["quantity"],
                    line_total=item["product"].price * item["quantity"],
                )
                for position, item in enumerate(items, start=1)
            )
            OrderStatusChange.objects.create(
                order=order,
                to_status=OrderStatus.IN_PROGRESS,
                changed_at=now,
                changed_by=Actor.CUSTOMER,
                changed_by_user=customer,
            )
            context = {
                "order": order,
                "items": lines,
                "customer_name": customer.get_short_name() or customer.email,
                "shop_name": settings.SHOP_NAME,
            }
            subject = render_to_string("notifications/email/order_placed_subject.txt", context).strip()
            text = render_to_string("notifications/email/order_placed.txt", context)
            html = render_to_string("notifications/email/order_placed.html", context)
            transaction.on_commit(
                lambda: send_mail(
                    subject, text, settings.DEFAULT_FROM_EMAIL, [customer.email], html_message=html
                )
            )
        return order


class OrderList(generics.ListCreateAPIView):
    """The signed-in customer's orders, newest first; POST places one."""

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

    def create(self, request, *args, **kwargs):
        """Place the order the body describes; answer with it as the list renders it."""
        serializer = OrderCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        order = serializer.save()
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)
