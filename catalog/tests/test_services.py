"""Catalog services: validation, uniqueness, stock edits as differences, delete semantics."""

from decimal import Decimal

import pytest

from catalog import services
from catalog.models import Category, Product
from catalog.tests.factories import CategoryFactory, ProductFactory
from shop.errors import Conflict, InvalidInput

pytestmark = pytest.mark.django_db


def create_kwargs(**overrides):
    CategoryFactory(slug="electronics", name="Electronics")
    return {
        "sku": "EL-001",
        "name": "Phone",
        "category": "electronics",
        "price": "499.00",
        "stock": 5,
        **overrides,
    }


def field_of(excinfo) -> str:
    return excinfo.value.field


# --- product_create ---------------------------------------------------------------


def test_product_create_stores_every_field():
    product = services.product_create(**create_kwargs(description="  A phone.  "))
    product.refresh_from_db()
    assert (product.sku, product.name, product.category_id, product.description) == (
        "EL-001",
        "Phone",
        "electronics",
        "A phone.",
    )
    assert (product.price, product.stock, product.is_active) == (Decimal("499.00"), 5, True)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"price": "0"}, "price"),
        ({"price": "-1.00"}, "price"),
        ({"price": "abc"}, "price"),
        ({"price": "NaN"}, "price"),
        ({"price": "1.001"}, "price"),
        ({"price": "10000000000.00"}, "price"),
        ({"price": True}, "price"),
        ({"stock": -1}, "stock"),
        ({"stock": "3"}, "stock"),
        ({"stock": services.MAX_STOCK + 1}, "stock"),
        ({"sku": "   "}, "sku"),
        ({"sku": "x" * 65}, "sku"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"description": "x" * 5001}, "description"),
        ({"category": "no-such-category"}, "category"),
    ],
)
def test_product_create_refuses_bad_input_naming_the_field(overrides, field):
    with pytest.raises(InvalidInput) as excinfo:
        services.product_create(**create_kwargs(**overrides))
    assert field_of(excinfo) == field
    assert not Product.objects.exists()


def test_product_create_refuses_a_duplicate_sku():
    services.product_create(**create_kwargs())
    with pytest.raises(InvalidInput) as excinfo:
        services.product_create(**create_kwargs(name="Another phone"))
    assert field_of(excinfo) == "sku"
    assert Product.objects.count() == 1


def test_product_create_refuses_a_name_taken_in_the_category_in_any_case():
    services.product_create(**create_kwargs())
    with pytest.raises(InvalidInput) as excinfo:
        services.product_create(**create_kwargs(sku="EL-002", name="PHONE"))
    assert field_of(excinfo) == "name"


def test_product_create_allows_the_same_name_in_another_category():
    services.product_create(**create_kwargs())
    CategoryFactory(slug="toys")
    product = services.product_create(**create_kwargs(sku="TO-001", category="toys"))
    assert product.category_id == "toys"


def test_a_lost_uniqueness_race_is_still_reported_on_the_field(monkeypatch):
    services.product_create(**create_kwargs())
    # Simulate another writer winning between the check and the insert.
    monkeypatch.setattr(services, "product_check_unique", lambda **kwargs: None)
    with pytest.raises(InvalidInput) as excinfo:
        services.product_create(**create_kwargs(name="Other"))
    assert field_of(excinfo) == "sku"
    assert Product.objects.count() == 1


# --- product_update -----------------------------------------------------------------


def test_product_update_changes_only_the_given_fields():
    product = ProductFactory(name="Old", price="5.00", stock=7)
    services.product_update(product=product, name="New", price="6.50")
    product.refresh_from_db()
    assert (product.name, product.price, product.stock) == ("New", Decimal("6.50"), 7)


def test_stock_edit_applies_the_difference_from_the_stock_seen():
    product = ProductFactory(stock=10)
    seen = product.stock
    # An order reserves 3 units while the editor is looking at "10".
    assert services.product_stock_reserve(product_id=product.pk, quantity=3)
    services.product_update(product=product, seen_stock=seen, stock=15)
    product.refresh_from_db()
    assert product.stock == 12  # +5 on top of the 7 left, not a blind 15


def test_stock_edit_defaults_to_the_stock_of_the_loaded_product():
    product = ProductFactory(stock=10)
    loaded = Product.objects.get(pk=product.pk)
    services.product_stock_reserve(product_id=product.pk, quantity=4)
    updated = services.product_update(product=loaded, stock=8)
    assert updated.stock == 4  # 10 -> 8 is -2, applied to the 6 left


def test_stock_edit_that_would_go_negative_writes_nothing():
    product = ProductFactory(stock=10, name="Before")
    services.product_stock_reserve(product_id=product.pk, quantity=9)
    with pytest.raises(Conflict) as excinfo:
        services.product_update(product=product, seen_stock=10, stock=5, name="After")
    assert excinfo.value.code == "stock_changed"
    assert excinfo.value.extra["stock"] == 1
    product.refresh_from_db()
    assert (product.stock, product.name) == (1, "Before")


def test_stock_edit_refuses_a_negative_target_or_seen_value():
    product = ProductFactory(stock=10)
    with pytest.raises(InvalidInput) as excinfo:
        services.product_update(product=product, stock=-1)
    assert field_of(excinfo) == "stock"
    with pytest.raises(InvalidInput) as excinfo:
        services.product_update(product=product, seen_stock=-1, stock=3)
    assert field_of(excinfo) == "expected_stock"


def test_seen_stock_without_stock_is_refused():
    product = ProductFactory(stock=10)
    with pytest.raises(InvalidInput) as excinfo:
        services.product_update(product=product, seen_stock=10)
    assert field_of(excinfo) == "expected_stock"


def test_product_update_refuses_a_sku_of_another_product_but_keeps_its_own():
    ProductFactory(sku="TAKEN")
    product = ProductFactory(sku="MINE")
    services.product_update(product=product, sku="MINE")
    with pytest.raises(InvalidInput) as excinfo:
        services.product_update(product=product, sku="TAKEN")
    assert field_of(excinfo) == "sku"


def test_product_update_checks_the_name_in_the_new_category():
    books = CategoryFactory(slug="books")
    ProductFactory(category=books, name="Atlas")
    product = ProductFactory(name="atlas")
    with pytest.raises(InvalidInput) as excinfo:
        services.product_update(product=product, category="books")
    assert field_of(excinfo) == "name"
    with pytest.raises(InvalidInput) as excinfo:
        services.product_update(product=product, category="nope")
    assert field_of(excinfo) == "category"


def test_product_update_refuses_a_non_positive_price():
    product = ProductFactory(price="5.00")
    with pytest.raises(InvalidInput) as excinfo:
        services.product_update(product=product, price=Decimal("0.00"))
    assert field_of(excinfo) == "price"
    product.refresh_from_db()
    assert product.price == Decimal("5.00")


# --- product_delete -------------------------------------------------------------------


def test_product_delete_removes_a_product_never_ordered():
    product = ProductFactory()
    assert services.product_delete(product=product) is True
    assert not Product.objects.filter(sku=product.sku).exists()


def test_product_delete_deactivates_an_ordered_product():
    from orders.models import Order, OrderLine

    product = ProductFactory(price="2.00")
    order = Order.objects.create(number=1001, total=Decimal("2.00"), currency="USD")
    OrderLine.objects.create(
        order=order,
        product=product,
        position=1,
        sku=product.sku,
        name=product.name,
        category_slug=product.category_id,
        unit_price=Decimal("2.00"),
        quantity=1,
        line_total=Decimal("2.00"),
    )
    assert services.product_delete(product=product) is False
    product.refresh_from_db()
    assert product.is_active is False


# --- categories ---------------------------------------------------------------------------


def test_category_create_refuses_duplicates_in_any_case_and_bad_slugs():
    services.category_create(slug="books", name="Books")
    for kwargs, field in [
        ({"slug": "BOOKS", "name": "Other"}, "slug"),
        ({"slug": "other", "name": "books"}, "name"),
        ({"slug": "two words", "name": "Two"}, "slug"),
        ({"slug": "x" * 51, "name": "Long"}, "slug"),
    ]:
        with pytest.raises(InvalidInput) as excinfo:
            services.category_create(**kwargs)
        assert field_of(excinfo) == field
    assert Category.objects.count() == 1


def test_category_update_renames_but_keeps_a_slug_in_use():
    category = services.category_create(slug="books", name="Books")
    services.category_update(category=category, name="Good books")
    assert Category.objects.get(slug="books").name == "Good books"
    ProductFactory(category=category)
    with pytest.raises(InvalidInput) as excinfo:
        services.category_update(category=category, slug="novels")
    assert field_of(excinfo) == "slug"


def test_category_update_may_change_the_slug_of_an_empty_category():
    category = services.category_create(slug="books", name="Books")
    services.category_update(category=category, slug="novels")
    assert Category.objects.get(name="Books").slug == "novels"


def test_an_order_placed_after_the_check_still_ends_in_deactivation(monkeypatch):
    from orders.models import Order, OrderLine

    product = ProductFactory()
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
    # The line appears between the service's check and the delete: the PROTECT key catches it.
    monkeypatch.setattr(services, "product_was_ordered", lambda **kwargs: False)
    assert services.product_delete(product=product) is False
    product.refresh_from_db()
    assert product.is_active is False


def test_category_delete_removes_an_unused_category_and_refuses_a_used_one():
    unused = CategoryFactory(slug="unused")
    services.category_delete(category=unused)
    assert not Category.objects.filter(slug="unused").exists()
    used = ProductFactory().category
    with pytest.raises(InvalidInput) as excinfo:
        services.category_delete(category=used)
    assert field_of(excinfo) == "slug"
    assert Category.objects.filter(pk=used.pk).exists()
