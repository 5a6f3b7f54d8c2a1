"""Helpers of the legacy tests: the original paths and assertions on the ``{"message"}`` shape."""

from __future__ import annotations

from django.db import connection
from rest_framework.test import APIClient

REGISTER = "/register"
LOGIN = "/login"
ORDER = "/order"
STATUS = "/orders/status"
UPDATE = "/orders/update"
CANCEL = "/orders/cancel"

STRONG_PASSWORD = "Tall-Maple-Orbit-93"


def unknown_id() -> str:
    """Return a well-formed id of the active backend that no row has (ObjectId hex or integer)."""
    return "65277a812b73bb530ad77307" if connection.vendor == "mongodb" else "987654321"


def user_path(user_id) -> str:
    """Return ``/users/<user_id>``."""
    return f"/users/{user_id}"


def with_order_id(path: str, order_id) -> str:
    """Return ``path?order_id=<order_id>``."""
    return f"{path}?order_id={order_id}"


def bearer(token: str) -> APIClient:
    """Return a fresh client that sends ``token`` as its bearer token."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def message_of(response, status_code: int) -> str:
    """Assert ``response`` is ``status_code`` with exactly ``{"message": "..."}``; return the message."""
    assert response.status_code == status_code, (response.status_code, response.content)
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["message"], body
    assert isinstance(body["message"], str) and body["message"]
    return body["message"]
