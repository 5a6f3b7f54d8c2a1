"""Staff adjust stock in the product list of the admin (list_editable), in a real browser."""

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from catalog.models import Product
from catalog.tests.factories import ProductFactory
from shop.tests.browser.helpers import admin_log_in

PRODUCT_LIST = "/admin/catalog/product/"


@pytest.fixture
def admin(transactional_db):
    return UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)


def stock_input(page, sku):
    # name^=form- leaves out the hidden "initial-form-N-stock" copy (the stock the editor saw).
    row = page.locator("#result_list tbody tr").filter(has_text=sku)
    return row.locator("input[name^='form-'][name$='-stock']")


def save_list(page):
    page.click("#changelist-form input[name=_save]")


def test_staff_change_a_products_stock_in_the_list(page, admin):
    product = ProductFactory(sku="MUG-1", name="Mug", stock=7)
    other = ProductFactory(sku="CUP-1", name="Cup", stock=3)
    admin_log_in(page, admin.email)
    page.goto(PRODUCT_LIST)
    expect(stock_input(page, "MUG-1")).to_have_value("7")

    stock_input(page, "MUG-1").fill("12")
    save_list(page)

    expect(page.locator("ul.messagelist li.success")).to_have_text("1 product was changed successfully.")
    expect(stock_input(page, "MUG-1")).to_have_value("12")
    assert Product.objects.get(pk=product.pk).stock == 12
    assert Product.objects.get(pk=other.pk).stock == 3


def test_staff_cannot_set_a_negative_stock(page, admin):
    product = ProductFactory(sku="MUG-1", name="Mug", stock=7)
    admin_log_in(page, admin.email)
    page.goto(PRODUCT_LIST)

    stock_input(page, "MUG-1").fill("-5")
    save_list(page)

    expect(page.locator("p.errornote")).to_be_visible()
    row = page.locator("#result_list tbody tr").filter(has_text="MUG-1")
    expect(row.locator("ul.errorlist")).to_have_text("Stock may not be negative.")
    expect(page.locator("ul.messagelist li.success")).to_have_count(0)
    assert Product.objects.get(pk=product.pk).stock == 7
    # Reloading shows the stored stock, untouched.
    page.goto(PRODUCT_LIST)
    expect(stock_input(page, "MUG-1")).to_have_value("7")
