"""The one-pass product rendering equals DRF's field-by-field rendering of the same fields."""

import datetime as dt
from decimal import Decimal

import pytest
from rest_framework import serializers

from catalog.serializers import ProductOutputSerializer
from catalog.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def drf_rendering(product) -> dict:
    """Render with DRF's own Serializer.to_representation over the declared fields."""
    return serializers.Serializer.to_representation(ProductOutputSerializer(), product)


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"price": Decimal("0.01"), "stock": 0, "is_active": False, "description": ""},
        {"price": Decimal("9999999999.99"), "name": "Zoë 東京 🛒", "description": "line\u2028two"},
        {"price": Decimal("5")},
    ],
)
def test_a_product_renders_as_drf_renders_it(fields):
    product = ProductFactory(**fields)
    product.refresh_from_db()
    assert ProductOutputSerializer(product).data == drf_rendering(product)
    assert list(ProductOutputSerializer(product).data) == list(drf_rendering(product))


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(2026, 12, 2, 17, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 2, 17, 0, 0, 123000, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 2, 18, 0, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=1))),
    ],
)
def test_times_render_as_drf_renders_them(moment):
    product = ProductFactory()
    product.created_at = product.updated_at = moment
    assert ProductOutputSerializer(product).data == drf_rendering(product)
