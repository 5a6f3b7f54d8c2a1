"""The accounts API (API.md "Accounts and tokens"): token endpoints and the account viewset.

The token endpoints (``auth/...``) are plain views on simplejwt's base, as the token
layer has them; the caller's account (``accounts/me/``) and saved addresses
(``accounts/me/addresses/``) are viewsets on the router.
Both are thin: an input serializer, one service, an output serializer.
"""

from __future__ import annotations

from django.contrib.auth import SESSION_KEY
from django.contrib.auth import logout as session_logout
from drf_spectacular.utils import extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenViewBase

from accounts import schema, selectors, services
from accounts.models import Address
from accounts.serializers import (
    AddressInputSerializer,
    AddressSerializer,
    DetailSerializer,
    PasswordChangeInputSerializer,
    PasswordResetConfirmInputSerializer,
    PasswordResetInputSerializer,
    ProfileSerializer,
    ProfileUpdateInputSerializer,
    RefreshInputSerializer,
    RegisteredUserSerializer,
    RegisterInputSerializer,
    TokenObtainInputSerializer,
    TokenPairSerializer,
)
from shop import services as shop_services
from shop.api.serializers import EmptyInputSerializer, validated_input
from shop.api.views import ShopViewSet
from shop.http import client_address


def end_session(request) -> None:
    """Log a session-authenticated caller out of the browsable API too."""
    if SESSION_KEY in request.session:
        session_logout(request._request)


class PublicTokenView(TokenViewBase):
    """Base of the anonymous token endpoints.

    simplejwt's TokenViewBase brings no authentication (a stale bearer header must not
    block a login) and ``WWW-Authenticate: Bearer realm="api"`` on 401.
    """

    authentication_classes = ()
    permission_classes = (AllowAny,)


@extend_schema_view(post=schema.REGISTER)
class RegisterView(PublicTokenView):
    """Create a customer account: your email, a password, and your names if you like.

    Then log in at auth/token to get a token, or on the login page of this browsable API.
    """

    name = "Register"
    serializer_class = RegisterInputSerializer

    def post(self, request, *args, **kwargs):
        """Register and return the new account (201)."""
        user = services.user_register(
            **validated_input(RegisterInputSerializer, request.data), client_address=client_address(request)
        )
        return Response(RegisteredUserSerializer(user).data, status=status.HTTP_201_CREATED)


@extend_schema_view(post=schema.TOKEN_OBTAIN)
class TokenObtainView(PublicTokenView):
    """Log in with your email and password to get an access token and a refresh token.

    Send the access token as "Authorization: Bearer <access>"; it lasts 15 minutes.
    Trade the refresh token for a new pair at auth/token/refresh.
    """

    name = "Log in (get a token)"
    serializer_class = TokenObtainInputSerializer

    def post(self, request, *args, **kwargs):
        """Return ``{access, refresh}``; 401 on wrong credentials, 429 when throttled."""
        data = validated_input(TokenObtainInputSerializer, request.data)
        pair = services.token_obtain(
            email=data["email"], password=data["password"], client_address=client_address(request)
        )
        return Response(TokenPairSerializer(pair).data)


@extend_schema_view(post=schema.TOKEN_REFRESH)
class TokenRefreshView(PublicTokenView):
    """Trade a refresh token for a new access token and refresh token; the one sent dies."""

    name = "Refresh the token"
    serializer_class = RefreshInputSerializer

    def post(self, request, *args, **kwargs):
        """Return a new ``{access, refresh}``; the refresh token sent is dead afterwards."""
        pair = services.token_refresh(
            refresh=validated_input(RefreshInputSerializer, request.data)["refresh"]
        )
        return Response(TokenPairSerializer(pair).data)


@extend_schema_view(post=schema.PASSWORD_RESET)
class PasswordResetView(PublicTokenView):
    """Forgot your password? Send your email and we mail you a link to choose a new one.

    The answer is the same whether or not the address has an account. The link expires
    (in an hour by default) and works once.
    """

    name = "Reset password"
    serializer_class = PasswordResetInputSerializer

    def post(self, request, *args, **kwargs):
        """Mail a reset link if the address has an account; 202 either way."""
        services.password_reset_start(
            email=validated_input(PasswordResetInputSerializer, request.data)["email"],
            client_address=client_address(request),
        )
        return Response(
            DetailSerializer({"detail": services.RESET_LINK_SENT_MESSAGE}).data,
            status=status.HTTP_202_ACCEPTED,
        )


@extend_schema_view(post=schema.PASSWORD_RESET_CONFIRM)
class PasswordResetConfirmView(PublicTokenView):
    """Choose a new password with the uid and token of the link we mailed you.

    Every token and session of your account dies; log in again with the new password.
    """

    name = "Choose a new password"
    serializer_class = PasswordResetConfirmInputSerializer

    def post(self, request, *args, **kwargs):
        """Set the new password (204); a wrong, used or expired token is 400 on token."""
        data = validated_input(PasswordResetConfirmInputSerializer, request.data)
        services.password_reset_confirm(
            uid=data["uid"],
            token=data["token"],
            new_password=data["new_password"],
            client_address=client_address(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    def get_form_example(self, action: str | None):
        """Start the form from the uid and token of the link that opened this page."""
        uid, token = self.request.query_params.get("uid"), self.request.query_params.get("token")
        if uid is None and token is None:
            return None
        return {"uid": uid or "", "token": token or "", "new_password": ""}


@extend_schema_view(post=schema.LOGOUT)
class LogoutView(APIView):
    """Log out one session: the refresh token sent can no longer be used."""

    name = "Log out"
    permission_classes = (IsAuthenticated,)
    serializer_class = RefreshInputSerializer

    def post(self, request):
        """Revoke the refresh token sent (204)."""
        services.logout(
            user=request.user, refresh=validated_input(RefreshInputSerializer, request.data)["refresh"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(post=schema.LOGOUT_ALL)
class LogoutAllView(APIView):
    """Log out everywhere: every token of your account dies at once, and this browser session ends."""

    name = "Log out everywhere"
    permission_classes = (IsAuthenticated,)
    serializer_class = EmptyInputSerializer

    def post(self, request):
        """Revoke every token of the caller (204)."""
        validated_input(EmptyInputSerializer, request.data)
        services.logout_all(user=request.user)
        end_session(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AccountViewSet(ShopViewSet):
    """Your account: see it, change your names, change your password, or close it.

    Closing the account cancels your open orders and deletes your personal data; the
    shop keeps the orders for its books, without your name.
    """

    permission_classes = (IsAuthenticated,)
    serializer_class = ProfileSerializer
    input_serializers = {
        "me_update": ProfileUpdateInputSerializer,
        "password": PasswordChangeInputSerializer,
    }

    # Each method carries its own OpenAPI description: drf-spectacular's extend_schema_view
    # does not reach the methods mapped onto an action (me.mapping.patch).
    @schema.ME_RETRIEVE
    @action(detail=False, methods=["get"], url_path="me", url_name="me", name="Your account")
    def me(self, request):
        """Your account: see it, change your names, or close it."""
        return Response(ProfileSerializer(request.user).data)

    @me.mapping.patch
    @schema.ME_UPDATE
    def me_update(self, request):
        """Change the caller's names and return the account."""
        user = services.user_update(
            user=request.user, **validated_input(ProfileUpdateInputSerializer, request.data)
        )
        return Response(ProfileSerializer(user).data)

    @me.mapping.delete
    @schema.ME_DELETE
    def me_delete(self, request):
        """Close the caller's account (204); every token and session of it dies."""
        shop_services.account_close(user=request.user)
        end_session(request)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @schema.PASSWORD_CHANGE
    @action(
        detail=False, methods=["post"], url_path="me/password", url_name="me-password", name="Change password"
    )
    def password(self, request):
        """Change your password: send the current one and the new one. Every token and session dies."""
        data = validated_input(PasswordChangeInputSerializer, request.data)
        services.user_password_change(
            user=request.user,
            current_password=data["current_password"],
            new_password=data["new_password"],
            client_address=client_address(request),
        )
        end_session(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=schema.ADDRESS_LIST,
    create=schema.ADDRESS_CREATE,
    retrieve=schema.ADDRESS_RETRIEVE,
    partial_update=schema.ADDRESS_UPDATE,
    destroy=schema.ADDRESS_DELETE,
)
class AddressViewSet(ShopViewSet):
    """Your saved addresses, to ship orders to.

    Save one with your name, street, city, postal code and country (an ISO code such as
    US or DE); the phone is optional. Your first address is the default; place an order
    with "shipping_address_id" set to one of these, or send the address itself.
    """

    list_name = "Your addresses"
    detail_name = "Address"
    permission_classes = (IsAuthenticated,)
    serializer_class = AddressSerializer
    input_serializers = {"create": AddressInputSerializer, "partial_update": AddressInputSerializer}
    lookup_url_kwarg = "address_id"
    pagination_class = None  # A customer keeps few addresses: the list is a plain array.
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    # For the OpenAPI generator only; requests read through accounts.selectors.
    queryset = Address.objects.none()

    def list(self, request):
        """Return the caller's addresses as a plain list (a customer has few)."""
        addresses = selectors.address_list(user=request.user)
        return Response(AddressSerializer(addresses, many=True).data)

    def create(self, request):
        """Save a new address (201)."""
        data = dict(validated_input(AddressInputSerializer, request.data))
        is_default = data.pop("is_default", False)
        address = services.address_create(user=request.user, fields=data, is_default=is_default)
        return Response(AddressSerializer(address).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, address_id: str):
        """Return one of the caller's addresses (someone else's: 404)."""
        return Response(
            AddressSerializer(selectors.address_get(user=request.user, address_id=address_id)).data
        )

    def partial_update(self, request, address_id: str):
        """Change the fields sent and return the address."""
        address = selectors.address_get(user=request.user, address_id=address_id)
        data = dict(validated_input(AddressInputSerializer, request.data, partial=True))
        is_default = data.pop("is_default", None)
        address = services.address_update(address=address, fields=data, is_default=is_default)
        return Response(AddressSerializer(address).data)

    def destroy(self, request, address_id: str):
        """Delete one of the caller's addresses (204)."""
        services.address_delete(address=selectors.address_get(user=request.user, address_id=address_id))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def get_form_example(self, action: str | None):
        """Start the new-address form from the documented example."""
        return schema.ADDRESS_FIELDS_EXAMPLE if action == "create" else None
