"""``/register``, ``/login``, ``/users/<id>`` and bearer authentication on the legacy routes."""

from __future__ import annotations

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import INVALID_CREDENTIALS_MESSAGE
from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from catalog.models import Product
from catalog.tests.factories import ProductFactory
from conftest import bearer_client
from legacy.tests.helpers import (
    LOGIN,
    ORDER,
    REGISTER,
    STRONG_PASSWORD,
    bearer,
    message_of,
    unknown_id,
    user_path,
)
from orders.models import Order, OrderStatus
from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

V1_REGISTER = "/api/v1/auth/register/"
V1_TOKEN = "/api/v1/auth/token/"
V1_ME = "/api/v1/accounts/me/"


def register(body, client=None):
    return (client or APIClient()).post(REGISTER, body, format="json")


def login(email, password=DEFAULT_PASSWORD, *, path=LOGIN, address="10.0.0.7"):
    return APIClient().post(path, {"email": email, "password": password}, format="json", REMOTE_ADDR=address)


# --- /register ----------------------------------------------------------------------------


def test_register_answers_the_real_user_id():
    response = register({"email": "Bob@Example.com", "password": STRONG_PASSWORD})
    assert response.status_code == 201
    user = User.objects.get(email="bob@example.com")
    assert response.json() == {"message": "User registered successfully", "user_id": str(user.pk)}


def test_register_refuses_a_taken_email_in_any_case_like_v1():
    UserFactory(email="ann@example.com")
    message = message_of(register({"email": "ANN@example.com", "password": STRONG_PASSWORD}), 400)
    v1 = APIClient().post(
        V1_REGISTER, {"email": "ANN@example.com", "password": STRONG_PASSWORD}, format="json"
    )
    assert message == f"email: {v1.json()['email'][0]}"


def test_register_refuses_the_originals_weak_password_naming_the_field():
    body = {"first_name": "Ann", "last_name": "Lee", "email": "ann@example.com", "password": "09876"}
    message = message_of(register(body), 400)
    assert message.startswith("password: ")
    assert "too short" in message
    assert not User.objects.filter(email="ann@example.com").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": STRONG_PASSWORD}, "email"),
        ({"email": "not-an-email", "password": STRONG_PASSWORD}, "email"),
        ({"email": "ann@example.com"}, "password"),
        ({"email": "ann@example.com", "password": 1234567890}, "password"),
        ({"email": "ann@example.com", "password": STRONG_PASSWORD, "is_staff": True}, "is_staff"),
    ],
)
def test_register_refuses_bad_bodies_naming_the_field(body, field):
    assert message_of(register(body), 400).startswith(f"{field}: ")
    assert not User.objects.exists()


def test_register_refuses_a_body_that_is_not_a_json_object():
    assert "dictionary" in message_of(register(["ann@example.com"]), 400)
    response = APIClient().post(REGISTER, "{not json", content_type="application/json")
    assert "JSON parse error" in message_of(response, 400)


def test_register_with_a_stale_bearer_header_still_works():
    response = register({"email": "ann@example.com", "password": STRONG_PASSWORD}, client=bearer("garbage"))
    assert response.status_code == 201


def test_wrong_method_is_405_in_the_legacy_shape():
    assert "GET" in message_of(APIClient().get(REGISTER), 405)
    assert "PATCH" in message_of(bearer_client(UserFactory()).patch(ORDER, {}, format="json"), 405)


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=100)
def test_oversized_body_is_413_in_the_legacy_shape():
    assert message_of(register({"email": "ann@example.com", "password": "x" * 200}), 413)


# --- /login -------------------------------------------------------------------------------


def test_login_tokens_work_on_v1_and_v1_tokens_work_on_legacy_routes(user):
    legacy_pair = login(user.email).json()
    me = bearer(legacy_pair["access_token"]).get(V1_ME)
    assert me.status_code == 200
    assert me.json()["id"] == str(user.pk)
    refreshed = APIClient().post(
        "/api/v1/auth/token/refresh/", {"refresh": legacy_pair["refresh_token"]}, format="json"
    )
    assert refreshed.status_code == 200

    v1_pair = login(user.email, path=V1_TOKEN).json()
    assert bearer(v1_pair["access"]).get(ORDER).status_code == 200


def test_login_with_wrong_credentials_is_401_with_the_v1_message(user):
    response = login(user.email, "wrong-password")
    assert message_of(response, 401) == INVALID_CREDENTIALS_MESSAGE
    assert message_of(login("nobody@example.com"), 401) == INVALID_CREDENTIALS_MESSAGE
    assert login(user.email, "wrong-password", path=V1_TOKEN).json()["detail"] == INVALID_CREDENTIALS_MESSAGE


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_login_failures_are_counted_with_v1_and_throttled_with_retry_after(user):
    login(user.email, "wrong-1")
    login(user.email, "wrong-2", path=V1_TOKEN)
    login(user.email, "wrong-3")
    response = login(user.email)  # the right password, too late
    assert "Too many" in message_of(response, 429)
    assert int(response["Retry-After"]) > 0
    assert login(user.email, path=V1_TOKEN).status_code == 429


def test_login_refuses_bad_bodies_naming_the_field():
    response = APIClient().post(LOGIN, {"email": "ann@example.com"}, format="json")
    assert message_of(response, 400) == "password: This field is required."


# --- bearer authentication ------------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Bearer not-a-jwt", "Basic YWJjOmRlZg=="])
def test_missing_or_invalid_token_is_401_with_www_authenticate(header):
    client = APIClient()
    if header:
        client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(ORDER)
    message_of(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_session_is_not_a_login_on_legacy_routes(user):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    assert message_of(client.get(ORDER), 401)
    assert message_of(client.post(ORDER, {"type": "x", "products": "y", "Quantity": 1}, format="json"), 401)


def test_a_revoked_token_is_401(user):
    client = bearer_client(user)
    bearer_client(user).post("/api/v1/auth/logout-all/", format="json")
    assert "revoked" in message_of(client.get(ORDER), 401)


# --- DELETE /users/<user_id> ----------------------------------------------------------------


def test_customer_deletes_own_account_like_v1(user):
    product = ProductFactory(stock=10)
    open_order = OrderFactory(customer=user, items=[(product, 4)])
    shipped = OrderFactory(customer=user, items=[(product, 1)], status=OrderStatus.SHIPPED)
    client = bearer_client(user)
    response = client.delete(user_path(user.pk))
    assert response.status_code == 200
    assert response.json() == {"message": "Your account is deleted successfully"}
    assert not User.objects.filter(pk=user.pk).exists()
    # Open orders are cancelled with restock; every order stays, detached from the person.
    assert Order.objects.get(pk=open_order.pk).status == OrderStatus.CANCELLED
    assert Order.objects.get(pk=shipped.pk).status == OrderStatus.SHIPPED
    assert not Order.objects.filter(customer__isnull=False).exists()
    assert Product.objects.get(pk=product.pk).stock == 9
    assert client.get(V1_ME).status_code == 401
    # The email can register again.
    assert register({"email": user.email, "password": STRONG_PASSWORD}).status_code == 201


@pytest.mark.parametrize("target", ["other", "staff", "unknown", "malformed"])
def test_customer_may_not_delete_any_other_id_and_learns_nothing(user, staff_user, target):
    other = UserFactory()
    user_id = {"other": other.pk, "staff": staff_user.pk, "unknown": unknown_id(), "malformed": "abc"}[target]
    response = bearer_client(user).delete(user_path(user_id))
    assert message_of(response, 403) == "You may delete only your own account."
    assert User.objects.filter(pk__in=[user.pk, other.pk, staff_user.pk]).count() == 3


def test_delete_needs_a_token(user):
    assert message_of(APIClient().delete(user_path(user.pk)), 401)
    assert User.objects.filter(pk=user.pk).exists()


def test_staff_delete_a_customer_account(staff_user, user):
    response = bearer_client(staff_user).delete(user_path(user.pk))
    assert response.status_code == 200
    assert not User.objects.filter(pk=user.pk).exists()


@pytest.mark.parametrize("user_id", [unknown_id, lambda: "abc"])
def test_staff_get_404_for_an_unknown_account(staff_user, user_id):
    assert message_of(bearer_client(staff_user).delete(user_path(user_id())), 404)


@pytest.mark.parametrize("kind", ["staff", "superuser"])
def test_staff_may_not_delete_staff_accounts(staff_user, kind):
    other = UserFactory(is_staff=kind == "staff", is_superuser=kind == "superuser")
    assert message_of(bearer_client(staff_user).delete(user_path(other.pk)), 403)
    assert User.objects.filter(pk=other.pk).exists()


def test_staff_may_delete_their_own_account_as_on_v1(staff_user):
    assert bearer_client(staff_user).delete(user_path(staff_user.pk)).status_code == 200
    assert not User.objects.filter(pk=staff_user.pk).exists()
