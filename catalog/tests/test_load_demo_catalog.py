"""The ``load_demo_catalog`` management command."""

from io import StringIO

import pytest
from django.core.management import call_command

from catalog.management.commands.load_demo_catalog import DEMO_CATEGORIES, DEMO_PRODUCTS
from catalog.models import Category, Product
from catalog.tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def run() -> str:
    out = StringIO()
    call_command("load_demo_catalog", stdout=out, stderr=StringIO())
    return out.getvalue()


def snapshot():
    return (
        list(Category.objects.order_by("slug").values()),
        list(Product.objects.order_by("sku").values()),
    )


def test_loads_at_least_5_categories_and_25_valid_products():
    run()
    assert Category.objects.count() == len(DEMO_CATEGORIES) >= 5
    assert Product.objects.count() == len(DEMO_PRODUCTS) >= 25
    assert not Product.objects.filter(price__lte=0).exists()
    assert not Product.objects.filter(stock__lt=0).exists()


def test_has_electronics_with_a_phone_for_the_legacy_walkthrough():
    run()
    assert Category.objects.get(slug="electronics").name == "Electronics"
    phone = Product.objects.get(category_id="electronics", name="Phone")
    assert phone.is_active
    assert phone.stock >= 100


def test_second_run_changes_nothing():
    assert "30 products created" in run()
    before = snapshot()
    assert "0 categories and 0 products created" in run()
    assert snapshot() == before


def test_existing_data_is_left_alone():
    electronics = CategoryFactory(slug="electronics", name="Electronics")
    phone = ProductFactory(sku="EL-PHONE-001", name="Phone", category=electronics, stock=3)
    ProductFactory(sku="MY-OWN", name="Laptop 14-inch", category=electronics)
    run()
    phone.refresh_from_db()
    assert phone.stock == 3  # orders took stock: a reload must not top it up
    # The demo laptop clashes with a staff product of the same name: skipped, not crashed.
    assert not Product.objects.filter(sku="EL-LAPTOP-014").exists()
    demo_skus = {row[0] for row in DEMO_PRODUCTS}
    assert set(Product.objects.values_list("sku", flat=True)) == demo_skus - {"EL-LAPTOP-014"} | {"MY-OWN"}
