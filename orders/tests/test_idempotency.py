"""``Idempotency-Key`` on order creation (API.md "Orders"), through the API and the service."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.models import Product
from catalog.tests.factories import ProductFactory
from conftest import bearer_client
from orders.errors import IdempotencyKeyInProgress, IdempotencyKeyReused, InvalidIdempotencyKey
from orders.models import IdempotencyRecord, Order, OrderStatus
from orders.services import idempotency_fingerprint, order_create
from orders.tests.factories import SHIPPING_ADDRESS

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def stock_of(product) -> int:
    return Product.objects.get(pk=product.pk).stock


def body_for(product, quantity=1):
    return {
        "shipping_address": SHIPPING_ADDRESS,
        "items": [{"product": str(product.pk), "quantity": quantity}],
    }


def post(client, body, key):
    return client.post(ORDERS, body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_same_key_and_body_replays_the_first_order_without_reserving_again(customer_client):
    product = ProductFactory(stock=10)
    first = post(customer_client, body_for(product, 3), "key-1")
    assert first.status_code == 201

    again = post(customer_client, body_for(product, 3), "key-1")

    assert again.status_code == 201
    assert again.json() == first.json()
    assert Order.objects.count() == 1
    assert stock_of(product) == 7


def test_replay_shows_the_orders_current_state(user, customer_client):
    product = ProductFactory(stock=10)
    first = post(customer_client, body_for(product, 3), "key-1").json()
    customer_client.post(f"{ORDERS}{first['id']}/cancel/")

    again = post(customer_client, body_for(product, 3), "key-1")

    assert again.status_code == 201
    assert again.json()["id"] == first["id"]
    assert again.json()["status"] == OrderStatus.CANCELLED
    assert stock_of(product) == 10


def test_replay_works_even_when_the_product_went_inactive_since(customer_client):
    product = ProductFactory(stock=10)
    first = post(customer_client, body_for(product), "key-1").json()
    Product.objects.filter(pk=product.pk).update(is_active=False)
    again = post(customer_client, body_for(product), "key-1")
    assert again.status_code == 201
    assert again.json()["id"] == first["id"]


def test_equal_json_in_another_form_is_the_same_body(customer_client):
    product = ProductFactory(stock=10)
    first = customer_client.post(
        ORDERS,
        json.dumps(
            {"items": [{"product": str(product.pk), "quantity": 2}], "shipping_address": SHIPPING_ADDRESS}
        ),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    again = customer_client.post(
        ORDERS,
        f'{{ "shipping_address": {json.dumps(SHIPPING_ADDRESS, indent=2)},'
        f' "items" : [ {{ "quantity" : 2.0, "product" : "{product.pk}" }} ] }}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert stock_of(product) == 8


def test_same_key_with_another_body_is_422_and_changes_nothing(customer_client):
    product = ProductFactory(stock=10)
    assert post(customer_client, body_for(product, 1), "key-1").status_code == 201

    response = post(customer_client, body_for(product, 2), "key-1")

    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1
    assert stock_of(product) == 9


def test_a_string_quantity_is_refused_before_the_key_is_looked_at(customer_client):
    # "1" is not the JSON number 1: refused (400) as input, so the key's order is untouched.
    product = ProductFactory(stock=10)
    first = post(customer_client, body_for(product, 1), "key-1")
    body = {"shipping_address": SHIPPING_ADDRESS, "items": [{"product": str(product.pk), "quantity": "1"}]}
    assert post(customer_client, body, "key-1").status_code == 400
    assert post(customer_client, body_for(product, 1), "key-1").json()["id"] == first.json()["id"]
    assert stock_of(product) == 9


def test_keys_are_per_user(user, customer_client):
    product = ProductFactory(stock=10)
    mine = post(customer_client, body_for(product), "shared").json()
    theirs = post(bearer_client(UserFactory()), body_for(product), "shared")
    assert theirs.status_code == 201
    assert theirs.json()["id"] != mine["id"]
    assert stock_of(product) == 8


def test_without_a_key_every_request_creates_an_order(customer_client):
    product = ProductFactory(stock=10)
    customer_client.post(ORDERS, body_for(product), format="json")
    customer_client.post(ORDERS, body_for(product), format="json")
    assert Order.objects.count() == 2
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "tab\there", "new\nline", "\x7f"])
def test_malformed_keys_are_400(customer_client, key):
    product = ProductFactory(stock=10)
    response = customer_client.post(
        ORDERS, body_for(product), format="json", headers={"Idempotency-Key": key}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"
    assert stock_of(product) == 10
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.parametrize("key", ["a", "x" * 255, " spaced key ~!", "550e8400-e29b-41d4-a716-446655440000"])
def test_printable_ascii_keys_of_1_to_255_chars_are_accepted(customer_client, key):
    product = ProductFactory(stock=10)
    assert post(customer_client, body_for(product), key).status_code == 201
    assert post(customer_client, body_for(product), key).status_code == 201
    assert stock_of(product) == 9


def test_a_failed_request_stores_nothing_so_the_key_can_be_retried(customer_client):
    product = ProductFactory(stock=1)
    short = post(customer_client, body_for(product, 2), "retry-me")
    assert short.status_code == 409
    assert not IdempotencyRecord.objects.exists()

    invalid = post(customer_client, {"shipping_address": SHIPPING_ADDRESS, "items": []}, "retry-me")
    assert invalid.status_code == 400
    assert not IdempotencyRecord.objects.exists()

    # Same key, another body: allowed, since nothing was stored for the failures.
    ok = post(customer_client, body_for(product, 1), "retry-me")
    assert ok.status_code == 201
    assert stock_of(product) == 0


def test_a_key_still_in_progress_is_409(user, customer_client):
    product = ProductFactory(stock=10)
    body = body_for(product)
    # The first request has claimed the key and not finished yet.
    IdempotencyRecord.objects.create(
        user=user, key="busy", request_fingerprint=idempotency_fingerprint(body=body), order=None
    )
    response = post(customer_client, body, "busy")
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_progress"
    assert stock_of(product) == 10
    assert not Order.objects.exists()


def test_records_older_than_24_hours_are_replaced(user, customer_client):
    product = ProductFactory(stock=10)
    first = post(customer_client, body_for(product, 1), "daily").json()
    IdempotencyRecord.objects.filter(user=user).update(
        created_at=timezone.now() - timedelta(hours=24, seconds=1)
    )

    again = post(customer_client, body_for(product, 2), "daily")

    assert again.status_code == 201
    assert again.json()["id"] != first["id"]
    assert stock_of(product) == 7
    record = IdempotencyRecord.objects.get(user=user, key="daily")
    assert str(record.order_id) == again.json()["id"]


def test_a_claim_abandoned_by_a_dead_process_frees_the_key_after_10_minutes(user, customer_client):
    product = ProductFactory(stock=10)
    body = body_for(product)
    IdempotencyRecord.objects.create(
        user=user,
        key="orphan",
        request_fingerprint=idempotency_fingerprint(body=body),
        order=None,
        created_at=timezone.now() - timedelta(minutes=10, seconds=1),
    )
    response = post(customer_client, body, "orphan")
    assert response.status_code == 201
    assert str(IdempotencyRecord.objects.get(user=user, key="orphan").order_id) == response.json()["id"]


def test_records_just_inside_24_hours_still_replay(user, customer_client):
    product = ProductFactory(stock=10)
    first = post(customer_client, body_for(product, 1), "daily").json()
    IdempotencyRecord.objects.filter(user=user).update(
        created_at=timezone.now() - timedelta(hours=23, minutes=59)
    )
    assert post(customer_client, body_for(product, 1), "daily").json()["id"] == first["id"]
    assert stock_of(product) == 9


# --- the service directly ---------------------------------------------------------------


def test_service_replays_and_refuses_like_the_api(user):
    product = ProductFactory(stock=10)
    items = [{"product": str(product.pk), "quantity": 1}]
    order = order_create(customer=user, items=items, idempotency_key="k")
    assert order_create(customer=user, items=items, idempotency_key="k").pk == order.pk
    with pytest.raises(IdempotencyKeyReused):
        order_create(customer=user, items=[{"product": str(product.pk), "quantity": 2}], idempotency_key="k")
    with pytest.raises(InvalidIdempotencyKey):
        order_create(customer=user, items=items, idempotency_key="")
    assert stock_of(product) == 9


def test_service_reports_in_progress(user):
    product = ProductFactory(stock=10)
    items = [{"product": str(product.pk), "quantity": 1}]
    IdempotencyRecord.objects.create(
        user=user,
        key="k",
        request_fingerprint=idempotency_fingerprint(body={"items": items}),
    )
    with pytest.raises(IdempotencyKeyInProgress):
        order_create(customer=user, items=items, idempotency_key="k")


def test_fingerprint_ignores_key_order_and_integral_float_form_but_not_values():
    assert idempotency_fingerprint(body={"a": 1, "b": [1, 2]}) == idempotency_fingerprint(
        body={"b": [1, 2.0], "a": 1}
    )
    assert idempotency_fingerprint(body={"a": [1, 2]}) != idempotency_fingerprint(body={"a": [2, 1]})
    assert idempotency_fingerprint(body={"a": 1}) != idempotency_fingerprint(body={"a": "1"})
    assert idempotency_fingerprint(body={"a": 1}) != idempotency_fingerprint(body={"a": 1.5})
