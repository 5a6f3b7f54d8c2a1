"""The orders API (API.md "Orders"): one viewset on the router, thin actions over selectors and services.

``/api/v1/orders/`` lists and places orders, ``/api/v1/orders/{order_id}/`` shows one,
and the ``cancel`` and ``status`` actions move it. Each action validates its body with
an input serializer, calls one service, and renders the order with ``OrderSerializer``
(staff also see the customer's email and links to the actions).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_view
from rest_framework import status as http_status
from rest_framework.decorators import action
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.response import Response

from catalog.selectors import product_for_examples
from orders import page_cache, schema, selectors, services
from orders.models import Actor, Order
from orders.representation import order_fragment
from orders.serializers import (
    OrderCreateInputSerializer,
    OrderSerializer,
    OrderStatusInputSerializer,
    order_links_builder,
)
from shop.api.pagination import ShopCursorPagination
from shop.api.serializers import EmptyInputSerializer, validated_input
from shop.api.views import ShopViewSet

IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"


@extend_schema_view(
    list=schema.ORDER_LIST,
    create=schema.ORDER_CREATE,
    retrieve=schema.ORDER_RETRIEVE,
    cancel=schema.ORDER_CANCEL,
    set_status=schema.ORDER_SET_STATUS,
)
class OrderViewSet(ShopViewSet):
    """Your orders, newest first (staff: every customer's).

    Place an order by sending the lines you want: {"items": [{"product": "<product id>",
    "quantity": 1}]}. Prices come from the catalog, and the stock of every line is
    reserved, or none at all. Open an order to see its lines and its history. An order
    that is still IN_PROGRESS can be cancelled, which returns its stock; staff move
    orders along IN_PROGRESS, SHIPPED, DELIVERED.
    """

    list_name = "Orders"
    detail_name = "Order"
    permission_classes = [IsAuthenticated]
    serializer_class = OrderSerializer
    input_serializers = {
        "create": OrderCreateInputSerializer,
        "cancel": EmptyInputSerializer,
        "set_status": OrderStatusInputSerializer,
    }
    pagination_class = ShopCursorPagination
    lookup_url_kwarg = "order_id"
    # For the OpenAPI generator only; requests read through orders.selectors.
    queryset = Order.objects.none()

    def list(self, request):
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
        # The orders as rendered when written (orders.representation): embedded undecoded
        # for the customer; staff also get the customer's email and the links.
        staff = request.user.is_staff
        rows = self.paginate_queryset(selectors.order_page_rows(orders))
        results = selectors.order_page_render(rows=rows, with_customer_email=staff)
        if staff:
            links = order_links_builder(request=request)
            for order in results:
                order["links"] = links(order["id"])
        response = self.get_paginated_response(results)
        if cache_key:
            page_cache.order_page_store_when_rendered(response, cache_key)
        return response

    def create(self, request):
        """Place an order; with an Idempotency-Key a repeat returns the first order."""
        data = validated_input(OrderCreateInputSerializer, request.data)
        key = request.headers.get(IDEMPOTENCY_KEY_HEADER)
        # The body as sent, so "equal as parsed JSON" is what counts, not the coerced values.
        fingerprint = services.idempotency_fingerprint(body=request.data) if key is not None else None
        order = services.order_create(
            customer=request.user,
            items=data["items"],
            shipping_address=data.get("shipping_address"),
            shipping_address_id=data.get("shipping_address_id"),
            note=data["note"],
            idempotency_key=key,
            request_fingerprint=fingerprint,
        )
        # The order as written (or, for a replay, as read): nothing is read again.
        placed = selectors.order_details_load(orders=[order])[0]
        return Response(self.render(placed), status=http_status.HTTP_201_CREATED)

    def retrieve(self, request, order_id: str):
        """Return the order (someone else's: 404)."""
        return Response(self.render(selectors.order_get(user=request.user, order_id=order_id)))

    @action(detail=True, methods=["post"], name="Cancel order")
    def cancel(self, request, order_id: str):
        """Cancel this order and return its stock to the catalog.

        Only an order that is still IN_PROGRESS can be cancelled. Send no body, or {}.
        """
        validated_input(EmptyInputSerializer, request.data)
        order = selectors.order_get(user=request.user, order_id=order_id)
        services.order_cancel(order=order, by=services.order_actor(user=request.user), by_user=request.user)
        return Response(self.render_current(order))

    @action(
        detail=True,
        methods=["post"],
        url_path="status",
        url_name="status",
        name="Change order status",
        permission_classes=[IsAdminUser],
    )
    def set_status(self, request, order_id: str):
        """Staff: move this order to its next status, for example {"status": "SHIPPED"}.

        The legal moves are IN_PROGRESS to SHIPPED or CANCELLED, and SHIPPED to DELIVERED.
        Cancelling returns the stock.
        """
        to_status = validated_input(OrderStatusInputSerializer, request.data)["status"]
        order = selectors.order_get(user=request.user, order_id=order_id)
        services.order_set_status(order=order, to_status=to_status, by=Actor.STAFF, by_user=request.user)
        return Response(self.render_current(order))

    def render(self, order: Order):
        """Return the representation of ``order`` (detailed by the selectors) for the caller.

        A customer gets its rendering as written (``Order.rendered``), embedded undecoded.
        """
        if not self.request.user.is_staff and order.rendered is not None:
            return order_fragment(pk=order.pk, rendered=order.rendered)
        if self.request.user.is_staff:
            selectors.order_customer_emails_attach(orders=[order])
        return OrderSerializer(order, context=self.get_serializer_context()).data

    def render_current(self, order: Order):
        """Return the representation of ``order`` as it is now, read again after a change."""
        return self.render(selectors.order_get(user=self.request.user, order_id=order.pk))

    def get_form_example(self, action: str | None):
        """Start the order form from one unit of a product the catalog has in stock."""
        if action != "create":
            return None
        product = product_for_examples()
        return schema.order_create_example(product_id=str(product.pk) if product else None)
