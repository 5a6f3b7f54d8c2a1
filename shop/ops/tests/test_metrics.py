"""``/metrics`` (``shop.ops.views``, ``shop.ops.metrics``): what is counted, and who may read it."""

import pytest
from django.test import override_settings
from prometheus_client.parser import text_string_to_metric_families

from accounts.tests.factories import UserFactory
from catalog.tests.factories import ProductFactory
from orders.tests.factories import SHIPPING_ADDRESS
from shop.config import env_networks

METRICS = "/metrics"
TOKEN_URL = "/api/v1/auth/token/"
METRICS_TOKEN = "scrape-token-0123456789"
OUTSIDE = "203.0.113.9"
# Every scrape reads the outbox backlog from the database (shop.ops.metrics.OutboxBacklogCollector).
pytestmark = pytest.mark.django_db


def samples(response) -> dict[tuple[str, frozenset], float]:
    """Return ``{(sample name, labels): value}`` of a Prometheus text answer."""
    text = response.content.decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(api_client, name: str, **labels) -> float:
    response = api_client.get(METRICS)
    assert response.status_code == 200
    return samples(response).get((name, frozenset(labels.items())), 0.0)


def rest_framework_with(settings, **changes) -> dict:
    return {**settings.REST_FRAMEWORK, **changes}


# --- who may read ---------------------------------------------------------------


def test_loopback_reads_the_metrics_as_prometheus_text(api_client):
    response = api_client.get(METRICS)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert response["Cache-Control"].startswith("max-age=0")
    assert "shop_http_request_duration_seconds" in response.content.decode()


def test_other_addresses_are_refused(api_client):
    response = api_client.get(METRICS, REMOTE_ADDR=OUTSIDE)

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert b"shop_" not in response.content


@override_settings(METRICS_ALLOWED_ADDRESSES=env_networks("UNSET_FOR_TEST", ["10.0.0.0/8", "2001:db8::/32"]))
@pytest.mark.parametrize(("address", "status"), [("10.1.2.3", 200), ("2001:db8::5", 200), ("127.0.0.1", 403)])
def test_allowed_addresses_are_the_configured_networks(api_client, address, status):
    assert api_client.get(METRICS, REMOTE_ADDR=address).status_code == status


@override_settings(METRICS_TOKEN=METRICS_TOKEN)
def test_the_bearer_token_opens_the_metrics_from_anywhere(api_client):
    response = api_client.get(METRICS, REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION=f"Bearer {METRICS_TOKEN}")
    assert response.status_code == 200


@override_settings(METRICS_TOKEN=METRICS_TOKEN)
def test_a_wrong_token_is_401_with_the_bearer_challenge(api_client):
    response = api_client.get(
        METRICS, REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer wrong-token-0123456789"
    )

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'


def test_without_a_configured_token_no_token_opens_them(api_client):
    response = api_client.get(METRICS, REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 403


def test_behind_an_unknown_proxy_the_address_does_not_count(api_client):
    # TRUSTED_PROXY_COUNT=0 and X-Forwarded-For present: the peer is a proxy we were not told about.
    response = api_client.get(METRICS, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert response.status_code == 403


@pytest.mark.parametrize(("forwarded", "status"), [("127.0.0.1", 200), (f"127.0.0.1, {OUTSIDE}", 403)])
def test_behind_one_trusted_proxy_the_forwarded_address_counts(api_client, settings, forwarded, status):
    settings.REST_FRAMEWORK = rest_framework_with(settings, NUM_PROXIES=1)
    response = api_client.get(METRICS, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert response.status_code == status


def test_only_get_and_head(api_client):
    assert api_client.post(METRICS).status_code == 405


# --- what is counted ----------------------------------------------------------------


@pytest.mark.django_db
def test_requests_are_counted_by_method_view_and_status(api_client):
    labels = {"method": "GET", "view": "product-list", "status": "200"}
    before = value(api_client, "shop_http_request_duration_seconds_count", **labels)
    api_client.get("/api/v1/products/")
    api_client.get("/api/v1/products/")
    missing = {"method": "GET", "view": "unmatched", "status": "404"}
    before_missing = value(api_client, "shop_http_request_duration_seconds_count", **missing)
    api_client.get("/no/such/page")

    assert value(api_client, "shop_http_request_duration_seconds_count", **labels) == before + 2
    assert value(api_client, "shop_http_request_duration_seconds_count", **missing) == before_missing + 1


@pytest.mark.django_db
def test_failed_logins_and_lockouts_are_counted(api_client, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    UserFactory(email="ann@example.com", password="right-password-123")
    failures = value(api_client, "shop_login_failures_total")
    lockouts = value(api_client, "shop_login_lockouts_total")

    for _ in range(2):
        wrong = api_client.post(TOKEN_URL, {"email": "ann@example.com", "password": "wrong"}, format="json")
        assert wrong.status_code == 401
    locked = api_client.post(
        TOKEN_URL, {"email": "ann@example.com", "password": "right-password-123"}, format="json"
    )
    assert locked.status_code == 429
    legacy_locked = api_client.post(
        "/login", {"email": "ann@example.com", "password": "wrong"}, format="json"
    )
    assert legacy_locked.status_code == 429

    assert value(api_client, "shop_login_failures_total") == failures + 2
    assert value(api_client, "shop_login_lockouts_total") == lockouts + 2


@pytest.mark.django_db
def test_placed_orders_are_counted_once_committed_and_replays_are_not(
    customer_client, api_client, django_capture_on_commit_callbacks
):
    product = ProductFactory(stock=10)
    placed = value(api_client, "shop_orders_placed_total")
    body = {"shipping_address": SHIPPING_ADDRESS, "items": [{"product": str(product.pk), "quantity": 1}]}

    with django_capture_on_commit_callbacks(execute=True):
        first = customer_client.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
        replay = customer_client.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
        short = customer_client.post(
            "/api/v1/orders/",
            {"shipping_address": SHIPPING_ADDRESS, "items": [{"product": str(product.pk), "quantity": 99}]},
            format="json",
        )

    assert (first.status_code, replay.status_code, short.status_code) == (201, 201, 409)
    assert replay.json()["id"] == first.json()["id"]
    assert value(api_client, "shop_orders_placed_total") == placed + 1
