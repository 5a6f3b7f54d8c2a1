"""Helpers of the accounts tests: endpoint paths, forged tokens, login calls."""

from __future__ import annotations

import base64
import json
import time

from rest_framework.test import APIClient

from accounts.tests.factories import DEFAULT_PASSWORD
from accounts.tokens import ShopRefreshToken

REGISTER = "/api/v1/auth/register/"
TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
LOGOUT = "/api/v1/auth/logout/"
LOGOUT_ALL = "/api/v1/auth/logout-all/"
ME = "/api/v1/accounts/me/"
PASSWORD = "/api/v1/accounts/me/password/"

STRONG_PASSWORD = "Tall-Maple-Orbit-93"


def login(client: APIClient, email: str, password: str = DEFAULT_PASSWORD, *, address: str = "10.0.0.1"):
    """POST the token endpoint from ``address`` and return the response."""
    return client.post(TOKEN, {"email": email, "password": password}, REMOTE_ADDR=address)


def bearer(token: str) -> APIClient:
    """Return a fresh client that sends ``token`` as its bearer token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def forged_pair(user, *, issued_ago: int, refresh_lifetime: int | None = None, access_lifetime: int = 900):
    """Return ``(access, refresh)`` of ``user`` issued ``issued_ago`` seconds ago.

    The tokens are signed with the real key: only their clock is forged.
    """
    refresh = ShopRefreshToken.for_user(user)
    now = int(time.time())
    iat = now - issued_ago
    refresh["iat"] = iat
    refresh["exp"] = iat + (refresh_lifetime if refresh_lifetime is not None else 7 * 24 * 3600)
    access = refresh.access_token
    access["iat"] = iat
    access["exp"] = iat + access_lifetime
    return str(access), str(refresh)


def b64(data: dict) -> str:
    """Return base64url JSON without padding, as in a JWT segment."""
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def claims(token: str) -> dict:
    """Return the (unverified) payload of a JWT."""
    segment = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
