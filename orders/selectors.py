"""Order selectors: the reads behind the order list and detail.

Customers see their own orders only; staff see all. Lines and history are loaded
with ``prefetch_related`` over reverse foreign keys, which is one extra query per
relation on SQL and a plain ``$in`` query on MongoDB (no join, no many-to-many),
so the number of queries does not depend on the number of orders.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from accounts.models import User, normalize_email_address
from orders.models import Order, OrderLine, OrderStatus, OrderStatusChange
from shop.db import primary_key_parse
from shop.errors import InvalidInput, NotFound


def _with_details(queryset: QuerySet[Order]) -> QuerySet[Order]:
    """Return ``queryset`` with its lines and history prefetched in display order."""
    return queryset.prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.order_by("position")),
        Prefetch("history", queryset=OrderStatusChange.objects.order_by("changed_at", "id")),
    )


def order_status_parse(*, status: str | None) -> str | None:
    """Return ``status`` if it names a status (None passes); else InvalidInput on ``status``."""
    if status is None:
        return None
    if status not in OrderStatus.values:
        raise InvalidInput(
            f"Unknown status {status!r}; use one of {', '.join(OrderStatus.values)}.", field="status"
        )
    return status


def order_list(*, user, status: str | None = None, customer_email: str | None = None) -> QuerySet[Order]:
    """Return the orders ``user`` may see, newest first, with lines and history prefetched.

    Customers get their own orders (``customer_email`` is ignored for them); staff
    get every order, or one customer's with ``customer_email``. ``status`` filters
    (an unknown name is InvalidInput on ``status``).
    """
    status = order_status_parse(status=status)
    if user.is_staff:
        queryset = Order.objects.all()
        if customer_email:
            # Resolve the customer first so the order query stays a plain indexed match
            # (a filter across the relation would be a $lookup join on MongoDB).
            customer_id = (
                User.objects.filter(email=normalize_email_address(customer_email))
                .values_list("pk", flat=True)
                .first()
            )
            queryset = queryset.filter(customer_id=customer_id) if customer_id else queryset.none()
    else:
        queryset = Order.objects.filter(customer_id=user.pk)
    if status:
        queryset = queryset.filter(status=status)
    return _with_details(queryset.order_by("-created_at", "-id"))


def order_get(*, user, order_id) -> Order:
    """Return the order ``order_id`` with lines and history if ``user`` may see it.

    Someone else's order, an unknown id and a malformed id are all NotFound, so
    existence is never revealed.
    """
    pk = order_id_parse(order_id)
    if pk is None:
        raise NotFound("Order not found.")
    queryset = Order.objects.filter(pk=pk)
    if not user.is_staff:
        queryset = queryset.filter(customer_id=user.pk)
    order = _with_details(queryset).first()
    if order is None:
        raise NotFound("Order not found.")
    return order


def order_id_parse(value):
    """Return ``value`` as an order primary key of the active backend, or None if malformed."""
    return primary_key_parse(model=Order, value=value)
