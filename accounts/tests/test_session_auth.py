"""Session authentication beside JWT: the browsable API login, with CSRF on unsafe requests."""

import pytest
from rest_framework.test import APIClient

from accounts.tests.factories import DEFAULT_PASSWORD
from accounts.tests.helpers import ME

pytestmark = pytest.mark.django_db


@pytest.fixture
def session_client(user):
    """Return a client logged in through /api-auth/login/ as a human would, CSRF enforced."""
    client = APIClient(enforce_csrf_checks=True)
    page = client.get("/api-auth/login/")
    assert page.status_code == 200
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/api-auth/login/",
        {"username": user.email.upper(), "password": DEFAULT_PASSWORD, "csrfmiddlewaretoken": token},
        format="multipart",
    )
    assert response.status_code == 302, response.content
    return client


def test_a_session_reads_the_account(session_client, user):
    response = session_client.get(ME)
    assert response.status_code == 200
    assert response.json()["email"] == user.email


def test_an_unsafe_session_request_without_csrf_is_403(session_client, user):
    response = session_client.patch(ME, {"first_name": "Mallory"})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "CSRF" in response.json()["detail"]
    user.refresh_from_db()
    assert user.first_name != "Mallory"


def test_an_unsafe_session_request_with_csrf_works(session_client, user):
    token = session_client.cookies["csrftoken"].value
    response = session_client.patch(ME, {"first_name": "Alice"}, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.first_name == "Alice"


def test_bearer_requests_need_no_csrf(customer_client):
    customer_client.handler.enforce_csrf_checks = True
    assert customer_client.patch(ME, {"first_name": "Bob"}).status_code == 200


def test_an_anonymous_request_is_401_with_www_authenticate_bearer():
    response = APIClient(enforce_csrf_checks=True).patch(ME, {"first_name": "Eve"})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json()["code"] == "not_authenticated"


def test_deleting_the_account_ends_the_session(session_client, user):
    token = session_client.cookies["csrftoken"].value
    assert session_client.delete(ME, HTTP_X_CSRFTOKEN=token).status_code == 204
    assert session_client.get(ME).status_code == 401
