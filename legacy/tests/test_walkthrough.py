"""The original service's walkthrough (LEGACY.md rows 1 to 4), replayed as a Postman user would.

Every request is sent as JSON through the HTTP API with the original paths and
bodies, against the real demo catalog (``load_demo_catalog`` has electronics/Phone).
The original's example password ``09876`` is refused by the password validators,
so a strong one is used (the refusal itself is tested in ``test_accounts``).
"""

from __future__ import annotations

import jwt
import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import DEFAULT_PASSWORD
from catalog.models import Product
from legacy.tests.helpers import (
    CANCEL,
    LOGIN,
    ORDER,
    REGISTER,
    STATUS,
    STRONG_PASSWORD,
    UPDATE,
    bearer,
    message_of,
    user_path,
    with_order_id,
)
from orders.models import Order, OrderStatus

pytestmark = pytest.mark.django_db

EXAMPLE_ORDER = {"type": "electronics", "products": "Phone", "Quantity": 3}


def phone_stock() -> int:
    return Product.objects.get(category_id="electronics", name="Phone").stock


def test_the_original_walkthrough_works_end_to_end(staff_user):
    call_command("load_demo_catalog", verbosity=0)
    anonymous = APIClient(enforce_csrf_checks=True)
    stock_before = phone_stock()

    # 1. Register.
    response = anonymous.post(
        REGISTER,
        {"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com", "password": STRONG_PASSWORD},
        format="json",
    )
    assert response.status_code == 201
    ann = User.objects.get(email="ann@example.com")
    assert response.json() == {"message": "User registered successfully", "user_id": str(ann.pk)}

    # 2. Log in: two JWTs, the access token living 15 minutes.
    response = anonymous.post(LOGIN, {"email": "ann@example.com", "password": STRONG_PASSWORD}, format="json")
    assert response.status_code == 200
    assert set(response.json()) == {"access_token", "refresh_token"}
    access = response.json()["access_token"]
    claims = jwt.decode(access, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 900
    assert claims["user_id"] == str(ann.pk)
    customer = bearer(access)
    customer.handler.enforce_csrf_checks = True  # bearer only: no CSRF token is ever needed

    # 3a. Create the example order (with the original's ignored "status").
    response = customer.post(ORDER, {**EXAMPLE_ORDER, "status": "SHIPPED"}, format="json")
    assert response.status_code == 201
    order = Order.objects.get(customer=ann)
    assert response.json() == {"id": str(order.pk), "message": "Order created successfully"}
    assert order.status == OrderStatus.IN_PROGRESS
    assert phone_stock() == stock_before - 3

    # 3b. List: a real JSON list in the original keys, then more.
    response = customer.get(ORDER)
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["data", "message"]
    assert body["message"] == "orders"
    assert isinstance(body["data"], list) and len(body["data"]) == 1
    listed = body["data"][0]
    assert list(listed)[:6] == ["_id", "type", "products", "quantity", "status", "customer_id"]
    assert {key: listed[key] for key in list(listed)[:6]} == {
        "_id": str(order.pk),
        "type": "electronics",
        "products": "Phone",
        "quantity": 3,
        "status": "IN_PROGRESS",
        "customer_id": str(ann.pk),
    }
    assert listed["total"] == "2097.00"  # 3 x 699.00, as a decimal string
    assert listed["currency"] == "USD"
    assert listed["items"][0]["name"] == "Phone"

    # 3c. Status.
    response = customer.get(with_order_id(STATUS, order.pk))
    assert response.status_code == 200
    assert response.json() == {"data": "IN_PROGRESS", "message": "status"}

    # 3d. Update as the customer: shipping is staff's business (403), nothing changes.
    response = customer.put(with_order_id(UPDATE, order.pk), {"status": "Shipped"}, format="json")
    assert "cancel" in message_of(response, 403)
    assert customer.get(with_order_id(STATUS, order.pk)).json()["data"] == "IN_PROGRESS"

    # 3d. Update as staff (a token from the v1 login works here too).
    staff_access = APIClient().post(
        "/api/v1/auth/token/", {"email": staff_user.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    staff = bearer(staff_access.json()["access"])
    response = staff.put(with_order_id(UPDATE, order.pk), {"status": "Shipped"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"id": str(order.pk), "message": "order status updated"}
    assert customer.get(with_order_id(STATUS, order.pk)).json() == {"data": "SHIPPED", "message": "status"}

    # 3d. Update as the customer to cancelled: allowed on an order still in progress.
    second = customer.post(ORDER, EXAMPLE_ORDER, format="json").json()["id"]
    response = customer.put(with_order_id(UPDATE, second), {"status": "cancelled"}, format="json")
    assert response.status_code == 200
    assert response.json() == {"id": second, "message": "order status updated"}
    assert customer.get(with_order_id(STATUS, second)).json()["data"] == "CANCELLED"

    # 3e. Cancel.
    third = customer.post(ORDER, EXAMPLE_ORDER, format="json").json()["id"]
    response = customer.put(with_order_id(CANCEL, third))
    assert response.status_code == 200
    assert response.json() == {"id": third, "message": "order canceled"}
    assert customer.get(with_order_id(STATUS, third)).json()["data"] == "CANCELLED"
    # Only the shipped order still holds stock.
    assert phone_stock() == stock_before - 3
    assert [row["_id"] for row in customer.get(ORDER).json()["data"]] == [third, second, str(order.pk)]

    # 4. Delete the account: with the token, and only once.
    assert message_of(APIClient().delete(user_path(ann.pk)), 401)
    response = customer.delete(user_path(ann.pk))
    assert response.status_code == 200
    assert response.json() == {"message": "Your account is deleted successfully"}
    assert not User.objects.filter(pk=ann.pk).exists()
    assert message_of(customer.get(ORDER), 401)
    response = anonymous.post(LOGIN, {"email": "ann@example.com", "password": STRONG_PASSWORD}, format="json")
    assert message_of(response, 401)
    # The orders stay for the shop's books, detached from the person.
    assert Order.objects.filter(pk=order.pk, customer=None).exists()
