"""The catalog API through HTTP (API.md "Catalog")."""

from decimal import Decimal

import pytest
from django.test import override_settings

from catalog.models import Product
from catalog.tests.factories import CategoryFactory, ProductFactory
from shop.api.pagination import MAX_PAGE_SIZE

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"
CATEGORIES = "/api/v1/categories/"


def detail(product) -> str:
    return f"{PRODUCTS}{product.pk}/"


def names(response) -> list[str]:
    return [item["name"] for item in response.json()["results"]]


@pytest.fixture
def electronics():
    return CategoryFactory(slug="electronics", name="Electronics")


def valid_body(**overrides):
    return {
        "sku": "EL-100",
        "name": "Phone",
        "category": "electronics",
        "price": "999.00",
        "stock": 3,
        **overrides,
    }


# --- categories -------------------------------------------------------------------------


def test_categories_are_a_plain_public_list_of_slug_and_name(api_client):
    CategoryFactory(slug="toys", name="Toys")
    CategoryFactory(slug="books", name="Books")
    response = api_client.get(CATEGORIES)
    assert response.status_code == 200
    assert response.json() == [{"slug": "books", "name": "Books"}, {"slug": "toys", "name": "Toys"}]


# --- list and detail --------------------------------------------------------------------


def test_product_list_is_public_paginated_and_shows_the_contract_fields(api_client, electronics):
    product = ProductFactory(category=electronics, name="Phone", sku="EL-1", price="999", stock=4)
    response = api_client.get(PRODUCTS)
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"count", "next", "previous", "results"}
    assert body["count"] == 1
    item = body["results"][0]
    assert {
        k: item[k] for k in ("id", "sku", "name", "category", "description", "price", "currency", "stock")
    } == {
        "id": str(product.pk),
        "sku": "EL-1",
        "name": "Phone",
        "category": "electronics",
        "description": product.description,
        "price": "999.00",
        "currency": "USD",
        "stock": 4,
    }
    assert item["is_active"] is True


@override_settings(SHOP_CURRENCY="EUR")
def test_currency_comes_from_settings(api_client):
    ProductFactory()
    assert api_client.get(PRODUCTS).json()["results"][0]["currency"] == "EUR"


def test_non_staff_see_active_products_only_and_staff_see_all(api_client, customer_client, staff_client):
    ProductFactory(name="Visible")
    hidden = ProductFactory(name="Hidden", is_active=False)
    assert names(api_client.get(PRODUCTS)) == ["Visible"]
    assert names(customer_client.get(PRODUCTS)) == ["Visible"]
    assert names(staff_client.get(PRODUCTS)) == ["Hidden", "Visible"]
    assert api_client.get(detail(hidden)).status_code == 404
    assert customer_client.get(detail(hidden)).status_code == 404
    assert staff_client.get(detail(hidden)).json()["is_active"] is False


def test_product_detail_is_public(api_client):
    product = ProductFactory(price="12.5")
    response = api_client.get(detail(product))
    assert response.status_code == 200
    assert response.json()["id"] == str(product.pk)
    assert response.json()["price"] == "12.50"


@pytest.mark.parametrize("bad_id", ["abc", "0", "999999", "65277a812b73bb530ad77307", "9" * 30, "-1"])
def test_unknown_or_malformed_product_id_is_404(api_client, staff_client, bad_id):
    ProductFactory()
    assert api_client.get(f"{PRODUCTS}{bad_id}/").status_code == 404
    assert staff_client.patch(f"{PRODUCTS}{bad_id}/", {"name": "x"}).status_code == 404
    assert staff_client.delete(f"{PRODUCTS}{bad_id}/").status_code == 404


# --- filters, ordering, pagination ------------------------------------------------------------


def test_category_filter_uses_the_slug_and_an_unknown_slug_gives_an_empty_list(api_client, electronics):
    ProductFactory(category=electronics, name="Phone")
    ProductFactory(category=CategoryFactory(slug="books"), name="Novel")
    assert names(api_client.get(PRODUCTS, {"category": "electronics"})) == ["Phone"]
    response = api_client.get(PRODUCTS, {"category": "no-such-slug"})
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_search_matches_name_sku_and_description_in_any_case(api_client):
    ProductFactory(name="Blue Phone", sku="A-1", description="")
    ProductFactory(name="Cable", sku="PHN-2", description="")
    ProductFactory(name="Case", sku="C-3", description="Fits every phone.")
    ProductFactory(name="Lamp", sku="L-4", description="Bright.")
    assert names(api_client.get(PRODUCTS, {"search": "PHONE"})) == ["Blue Phone", "Case"]
    assert names(api_client.get(PRODUCTS, {"search": "phn"})) == ["Cable"]


def test_search_treats_regex_and_like_characters_literally(api_client):
    ProductFactory(name="Cable 100% copper (1.5m)")
    ProductFactory(name="Cable 1x5m")
    assert names(api_client.get(PRODUCTS, {"search": "(1.5m)"})) == ["Cable 100% copper (1.5m)"]
    assert names(api_client.get(PRODUCTS, {"search": "100%"})) == ["Cable 100% copper (1.5m)"]
    assert names(api_client.get(PRODUCTS, {"search": "1_5"})) == []


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("price", ["Cheap", "Mid", "Dear"]),
        ("-price", ["Dear", "Mid", "Cheap"]),
        ("name", ["Cheap", "Dear", "Mid"]),
        ("-name", ["Mid", "Dear", "Cheap"]),
    ],
)
def test_ordering(api_client, ordering, expected):
    ProductFactory(name="Mid", price="5.00")
    ProductFactory(name="Cheap", price="1.00")
    ProductFactory(name="Dear", price="9.00")
    assert names(api_client.get(PRODUCTS, {"ordering": ordering})) == expected


@pytest.mark.parametrize("value", ["stock", "price,name", "PRICE", "id", "-created_at"])
def test_any_other_ordering_is_400_naming_ordering(api_client, value):
    response = api_client.get(PRODUCTS, {"ordering": value})
    assert response.status_code == 400
    assert "ordering" in response.json()


def test_in_stock_filter(api_client):
    ProductFactory(name="Full", stock=3)
    ProductFactory(name="Sold out", stock=0)
    assert names(api_client.get(PRODUCTS, {"in_stock": "true"})) == ["Full"]
    assert names(api_client.get(PRODUCTS, {"in_stock": "false"})) == ["Sold out"]


@pytest.mark.parametrize("value", ["yes", "1", "TRUE", "maybe"])
def test_other_in_stock_values_are_400_naming_in_stock(api_client, value):
    response = api_client.get(PRODUCTS, {"in_stock": value})
    assert response.status_code == 400
    assert "in_stock" in response.json()


def test_page_size_defaults_to_20_and_is_clamped_to_100(api_client):
    category = CategoryFactory()
    Product.objects.bulk_create(
        Product(sku=f"B-{n:03d}", name=f"Bulk {n:03d}", category=category, price=Decimal("1.00"), stock=1)
        for n in range(MAX_PAGE_SIZE + 5)
    )
    assert len(api_client.get(PRODUCTS).json()["results"]) == 20
    body = api_client.get(PRODUCTS, {"page_size": 1000}).json()
    assert len(body["results"]) == MAX_PAGE_SIZE
    assert body["next"] is not None
    second = api_client.get(body["next"]).json()
    assert [item["name"] for item in second["results"]] == [f"Bulk {n:03d}" for n in range(100, 105)]


@pytest.mark.parametrize("page_size", [1, 5, 50])
def test_product_list_query_count_does_not_grow_with_page_size(
    api_client, django_assert_num_queries, page_size
):
    for _ in range(3):
        category = CategoryFactory()
        ProductFactory.create_batch(20, category=category)
    # The catalog version (catalog.page_cache), one COUNT for the paginator, one SELECT
    # for the page: no per-product category query.
    with django_assert_num_queries(3):
        response = api_client.get(
            PRODUCTS, {"page_size": page_size, "category": category.slug, "search": "Product"}
        )
    assert len(response.json()["results"]) == min(page_size, 20)


def test_product_detail_is_one_query(api_client, django_assert_num_queries):
    product = ProductFactory()
    with django_assert_num_queries(1):
        assert api_client.get(detail(product)).status_code == 200


# --- staff writes -----------------------------------------------------------------------------


def test_staff_create_product_is_201_with_the_representation(staff_client, electronics):
    response = staff_client.post(PRODUCTS, valid_body(description="Smart."))
    assert response.status_code == 201, response.json()
    body = response.json()
    product = Product.objects.get(sku="EL-100")
    assert body["id"] == str(product.pk)
    assert (body["price"], body["stock"], body["category"], body["currency"]) == (
        "999.00",
        3,
        "electronics",
        "USD",
    )
    assert product.description == "Smart."


def test_anonymous_writes_are_401_and_customer_writes_403(api_client, customer_client, electronics):
    product = ProductFactory(name="Keep")
    for method, url, body in [
        ("post", PRODUCTS, valid_body()),
        ("patch", detail(product), {"name": "Changed"}),
        ("delete", detail(product), None),
    ]:
        anonymous = getattr(api_client, method)(url, body)
        assert anonymous.status_code == 401
        assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
        assert getattr(customer_client, method)(url, body).status_code == 403
    product.refresh_from_db()
    assert product.name == "Keep"
    assert Product.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"price": "abc"}, "price"),
        ({"price": "-1"}, "price"),
        ({"price": "0"}, "price"),
        ({"price": "0.001"}, "price"),
        ({"price": None}, "price"),
        ({"stock": -1}, "stock"),
        ({"stock": "many"}, "stock"),
        ({"category": "nope"}, "category"),
        ({"sku": "x" * 65}, "sku"),
        ({"name": "x" * 201}, "name"),
        ({"description": "x" * 5001}, "description"),
        ({"name": ""}, "name"),
        ({"is_staff": True}, "is_staff"),
        ({"id": "1"}, "id"),
        ({"currency": "EUR"}, "currency"),
        ({"expected_stock": 3}, "expected_stock"),
    ],
)
def test_create_refuses_bad_input_with_400_naming_the_field(staff_client, electronics, overrides, field):
    response = staff_client.post(PRODUCTS, valid_body(**overrides))
    assert response.status_code == 400
    assert field in response.json()
    assert not Product.objects.exists()


def test_create_requires_sku_name_category_and_price(staff_client):
    response = staff_client.post(PRODUCTS, {})
    assert response.status_code == 400
    assert set(response.json()) == {"sku", "name", "category", "price"}


def test_duplicate_sku_and_name_are_400_not_500(staff_client, electronics):
    assert staff_client.post(PRODUCTS, valid_body()).status_code == 201
    duplicate_sku = staff_client.post(PRODUCTS, valid_body(name="Other"))
    assert duplicate_sku.status_code == 400
    assert "sku" in duplicate_sku.json()
    duplicate_name = staff_client.post(PRODUCTS, valid_body(sku="EL-101", name="phone"))
    assert duplicate_name.status_code == 400
    assert "name" in duplicate_name.json()


def test_staff_patch_changes_given_fields(staff_client, electronics):
    product = ProductFactory(name="Old", price="5.00", stock=2)
    response = staff_client.patch(
        detail(product), {"name": "New", "price": "7.25", "category": "electronics"}
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["price"], response.json()["category"]) == (
        "New",
        "7.25",
        "electronics",
    )
    product.refresh_from_db()
    assert (product.name, product.price, product.stock) == ("New", Decimal("7.25"), 2)


def test_patch_stock_with_expected_stock_keeps_reservations_made_since(staff_client):
    from catalog.services import product_stock_reserve

    product = ProductFactory(stock=10)
    product_stock_reserve(product_id=product.pk, quantity=4)  # after the editor saw 10
    response = staff_client.patch(detail(product), {"stock": 20, "expected_stock": 10})
    assert response.status_code == 200
    assert response.json()["stock"] == 16


def test_patch_stock_without_expected_stock_is_relative_to_the_stock_at_request_start(staff_client):
    product = ProductFactory(stock=10)
    response = staff_client.patch(detail(product), {"stock": 3})
    assert response.status_code == 200
    assert response.json()["stock"] == 3


def test_patch_stock_that_would_go_negative_is_409_and_changes_nothing(staff_client):
    from catalog.services import product_stock_reserve

    product = ProductFactory(stock=10, price="5.00")
    product_stock_reserve(product_id=product.pk, quantity=8)
    response = staff_client.patch(detail(product), {"stock": 0, "expected_stock": 10, "price": "6.00"})
    assert response.status_code == 409
    assert response.json()["code"] == "stock_changed"
    assert response.json()["stock"] == 2
    product.refresh_from_db()
    assert (product.stock, product.price) == (2, Decimal("5.00"))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"stock": -5}, "stock"),
        ({"price": "0"}, "price"),
        ({"price": "ten"}, "price"),
        ({"category": "nope"}, "category"),
        ({"expected_stock": 4}, "expected_stock"),
        ({"stock": 1, "expected_stock": -1}, "expected_stock"),
        ({"created_at": "2020-01-01T00:00:00Z"}, "created_at"),
        ({"sku": "TAKEN"}, "sku"),
        ({"name": "x" * 201}, "name"),
    ],
)
def test_patch_refuses_bad_input_with_400_naming_the_field(staff_client, body, field):
    ProductFactory(sku="TAKEN")
    product = ProductFactory(stock=4, price="3.00", sku="MINE")
    response = staff_client.patch(detail(product), body)
    assert response.status_code == 400
    assert field in response.json()
    product.refresh_from_db()
    assert (product.stock, product.price, product.sku) == (4, Decimal("3.00"), "MINE")


def test_put_is_not_allowed(staff_client):
    product = ProductFactory()
    assert staff_client.put(detail(product), valid_body()).status_code == 405


def test_staff_delete_removes_a_product_never_ordered(staff_client):
    product = ProductFactory()
    assert staff_client.delete(detail(product)).status_code == 204
    assert not Product.objects.filter(pk=product.pk).exists()


def test_staff_delete_deactivates_an_ordered_product(staff_client, api_client):
    from orders.models import Order, OrderLine

    product = ProductFactory()
    order = Order.objects.create(number=1001, total=Decimal("10.00"), currency="USD")
    OrderLine.objects.create(
        order=order,
        product=product,
        position=1,
        sku=product.sku,
        name=product.name,
        category_slug=product.category_id,
        unit_price=product.price,
        quantity=1,
        line_total=product.price,
    )
    assert staff_client.delete(detail(product)).status_code == 204
    product.refresh_from_db()
    assert product.is_active is False
    assert api_client.get(detail(product)).status_code == 404
