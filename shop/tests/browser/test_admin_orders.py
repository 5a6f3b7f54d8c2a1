"""Staff move orders in the Django admin, in a real browser, and the customer's API shows it."""

import pytest
from playwright.sync_api import expect

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from orders.models import Order, OrderStatus
from orders.tests.factories import OrderFactory
from shop.tests.browser.conftest import screenshot_dir
from shop.tests.browser.helpers import admin_log_in

ORDER_LIST = "/admin/orders/order/"


@pytest.fixture
def admin(transactional_db):
    return UserFactory(email="staff@example.com", is_staff=True, is_superuser=True)


@pytest.fixture
def ann(transactional_db):
    return UserFactory(email="ann@example.com")


def search_orders(page, term):
    page.goto(ORDER_LIST)
    page.fill("#searchbar", term)
    page.press("#searchbar", "Enter")
    expect(page.locator("#searchbar")).to_have_value(term)


def run_action(page, order, label):
    page.check(f'#result_list input.action-select[value="{order.pk}"]')
    page.select_option("select[name=action]", label=label)
    page.click("button[name=index]")


def api_order(customer, order):
    response = bearer_client(customer).get(f"/api/v1/orders/{order.pk}/")
    assert response.status_code == 200
    return response.json()


def test_staff_finds_an_order_by_email_and_marks_it_shipped(page, admin, ann, request):
    order = OrderFactory(customer=ann)
    other = OrderFactory(customer=UserFactory(email="bob@example.com"))
    admin_log_in(page, admin.email)

    search_orders(page, "ann@example.com")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("ann@example.com")
    expect(page.locator("#result_list")).not_to_contain_text("bob@example.com")

    run_action(page, order, "Mark shipped")
    expect(page.locator("ul.messagelist li.success")).to_have_text("1 order marked shipped.")
    expect(page.locator("#result_list tbody tr").filter(has_text="ann@example.com")).to_contain_text(
        "Shipped"
    )
    # A person reviewing the run can see the list as staff saw it.
    page.screenshot(path=str(screenshot_dir(request.config) / "admin-order-list.png"), full_page=True)

    seen = api_order(ann, order)
    assert seen["status"] == OrderStatus.SHIPPED
    assert seen["history"][-1]["from_status"] == OrderStatus.IN_PROGRESS
    assert seen["history"][-1]["to_status"] == OrderStatus.SHIPPED
    assert seen["history"][-1]["changed_by"] == "staff"
    assert Order.objects.get(pk=other.pk).status == OrderStatus.IN_PROGRESS


def test_staff_cannot_ship_a_cancelled_order(page, admin, ann):
    cancelled = OrderFactory(customer=ann, status=OrderStatus.CANCELLED)
    history_before = api_order(ann, cancelled)["history"]
    admin_log_in(page, admin.email)

    search_orders(page, "ann@example.com")
    run_action(page, cancelled, "Mark shipped")
    expect(page.locator("ul.messagelist li.warning")).to_have_text(
        f"Refused (status does not allow it): {cancelled.number}."
    )
    expect(page.locator("ul.messagelist li.success")).to_have_count(0)
    expect(page.locator("#result_list tbody tr").filter(has_text="ann@example.com")).to_contain_text(
        "Cancelled"
    )

    seen = api_order(ann, cancelled)
    assert seen["status"] == OrderStatus.CANCELLED
    assert seen["history"] == history_before
