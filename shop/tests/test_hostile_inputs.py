"""Hostile input never reaches a 500: nesting, forged cursors and claims, id spellings, email forms, races.

Each class of fault from the hostile pass, attacked through HTTP with its variations
(issue 15): the answer is a clear 4xx naming the problem, and nothing is written.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import jwt
import pytest
from django.conf import settings
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import UserFactory
from accounts.tests.helpers import ME, REGISTER, STRONG_PASSWORD, TOKEN, bearer
from accounts.tokens import issue_token_pair
from catalog.tests.factories import ProductFactory
from conftest import bearer_client
from orders.models import Order
from orders.tests.factories import SHIPPING_ADDRESS, OrderFactory
from shop.api.parsers import MAX_JSON_DEPTH

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


# --- Nesting ----------------------------------------------------------------------------------------


def nested(depth: int, *, kind: str = "list") -> str:
    """Return JSON text nesting ``depth`` arrays (or objects) around a 1."""
    if kind == "list":
        return "[" * depth + "1" + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


@pytest.mark.parametrize("kind", ["list", "object"])
@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 500, 100_000])
@pytest.mark.parametrize("path", [TOKEN, REGISTER, ORDERS, "/login", "/order"])
def test_json_nested_too_deep_is_400_on_every_json_route(path, depth, kind, user):
    client = bearer_client(user) if path in (ORDERS, "/order") else APIClient()
    response = client.post(path, nested(depth, kind=kind), content_type="application/json")
    assert response.status_code == 400, response.content
    body = response.json()
    text = body.get("detail") or body.get("message")
    assert f"deeper than {MAX_JSON_DEPTH} levels" in text


def test_json_just_within_the_nesting_limit_is_parsed():
    response = APIClient().post(
        TOKEN, nested(MAX_JSON_DEPTH - 1, kind="object"), content_type="application/json"
    )
    assert response.status_code == 400
    assert "deeper than" not in json.dumps(response.json())  # refused for its shape, not its depth


# --- Forged cursors --------------------------------------------------------------------------------


def cursor(**fields) -> str:
    return base64.b64encode(urlencode(fields).encode()).decode()


@pytest.mark.parametrize(
    "token",
    [
        cursor(p="not-a-date"),
        cursor(p="2026-13-45 25:61:00+00:00"),
        cursor(p="2026-11-29 14:05:00"),  # no time zone
        cursor(p="2026-11-29"),
        cursor(p="9" * 400),
        cursor(o="5", r="1", p="'; DROP TABLE orders_order; --"),
        cursor(o="-3"),
        "%%%not-base64%%%",
        base64.b64encode(b"\xff\xfe\x00binary").decode(),
    ],
)
def test_a_forged_order_list_cursor_is_404(customer_client, token):
    response = customer_client.get(ORDERS, {"cursor": token})
    assert response.status_code == 404, response.content
    assert response.json()["code"] == "not_found"


def test_a_huge_cursor_offset_is_cut_off_not_an_error(customer_client):
    response = customer_client.get(ORDERS, {"cursor": cursor(o="99999999999999999999")})
    assert response.status_code == 200


def test_a_forged_position_is_404_and_a_real_cursor_still_pages(user, customer_client):
    for _ in range(3):
        OrderFactory(customer=user)
    first = customer_client.get(ORDERS, {"page_size": 2}).json()
    assert customer_client.get(first["next"]).status_code == 200
    assert customer_client.get(ORDERS, {"cursor": cursor(p="garbage")}).status_code == 404


# --- Token claims ------------------------------------------------------------------------------------


def forged(user, **claims) -> str:
    """Return a token signed with the real key whose claims are ``claims`` over a real access token's."""
    payload = jwt.decode(issue_token_pair(user)["access"], options={"verify_signature": False})
    payload.update(claims)
    payload = {key: value for key, value in payload.items() if value is not ...}
    return jwt.encode(payload, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")


@pytest.mark.parametrize(
    "claims",
    [
        {"user_id": {"$ne": None}},
        {"user_id": [1]},
        {"user_id": 1.5},
        {"user_id": True},
        {"user_id": 10**40},
        {"user_id": -1},
        {"user_id": " 1"},
        {"user_id": "0001"},
        {"user_id": ...},
        {"exp": 10**20},
        {"exp": "tomorrow"},
        {"exp": None},
        {"ver": "0"},
        {"ver": None},
        {"ver": 10**40},
        {"token_type": "refresh"},
        {"jti": ...},
    ],
    ids=repr,
)
def test_token_claims_of_the_wrong_type_or_range_are_401(user, claims):
    response = bearer(forged(user, **claims)).get(ME)
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_refresh_token_with_an_exp_past_year_9999_is_401(user):
    payload = jwt.decode(issue_token_pair(user)["refresh"], options={"verify_signature": False})
    payload["exp"] = 10**20
    token = jwt.encode(payload, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")
    response = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": token}, format="json")
    assert response.status_code == 401


# --- Ids: only the form the API emits --------------------------------------------------------------------


def spellings(pk: int) -> list[str]:
    text = str(pk)
    arabic = text.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    fullwidth = text.translate(str.maketrans("0123456789", "０１２３４５６７８９"))  # noqa: RUF001 - on purpose
    return [f" {text}", f"{text} ", f"0{text}", f"+{text}", arabic, fullwidth, f"{text}.0", f"{text}%20"]


def test_an_order_id_in_any_other_spelling_is_404(user, customer_client):
    order = OrderFactory(customer=user)
    assert customer_client.get(f"{ORDERS}{order.pk}/").status_code == 200
    for spelling in spellings(order.pk):
        assert customer_client.get(f"{ORDERS}{spelling}/").status_code == 404, repr(spelling)
        assert customer_client.post(f"{ORDERS}{spelling}/cancel/").status_code == 404, repr(spelling)


def test_a_product_id_in_any_other_spelling_is_404_and_400_on_items(customer_client):
    product = ProductFactory(stock=5)
    for spelling in spellings(product.pk):
        assert APIClient().get(f"/api/v1/products/{spelling}/").status_code == 404, repr(spelling)
        body = {"shipping_address": SHIPPING_ADDRESS, "items": [{"product": spelling, "quantity": 1}]}
        response = customer_client.post(ORDERS, body, format="json")
        assert response.status_code == 400 and "items" in response.json(), repr(spelling)
    assert not Order.objects.exists()


def test_a_legacy_order_id_in_another_spelling_is_400_or_404(user):
    order = OrderFactory(customer=user)
    client = bearer_client(user)
    for spelling in spellings(order.pk):
        response = client.get("/orders/status", {"order_id": spelling})
        assert response.status_code in (400, 404), repr(spelling)


# --- One account per address, whatever its form ------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "ANN@EXAMPLE.COM",
        "ann@ｅｘａｍｐｌｅ.com",  # noqa: RUF001 - fullwidth letters on purpose
        "ａｎｎ@example.com",  # noqa: RUF001
        "ann@EXAMPLE.com ",
        "ann@example.ｃｏｍ",  # noqa: RUF001
    ],
)
def test_an_address_in_compatibility_characters_is_the_same_account(spelling):
    UserFactory(email="ann@example.com")
    body = {"email": spelling, "password": STRONG_PASSWORD, "first_name": "A", "last_name": "B"}
    response = APIClient().post(REGISTER, body, format="json")
    assert response.status_code == 400
    assert "email" in response.json()
    assert User.objects.count() == 1
    # And it logs in to that account.
    login = APIClient().post(
        TOKEN, {"email": spelling, "password": "correct-horse-battery-staple-42"}, format="json"
    )
    assert login.status_code == 200


def test_an_internationalised_domain_is_stored_in_its_ascii_form():
    body = {"email": "Anna@Bücher.example", "password": STRONG_PASSWORD, "first_name": "A", "last_name": "B"}
    response = APIClient().post(REGISTER, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["email"] == "anna@xn--bcher-kva.example"
    again = {**body, "email": "anna@xn--bcher-kva.example"}
    assert APIClient().post(REGISTER, again, format="json").status_code == 400


# --- A request racing the deletion of its own account ----------------------------------------------------


def test_an_order_placed_by_an_account_deleted_meanwhile_is_refused_and_undone(user):
    product = ProductFactory(stock=5)
    client = bearer_client(user)
    # The account is deleted between authentication and the order's write (as by a racing request).
    from orders import services

    real_place = services._order_write

    def deleted_meanwhile(**kwargs):
        User.objects.filter(pk=user.pk).delete()
        return real_place(**kwargs)

    services._order_write = deleted_meanwhile
    try:
        response = client.post(
            ORDERS,
            {"shipping_address": SHIPPING_ADDRESS, "items": [{"product": str(product.pk), "quantity": 2}]},
            format="json",
        )
    finally:
        services._order_write = real_place
    assert response.status_code in (401, 404, 409), response.content
    product.refresh_from_db()
    assert product.stock == 5
    assert not Order.objects.exists()


# --- Headers ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/admin/login/", "/api-auth/login/", "/api/v1/docs/", "/api/v1/redoc/"])
def test_every_html_page_has_a_content_security_policy(path):
    response = Client().get(path)
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    script = policy.split("script-src", 1)[1].split(";", 1)[0]
    assert script.startswith(" 'self'") and "unsafe-inline" not in script
    assert "frame-ancestors 'none'" in policy


def test_the_redoc_start_up_script_carries_the_policy_nonce():
    response = Client().get("/api/v1/redoc/")
    nonce = response["Content-Security-Policy"].split("'nonce-", 1)[1].split("'", 1)[0]
    assert f'<script nonce="{nonce}">' in response.content.decode()


def test_the_browsable_api_has_a_policy_too(staff_user):
    client = Client()
    client.force_login(staff_user)
    response = client.get("/api/v1/products/", HTTP_ACCEPT="text/html")
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "onclick" not in response.content.decode()  # DRF's log-out link is a form button here


@pytest.mark.parametrize("path", [ME, ORDERS, "/order"])
def test_responses_with_personal_data_are_never_stored(path, user):
    response = bearer_client(user).get(path)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_token_answers_are_never_stored_though_no_credential_was_sent(user):
    response = APIClient().post(TOKEN, {"email": user.email, "password": "correct-horse-battery-staple-42"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    legacy = APIClient().post("/login", {"email": user.email, "password": "correct-horse-battery-staple-42"})
    assert "no-store" in legacy["Cache-Control"]


def test_anonymous_catalog_reads_stay_cacheable():
    response = APIClient().get("/api/v1/products/")
    assert "no-store" not in response.get("Cache-Control", "")


def test_a_logged_in_sessions_catalog_page_is_not_stored_either(user):
    client = Client()
    client.force_login(user)
    assert "no-store" in client.get("/api/v1/products/", HTTP_ACCEPT="application/json")["Cache-Control"]


def test_the_browsable_api_log_out_button_logs_out(user):
    client = Client()
    client.force_login(user)
    assert client.post("/api-auth/logout/").status_code in (200, 302)
    assert client.get(ME, HTTP_ACCEPT="application/json").status_code == 401
