"""Order services, called directly: creation, reservation, the status machine, account closing."""

from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from catalog.models import Product
from catalog.tests.factories import ProductFactory
from orders import services
from orders.errors import InsufficientStock, InvalidTransition
from orders.models import Actor, Order, OrderLine, OrderStatus, OrderStatusChange
from orders.services import (
    ORDER_TRANSITIONS,
    order_cancel,
    order_create,
    order_set_status,
    orders_close_for_deleted_customer,
    stock_reserve_all,
)
from orders.tests.factories import OrderFactory
from shop import transactions
from shop.errors import InvalidInput

pytestmark = pytest.mark.django_db


def stock_of(product) -> int:
    return Product.objects.get(pk=product.pk).stock


def item(product, quantity):
    return {"product": str(product.pk), "quantity": quantity}


# --- order_create ---------------------------------------------------------------------


def test_order_create_snapshots_prices_computes_totals_and_reserves_stock(user):
    phone = ProductFactory(price="199.99", stock=10)
    case = ProductFactory(price="5.50", stock=3)

    order = order_create(customer=user, items=[item(phone, 2), item(case, 3)])

    assert order.status == OrderStatus.IN_PROGRESS
    assert order.total == Decimal("416.48")
    assert order.currency == "USD"
    lines = list(order.lines.order_by("position"))
    assert [(line.product_id, line.quantity, line.unit_price, line.line_total) for line in lines] == [
        (phone.pk, 2, Decimal("199.99"), Decimal("399.98")),
        (case.pk, 3, Decimal("5.50"), Decimal("16.50")),
    ]
    assert [(line.sku, line.name, line.category_slug) for line in lines] == [
        (phone.sku, phone.name, phone.category_id),
        (case.sku, case.name, case.category_id),
    ]
    assert (stock_of(phone), stock_of(case)) == (8, 0)


def test_order_create_writes_creation_as_first_history_entry(user):
    order = OrderFactory(customer=user)
    history = list(order.history.all())
    assert [(h.from_status, h.to_status, h.changed_by) for h in history] == [
        (None, OrderStatus.IN_PROGRESS, Actor.CUSTOMER)
    ]


def test_unit_price_is_a_snapshot_that_later_price_changes_do_not_touch(user):
    product = ProductFactory(price="10.00")
    order = order_create(customer=user, items=[item(product, 1)])
    Product.objects.filter(pk=product.pk).update(price=Decimal("99.00"))
    line = OrderLine.objects.get(order=order)
    assert line.unit_price == Decimal("10.00")
    assert Order.objects.get(pk=order.pk).total == Decimal("10.00")


def test_order_create_merges_the_same_product_sent_twice(user):
    product = ProductFactory(stock=10)
    other = ProductFactory()
    order = order_create(customer=user, items=[item(product, 2), item(other, 1), item(product, 3)])
    lines = list(order.lines.order_by("position"))
    assert [(line.product_id, line.quantity, line.position) for line in lines] == [
        (product.pk, 5, 1),
        (other.pk, 1, 2),
    ]
    assert stock_of(product) == 5


@pytest.mark.parametrize(
    "items",
    [
        [],
        None,
        "not a list",
        [{"product": "1"}],
        [{"product": None, "quantity": 1}],
    ],
    ids=["empty", "none", "string", "no-quantity", "no-product"],
)
def test_order_create_refuses_malformed_items_on_items(user, items):
    with pytest.raises(InvalidInput) as caught:
        order_create(customer=user, items=items)
    assert caught.value.field == "items"
    assert not Order.objects.exists()


@pytest.mark.parametrize("quantity", [0, -1, 1001, 1.5, "2", True])
def test_order_create_refuses_quantities_outside_1_to_1000(user, quantity):
    product = ProductFactory(stock=5000)
    with pytest.raises(InvalidInput) as caught:
        order_create(customer=user, items=[{"product": str(product.pk), "quantity": quantity}])
    assert caught.value.field == "items"
    assert stock_of(product) == 5000


def test_order_create_refuses_a_merged_quantity_above_1000(user):
    product = ProductFactory(stock=5000)
    with pytest.raises(InvalidInput, match="merged quantity"):
        order_create(customer=user, items=[item(product, 600), item(product, 401)])
    assert stock_of(product) == 5000


def test_order_create_accepts_a_merged_quantity_of_exactly_1000(user):
    product = ProductFactory(stock=5000)
    order = order_create(customer=user, items=[item(product, 600), item(product, 400)])
    assert order.lines.get().quantity == 1000


def test_order_create_accepts_50_lines_and_refuses_51(user):
    products = ProductFactory.create_batch(51)
    assert order_create(customer=user, items=[item(p, 1) for p in products[:50]]).lines.count() == 50
    with pytest.raises(InvalidInput, match="at most 50"):
        order_create(customer=user, items=[item(p, 1) for p in products])


def test_fifty_lines_are_counted_as_sent_before_merging(user):
    product = ProductFactory(stock=100)
    with pytest.raises(InvalidInput, match="at most 50"):
        order_create(customer=user, items=[item(product, 1)] * 51)


@pytest.mark.parametrize("product_id", ["abc", "99999999999999999999999", "65277a812b73bb530ad77307", "-1"])
def test_order_create_refuses_unknown_or_malformed_product_ids(user, product_id):
    with pytest.raises(InvalidInput) as caught:
        order_create(customer=user, items=[{"product": product_id, "quantity": 1}])
    assert caught.value.field == "items"


def test_order_create_refuses_an_inactive_product_and_reserves_nothing(user):
    active = ProductFactory(stock=5)
    inactive = ProductFactory(stock=5, is_active=False)
    with pytest.raises(InvalidInput, match="inactive"):
        order_create(customer=user, items=[item(active, 1), item(inactive, 1)])
    assert (stock_of(active), stock_of(inactive)) == (5, 5)


def test_a_product_deactivated_after_the_catalog_read_is_not_ordered(user, monkeypatch):
    """The lines are read before the operation; the reservation checks again that the product is active."""
    kept, withdrawn = ProductFactory(stock=5), ProductFactory(stock=5)
    reserve = services.stock_reserve_all

    def deactivated_meanwhile(**kwargs):
        Product.objects.filter(pk=withdrawn.pk).update(is_active=False)  # staff, between the two
        return reserve(**kwargs)

    monkeypatch.setattr(services, "stock_reserve_all", deactivated_meanwhile)
    with pytest.raises(InsufficientStock) as caught:
        order_create(customer=user, items=[item(kept, 1), item(withdrawn, 1)])
    assert caught.value.products == [str(withdrawn.pk)]
    assert (stock_of(kept), stock_of(withdrawn)) == (5, 5)
    assert not Order.objects.exists()


def test_order_create_names_every_short_product_and_reserves_nothing(user):
    plenty = ProductFactory(stock=10)
    short_one = ProductFactory(stock=1)
    short_two = ProductFactory(stock=0)
    with pytest.raises(InsufficientStock) as caught:
        order_create(customer=user, items=[item(plenty, 2), item(short_one, 2), item(short_two, 1)])
    assert caught.value.code == "insufficient_stock"
    assert sorted(caught.value.products) == sorted([str(short_one.pk), str(short_two.pk)])
    assert (stock_of(plenty), stock_of(short_one), stock_of(short_two)) == (10, 1, 0)
    assert not Order.objects.exists()
    assert not OrderLine.objects.exists()


def test_stock_reservation_gives_back_what_it_took_when_a_line_is_short():
    # The compensation itself, without a transaction: this is what keeps a
    # standalone MongoDB (no transactions) consistent.
    first = ProductFactory(stock=5)
    second = ProductFactory(stock=5)
    third = ProductFactory(stock=1)
    with transactions.transactions_disabled(), pytest.raises(InsufficientStock) as caught:
        transactions.run(lambda: stock_reserve_all(lines={first.pk: 2, second.pk: 3, third.pk: 2}))
    assert caught.value.products == [str(third.pk)]
    assert (stock_of(first), stock_of(second), stock_of(third)) == (5, 5, 1)


def test_stock_reservation_takes_exactly_the_stock_that_is_there():
    product = ProductFactory(stock=3)
    assert stock_reserve_all(lines={product.pk: 3}) == {product.pk: 3}
    assert stock_of(product) == 0
    with pytest.raises(InsufficientStock):
        stock_reserve_all(lines={product.pk: 1})
    assert stock_of(product) == 0


def test_order_total_above_the_money_field_is_refused(user):
    product = ProductFactory(price="9999999999.99", stock=10)
    with pytest.raises(InvalidInput, match="too large"):
        order_create(customer=user, items=[item(product, 2)])
    assert stock_of(product) == 10


# --- the status machine -------------------------------------------------------------


def test_transition_table_is_the_one_in_the_contract():
    expected = {
        OrderStatus.IN_PROGRESS: {OrderStatus.SHIPPED, OrderStatus.CANCELLED},
        OrderStatus.SHIPPED: {OrderStatus.DELIVERED},
        OrderStatus.DELIVERED: set(),
        OrderStatus.CANCELLED: set(),
    }
    assert dict(ORDER_TRANSITIONS) == expected


LEGAL = [(a, b) for a, targets in ORDER_TRANSITIONS.items() for b in targets]
ILLEGAL = [(a, b) for a in OrderStatus.values for b in OrderStatus.values if (a, b) not in LEGAL]


@pytest.mark.parametrize(("from_status", "to_status"), LEGAL)
def test_set_status_allows_legal_moves_and_records_them(staff_user, from_status, to_status):
    order = OrderFactory(status=from_status)
    before = order.history.count()
    order_set_status(order=order, to_status=to_status, by=Actor.STAFF, by_user=staff_user)
    stored = Order.objects.get(pk=order.pk)
    assert stored.status == to_status
    assert stored.updated_at >= stored.created_at
    last = stored.history.order_by("changed_at", "id").last()
    assert stored.history.count() == before + 1
    assert (last.from_status, last.to_status, last.changed_by, last.changed_by_user) == (
        from_status,
        to_status,
        Actor.STAFF,
        staff_user,
    )


@pytest.mark.parametrize(("from_status", "to_status"), ILLEGAL)
def test_set_status_respects_pipeline(from_status, to_status):
    order = OrderFactory(status=from_status)
    before = order.history.count()
    with pytest.raises(InvalidTransition) as caught:
        order_set_status(order=order, to_status=to_status, by=Actor.STAFF)
    assert caught.value.code == "invalid_transition"
    assert Order.objects.get(pk=order.pk).status == from_status
    assert order.history.count() == before


def test_set_status_refuses_unknown_status_names():
    order = OrderFactory()
    with pytest.raises(InvalidInput) as caught:
        order_set_status(order=order, to_status="LOST", by=Actor.STAFF)
    assert caught.value.field == "status"


def test_set_status_on_a_stale_order_loses_to_the_move_that_happened_first():
    order = OrderFactory()
    stale = Order.objects.get(pk=order.pk)
    order_set_status(order=order, to_status=OrderStatus.SHIPPED, by=Actor.STAFF)
    with pytest.raises(InvalidTransition):
        order_set_status(order=stale, to_status=OrderStatus.CANCELLED, by=Actor.CUSTOMER)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED
    assert list(order.history.values_list("to_status", flat=True)) == ["IN_PROGRESS", "SHIPPED"]


def test_cancel_returns_the_stock_of_every_line(user):
    phone = ProductFactory(stock=10)
    case = ProductFactory(stock=10)
    order = order_create(customer=user, items=[item(phone, 4), item(case, 1), item(phone, 2)])
    assert (stock_of(phone), stock_of(case)) == (4, 9)
    order_cancel(order=order, by=Actor.CUSTOMER, by_user=user)
    assert (stock_of(phone), stock_of(case)) == (10, 10)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED


def test_cancelling_twice_is_refused_and_restocks_once(user):
    product = ProductFactory(stock=10)
    order = order_create(customer=user, items=[item(product, 3)])
    order_cancel(order=order, by=Actor.CUSTOMER)
    with pytest.raises(InvalidTransition):
        order_cancel(order=Order.objects.get(pk=order.pk), by=Actor.CUSTOMER)
    with pytest.raises(InvalidTransition):
        order_cancel(order=order, by=Actor.CUSTOMER)
    assert stock_of(product) == 10


def test_staff_move_to_cancelled_restocks_too(user, staff_user):
    product = ProductFactory(stock=10)
    order = order_create(customer=user, items=[item(product, 3)])
    order_set_status(order=order, to_status=OrderStatus.CANCELLED, by=Actor.STAFF, by_user=staff_user)
    assert stock_of(product) == 10


def test_cancel_restocks_a_product_deactivated_since_the_order(user):
    product = ProductFactory(stock=10)
    order = order_create(customer=user, items=[item(product, 3)])
    Product.objects.filter(pk=product.pk).update(is_active=False)
    order_cancel(order=order, by=Actor.CUSTOMER)
    assert stock_of(product) == 10


def test_shipping_does_not_touch_stock(user):
    product = ProductFactory(stock=10)
    order = order_create(customer=user, items=[item(product, 3)])
    order_set_status(order=order, to_status=OrderStatus.SHIPPED, by=Actor.STAFF)
    order_set_status(order=order, to_status=OrderStatus.DELIVERED, by=Actor.STAFF)
    assert stock_of(product) == 7


# --- account deletion ---------------------------------------------------------------


def test_closing_a_deleted_customers_orders_cancels_open_ones_with_restock_and_detaches_all():
    customer = UserFactory()
    other = UserFactory()
    product = ProductFactory(stock=20)
    open_order = OrderFactory(customer=customer, items=[(product, 2)])
    shipped = OrderFactory(customer=customer, items=[(product, 3)], status=OrderStatus.SHIPPED)
    cancelled = OrderFactory(customer=customer, items=[(product, 4)], status=OrderStatus.CANCELLED)
    others = OrderFactory(customer=other, items=[(product, 5)])
    assert stock_of(product) == 20 - 2 - 3 - 5

    assert orders_close_for_deleted_customer(customer=customer) == 1

    assert stock_of(product) == 20 - 3 - 5
    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses[open_order.pk] == OrderStatus.CANCELLED
    assert statuses[shipped.pk] == OrderStatus.SHIPPED
    assert statuses[cancelled.pk] == OrderStatus.CANCELLED
    assert statuses[others.pk] == OrderStatus.IN_PROGRESS
    assert not Order.objects.filter(customer=customer).exists()
    assert Order.objects.filter(customer__isnull=True).count() == 3
    assert Order.objects.get(pk=others.pk).customer == other
    last = OrderStatusChange.objects.filter(order=open_order).order_by("changed_at", "id").last()
    assert (last.to_status, last.changed_by) == (OrderStatus.CANCELLED, Actor.SYSTEM)


def test_order_create_accepts_product_instances_and_raw_primary_keys_from_other_services(user):
    first = ProductFactory(stock=10)
    second = ProductFactory(stock=10)
    order = order_create(
        customer=user, items=[{"product": first, "quantity": 1}, {"product": second.pk, "quantity": 2}]
    )
    assert sorted(order.lines.values_list("quantity", flat=True)) == [1, 2]
    assert (stock_of(first), stock_of(second)) == (9, 8)
