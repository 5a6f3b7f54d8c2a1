"""Every way to prove a password shares one lockout; sessions end with tokens; registrations are limited."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User, UserSession
from accounts.tests.factories import DEFAULT_PASSWORD
from accounts.tests.helpers import LOGOUT_ALL, ME, PASSWORD, REGISTER, STRONG_PASSWORD, login
from catalog.tests.factories import ProductFactory
from conftest import bearer_client
from orders.models import OrderStatus
from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

LIMIT = 10
ADDRESS = "10.9.0.1"
ADMIN_LOGIN = "/admin/login/?next=/admin/"
API_LOGIN = "/api-auth/login/"


def html_login(path: str, email: str, password: str, *, address: str = ADDRESS) -> tuple[Client, object]:
    client = Client(REMOTE_ADDR=address)
    response = client.post(path, {"username": email, "password": password, "next": "/admin/"})
    return client, response


def lock_out(user, *, address: str = ADDRESS) -> None:
    for _ in range(LIMIT):
        assert login(APIClient(), user.email, "wrong", address=address).status_code == 401


@pytest.mark.parametrize("path", [ADMIN_LOGIN, API_LOGIN])
def test_a_lockout_at_the_token_endpoint_holds_at_the_html_logins(path, staff_user):
    lock_out(staff_user)
    client, response = html_login(path, staff_user.email, DEFAULT_PASSWORD)
    assert response.status_code == 200  # the form again, refusing
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert not UserSession.objects.filter(user=staff_user).exists()


@pytest.mark.parametrize("path", [ADMIN_LOGIN, API_LOGIN])
def test_failures_at_the_html_logins_count_for_the_token_endpoint(path, user):
    for _ in range(LIMIT):
        _client, response = html_login(path, user.email, "wrong")
        assert response.status_code == 200
    assert login(APIClient(), user.email, address=ADDRESS).status_code == 429


def test_the_html_login_still_works_with_the_right_password(staff_user):
    client, response = html_login(ADMIN_LOGIN, staff_user.email, DEFAULT_PASSWORD)
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_the_legacy_login_shares_the_lockout(user):
    for _ in range(LIMIT):
        APIClient().post("/login", {"email": user.email, "password": "wrong"}, REMOTE_ADDR=ADDRESS)
    assert login(APIClient(), user.email, address=ADDRESS).status_code == 429


def test_wrong_current_passwords_count_and_a_locked_out_password_change_is_429(user):
    client = bearer_client(user)
    for _ in range(LIMIT):
        response = client.post(
            PASSWORD,
            {"current_password": "wrong", "new_password": STRONG_PASSWORD},
            format="json",
            REMOTE_ADDR=ADDRESS,
        )
        assert response.status_code == 400
    refused = client.post(
        PASSWORD,
        {"current_password": DEFAULT_PASSWORD, "new_password": STRONG_PASSWORD},
        format="json",
        REMOTE_ADDR=ADDRESS,
    )
    assert refused.status_code == 429
    assert login(APIClient(), user.email, address=ADDRESS).status_code == 429


# --- Sessions end with tokens -----------------------------------------------------------------


def browsable_session(user) -> Client:
    client, response = html_login(API_LOGIN, user.email, DEFAULT_PASSWORD, address="10.9.1.1")
    assert response.status_code == 302
    assert client.get("/api/v1/accounts/me/", HTTP_ACCEPT="application/json").status_code == 200
    return client


def assert_session_dead(client: Client) -> None:
    assert client.get("/api/v1/accounts/me/", HTTP_ACCEPT="application/json").status_code == 401


def test_logout_all_ends_the_browser_sessions_too(user):
    session = browsable_session(user)
    assert bearer_client(user).post(LOGOUT_ALL).status_code == 204
    assert_session_dead(session)
    assert not UserSession.objects.filter(user=user).exists()


def test_a_password_change_ends_the_browser_sessions_too(user):
    session = browsable_session(user)
    response = bearer_client(user).post(
        PASSWORD, {"current_password": DEFAULT_PASSWORD, "new_password": STRONG_PASSWORD}, format="json"
    )
    assert response.status_code == 204
    assert_session_dead(session)


def test_deleting_the_account_ends_the_browser_sessions_too(user):
    session = browsable_session(user)
    assert bearer_client(user).delete(ME).status_code == 204
    assert_session_dead(session)


def test_a_session_whose_row_survived_is_refused_once_the_token_version_moved(user):
    session = browsable_session(user)
    # Even if a session row were missed, its auth hash carries the token version.
    User.objects.filter(pk=user.pk).update(token_version=user.token_version + 1)
    assert_session_dead(session)


def test_a_password_set_in_the_admin_kills_the_users_tokens_and_sessions(user, staff_user):
    staff_user.is_superuser = True
    staff_user.save()
    session = browsable_session(user)
    tokens = bearer_client(user)
    admin = Client()
    admin.force_login(staff_user)
    response = admin.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content
    assert tokens.get(ME).status_code == 401
    assert_session_dead(session)
    assert login(APIClient(), user.email, STRONG_PASSWORD, address="10.9.2.1").status_code == 200


def test_deleting_a_user_in_the_admin_cancels_their_open_orders_and_returns_the_stock(user, staff_user):
    staff_user.is_superuser = True
    staff_user.save()
    product = ProductFactory(stock=10)
    order = OrderFactory(customer=user, items=[(product, 4)])
    admin = Client()
    admin.force_login(staff_user)
    response = admin.post(f"/admin/accounts/user/{user.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=user.pk).exists()
    order.refresh_from_db()
    product.refresh_from_db()
    assert (order.status, order.customer_id, product.stock) == (OrderStatus.CANCELLED, None, 10)


# --- Registration is rate-limited per client address ----------------------------------------------


@pytest.mark.parametrize("path", [REGISTER, "/register"])
def test_registration_is_rate_limited_per_client_address(path, settings):
    settings.REGISTRATION_LIMIT = 3
    for number in range(3):
        body = {
            "email": f"new{number}@example.com",
            "password": STRONG_PASSWORD,
            "first_name": "N",
            "last_name": "W",
        }
        assert APIClient().post(path, body, format="json", REMOTE_ADDR="10.8.0.1").status_code == 201
    body = {"email": "new9@example.com", "password": STRONG_PASSWORD, "first_name": "N", "last_name": "W"}
    refused = APIClient().post(path, body, format="json", REMOTE_ADDR="10.8.0.1")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert not User.objects.filter(email="new9@example.com").exists()
    assert APIClient().post(path, body, format="json", REMOTE_ADDR="10.8.0.2").status_code == 201


def test_registrations_refused_for_bad_input_still_count(settings):
    settings.REGISTRATION_LIMIT = 2
    weak = {"email": "weak@example.com", "password": "1234", "first_name": "W", "last_name": "K"}
    assert APIClient().post(REGISTER, weak, format="json", REMOTE_ADDR="10.8.1.1").status_code == 400
    assert APIClient().post(REGISTER, weak, format="json", REMOTE_ADDR="10.8.1.1").status_code == 400
    assert APIClient().post(REGISTER, weak, format="json", REMOTE_ADDR="10.8.1.1").status_code == 429
