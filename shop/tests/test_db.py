"""Database helpers that behave the same on both backends."""

import pytest

from accounts.tests.factories import UserFactory
from catalog import selectors, services
from catalog.models import Category
from catalog.tests.factories import ProductFactory
from shop.db import built_once, exactly_ignoring_case

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
