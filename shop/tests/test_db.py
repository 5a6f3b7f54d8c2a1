"""Database helpers that behave the same on both backends."""

import pytest

from accounts.models import User
from accounts.tests.factories import UserFactory
from catalog import selectors, services
from catalog.models import Category
from catalog.tests.factories import ProductFactory
from orders.models import Order
from orders.tests.factories import OrderFactory
from shop.db import RowLookup, built_once, exactly_ignoring_case

pytestmark = pytest.mark.django_db


def test_exactly_ignoring_case_matches_whole_value_in_any_case():
    Category.objects.create(slug="home-garden", name="Home & Garden (Outdoor)")
    assert Category.objects.filter(exactly_ignoring_case("name", "home & garden (outdoor)")).count() == 1
    assert not Category.objects.filter(exactly_ignoring_case("name", "Home & Garden")).exists()


def test_exactly_ignoring_case_treats_regex_characters_literally():
    UserFactory(email="ann@example.com")
    assert not UserFactory._meta.model.objects.filter(exactly_ignoring_case("email", ".*")).exists()
    assert not UserFactory._meta.model.objects.filter(
        exactly_ignoring_case("email", "ann@example.co.")
    ).exists()


def test_built_once_builds_one_queryset_and_hands_out_fresh_clones():
    builds = []

    @built_once
    def categories():
        builds.append(1)
        return Category.objects.order_by("slug")

    first = categories()
    assert [category.slug for category in first] == []
    Category.objects.create(slug="garden", name="Garden")
    second = categories()
    # The first clone keeps its own (empty) results; the second one reads the database again.
    assert second is not first and list(first) == []
    assert [category.slug for category in second] == ["garden"]
    assert [category.slug for category in categories().filter(slug="none")] == []
    assert builds == [1]


def test_built_once_reads_of_the_catalog_see_every_write():
    product = ProductFactory(stock=5)
    version = selectors.catalog_version()
    assert [row[:2] for row in selectors.product_stock_rows(primary_keys=[product.pk])] == [(product.pk, 5)]
    services.catalog_version_bump_now()
    product.stock = 3
    product.save(update_fields=["stock"])
    assert selectors.catalog_version() == version + 1
    assert [row[:2] for row in selectors.product_stock_rows(primary_keys=[product.pk])] == [(product.pk, 3)]


# --- RowLookup: one row by exact values, its SQL compiled once --------------------------------


def field_values(instance) -> dict:
    """Return every concrete field's value of ``instance`` (as its attribute holds it)."""
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def test_a_row_lookup_returns_what_the_queryset_returns(django_assert_num_queries):
    order = OrderFactory()
    lookup = RowLookup(Order, "pk", "customer_id")

    for _ in range(2):
        with django_assert_num_queries(1):
            found = lookup(pk=order.pk, customer_id=order.customer_id)
        expected = Order.objects.get(pk=order.pk)
        assert field_values(found) == field_values(expected)
        assert found.details == expected.details and isinstance(found.details, dict)
        assert found._state.adding is False and found._state.db == "default"


def test_a_row_lookup_finds_nothing_unless_every_value_matches():
    order, other = OrderFactory(), OrderFactory()
    lookup = RowLookup(Order, "pk", "customer_id")

    assert lookup(pk=order.pk, customer_id=other.customer_id) is None
    assert lookup(pk=order.pk + other.pk + 1000, customer_id=order.customer_id) is None
    assert lookup(customer_id=other.customer_id, pk=other.pk).pk == other.pk


def test_a_row_lookup_prepares_values_as_a_queryset_does():
    user = UserFactory()
    assert RowLookup(User, "pk")(pk=str(user.pk)).email == user.email


def test_a_row_lookup_takes_exactly_its_fields():
    lookup = RowLookup(Order, "pk", "customer_id")
    with pytest.raises(TypeError, match="pk, customer_id"):
        lookup(pk=1)
    with pytest.raises(TypeError):
        lookup(pk=1, customer_id=2, status="PENDING")
