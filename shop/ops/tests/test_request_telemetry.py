"""Request ids and request logs (``shop.ops.middleware``), through HTTP."""

import re

import pytest
from django.test import Client

from shop.ops.middleware import REQUEST_ID_HEADER

GENERATED_ID = re.compile(r"[0-9a-f]{32}")
TOKEN = "/api/v1/auth/token/"


def test_a_valid_request_id_is_kept_and_echoed(api_client):
    response = api_client.get("/healthz", HTTP_X_REQUEST_ID="lb-7f3a.2026:01")
    assert response[REQUEST_ID_HEADER] == "lb-7f3a.2026:01"


@pytest.mark.parametrize("offered", [None, "", "has space", "x" * 129, "semi;colon", "<script>"])
def test_a_missing_or_invalid_request_id_is_replaced_by_a_new_one(api_client, offered):
    headers = {} if offered is None else {"HTTP_X_REQUEST_ID": offered}
    first = api_client.get("/healthz", **headers)[REQUEST_ID_HEADER]
    second = api_client.get("/healthz", **headers)[REQUEST_ID_HEADER]
    assert GENERATED_ID.fullmatch(first)
    assert first != second


@pytest.mark.django_db
def test_every_kind_of_answer_carries_the_request_id(api_client):
    for response in (
        api_client.get("/api/v1/nowhere/"),  # 404 outside DRF
        api_client.get("/api/v1/orders/"),  # 401 from DRF
        api_client.post(TOKEN, "{", content_type="application/json"),  # 400
    ):
        assert GENERATED_ID.fullmatch(response[REQUEST_ID_HEADER]), response.status_code


@pytest.mark.django_db
def test_each_request_is_logged_once_with_its_fields_and_user(customer_client, user, log_lines):
    response = customer_client.get(
        "/api/v1/orders/?status=SHIPPED&token=secret-in-query", HTTP_X_REQUEST_ID="req-42"
    )

    assert response.status_code == 200
    [entry] = log_lines.entries("shop.request")
    assert entry["request_id"] == "req-42"
    assert entry["method"] == "GET"
    assert entry["path"] == "/api/v1/orders/"
    assert entry["status"] == 200
    assert entry["view"] == "order-list"
    assert entry["user_id"] == str(user.pk)
    assert entry["duration_ms"] >= 0
    assert entry["level"] == "INFO"
    assert "secret-in-query" not in log_lines.raw


@pytest.mark.django_db
def test_every_line_of_a_request_carries_its_id(api_client, log_lines):
    api_client.get("/api/v1/nowhere/", HTTP_X_REQUEST_ID="req-404")

    entries = [entry for entry in log_lines.entries() if entry["request_id"] == "req-404"]
    assert {entry["logger"] for entry in entries} == {"django.request", "shop.request"}


@pytest.mark.django_db
def test_anonymous_requests_log_no_user_and_cost_no_extra_query(
    api_client, log_lines, django_assert_num_queries
):
    with django_assert_num_queries(0):
        api_client.get("/healthz", HTTP_COOKIE="sessionid=not-a-real-session")

    [entry] = log_lines.entries("shop.request")
    assert "user_id" not in entry


@pytest.mark.django_db
def test_a_failed_login_logs_neither_the_password_nor_the_whole_email(api_client, log_lines):
    response = api_client.post(
        TOKEN, {"email": "jane.doe@example.com", "password": "correct-horse-battery"}, format="json"
    )

    assert response.status_code == 401
    assert log_lines.entries("shop.request")[0]["status"] == 401
    assert "correct-horse-battery" not in log_lines.raw
    assert "jane.doe" not in log_lines.raw


@pytest.mark.urls("shop.ops.tests.urls")
@pytest.mark.django_db
def test_a_500_names_its_request_id_in_body_header_and_log(log_lines):
    client = Client(raise_request_exception=False)
    response = client.get("/test-only/broken", HTTP_X_REQUEST_ID="req-500")

    assert response.status_code == 500
    assert response[REQUEST_ID_HEADER] == "req-500"
    assert response.json() == {
        "detail": "Internal server error.",
        "code": "server_error",
        "request_id": "req-500",
    }
    [error] = log_lines.entries("django.request")
    assert error["request_id"] == "req-500"
    assert error["level"] == "ERROR"
    assert "RuntimeError: bug while handling j***@example.com" in error["exception"]
    assert "jane.doe" not in log_lines.raw
    [request] = log_lines.entries("shop.request")
    assert (request["status"], request["level"], request["view"]) == (500, "ERROR", "test-broken")


@pytest.mark.urls("shop.ops.tests.urls")
@pytest.mark.django_db
def test_an_html_500_names_its_request_id_too():
    response = Client(raise_request_exception=False).get(
        "/admin/test-only/broken", HTTP_X_REQUEST_ID="req-html"
    )

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert b"req-html" in response.content
    assert response[REQUEST_ID_HEADER] == "req-html"
