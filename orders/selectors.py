"""Order selectors: the reads behind the order list and detail.

Customers see their own orders only; staff see all. An order row carries its lines
and history as the API renders them (``Order.details``, the read model of
``orders.representation``), so a page of orders is one query. For orders without
it (written before it existed), :func:`order_details_load` reads the lines and
history with :func:`order_details_attach`: plain rows, one query per relation
(``order_id IN (...)``: a plain ``$in`` match on MongoDB, no join), so the number
of queries does not depend on the number of orders.
"""

from __future__ import annotations

from collections import defaultdict

import orjson
from django.db.models import QuerySet

from accounts.models import User, normalize_email_address
from orders.models import Order, OrderLine, OrderStatus, OrderStatusChange
from orders.representation import HISTORY_COLUMNS, LINE_COLUMNS, details_render, order_fragment, order_render
from shop.db import RowLookup, primary_key_parse, unique_row
from shop.errors import InvalidInput, NotFound


def order_details_attach(*, orders: list[Order], with_history: bool = True) -> list[Order]:
    """Attach each order's lines (``item_rows``) and history (``history_rows``) as dicts.

    One query per relation for any number of orders, each in display order (lines
    by position, history by time); ``with_history=False`` leaves history out
    (``history_rows`` stays empty). Return ``orders``.
    """
    order_ids = [order.pk for order in orders]
    items: dict = defaultdict(list)
    history: dict = defaultdict(list)
    if order_ids:
        lines = OrderLine.objects.filter(order_id__in=order_ids).order_by("order_id", "position")
        for row in lines.values(*LINE_COLUMNS):
            items[row["order_id"]].append(row)
    if order_ids and with_history:
        moves = OrderStatusChange.objects.filter(order_id__in=order_ids).order_by(
            "order_id", "changed_at", "id"
        )
        for row in moves.values(*HISTORY_COLUMNS):
            history[row["order_id"]].append(row)
    for order in orders:
        order.item_rows = items[order.pk]
        order.history_rows = history[order.pk]
    return orders


def order_details_load(*, orders: list[Order]) -> list[Order]:
    """Make sure every order of ``orders`` has its ``details``; return ``orders``.

    Orders written before the read model existed have none: theirs are rendered from
    the lines and history tables (two queries for all of them; none when every order
    has its details).
    """
    missing = [order for order in orders if order.details is None]
    for order in order_details_attach(orders=missing):
        order.details = details_render(lines=order.item_rows, history=order.history_rows)
    return orders


# What a page of orders is read from: the cursor's position, the customer and the rendering.
ORDER_PAGE_COLUMNS = ("id", "created_at", "customer_id", "rendered")


def order_page_rows(orders: QuerySet[Order]) -> QuerySet:
    """Return ``orders`` (of :func:`order_list`) as rows of :data:`ORDER_PAGE_COLUMNS`, to page."""
    return orders.values(*ORDER_PAGE_COLUMNS)


def order_page_render(*, rows: list[dict], with_customer_email: bool = False) -> list:
    """Return the representation of each order of ``rows`` (of :func:`order_page_rows`), in order.

    For the customer, an order's ``rendered`` text is embedded as it is
    (``orders.representation.order_fragment``); ``with_customer_email`` (staff) decodes
    it and adds ``customer_email`` (one query for the page). Orders without a rendering
    (written before it existed) are read in full and rendered, with one query for all of
    them. An order deleted between the two reads is left out.
    """
    missing = [row["id"] for row in rows if row["rendered"] is None]
    unrendered = {}
    if missing:
        unrendered = {
            order.pk: order for order in order_details_load(orders=list(Order.objects.filter(pk__in=missing)))
        }
    emails = (
        _customer_emails(customer_ids={row["customer_id"] for row in rows}) if with_customer_email else {}
    )
    page = []
    for row in rows:
        if row["rendered"] is not None and with_customer_email:
            order = {"id": str(row["id"]), **orjson.loads(row["rendered"])}
        elif row["rendered"] is not None:
            order = order_fragment(pk=row["id"], rendered=row["rendered"])
        elif row["id"] in unrendered:
            order = order_render(unrendered[row["id"]])
        else:
            continue
        if with_customer_email:
            order["customer_email"] = emails.get(row["customer_id"])
        page.append(order)
    return page


def order_customer_emails_attach(*, orders: list[Order]) -> list[Order]:
    """Attach each order's customer email (``customer_email``: None once the account is closed).

    For staff's views of orders. One query (``_id`` ``$in`` on MongoDB, no join) for
    any number of orders. Return ``orders``.
    """
    emails = _customer_emails(customer_ids={order.customer_id for order in orders})
    for order in orders:
        order.customer_email = emails.get(order.customer_id)
    return orders


def _customer_emails(*, customer_ids: set) -> dict:
    """Return ``{customer id: email}`` for the customers of ``customer_ids`` (None ignored): one query."""
    customer_ids = {pk for pk in customer_ids if pk is not None}
    if not customer_ids:
        return {}
    # No ORDER BY (the model orders by email): a plain $in on _id, which its index serves.
    return dict(User.objects.filter(pk__in=customer_ids).order_by().values_list("pk", "email"))


def order_status_parse(*, status: str | None) -> str | None:
    """Return ``status`` if it names a status (None passes); else InvalidInput on ``status``."""
    if status is None:
        return None
    if status not in OrderStatus.values:
        raise InvalidInput(
            f"Unknown status {status!r}; use one of {', '.join(OrderStatus.values)}.", field="status"
        )
    return status


def order_list(
    *, user, status: str | None = None, customer_email: str | None = None, own_only: bool = False
) -> QuerySet[Order]:
    """Return the orders ``user`` may see, newest first (complete a page with order_details_load).

    Customers get their own orders (``customer_email`` is ignored for them); staff
    get every order, or one customer's with ``customer_email``, or their own with
    ``own_only`` (the legacy ``GET /order``). ``status`` filters
    (an unknown name is InvalidInput on ``status``).
    """
    status = order_status_parse(status=status)
    if user.is_staff and not own_only:
        queryset = Order.objects.all()
        if customer_email:
            # Resolve the customer first so the order query stays a plain indexed match
            # (a filter across the relation would be a $lookup join on MongoDB).
            customer_id = unique_row(
                User.objects.filter(email=normalize_email_address(customer_email)).values_list(
                    "pk", flat=True
                )
            )
            queryset = queryset.filter(customer_id=customer_id) if customer_id else queryset.none()
    else:
        queryset = Order.objects.filter(customer_id=user.pk)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at", "-id")


# An order by id (staff), and by id among a customer's orders: compiled once (shop.db.RowLookup).
ORDER_BY_PK = RowLookup(Order, "pk")
CUSTOMER_ORDER_BY_PK = RowLookup(Order, "pk", "customer_id")


def order_get(*, user, order_id) -> Order:
    """Return the order ``order_id`` with lines and history if ``user`` may see it.

    Someone else's order, an unknown id and a malformed id are all NotFound, so
    existence is never revealed.
    """
    pk = order_id_parse(order_id)
    if pk is None:
        raise NotFound("Order not found.")
    order = ORDER_BY_PK(pk=pk) if user.is_staff else CUSTOMER_ORDER_BY_PK(pk=pk, customer_id=user.pk)
    if order is None:
        raise NotFound("Order not found.")
    return order_details_load(orders=[order])[0]


def order_id_parse(value):
    """Return ``value`` as an order primary key of the active backend, or None if malformed."""
    return primary_key_parse(model=Order, value=value)
