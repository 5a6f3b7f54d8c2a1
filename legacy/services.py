"""The legacy routes' operations: the original service's inputs translated to the shared services.

Nothing here writes on its own: orders are placed and moved by ``orders.services``
and accounts closed by ``shop.services.account_close``. What lives here is only what the
original contract adds (LEGACY.md): finding a product by category and name,
reading status text loosely, and who may use ``/orders/update`` and ``/users/<id>``.
"""

from __future__ import annotations

from accounts.models import User
from catalog.models import Product
from legacy.selectors import legacy_category_find, legacy_product_find
from orders.errors import InsufficientStock
from orders.models import Actor, Order, OrderStatus
from orders.selectors import order_get, order_id_parse
from orders.services import order_cancel, order_create, order_set_status
from shop.db import primary_key_parse, unique_row
from shop.errors import InvalidInput, NotAllowed, NotFound
from shop.services import account_close

ORDER_ID_PARAM = "order_id"


def legacy_product_resolve(*, category_text: str, product_text: str) -> Product:
    """Return the active product ``product_text`` in category ``category_text`` (both any case).

    An unknown category is InvalidInput on ``type``, an unknown product on ``products``.
    """
    category = legacy_category_find(text=category_text)
    if category is None:
        raise InvalidInput(f"Unknown category {category_text!r}.", field="type")
    product = legacy_product_find(category=category, name=product_text)
    if product is None:
        raise InvalidInput(
            f"Unknown product {product_text!r} in category {category.slug!r}.", field="products"
        )
    return product


def legacy_order_create(*, customer: User, product: Product, quantity: int) -> Order:
    """Place a one-line order through ``orders.services.order_create`` (same rules as v1).

    When stock is short the InsufficientStock (409) names the product, since a legacy
    client knows products by name, not by id.
    """
    try:
        return order_create(customer=customer, items=[{"product": str(product.pk), "quantity": quantity}])
    except InsufficientStock as exc:
        raise InsufficientStock(
            f"Not enough stock for {product.name!r}: {quantity} requested; nothing was reserved.",
            products=exc.products,
        ) from None


def legacy_order_id_check(*, order_id: str | None) -> str:
    """Return the ``order_id`` query parameter; missing or malformed is InvalidInput (400, not 404)."""
    if order_id is None or not order_id.strip():
        raise InvalidInput("This query parameter is required.", field=ORDER_ID_PARAM)
    if order_id_parse(order_id) is None:
        raise InvalidInput(f"{order_id!r} is not a valid order id.", field=ORDER_ID_PARAM)
    return order_id


def legacy_status_key(text: str) -> str:
    """Return status text as the legacy routes compare it: upper case, without spaces and underscores."""
    return "".join(char for char in text if char not in " _").upper()


def legacy_status_parse(*, text: str) -> str:
    """Return the status ``text`` names, ignoring case, spaces and underscores (``"in progress"``).

    Text that names no status is InvalidInput on ``status``.
    """
    wanted = legacy_status_key(text)
    for status in OrderStatus.values:
        if wanted and legacy_status_key(status) == wanted:
            return status
    raise InvalidInput(
        f"Unknown status {text!r}; use one of {', '.join(OrderStatus.values)}.", field="status"
    )


def legacy_order_status_update(*, user: User, order_id: str, status_text: str) -> Order:
    """Move an order as ``PUT /orders/update`` may: staff any legal move, a customer only to CANCELLED.

    A customer asking for any other status is NotAllowed, whatever the order (so the
    answer reveals nothing about it); their cancellation is ``/orders/cancel``'s.
    Someone else's order is NotFound, an illegal move InvalidTransition (409).
    """
    to_status = legacy_status_parse(text=status_text)
    if not user.is_staff and to_status != OrderStatus.CANCELLED:
        raise NotAllowed("Customers may only cancel their orders; other status changes are made by staff.")
    order = order_get(user=user, order_id=order_id)
    if user.is_staff:
        return order_set_status(order=order, to_status=to_status, by=Actor.STAFF, by_user=user)
    return order_cancel(order=order, by=Actor.CUSTOMER, by_user=user)


def legacy_user_delete(*, actor: User, user_id: str) -> None:
    """Delete account ``user_id`` as ``DELETE /users/<user_id>`` allows, through ``account_close``.

    Anyone may delete their own account (as ``DELETE /api/v1/accounts/me/``). A
    customer asking for any other id, existing or not, is NotAllowed (existence is
    not revealed). Staff may delete non-staff accounts: an unknown or malformed id
    is NotFound, a staff or superuser account NotAllowed.
    """
    pk = primary_key_parse(model=User, value=user_id)
    if pk is not None and pk == actor.pk:
        account_close(user=actor)
        return
    if not actor.is_staff:
        raise NotAllowed("You may delete only your own account.")
    target = unique_row(User.objects.filter(pk=pk)) if pk is not None else None
    if target is None:
        raise NotFound("No user with this id.")
    if target.is_staff or target.is_superuser:
        raise NotAllowed("Staff accounts cannot be deleted through this route.")
    account_close(user=target)
