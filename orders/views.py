"""Views of the orders API (API.md "Orders"): thin, they validate, call a service and render."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.response import Response

from orders import page_cache, selectors, services
from orders.models import Actor, Order, OrderStatus
from orders.serializers import (
    OrderCreateInputSerializer,
    OrderSerializer,
    OrderStatusInputSerializer,
)
from shop.api.pagination import ShopCursorPagination
from shop.api.schema import error_responses, insufficient_stock_response
from shop.api.serializers import EmptyInputSerializer, validated_input

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"


class OrderListCreateView(GenericAPIView):
    """List the caller's orders (staff: all), newest first; place an order."""

    permission_classes = [IsAuthenticated]
    serializer_class = OrderSerializer
    pagination_class = ShopCursorPagination
    # For the OpenAPI generator only; requests read through orders.selectors.
    queryset = Order.objects.none()

    @extend_schema(
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=OrderStatus.values),
            OpenApiParameter(
                "customer",
                OpenApiTypes.STR,
                description="Staff only: one customer's orders, by email (an unknown one gives none).",
            ),
        ],
        responses=OrderSerializer(many=True),
    )
    def get(self, request):
        """Return a cursor page of orders (a customer's from ``orders.page_cache`` when it has it)."""
        cache_key = page_cache.order_page_cache_key(request)
        cached = page_cache.order_page_cached(cache_key) if cache_key else None
        if cached is not None:
            return cached
        orders = selectors.order_list(
            user=request.user,
            status=request.query_params.get("status"),
            customer_email=request.query_params.get("customer"),
        )
        page = selectors.order_details_attach(orders=self.paginate_queryset(orders))
        response = self.get_paginated_response(OrderSerializer(page, many=True).data)
        if cache_key:
            page_cache.order_page_store_when_rendered(response, cache_key)
        return response

    @extend_schema(
        request=OrderCreateInputSerializer,
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_KEY_HEADER,
                {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
                OpenApiParameter.HEADER,
                description="1 to 255 printable ASCII characters; a repeat within 24 hours replays",
            )
        ],
        responses={
            201: OrderSerializer,
            409: insufficient_stock_response(
                "`insufficient_stock` (nothing reserved; `products` lists the short ones), or "
                "`idempotency_key_in_progress` while a request with the same key runs."
            ),
            **error_responses(422, s422="`idempotency_key_reused`: the key was used with a different body."),
        },
    )
    def post(self, request):
        """Place an order; with an Idempotency-Key a repeat returns the first order."""
        items = validated_input(OrderCreateInputSerializer, request.data)["items"]
        key = request.headers.get(IDEMPOTENCY_KEY_HEADER)
        # The body as sent, so "equal as parsed JSON" is what counts, not the coerced values.
        fingerprint = services.idempotency_fingerprint(body=request.data) if key is not None else None
        order = services.order_create(
            customer=request.user,
            items=items,
            idempotency_key=key,
            request_fingerprint=fingerprint,
        )
        order = selectors.order_get(user=request.user, order_id=order.pk)
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)


class OrderDetailView(GenericAPIView):
    """One order with its lines and history (someone else's: 404)."""

    permission_classes = [IsAuthenticated]
    serializer_class = OrderSerializer

    def get(self, request, order_id: str):
        """Return the order."""
        return Response(OrderSerializer(selectors.order_get(user=request.user, order_id=order_id)).data)


class OrderCancelView(GenericAPIView):
    """Cancel an ``IN_PROGRESS`` order and return its stock (the customer's own; staff: any)."""

    permission_classes = [IsAuthenticated]
    serializer_class = EmptyInputSerializer

    # The body is optional and, if sent, must be an empty object (any key is a 400).
    @extend_schema(
        request=EmptyInputSerializer,
        responses={
            200: OrderSerializer,
            **error_responses(409, s409="`invalid_transition`: the order is not IN_PROGRESS."),
        },
    )
    def post(self, request, order_id: str):
        """Cancel the order; 409 invalid_transition unless it is IN_PROGRESS."""
        validated_input(EmptyInputSerializer, request.data)
        order = selectors.order_get(user=request.user, order_id=order_id)
        services.order_cancel(order=order, by=services.order_actor(user=request.user), by_user=request.user)
        order = selectors.order_get(user=request.user, order_id=order.pk)
        return Response(OrderSerializer(order).data)


class OrderStatusView(GenericAPIView):
    """Staff: move an order to another status along the legal transitions."""

    permission_classes = [IsAdminUser]
    serializer_class = OrderStatusInputSerializer

    @extend_schema(
        request=OrderStatusInputSerializer,
        responses={
            200: OrderSerializer,
            **error_responses(409, s409="`invalid_transition`: not a legal move from the current status."),
        },
    )
    def post(self, request, order_id: str):
        """Move the order; 409 invalid_transition for an illegal move."""
        to_status = validated_input(OrderStatusInputSerializer, request.data)["status"]
        order = selectors.order_get(user=request.user, order_id=order_id)
        services.order_set_status(order=order, to_status=to_status, by=Actor.STAFF, by_user=request.user)
        order = selectors.order_get(user=request.user, order_id=order.pk)
        return Response(OrderSerializer(order).data)
