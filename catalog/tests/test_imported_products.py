"""Products created by ``import_legacy``: inactive and unpriced until staff price them.

The rule (price 0.00 only for an inactive imported product) is the service's on every
backend and a check constraint on SQL; the admin's editable list keeps working with
such rows on the page.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError
from django.urls import reverse

from catalog import services
from catalog.models import Product
from catalog.tests.factories import CategoryFactory, ProductFactory
from catalog.tests.test_admin import admin_client  # noqa: F401 (a fixture)
from shop.errors import InvalidInput

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:catalog_product_changelist")


@pytest.fixture
def pager(db):
    return services.product_create_imported(category=CategoryFactory(slug="electronics"), name="Old Pager")


def test_an_imported_product_is_inactive_unpriced_and_has_a_stable_sku(pager):
    assert (pager.is_active, pager.is_imported, pager.price, pager.stock) == (False, True, Decimal("0.00"), 0)
    assert pager.sku == services.imported_product_sku(category_slug="electronics", name="old pager")


def test_its_name_follows_the_catalog_rules(pager):
    ProductFactory(category=pager.category, name="Phone")
    with pytest.raises(InvalidInput) as error:
        services.product_create_imported(category=pager.category, name="PHONE")
    assert error.value.field == "name"
    with pytest.raises(InvalidInput):  # the same name in any case gives the same SKU
        services.product_create_imported(category=pager.category, name="OLD PAGER")


def test_it_cannot_be_activated_before_it_has_a_price(pager):
    with pytest.raises(InvalidInput) as error:
        services.product_update(product=pager, is_active=True)
    assert (error.value.field, error.value.message) == (
        "price",
        "Set a price before activating this product.",
    )
    pager.refresh_from_db()
    assert not pager.is_active
    services.product_update(product=pager, is_active=True, price="19.00", stock=3)
    pager.refresh_from_db()
    assert (pager.is_active, pager.price, pager.stock) == (True, Decimal("19.00"), 3)


def test_staff_activating_it_through_the_api_without_a_price_get_a_400(staff_client, pager):
    response = staff_client.patch(f"/api/v1/products/{pager.pk}/", {"is_active": True}, format="json")
    assert response.status_code == 400
    assert response.json() == {"price": ["Set a price before activating this product."]}


def test_sql_refuses_an_unpriced_product_that_is_not_an_inactive_import(pager):
    with pytest.raises(IntegrityError):
        Product.objects.filter(pk=pager.pk).update(is_active=True)


def test_the_editable_list_saves_other_rows_with_an_unpriced_import_on_the_page(admin_client, pager):  # noqa: F811
    lamp = ProductFactory(name="Lamp", price="5.00", stock=4)
    rows = sorted([pager, lamp], key=lambda product: (product.name, product.pk))
    data = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for index, product in enumerate(rows):
        stock = 9 if product == lamp else product.stock
        data.update(
            {
                f"form-{index}-id": str(product.pk),
                f"form-{index}-price": str(product.price),
                f"form-{index}-stock": str(stock),
                f"initial-form-{index}-stock": str(product.stock),
            }
        )
    response = admin_client.post(CHANGELIST, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    lamp.refresh_from_db()
    pager.refresh_from_db()
    assert lamp.stock == 9
    assert (pager.price, pager.is_active) == (Decimal("0.00"), False)


def test_the_change_form_refuses_activation_without_a_price(admin_client, pager):  # noqa: F811
    url = reverse("admin:catalog_product_change", args=[pager.pk])
    response = admin_client.post(
        url,
        {
            "sku": pager.sku,
            "name": pager.name,
            "category": pager.category.pk,
            "description": pager.description,
            "price": "0.00",
            "stock": "0",
            "initial-stock": "0",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert b"Price must be greater than zero." in response.content
    pager.refresh_from_db()
    assert not pager.is_active
