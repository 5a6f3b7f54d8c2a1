"""A newcomer's first minutes in a real browser.

The front page leads to the browsable API; the admin's "View site" leads back to the
front page; logging in to the browsable API lands on the API root; Swagger UI's
"Try it out" places the documented order as shipped and gets 201; the browsable
API's order form and product filters work as shown.
"""

import json
import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory
from accounts.tokens import issue_token_pair
from catalog.models import Product
from catalog.selectors import EXAMPLE_PRODUCT_SKU
from orders.models import Order
from shop.tests.browser.helpers import admin_log_in, api_log_in

pytestmark = pytest.mark.usefixtures("transactional_db")


@pytest.fixture
def demo_catalog():
    call_command("load_demo_catalog", stdout=open("/dev/null", "w"))  # noqa: SIM115


@pytest.fixture
def ann():
    return UserFactory(email="ann@example.com")


def test_the_front_page_leads_to_the_browsable_api(page, live_server):
    page.goto("/")
    expect(page.locator("h1")).to_have_text("Shop")
    page.get_by_role("link", name="Browse the API").click()
    expect(page).to_have_url(f"{live_server.url}/api/v1/")
    expect(page.locator(".content-main h1")).to_have_text("API root")
    expect(page.locator(".response-info")).to_contain_text('"orders"')


def test_the_admins_view_site_leads_to_the_front_page(page, live_server):
    staff = UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)
    admin_log_in(page, staff.email)
    expect(page.locator("#site-name")).to_have_text("Shop administration")
    page.get_by_role("link", name="View site").click()
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("link", name="Shop administration (staff)")).to_be_visible()


def test_logging_in_to_the_browsable_api_lands_on_the_api_root(page, live_server, ann):
    page.goto("/api/v1/")
    page.get_by_role("link", name="Log in").click()
    page.fill("#id_username", ann.email)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/api/v1/")
    expect(page.locator(".navbar")).to_contain_text("ann@example.com")


def test_swagger_ui_try_it_out_places_the_shipped_order_example(page, live_server, demo_catalog, ann):
    phone = Product.objects.get(sku=EXAMPLE_PRODUCT_SKU)
    page.goto("/api/v1/docs/")

    page.locator(".auth-wrapper .authorize").click()
    bearer = page.locator(".modal-ux .auth-container").filter(has_text="bearerAuth")
    bearer.locator("input").fill(issue_token_pair(ann)["access"])
    bearer.locator("button.authorize").click()
    bearer.locator("button.btn-done").click()

    operation = page.locator("#operation-orders-orders_create, #operations-orders-orders_create").first
    operation.locator(".opblock-summary").click()
    operation.locator(".try-out__btn").click()
    body = operation.locator("textarea.body-param__text")
    expect(body).to_have_value(re.compile(re.escape(f'"product": "{phone.pk}"')))
    operation.locator(".btn.execute").click()

    status = operation.locator(".live-responses-table .response .response-col_status").first
    expect(status).to_have_text("201")
    order = Order.objects.get(customer=ann)
    assert [line.product_id for line in order.lines.all()] == [phone.pk]
    expect(operation.locator(".live-responses-table")).to_contain_text(f'"id": "{order.pk}"')


def test_the_browsable_order_form_places_its_example_as_shown(page, demo_catalog, ann):
    api_log_in(page, ann.email, "/api/v1/orders/")
    form = page.locator("#post-generic-content-form")
    content = json.loads(form.locator("#id__content").input_value())
    assert content["items"][0]["quantity"] == 1
    form.get_by_role("button", name="POST").click()
    expect(page.locator(".response-info")).to_contain_text("HTTP 201 Created")
    assert Order.objects.filter(customer=ann).count() == 1


def test_the_product_filters_work_as_shown(page, demo_catalog):
    page.goto("/api/v1/products/")
    page.get_by_role("button", name="Filters").click()
    form = page.locator("form.form[method=get]")
    expect(form.get_by_label("Category")).to_be_visible()
    form.get_by_label("Category").select_option(label="Books")
    # DRF's dialog keeps aria-hidden while open, so the button is found by its markup.
    form.locator("button[type=submit]", has_text="Apply").click()
    # The untouched "in stock" placeholder is not sent; the default ordering is.
    expect(page).to_have_url(re.compile(r"/api/v1/products/\?category=books&search=&ordering=name$"))
    response = page.locator(".response-info")
    expect(response).to_contain_text("HTTP 200 OK")
    expect(response).to_contain_text('"category": "books"')
    expect(response).not_to_contain_text('"category": "electronics"')
