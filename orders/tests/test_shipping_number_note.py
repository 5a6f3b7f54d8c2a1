"""Orders carry where they go, a number and a note (API.md "Orders: shipping, number, note")."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tests.factories import AddressFactory, UserFactory
from catalog.models import Product
from catalog.tests.factories import ProductFactory
from orders import services
from orders.models import Order
from orders.tests.factories import SHIPPING_ADDRESS, OrderFactory
from shop import transactions
from shop.errors import InvalidInput

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"
ADDRESSES = "/api/v1/accounts/me/addresses/"


def items_of(product, quantity=1) -> list[dict]:
    return [{"product": str(product.pk), "quantity": quantity}]


def test_an_inline_address_is_kept_with_the_order(customer_client):
    product = ProductFactory(stock=5)
    address = {**SHIPPING_ADDRESS, "country": "us", "phone": "(415) 555-2671"}
    response = customer_client.post(
        ORDERS,
        {"items": items_of(product), "shipping_address": address, "note": " Ring twice "},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["shipping_address"] == {**SHIPPING_ADDRESS, "country": "US", "phone": "+14155552671"}
    assert body["note"] == "Ring twice"
    assert (
        customer_client.get(f"{ORDERS}{body['id']}/").json()["shipping_address"] == body["shipping_address"]
    )


def test_a_saved_address_is_copied_and_later_edits_or_deletion_do_not_change_the_order(customer_client, user):
    saved = AddressFactory(customer=user)
    product = ProductFactory(stock=5)
    response = customer_client.post(
        ORDERS, {"items": items_of(product), "shipping_address_id": str(saved.pk)}, format="json"
    )
    assert response.status_code == 201, response.json()
    order_id = response.json()["id"]
    snapshot = response.json()["shipping_address"]
    assert snapshot["line1"] == saved.line1 and snapshot["country"] == "US"
    assert "id" not in snapshot and "is_default" not in snapshot

    customer_client.patch(f"{ADDRESSES}{saved.pk}/", {"line1": "9 Elsewhere Road"}, format="json")
    assert customer_client.get(f"{ORDERS}{order_id}/").json()["shipping_address"] == snapshot
    customer_client.delete(f"{ADDRESSES}{saved.pk}/")
    assert customer_client.get(f"{ORDERS}{order_id}/").json()["shipping_address"] == snapshot


@pytest.mark.parametrize(
    "extra",
    [{}, {"shipping_address": SHIPPING_ADDRESS, "shipping_address_id": "1"}],
    ids=["neither", "both"],
)
def test_neither_or_both_is_400_on_shipping_address_and_nothing_is_reserved(customer_client, extra):
    product = ProductFactory(stock=5)
    response = customer_client.post(ORDERS, {"items": items_of(product), **extra}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["shipping_address"]
    assert Product.objects.get(pk=product.pk).stock == 5
    assert not Order.objects.exists()


@pytest.mark.parametrize("address_id", ["someone else's", "65277a812b73bb530ad77307", "nope", "999999"])
def test_an_address_id_that_is_not_the_customers_is_400_on_shipping_address_id(customer_client, address_id):
    if address_id == "someone else's":
        address_id = str(AddressFactory(customer=UserFactory()).pk)
    product = ProductFactory(stock=5)
    response = customer_client.post(
        ORDERS, {"items": items_of(product), "shipping_address_id": address_id}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["shipping_address_id"]
    assert Product.objects.get(pk=product.pk).stock == 5
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"phone": "12"}, "phone"),
        ({"city": ""}, "city"),
        ({"line1": "x" * 201}, "line1"),
    ],
)
def test_a_bad_inline_address_is_400_naming_the_field(customer_client, change, field):
    product = ProductFactory(stock=5)
    body = {"items": items_of(product), "shipping_address": {**SHIPPING_ADDRESS, **change}}
    response = customer_client.post(ORDERS, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["shipping_address"]
    assert list(response.json()["shipping_address"]) == [field]
    assert not Order.objects.exists()


def test_unknown_fields_inside_the_address_are_400(customer_client):
    product = ProductFactory(stock=5)
    body = {"items": items_of(product), "shipping_address": {**SHIPPING_ADDRESS, "is_default": True}}
    response = customer_client.post(ORDERS, body, format="json")
    assert response.status_code == 400
    assert response.json()["shipping_address"] == {
        "is_default": ["Unknown field: this endpoint does not accept it."]
    }


def test_a_note_over_500_characters_is_400_on_note(customer_client):
    product = ProductFactory(stock=5)
    body = {"items": items_of(product), "shipping_address": SHIPPING_ADDRESS, "note": "x" * 501}
    response = customer_client.post(ORDERS, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["note"]
    body["note"] = "x" * 500
    assert customer_client.post(ORDERS, body, format="json").status_code == 201


def test_numbers_are_digits_unique_and_increasing_from_1001(customer_client, user):
    product = ProductFactory(stock=50)
    numbers = []
    for _ in range(3):
        response = customer_client.post(
            ORDERS, {"items": items_of(product), "shipping_address": SHIPPING_ADDRESS}, format="json"
        )
        numbers.append(response.json()["number"])
    assert numbers == ["1001", "1002", "1003"]
    listed = customer_client.get(ORDERS).json()["results"]
    assert [order["number"] for order in listed] == ["1003", "1002", "1001"]


def test_a_failed_order_does_not_use_up_a_number(customer_client):
    product = ProductFactory(stock=1)
    body = {"items": items_of(product, 2), "shipping_address": SHIPPING_ADDRESS}
    assert customer_client.post(ORDERS, body, format="json").status_code == 409
    body["items"] = items_of(product, 1)
    assert customer_client.post(ORDERS, body, format="json").json()["number"] == "1001"


def test_legacy_and_service_orders_without_an_address_have_null_and_still_get_numbers(user):
    first = OrderFactory(customer=user)
    second = OrderFactory(customer=user)
    assert (first.shipping_address, first.note) == (None, "")
    assert second.number == first.number + 1


def test_an_insert_that_loses_its_number_to_a_concurrent_order_takes_the_next(user, monkeypatch):
    """Without a transaction two orders may read the same number: the unique index lets one keep it."""
    OrderFactory(customer=user)  # 1001
    stale = iter([1001])
    real_next = services.order_number_next
    monkeypatch.setattr(services, "order_number_next", lambda: next(stale, None) or real_next())
    with transactions.transactions_disabled():
        order = OrderFactory(customer=user)
    assert order.number == 1002
    assert sorted(Order.objects.values_list("number", flat=True)) == [1001, 1002]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock")
@pytest.mark.django_db(transaction=True)
def test_an_sqlite_transaction_numbers_its_order_without_a_savepoint(user):
    """Under SQLite's write lock no other order can take the number read: no savepoint to recover to."""
    product = ProductFactory(stock=5)
    first = services.order_create(customer=user, items=items_of(product))
    with CaptureQueriesContext(connection) as captured:
        second = services.order_create(customer=user, items=items_of(product))
    statements = [query["sql"].split(None, 1)[0].upper() for query in captured.captured_queries]
    # The catalog is read before the transaction (outside the write lock).
    assert statements[:2] == ["SELECT", "BEGIN"] and "COMMIT" in statements
    assert "SAVEPOINT" not in statements and "RELEASE" not in statements
    assert second.number == first.number + 1


def test_the_service_refuses_both_kinds_of_address(user):
    product = ProductFactory(stock=5)
    with pytest.raises(InvalidInput) as raised:
        services.order_create(
            customer=user, items=items_of(product), shipping_address=SHIPPING_ADDRESS, shipping_address_id="1"
        )
    assert raised.value.field == "shipping_address"
