"""Anonymous product-list requests answered again before the view (``catalog.middleware``).

Only outside a transaction (SQLite's commit state), so these tests use
``transaction=True``; a test inside a transaction shows every request reaching the view.
"""

import logging

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from catalog.tests.factories import CategoryFactory, ProductFactory
from catalog.views import ProductViewSet

PRODUCTS = "/api/v1/products/"
STOREFRONT = "https://storefront.example"
# Headers the view and the middleware inside this one set: the same on every anonymous answer.
KEPT_HEADERS = (
    "Content-Type",
    "Content-Length",
    "Vary",
    "Allow",
    "X-Frame-Options",
    "Content-Security-Policy",
    "Cross-Origin-Opener-Policy",
    "Referrer-Policy",
    "X-Content-Type-Options",
)


@pytest.fixture
def catalog(db):
    category = CategoryFactory(slug="garden", name="Garden")
    products = [ProductFactory(category=category, name=f"Rake {n}", stock=5) for n in range(3)]
    ProductFactory(category=category, name="Retired rake", is_active=False)
    return products


@pytest.fixture
def view_calls(monkeypatch):
    """Count the product list's view calls (the real view still answers)."""
    calls = []
    original = ProductViewSet.list

    def counted(self, request, *args, **kwargs):
        calls.append(request.get_full_path())
        return original(self, request, *args, **kwargs)

    monkeypatch.setattr(ProductViewSet, "list", counted)
    return calls


@pytest.mark.django_db(transaction=True)
def test_the_same_anonymous_request_is_answered_again_without_the_view_or_a_query(
    api_client, catalog, view_calls, django_assert_num_queries
):
    first = api_client.get(PRODUCTS)
    with django_assert_num_queries(0):
        second = api_client.get(PRODUCTS)

    assert view_calls == [PRODUCTS]
    assert second.status_code == 200
    assert second.content == first.content
    for header in KEPT_HEADERS:
        assert second.get(header) == first.get(header), header
    assert second["X-Request-ID"] != first["X-Request-ID"]


@pytest.mark.django_db(transaction=True)
def test_each_query_string_and_accept_header_is_its_own_answer(api_client, catalog, view_calls):
    for _ in range(2):
        api_client.get(PRODUCTS, {"page_size": 2})
        api_client.get(PRODUCTS, HTTP_ACCEPT="application/json")
    html = api_client.get(PRODUCTS, HTTP_ACCEPT="text/html")

    assert view_calls == [f"{PRODUCTS}?page_size=2", PRODUCTS, PRODUCTS]
    assert html["Content-Type"].startswith("text/html")
    api_client.get(PRODUCTS, HTTP_ACCEPT="text/html")
    assert len(view_calls) == 4  # the browsable API is never kept


@pytest.mark.django_db(transaction=True)
def test_a_commit_by_another_worker_sends_the_next_request_to_the_view(
    api_client, catalog, view_calls, other_worker_connection
):
    rake = catalog[0]
    api_client.get(PRODUCTS)
    with other_worker_connection.cursor() as cursor:
        cursor.execute("UPDATE catalog_product SET stock = 2 WHERE id = %s", [rake.pk])

    page = api_client.get(PRODUCTS).json()

    assert len(view_calls) == 2
    assert next(item for item in page["results"] if item["id"] == str(rake.pk))["stock"] == 2


@pytest.mark.django_db(transaction=True)
def test_a_request_with_a_token_gets_the_view_s_answer(api_client, catalog, view_calls):
    api_client.get(PRODUCTS)
    api_client.get(PRODUCTS)

    refused = api_client.get(PRODUCTS, HTTP_AUTHORIZATION="Bearer not-a-token")

    assert refused.status_code == 401
    assert len(view_calls) == 1  # refused before the view, by DRF's authentication


@pytest.mark.django_db(transaction=True)
def test_staff_logged_in_to_a_session_see_live_data(api_client, catalog, staff_user):
    staff = APIClient()
    staff.force_login(staff_user)  # writes the session: first, so that nothing moves after
    api_client.get(PRODUCTS)

    names = [item["name"] for item in staff.get(PRODUCTS).json()["results"]]

    assert "Retired rake" in names


@pytest.mark.django_db(transaction=True)
def test_cors_headers_follow_each_request_s_origin(api_client, catalog, settings):
    settings.CORS_ALLOWED_ORIGINS = [STOREFRONT]
    api_client.get(PRODUCTS, HTTP_ORIGIN=STOREFRONT)

    from_storefront = api_client.get(PRODUCTS, HTTP_ORIGIN=STOREFRONT)
    from_elsewhere = api_client.get(PRODUCTS, HTTP_ORIGIN="https://elsewhere.example")
    without_origin = api_client.get(PRODUCTS)

    assert from_storefront["Access-Control-Allow-Origin"] == STOREFRONT
    assert "Access-Control-Allow-Origin" not in from_elsewhere
    assert "Access-Control-Allow-Origin" not in without_origin


@pytest.mark.django_db(transaction=True)
def test_errors_and_heads_are_never_answered_again(api_client, catalog, view_calls):
    for _ in range(2):
        assert api_client.get(PRODUCTS, {"page": 99}).status_code == 404
        assert api_client.head(PRODUCTS).status_code == 200

    assert len(view_calls) == 4


@pytest.mark.django_db(transaction=True)
def test_an_answer_given_again_is_logged_under_the_product_list(api_client, catalog, caplog):
    api_client.get(PRODUCTS)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="shop.request"):
        api_client.get(PRODUCTS)

    (line,) = [record for record in caplog.records if record.name == "shop.request"]
    assert line.view == "product-list"
    assert line.status == 200


@pytest.mark.django_db(transaction=True)
@override_settings(CATALOG_CACHE_SECONDS=0)
def test_zero_seconds_turns_it_off(api_client, catalog, view_calls):
    api_client.get(PRODUCTS)
    api_client.get(PRODUCTS)
    assert len(view_calls) == 2


def test_inside_a_transaction_every_request_reaches_the_view(api_client, catalog, view_calls):
    api_client.get(PRODUCTS)
    api_client.get(PRODUCTS)
    assert len(view_calls) == 2


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="bench.peer.urls")
def test_a_urlconf_without_the_catalog_is_served_as_usual():
    assert APIClient().get("/healthz").status_code == 200
