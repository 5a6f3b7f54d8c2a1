"""``import_legacy``, orders: matched as ``POST /order`` matches, statuses as ``/orders/update`` reads them.

Each order becomes a one-line order of its customer, at price 0.00 (the original kept
no prices), taking no stock, with one history entry recording the import.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from bson import ObjectId

from catalog.models import Category, Product
from catalog.tests.factories import CategoryFactory, ProductFactory
from legacy.models import LegacyOrderImport
from legacy.tests.legacy_data import import_files, object_id_at, order_doc, user_doc
from orders.models import Actor, Order, OrderStatus, OrderStatusChange
from orders.services import order_cancel

pytestmark = pytest.mark.django_db

ANN = user_doc("ann@example.com")


@pytest.fixture
def phone(db):
    return ProductFactory(
        category=CategoryFactory(slug="electronics", name="Electronics"), name="Phone", stock=7
    )


def import_orders(tmp_path, orders, users=(ANN,), **options) -> dict:
    """Import ``users`` and ``orders``; return the JSON report."""
    report = tmp_path / "report.json"
    import_files(tmp_path, users=list(users), orders=orders, report=str(report), **options)
    return json.loads(report.read_text())


def skipped(report) -> dict[str, int]:
    return report["orders"]["skipped_by_reason"]


def test_an_order_becomes_a_one_line_order_of_its_customer(tmp_path, phone):
    placed = datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)
    document = order_doc(ANN, _id=object_id_at(placed), type="Electronics", products="PHONE", quantity=3)
    report = import_orders(tmp_path, [document])
    assert report["orders"]["imported"] == 1
    order = Order.objects.get()
    assert order.customer.email == "ann@example.com"
    assert order.status == OrderStatus.IN_PROGRESS
    assert order.created_at == placed
    assert (order.total, order.currency) == (Decimal("0.00"), "USD")
    [line] = order.lines.all()
    assert (line.product, line.name, line.category_slug, line.quantity) == (phone, "Phone", "electronics", 3)
    assert (line.unit_price, line.line_total, line.stock_reserved) == (
        Decimal("0.00"),
        Decimal("0.00"),
        False,
    )
    assert LegacyOrderImport.objects.get().order == order


def test_no_stock_is_taken_and_cancelling_an_imported_order_gives_none_back(tmp_path, phone):
    import_orders(tmp_path, [order_doc(ANN, quantity=3)])
    phone.refresh_from_db()
    assert phone.stock == 7
    order_cancel(order=Order.objects.get(), by=Actor.CUSTOMER)
    phone.refresh_from_db()
    assert phone.stock == 7


def test_one_history_entry_records_the_import_and_the_original_status_text(tmp_path, phone):
    document = order_doc(ANN, status="Shipped")
    import_orders(tmp_path, [document])
    [entry] = OrderStatusChange.objects.all()
    assert (entry.from_status, entry.to_status, entry.changed_by) == (None, OrderStatus.SHIPPED, Actor.SYSTEM)
    assert str(document["_id"]) in entry.note
    assert "'Shipped'" in entry.note
    assert entry.changed_by_user is None


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("IN PROGRESS", OrderStatus.IN_PROGRESS),
        ("in_progress", OrderStatus.IN_PROGRESS),
        ("Shipped", OrderStatus.SHIPPED),
        ("delivered", OrderStatus.DELIVERED),
        ("CANCELLED", OrderStatus.CANCELLED),
    ],
)
def test_statuses_are_read_with_the_legacy_routes_rules(tmp_path, phone, text, status):
    import_orders(tmp_path, [order_doc(ANN, status=text)])
    assert Order.objects.get().status == status


@pytest.mark.parametrize("status", ["In InProgress", "Lost", "", None, 3])
def test_an_unmappable_status_is_reported_and_skipped(tmp_path, phone, status):
    document = order_doc(ANN, status=status)
    report = import_orders(tmp_path, [document])
    assert not Order.objects.exists()
    assert skipped(report) == {"unknown_status": 1}
    assert report["problems"][0]["source_id"] == str(document["_id"])
    assert sum(report["orders"]["statuses_not_recognised"].values()) == 1


def test_unknown_status_names_the_status_for_text_nothing_recognises(tmp_path, phone):
    report = import_orders(
        tmp_path,
        [order_doc(ANN, status="In InProgress"), order_doc(ANN, status="Shipped")],
        unknown_status="in progress",
    )
    assert sorted(Order.objects.values_list("status", flat=True)) == ["IN_PROGRESS", "SHIPPED"]
    assert report["orders"]["statuses_not_recognised"] == {"In InProgress": 1}


def test_map_status_reads_chosen_text_as_a_status(tmp_path, phone):
    orders = [order_doc(ANN, status="In InProgress"), order_doc(ANN, status="Delivred")]
    import_orders(tmp_path, orders, map_status=["in inprogress=IN_PROGRESS", "Delivred=delivered"])
    assert sorted(Order.objects.values_list("status", flat=True)) == ["DELIVERED", "IN_PROGRESS"]


@pytest.mark.parametrize("quantity", [{"quantity": 4}, {"Quantity": 4}, {"Quantity": 4.0}])
def test_the_quantity_comes_from_quantity_or_Quantity(tmp_path, phone, quantity):
    import_orders(tmp_path, [order_doc(ANN, **quantity)])
    assert Order.objects.get().lines.get().quantity == 4


def test_a_missing_product_is_created_inactive_unpriced_and_marked_imported(tmp_path, phone):
    report = import_orders(
        tmp_path, [order_doc(ANN, products="Old Pager"), order_doc(ANN, products="old pager")]
    )
    pager = Product.objects.get(name="Old Pager")
    assert (pager.category_id, pager.price, pager.stock) == ("electronics", Decimal("0.00"), 0)
    assert (pager.is_active, pager.is_imported) == (False, True)
    assert pager.sku.startswith("IMPORTED-")
    assert report["products_created"] == [{"category": "electronics", "name": "Old Pager", "sku": pager.sku}]
    assert set(Order.objects.values_list("lines__product", flat=True)) == {pager.pk}


def test_an_inactive_product_is_linked_not_duplicated(tmp_path, phone):
    phone.is_active = False
    phone.save()
    report = import_orders(tmp_path, [order_doc(ANN, products="phone")])
    assert Order.objects.get().lines.get().product == phone
    assert report["products_created"] == []


def test_a_product_of_an_unknown_category_goes_to_the_imported_category(tmp_path, db):
    report = import_orders(tmp_path, [order_doc(ANN, type="Gadgets", products="Widget")])
    category = Category.objects.get(slug="imported")
    widget = Product.objects.get(name="Widget")
    assert widget.category == category and not widget.is_active
    assert report["categories_created"] == ["imported"]
    assert "'Gadgets'" in OrderStatusChange.objects.get().note  # the original type is kept in the history


def test_an_order_of_an_unknown_customer_is_reported_and_skipped(tmp_path, phone):
    stranger = order_doc(ObjectId())
    report = import_orders(tmp_path, [stranger, order_doc(ANN)])
    assert Order.objects.count() == 1
    assert skipped(report) == {"unknown_customer": 1}
    assert report["problems"][0]["source_id"] == str(stranger["_id"])


def test_an_order_of_a_customer_who_was_not_imported_says_so(tmp_path, phone):
    twin = user_doc("ANN@example.com")  # a duplicate email: not imported
    report = import_orders(tmp_path, [order_doc(twin)], users=[ANN, twin])
    assert not Order.objects.exists()
    assert skipped(report) == {"customer_not_imported": 1}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"customer_id": "someone"}, "customer_id: not an ObjectId"),
        ({"customer_id": None}, "customer_id: missing."),
        ({"type": 7}, "type: Must be a string."),
        ({"products": ""}, "products: This field may not be blank."),
        ({"quantity": "3"}, "quantity: A valid integer is required."),
        ({"quantity": 2.5}, "quantity: A valid integer is required."),
        ({"quantity": 0}, "quantity: Ensure this value is greater than or equal to 1."),
        ({"quantity": 3, "Quantity": 3}, "Quantity: Send Quantity or quantity, not both."),
        ({"_id": "x"}, "_id: not an ObjectId"),
    ],
)
def test_a_bad_order_is_reported_with_its_source_id_and_nothing_is_written(tmp_path, phone, changes, message):
    document = order_doc(ANN)
    document.update(changes)
    report = import_orders(tmp_path, [document])
    assert not Order.objects.exists() and not LegacyOrderImport.objects.exists()
    [problem] = report["problems"]
    assert problem["reason"] == "invalid_document"
    assert problem["message"].startswith(message), problem["message"]
    assert problem["collection"] == "orders"


def test_the_customers_orders_are_found_through_the_mapping_on_a_later_run(tmp_path, phone):
    import_files(tmp_path, users=[ANN])
    report = import_orders(tmp_path, [order_doc(ANN)], users=[])
    assert report["orders"]["imported"] == 1
    assert Order.objects.get().customer.email == "ann@example.com"


def test_when_the_category_for_imported_products_cannot_be_made_its_orders_say_why(tmp_path, phone):
    CategoryFactory(slug="other", name="Imported products")  # the name the import would use
    report = import_orders(tmp_path, [order_doc(ANN, type="gadgets"), order_doc(ANN)])
    assert Order.objects.count() == 1
    assert skipped(report) == {"no_category": 1}
    assert "cannot be created" in report["problems"][0]["message"]
    assert report["categories_created"] == []
