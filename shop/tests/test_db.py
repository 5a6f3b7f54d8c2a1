"""Database helpers that behave the same on both backends."""

import pytest

from accounts.tests.factories import UserFactory
from catalog.models import Category
from shop.db import exactly_ignoring_case

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
