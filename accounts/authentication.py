"""Bearer-token authentication that honours token revocation at no extra query."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from accounts.models import User
from accounts.tokens import TOKEN_VERSION_CLAIM
from shop.db import RowLookup, primary_key_parse

# The one query of every authenticated request: compiled once (shop.db.RowLookup).
USER_BY_PK = RowLookup(User, "pk")


class ShopJWTAuthentication(JWTAuthentication):
    """simplejwt's authentication, plus the ``ver`` claim check (DESIGN.md "Tokens").

    The user row is loaded for every authenticated request anyway; comparing the
    token's version with the row's costs nothing more.
    """

    def get_validated_token(self, raw_token):
        """Return the verified token; claims of the wrong type or range are 401, never a 500.

        simplejwt turns an ``exp`` past the year 9999 into a datetime unguarded.
        """
        try:
            return super().get_validated_token(raw_token)
        except (OverflowError, ValueError, TypeError):
            raise InvalidToken("Token has a claim out of range", code="token_not_valid") from None

    def get_user(self, validated_token):
        """Return the active user of the token; refuse revoked or dangling tokens."""
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError:
            raise AuthenticationFailed(
                "Token contained no recognizable user identification", code="token_not_valid"
            ) from None
        pk = primary_key_parse(model=self.user_model, value=user_id)
        try:
            user = None if pk is None else USER_BY_PK(pk=pk)
        except (ValidationError, ValueError, TypeError):
            user = None
        if user is None:
            raise AuthenticationFailed("User not found", code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        if validated_token.get(TOKEN_VERSION_CLAIM) != user.token_version:
            raise AuthenticationFailed("Token has been revoked", code="token_revoked")
        return user
