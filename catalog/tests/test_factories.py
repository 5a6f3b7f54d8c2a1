"""The factories that other apps' tests build on."""

from decimal import Decimal

import pytest

from catalog.models import Category
from catalog.tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_product_factory_accepts_price_and_stock():
    product = ProductFactory(stock=3, price="9.99")
    product.refresh_from_db()
    assert (product.stock, product.price, product.is_active) == (3, Decimal("9.99"), True)


def test_category_factory_reuses_an_existing_slug():
    first = CategoryFactory(slug="electronics", name="Electronics")
    assert CategoryFactory(slug="electronics") == first
    assert Category.objects.filter(slug="electronics").count() == 1


def test_products_of_one_category_store_its_slug():
    category = CategoryFactory(slug="books")
    product = ProductFactory(category=category)
    assert product.category_id == "books"
