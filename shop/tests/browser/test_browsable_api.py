"""Customers use DRF's browsable API in a real browser: session login, own orders, a raw-JSON order."""

import json

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from catalog.models import Product
from catalog.tests.factories import ProductFactory
from orders.models import Order, OrderStatus
from orders.tests.factories import SHIPPING_ADDRESS, OrderFactory
from shop.tests.browser.helpers import api_log_in

ORDERS = "/api/v1/orders/"


@pytest.fixture
def ann(transactional_db):
    return UserFactory(email="ann@example.com")


def test_customer_sees_only_own_orders_in_the_browsable_api(page, ann):
    own = OrderFactory(customer=ann)
    others = OrderFactory(customer=UserFactory(email="bob@example.com"))

    api_log_in(page, ann.email, ORDERS)

    response = page.locator(".response-info")
    expect(response).to_contain_text("HTTP 200 OK")
    expect(response).to_contain_text(f'"id": "{own.pk}"')
    expect(response).not_to_contain_text(f'"id": "{others.pk}"')
    expect(page.locator(".navbar")).to_contain_text("ann@example.com")


def test_customer_places_an_order_through_the_raw_data_form(page, ann):
    product = ProductFactory(sku="MUG-1", name="Mug", price="4.50", stock=10)
    api_log_in(page, ann.email, ORDERS)

    # The view has no HTML form (orders take a list of lines), so the raw-data form is the one shown.
    form = page.locator("#post-generic-content-form")
    expect(form).to_be_visible()
    expect(form.locator("#id__content_type")).to_have_value("application/json")
    form.locator("#id__content").fill(
        json.dumps(
            {"shipping_address": SHIPPING_ADDRESS, "items": [{"product": str(product.pk), "quantity": 2}]}
        )
    )
    form.get_by_role("button", name="POST").click()

    response = page.locator(".response-info")
    expect(response).to_contain_text("HTTP 201 Created")
    expect(response).to_contain_text('"total": "9.00"')
    order = Order.objects.get(customer=ann)
    expect(response).to_contain_text(f'"id": "{order.pk}"')
    assert order.status == OrderStatus.IN_PROGRESS
    assert Product.objects.get(pk=product.pk).stock == 8
