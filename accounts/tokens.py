"""JSON Web Tokens that carry the user's ``token_version`` (DESIGN.md "Tokens")."""

from __future__ import annotations

from rest_framework_simplejwt.tokens import RefreshToken

TOKEN_VERSION_CLAIM = "ver"  # noqa: S105 - a claim name, not a secret


class ShopRefreshToken(RefreshToken):
    """A refresh token whose claims (and those of its access token) include ``ver``."""

    @classmethod
    def for_user(cls, user):
        """Return a refresh token for ``user`` stamped with the user's token version."""
        token = super().for_user(user)
        token[TOKEN_VERSION_CLAIM] = user.token_version
        return token


def issue_token_pair(user) -> dict[str, str]:
    """Return ``{"access": ..., "refresh": ...}`` for ``user``."""
    refresh = ShopRefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}
