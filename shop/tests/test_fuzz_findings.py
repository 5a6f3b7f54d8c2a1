"""Regression tests for what the contract fuzzing (test_fuzz.py) found.

Each case was a request the schema calls invalid that the API answered 200, so a
client's typo silently changed the result: a ``page_size`` that is not a positive
whole number, an empty ``?page=``, empty ``?ordering=`` / ``?in_stock=``, and product
writes whose numbers, strings and booleans DRF would have coerced.
"""

import pytest

from catalog.tests.factories import ProductFactory

PRODUCTS = "/api/v1/products/"
ORDERS = "/api/v1/orders/"


@pytest.mark.parametrize(
    "page_size", ["abc", "0", "-5", "2.5", "", "null", "\uff11\uff10"]
)  # the last: fullwidth digits, which isdigit() accepts
def test_a_page_size_that_is_not_a_positive_whole_number_is_400_naming_it(api_client, db, page_size):
    response = api_client.get(PRODUCTS, {"page_size": page_size})
    assert response.status_code == 400
    assert list(response.json()) == ["page_size"]


@pytest.mark.parametrize("page_size", ["x", "0"])
def test_the_order_list_refuses_a_bad_page_size_too(customer_client, page_size):
    response = customer_client.get(ORDERS, {"page_size": page_size})
    assert response.status_code == 400
    assert "page_size" in response.json()


def test_a_valid_page_size_still_pages_and_large_ones_are_clamped(api_client, db):
    ProductFactory.create_batch(3)
    assert len(api_client.get(PRODUCTS, {"page_size": "2"}).json()["results"]) == 2
    assert api_client.get(PRODUCTS, {"page_size": "1000"}).status_code == 200


def test_an_empty_page_number_is_an_invalid_page(api_client, db):
    response = api_client.get(PRODUCTS, {"page": ""})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("name", ["ordering", "in_stock"])
def test_an_empty_ordering_or_in_stock_is_400_naming_it(api_client, db, name):
    response = api_client.get(PRODUCTS, {name: ""})
    assert response.status_code == 400
    assert name in response.json()


def test_absent_ordering_and_in_stock_still_mean_no_filter(api_client, db):
    ProductFactory(stock=0)
    ProductFactory(stock=5)
    assert api_client.get(PRODUCTS).json()["count"] == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("description", 54),
        ("name", 7),
        ("category", ["books"]),
        ("price", 12.5),
        ("stock", "5"),
        ("stock", 2.5),
        ("is_active", "yes"),
        ("is_active", 1),
    ],
)
def test_product_writes_take_json_types_as_the_schema_says_nothing_coerced(staff_client, field, value):
    """Found by the fuzzer in CI: DRF coerced ``"description": 54`` to ``"54"`` and saved it."""
    product = ProductFactory(description="unchanged", stock=3)
    response = staff_client.patch(f"{PRODUCTS}{product.pk}/", {field: value}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    product.refresh_from_db()
    assert (product.description, product.stock) == ("unchanged", 3)


def test_a_price_is_a_decimal_string(staff_client):
    product = ProductFactory(price="1.00")
    response = staff_client.patch(f"{PRODUCTS}{product.pk}/", {"price": "12.50"}, format="json")
    assert response.status_code == 200
    assert response.json()["price"] == "12.50"
