"""Views of the legacy routes (LEGACY.md): thin adapters over the services v1 uses.

Each view validates the original body, calls a service, and answers with the
original keys. They authenticate by bearer token only (no session, hence no CSRF),
render JSON only, and answer every error as ``{"message": "..."}``
(``legacy.exceptions``).
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import schema as account_schema
from accounts import services as account_services
from accounts.authentication import ShopJWTAuthentication
from accounts.serializers import RegisterInputSerializer, TokenObtainInputSerializer
from legacy import services
from legacy.exceptions import legacy_exception_handler
from legacy.serializers import (
    LegacyIdMessageSerializer,
    LegacyMessageSerializer,
    LegacyOrderCreateInputSerializer,
    LegacyOrderListSerializer,
    LegacyRegisteredSerializer,
    LegacyStatusInputSerializer,
    LegacyStatusSerializer,
    LegacyTokenPairSerializer,
)
from orders import selectors as order_selectors
from orders import services as order_services
from shop.api.serializers import EmptyInputSerializer, validated_input
from shop.http import client_address

TAGS = ["legacy"]
ERROR = OpenApiResponse(LegacyMessageSerializer, description='{"message": "..."} naming what is wrong')
AUTH_ERRORS = {401: ERROR, 403: ERROR, 404: ERROR}
ORDER_ID = OpenApiParameter(
    services.ORDER_ID_PARAM, OpenApiTypes.STR, required=True, description="Id of the order (400 if malformed)"
)
CREDENTIALS = {"email": account_schema.EXAMPLE_EMAIL, "password": account_schema.EXAMPLE_PASSWORD}


class LegacyAPIView(APIView):
    """Base of the legacy views: bearer token only, JSON only, ``{"message"}`` errors."""

    authentication_classes = (ShopJWTAuthentication,)
    permission_classes = (IsAuthenticated,)
    renderer_classes = (JSONRenderer,)

    def get_exception_handler(self):
        """Return the handler that answers errors in the legacy shape."""
        return legacy_exception_handler


class RegisterView(LegacyAPIView):
    """``POST /register``: the v1 registration (same serializer, same service)."""

    # A stale bearer header must not stop anyone registering or logging in.
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        tags=TAGS,
        operation_id="legacy_register",
        summary="Register (original service)",
        description="The original service's registration: the same account as POST /api/v1/auth/register/.",
        examples=[
            OpenApiExample(
                "The original walkthrough, with a stronger password",
                value={"first_name": "Ann", "last_name": "Lee", **CREDENTIALS},
                request_only=True,
            )
        ],
        request=RegisterInputSerializer,
        responses={201: LegacyRegisteredSerializer, 400: ERROR},
    )
    def post(self, request):
        """Register a customer; 201 ``{"message", "user_id"}``."""
        user = account_services.user_register(
            **validated_input(RegisterInputSerializer, request.data), client_address=client_address(request)
        )
        body = {"message": "User registered successfully", "user_id": str(user.pk)}
        return Response(LegacyRegisteredSerializer(body).data, status=status.HTTP_201_CREATED)


class LoginView(LegacyAPIView):
    """``POST /login``: the v1 token endpoint under the original keys (same throttling)."""

    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        tags=TAGS,
        operation_id="legacy_login",
        summary="Log in (original service)",
        description=(
            "The original service's login: the tokens of POST /api/v1/auth/token/, under the keys "
            "access_token and refresh_token, with the same failed-login limit."
        ),
        examples=[OpenApiExample("Ann logs in", value=CREDENTIALS, request_only=True)],
        request=TokenObtainInputSerializer,
        responses={200: LegacyTokenPairSerializer, 400: ERROR, 401: ERROR, 429: ERROR},
    )
    def post(self, request):
        """Return ``{"access_token", "refresh_token"}``; 401 on wrong credentials, 429 when throttled."""
        data = validated_input(TokenObtainInputSerializer, request.data)
        pair = account_services.token_obtain(
            email=data["email"], password=data["password"], client_address=client_address(request)
        )
        body = {"access_token": pair["access"], "refresh_token": pair["refresh"]}
        return Response(LegacyTokenPairSerializer(body).data)


class OrderView(LegacyAPIView):
    """``POST /order`` places a one-line order; ``GET /order`` lists the caller's own orders."""

    @extend_schema(
        tags=TAGS,
        operation_id="legacy_order_create",
        summary="Place an order (original service)",
        description=(
            "Order a quantity of one product, named by its category (slug or name) and its name, in "
            "any case. A status sent along is ignored: a new order is IN_PROGRESS."
        ),
        examples=[
            OpenApiExample(
                "The original walkthrough",
                value={"type": "electronics", "products": "Phone", "Quantity": 3},
                request_only=True,
            )
        ],
        request=LegacyOrderCreateInputSerializer,
        responses={201: LegacyIdMessageSerializer, 400: ERROR, 401: ERROR, 409: ERROR},
    )
    def post(self, request):
        """Place the order; 201 ``{"id", "message"}``, 409 when the product is short."""
        data = validated_input(LegacyOrderCreateInputSerializer, request.data)
        product = services.legacy_product_resolve(category_text=data["type"], product_text=data["products"])
        order = services.legacy_order_create(customer=request.user, product=product, quantity=data["count"])
        body = {"id": str(order.pk), "message": "Order created successfully"}
        return Response(LegacyIdMessageSerializer(body).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        tags=TAGS,
        operation_id="legacy_order_list",
        summary="List your orders (original service)",
        description="Your own orders, newest first, with the original service's keys first.",
        responses={200: LegacyOrderListSerializer, 401: ERROR},
    )
    def get(self, request):
        """Return every order of the caller, newest first, in ``{"data": [...], "message": "orders"}``."""
        # The caller's own orders, staff included (v1 is where staff see everyone's);
        # one query for the orders and one for all their lines, however many there are.
        orders = list(order_selectors.order_list(user=request.user, own_only=True))
        order_selectors.order_details_attach(orders=orders, with_history=False)
        return Response(LegacyOrderListSerializer({"data": orders, "message": "orders"}).data)


class OrderStatusView(LegacyAPIView):
    """``GET /orders/status?order_id=``: the status of one order (someone else's: 404)."""

    @extend_schema(
        tags=TAGS,
        operation_id="legacy_order_status",
        summary="Get an order's status (original service)",
        description="The status of one of your orders (staff: any order).",
        parameters=[ORDER_ID],
        responses={200: LegacyStatusSerializer, 400: ERROR, **AUTH_ERRORS},
    )
    def get(self, request):
        """Return ``{"data": "<STATUS>", "message": "status"}``."""
        order_id = services.legacy_order_id_check(order_id=request.query_params.get(services.ORDER_ID_PARAM))
        order = order_selectors.order_get(user=request.user, order_id=order_id)
        return Response(LegacyStatusSerializer({"data": order.status, "message": "status"}).data)


class OrderUpdateView(LegacyAPIView):
    """``PUT /orders/update?order_id=``: staff move an order; a customer may only cancel theirs."""

    @extend_schema(
        tags=TAGS,
        operation_id="legacy_order_update",
        summary="Change an order's status (original service)",
        description=(
            "Staff make any legal move; a customer may only cancel their own order. The status text "
            'ignores case, spaces and underscores ("Shipped", "in progress").'
        ),
        examples=[OpenApiExample("Mark it shipped", value={"status": "Shipped"}, request_only=True)],
        parameters=[ORDER_ID],
        request=LegacyStatusInputSerializer,
        responses={200: LegacyIdMessageSerializer, 400: ERROR, **AUTH_ERRORS, 409: ERROR},
    )
    def put(self, request):
        """Move the order; 403 for a customer asking for anything but cancellation, 409 if illegal."""
        order_id = services.legacy_order_id_check(order_id=request.query_params.get(services.ORDER_ID_PARAM))
        data = validated_input(LegacyStatusInputSerializer, request.data)
        order = services.legacy_order_status_update(
            user=request.user, order_id=order_id, status_text=data["status"]
        )
        body = {"id": str(order.pk), "message": "order status updated"}
        return Response(LegacyIdMessageSerializer(body).data)


class OrderCancelView(LegacyAPIView):
    """``PUT /orders/cancel?order_id=``: cancel an IN_PROGRESS order and return its stock."""

    @extend_schema(
        tags=TAGS,
        operation_id="legacy_order_cancel",
        summary="Cancel an order (original service)",
        description="Cancel one of your orders (staff: any) while it is IN_PROGRESS; its stock goes back.",
        parameters=[ORDER_ID],
        request=None,
        responses={200: LegacyIdMessageSerializer, 400: ERROR, **AUTH_ERRORS, 409: ERROR},
    )
    def put(self, request):
        """Cancel the order (the caller's own; staff: any); 409 unless it is IN_PROGRESS."""
        order_id = services.legacy_order_id_check(order_id=request.query_params.get(services.ORDER_ID_PARAM))
        validated_input(EmptyInputSerializer, request.data)
        order = order_selectors.order_get(user=request.user, order_id=order_id)
        order_services.order_cancel(
            order=order, by=order_services.order_actor(user=request.user), by_user=request.user
        )
        body = {"id": str(order.pk), "message": "order canceled"}
        return Response(LegacyIdMessageSerializer(body).data)


class UserDeleteView(LegacyAPIView):
    """``DELETE /users/<user_id>``: delete one's own account (staff: any customer's)."""

    @extend_schema(
        tags=TAGS,
        operation_id="legacy_user_delete",
        summary="Close an account (original service)",
        description=(
            "Close your own account, as DELETE /api/v1/accounts/me/ does; staff may close any "
            "customer's account."
        ),
        responses={200: LegacyMessageSerializer, **AUTH_ERRORS},
    )
    def delete(self, request, user_id: str):
        """Delete the account; 200 ``{"message": "Your account is deleted successfully"}``."""
        services.legacy_user_delete(actor=request.user, user_id=user_id)
        return Response(LegacyMessageSerializer({"message": "Your account is deleted successfully"}).data)
