"""The happy-path examples of the served OpenAPI document succeed against the demo catalog.

This is what a person does in Swagger UI after ``make run``: each request below is
the document's own first example for the operation, sent as it is (path ids from the
examples where the document gives one, else from the answers before, as a person
copies an id). Register, log in, read and change the account, browse, place the
example order, follow and cancel it; as the demo staff member create and change a
product and ship an order; then change the password and close the account.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.management.commands.ensure_demo_staff import DEMO_STAFF_EMAIL, DEMO_STAFF_PASSWORD

pytestmark = pytest.mark.django_db


class Walkthrough:
    """Send each operation's first documented example with the given client."""

    def __init__(self, document: dict):
        self.document = document

    def operation(self, method: str, path: str) -> dict:
        return self.document["paths"][path][method]

    def body(self, method: str, path: str):
        content = self.operation(method, path)["requestBody"]["content"]["application/json"]
        return next(iter(content["examples"].values()))["value"]

    def path_example(self, method: str, path: str, name: str) -> str | None:
        for parameter in self.operation(method, path).get("parameters", []):
            if parameter["in"] == "path" and parameter["name"] == name and parameter.get("examples"):
                return next(iter(parameter["examples"].values()))["value"]
        return None

    def send(self, client: APIClient, method: str, path: str, *, expect: int, **ids):
        """Send the example of ``method path`` and return the response, which must have status ``expect``."""
        url = path
        for name, value in ids.items():
            url = url.replace(f"{{{name}}}", value or self.path_example(method, path, name))
        operation = self.operation(method, path)
        data = self.body(method, path) if "requestBody" in operation else None
        response = getattr(client, method)(url, data, format="json")
        assert response.status_code == expect, (method, url, data, response.content)
        assert str(expect) in operation["responses"]
        return response


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_the_documented_examples_walk_through_the_shop(settings):
    settings.DEBUG = True  # ensure_demo_staff only runs in development, as in make run
    call_command("ensure_demo_staff", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("load_demo_catalog", stdout=open("/dev/null", "w"))  # noqa: SIM115
    anonymous = APIClient()
    walk = Walkthrough(anonymous.get("/api/v1/schema/", {"format": "json"}).json())

    walk.send(anonymous, "post", "/api/v1/auth/register/", expect=201)
    tokens = walk.send(anonymous, "post", "/api/v1/auth/token/", expect=200).json()
    ann = bearer(tokens["access"])
    walk.send(ann, "get", "/api/v1/accounts/me/", expect=200)
    assert walk.send(ann, "patch", "/api/v1/accounts/me/", expect=200).json()["last_name"] == "Lee-Smith"
    walk.send(anonymous, "get", "/api/v1/categories/", expect=200)
    walk.send(anonymous, "get", "/api/v1/products/", expect=200)
    phone = walk.send(anonymous, "get", "/api/v1/products/{id}/", expect=200, id=None).json()
    assert phone["name"] == "Phone"

    order = walk.send(ann, "post", "/api/v1/orders/", expect=201).json()
    assert order["items"][0]["product"] == phone["id"]
    assert order["total"] == phone["price"]
    walk.send(ann, "get", "/api/v1/orders/", expect=200)
    walk.send(ann, "get", "/api/v1/orders/{order_id}/", expect=200, order_id=order["id"])
    cancelled = walk.send(ann, "post", "/api/v1/orders/{order_id}/cancel/", expect=200, order_id=order["id"])
    assert cancelled.json()["status"] == "CANCELLED"

    staff_tokens = anonymous.post(
        "/api/v1/auth/token/", {"email": DEMO_STAFF_EMAIL, "password": DEMO_STAFF_PASSWORD}, format="json"
    ).json()
    staff = bearer(staff_tokens["access"])
    walk.send(staff, "post", "/api/v1/products/", expect=201)
    changed = walk.send(staff, "patch", "/api/v1/products/{id}/", expect=200, id=None).json()
    assert changed["price"] == "649.00"
    second = walk.send(ann, "post", "/api/v1/orders/", expect=201).json()
    shipped = walk.send(staff, "post", "/api/v1/orders/{order_id}/status/", expect=200, order_id=second["id"])
    assert shipped.json()["status"] == "SHIPPED"

    walk.send(ann, "post", "/api/v1/auth/logout-all/", expect=204)
    tokens = anonymous.post(
        "/api/v1/auth/token/", walk.body("post", "/api/v1/auth/token/"), format="json"
    ).json()
    ann = bearer(tokens["access"])
    walk.send(ann, "post", "/api/v1/accounts/me/password/", expect=204)
    tokens = anonymous.post(
        "/api/v1/auth/token/",
        {
            "email": walk.body("post", "/api/v1/auth/token/")["email"],
            "password": "another-Horse-battery-2027",
        },
        format="json",
    ).json()
    walk.send(bearer(tokens["access"]), "delete", "/api/v1/accounts/me/", expect=204)


def test_the_token_examples_succeed_with_the_tokens_of_a_login(db):
    anonymous = APIClient()
    walk = Walkthrough(anonymous.get("/api/v1/schema/", {"format": "json"}).json())
    walk.send(anonymous, "post", "/api/v1/auth/register/", expect=201)
    tokens = walk.send(anonymous, "post", "/api/v1/auth/token/", expect=200).json()
    # The examples show where the login's refresh token goes; a person pastes theirs.
    assert set(walk.body("post", "/api/v1/auth/token/refresh/")) == {"refresh"}
    refreshed = anonymous.post("/api/v1/auth/token/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert refreshed.status_code == 200
    logout = bearer(refreshed.json()["access"]).post(
        "/api/v1/auth/logout/", {"refresh": refreshed.json()["refresh"]}, format="json"
    )
    assert logout.status_code == 204
