"""The catalog admin: list editing with validation, stock as a difference, deletes via services."""

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog import services
from catalog.models import Category, Product
from catalog.tests.factories import CategoryFactory, ProductFactory
from orders.models import Order, OrderLine

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:catalog_product_changelist")


@pytest.fixture
def admin_client(client, staff_user):
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    return client


def list_edit(admin_client, product, *, price, stock, seen_stock):
    """POST the editable changelist as the browser would, with the hidden initial stock."""
    return admin_client.post(
        CHANGELIST,
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-MIN_NUM_FORMS": "0",
            "form-MAX_NUM_FORMS": "1000",
            "form-0-id": str(product.pk),
            "form-0-price": str(price),
            "form-0-stock": str(stock),
            "initial-form-0-stock": str(seen_stock),
            "_save": "Save",
        },
    )


def order_of(product):
    order = Order.objects.create(number=1001, total=product.price, currency="USD")
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


def test_changelist_shows_columns_and_carries_the_stock_seen(admin_client):
    ProductFactory(sku="EL-1", name="Phone", category=CategoryFactory(slug="electronics"), stock=7)
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "EL-1" in html and "electronics" in html
    assert 'name="initial-form-0-stock" value="7"' in html


def test_changelist_search_and_filters(admin_client):
    ProductFactory(sku="FIND-ME", name="Lamp")
    ProductFactory(sku="OTHER", name="Chair", is_active=False)
    assert b"FIND-ME" in admin_client.get(CHANGELIST, {"q": "find"}).content
    assert b"OTHER" not in admin_client.get(CHANGELIST, {"q": "find"}).content
    assert b"FIND-ME" not in admin_client.get(CHANGELIST, {"is_active__exact": "0"}).content


def test_changelist_query_count_does_not_grow_per_row(admin_client, django_assert_max_num_queries):
    ProductFactory.create_batch(3)
    admin_client.get(CHANGELIST)  # warm caches (content types, session)
    with django_assert_max_num_queries(12) as few:
        admin_client.get(CHANGELIST)
    ProductFactory.create_batch(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client.get(CHANGELIST)


def test_list_edit_applies_stock_as_the_difference_from_what_was_seen(admin_client):
    product = ProductFactory(stock=10, price="5.00")
    services.product_stock_reserve(product_id=product.pk, quantity=3)  # while the page was open
    response = list_edit(admin_client, product, price="6.00", stock=15, seen_stock=10)
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.stock, product.price) == (12, Decimal("6.00"))


def test_list_edit_of_price_only_leaves_stock_reserved_meanwhile(admin_client):
    product = ProductFactory(stock=10, price="5.00")
    services.product_stock_reserve(product_id=product.pk, quantity=3)
    list_edit(admin_client, product, price="7.00", stock=10, seen_stock=10)
    product.refresh_from_db()
    assert (product.stock, product.price) == (7, Decimal("7.00"))


@pytest.mark.parametrize(("price", "stock"), [("5.00", -1), ("0", 10), ("-2", 10), ("abc", 10)])
def test_list_edit_refuses_negative_stock_and_non_positive_price(admin_client, price, stock):
    product = ProductFactory(stock=10, price="5.00")
    response = list_edit(admin_client, product, price=price, stock=stock, seen_stock=10)
    assert response.status_code == 200  # the list again, with the error
    assert b"errorlist" in response.content
    product.refresh_from_db()
    assert (product.stock, product.price) == (10, Decimal("5.00"))


def test_list_edit_refuses_a_reduction_below_what_is_left(admin_client):
    product = ProductFactory(stock=10)
    services.product_stock_reserve(product_id=product.pk, quantity=8)
    response = list_edit(admin_client, product, price="10.00", stock=0, seen_stock=10)
    assert response.status_code == 200
    assert b"Only 2 left now" in response.content
    product.refresh_from_db()
    assert product.stock == 2


def test_change_form_applies_stock_as_a_difference(admin_client):
    product = ProductFactory(stock=10, name="Lamp")
    url = reverse("admin:catalog_product_change", args=[product.pk])
    assert b'name="initial-stock" value="10"' in admin_client.get(url).content
    services.product_stock_reserve(product_id=product.pk, quantity=4)
    response = admin_client.post(
        url,
        {
            "sku": product.sku,
            "name": "Desk lamp",
            "category": product.category_id,
            "description": "",
            "price": "10.00",
            "stock": "20",
            "initial-stock": "10",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.stock) == ("Desk lamp", 16)


def test_add_form_creates_through_the_service_and_refuses_duplicates(admin_client):
    category = CategoryFactory(slug="books")
    ProductFactory(category=category, name="Dune", sku="BK-1")
    url = reverse("admin:catalog_product_add")
    body = {
        "sku": "BK-2",
        "name": "dune",
        "category": "books",
        "price": "9.00",
        "stock": "3",
        "initial-stock": "0",
    }
    response = admin_client.post(url, body)
    assert response.status_code == 200
    assert b"already exists in this category" in response.content
    response = admin_client.post(url, {**body, "name": "Emma"})
    assert response.status_code == 302
    assert Product.objects.get(sku="BK-2").stock == 3


def test_admin_delete_of_an_ordered_product_deactivates_it(admin_client):
    ordered = ProductFactory(name="Ordered")
    order_of(ordered)
    plain = ProductFactory(name="Plain")
    confirm = admin_client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [ordered.pk, plain.pk]}
    )
    assert b"will be deactivated" in confirm.content
    response = admin_client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [ordered.pk, plain.pk], "post": "yes"}
    )
    assert response.status_code == 302
    ordered.refresh_from_db()
    assert ordered.is_active is False
    assert not Product.objects.filter(pk=plain.pk).exists()


def test_admin_delete_view_of_an_ordered_product_deactivates_it(admin_client):
    product = ProductFactory()
    order_of(product)
    url = reverse("admin:catalog_product_delete", args=[product.pk])
    assert b"will be deactivated" in admin_client.get(url).content
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    product.refresh_from_db()
    assert product.is_active is False


def test_category_add_and_slug_fixed_once_used(admin_client):
    add = reverse("admin:catalog_category_add")
    assert b"prepopulated" in admin_client.get(add).content
    assert admin_client.post(add, {"name": "Garden", "slug": "garden"}).status_code == 302
    duplicate = admin_client.post(add, {"name": "garden", "slug": "garden-2"})
    assert duplicate.status_code == 200
    assert Category.objects.count() == 1
    category = Category.objects.get(slug="garden")
    ProductFactory(category=category)
    change = reverse("admin:catalog_category_change", args=[category.pk])
    assert b'name="slug"' not in admin_client.get(change).content
    assert admin_client.post(change, {"name": "Garden & Patio"}).status_code == 302
    assert Category.objects.get(slug="garden").name == "Garden & Patio"
