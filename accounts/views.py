"""Views of the accounts endpoints: thin adapters from HTTP to ``accounts.services``."""

from __future__ import annotations

from django.contrib.auth import SESSION_KEY
from django.contrib.auth import logout as session_logout
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenViewBase

from accounts import services
from accounts.serializers import (
    PasswordChangeInputSerializer,
    ProfileSerializer,
    ProfileUpdateInputSerializer,
    RefreshInputSerializer,
    RegisteredUserSerializer,
    RegisterInputSerializer,
    TokenObtainInputSerializer,
    TokenPairSerializer,
)
from shop.api.schema import error_responses
from shop.api.serializers import EmptyInputSerializer, validated_input
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


class RegisterView(PublicTokenView):
    """``POST auth/register/``: create a customer account."""

    serializer_class = RegisterInputSerializer

    @extend_schema(request=RegisterInputSerializer, responses={201: RegisteredUserSerializer})
    def post(self, request, *args, **kwargs):
        """Register and return the new account (201)."""
        user = services.user_register(
            **validated_input(RegisterInputSerializer, request.data), client_address=client_address(request)
        )
        return Response(RegisteredUserSerializer(user).data, status=status.HTTP_201_CREATED)


class TokenObtainView(PublicTokenView):
    """``POST auth/token/``: trade email and password for an access and a refresh token."""

    serializer_class = TokenObtainInputSerializer

    @extend_schema(
        request=TokenObtainInputSerializer,
        responses={
            200: TokenPairSerializer,
            **error_responses(
                401,
                429,
                s401="Wrong email or password (`invalid_credentials`), one message for both.",
                s429="Too many failed logins for this address or email (`login_throttled`).",
            ),
        },
    )
    def post(self, request, *args, **kwargs):
        """Return ``{access, refresh}``; 401 on wrong credentials, 429 when throttled."""
        data = validated_input(TokenObtainInputSerializer, request.data)
        pair = services.token_obtain(
            email=data["email"], password=data["password"], client_address=client_address(request)
        )
        return Response(TokenPairSerializer(pair).data)


class TokenRefreshView(PublicTokenView):
    """``POST auth/token/refresh/``: rotate a refresh token into a new pair."""

    serializer_class = RefreshInputSerializer

    @extend_schema(
        request=RefreshInputSerializer,
        responses={
            200: TokenPairSerializer,
            **error_responses(401, s401="Invalid, expired or already used (revoked) refresh token."),
        },
    )
    def post(self, request, *args, **kwargs):
        """Return a new ``{access, refresh}``; the refresh token sent is dead afterwards."""
        pair = services.token_refresh(
            refresh=validated_input(RefreshInputSerializer, request.data)["refresh"]
        )
        return Response(TokenPairSerializer(pair).data)


class LogoutView(APIView):
    """``POST auth/logout/``: kill one refresh token of the caller."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(request=RefreshInputSerializer, responses={204: OpenApiResponse(description="Logged out")})
    def post(self, request):
        """Revoke the refresh token sent (204)."""
        services.logout(
            user=request.user, refresh=validated_input(RefreshInputSerializer, request.data)["refresh"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    """``POST auth/logout-all/``: kill every token of the caller, access tokens included."""

    permission_classes = (IsAuthenticated,)

    # The body is optional and, if sent, must be an empty object (any key is a 400).
    @extend_schema(
        request=EmptyInputSerializer, responses={204: OpenApiResponse(description="Every token revoked")}
    )
    def post(self, request):
        """Revoke every token of the caller (204)."""
        validated_input(EmptyInputSerializer, request.data)
        services.logout_all(user=request.user)
        end_session(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    """``GET/PATCH/DELETE accounts/me/``: the caller's own account."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={200: ProfileSerializer})
    def get(self, request):
        """Return the caller's account."""
        return Response(ProfileSerializer(request.user).data)

    @extend_schema(request=ProfileUpdateInputSerializer, responses={200: ProfileSerializer})
    def patch(self, request):
        """Change the caller's names and return the account."""
        user = services.user_update(
            user=request.user, **validated_input(ProfileUpdateInputSerializer, request.data)
        )
        return Response(ProfileSerializer(user).data)

    @extend_schema(responses={204: OpenApiResponse(description="Account deleted")})
    def delete(self, request):
        """Delete the caller's account (204); every token and session of it dies."""
        services.user_delete(user=request.user)
        end_session(request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(APIView):
    """``POST accounts/me/password/``: change the password; every token dies."""

    permission_classes = (IsAuthenticated,)

    @extend_schema(
        request=PasswordChangeInputSerializer,
        responses={
            204: OpenApiResponse(description="Password changed"),
            **error_responses(429, s429="Too many wrong current passwords (`login_throttled`)."),
        },
    )
    def post(self, request):
        """Check the current password, set the new one, revoke every token (204)."""
        data = validated_input(PasswordChangeInputSerializer, request.data)
        services.user_password_change(
            user=request.user,
            current_password=data["current_password"],
            new_password=data["new_password"],
            client_address=client_address(request),
        )
        end_session(request)
        return Response(status=status.HTTP_204_NO_CONTENT)
