"""Order services: the only code that writes orders, lines, history and idempotency records.

* :func:`order_create` validates everything first, snapshots prices and the shipping
  address, reserves stock for every line with conditional single-document updates
  (all or nothing, with compensation), then writes the order under the next order
  number (:func:`order_number_next`), its lines and its first history entry.
* :func:`order_set_status` is the one function that moves an order's status: the
  legal moves are data (:data:`ORDER_TRANSITIONS`, django-oscar's pipeline), the move
  is a conditional update on the old status (two concurrent moves cannot both win),
  every move writes an ``OrderStatusChange`` and a move to ``CANCELLED`` restocks.
* :func:`orders_close_for_deleted_customer` is the orders part of closing an account
  (``shop.services.account_close``).
* Placing an order, shipping it and cancelling it (but for a closing account) write
  the customer's email to the outbox inside the same operation (``notifications``):
  sent after commit, never for a change that rolled back.
* Every change a customer can see in their orders ends with
  :func:`customer_orders_version_bump`, the key of the cached order-list pages
  (``orders.page_cache``).

Each of them is one business operation (``shop.transactions.run``): one transaction
on SQL and on a MongoDB replica set, retried after transient errors. The
conditional single-document updates stay the concurrency layer everywhere, and
where there is no transaction (a standalone MongoDB server) every write is either
undone when the operation fails (creation) or finished (status moves), so nothing
is left half-written.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.models import User
from catalog.models import Product
from catalog.services import product_stock_release, product_stock_reserve
from notifications.models import EmailKind
from notifications.services import email_enqueue
from orders.errors import (
    IdempotencyKeyInProgress,
    IdempotencyKeyReused,
    InsufficientStock,
    InvalidIdempotencyKey,
    InvalidTransition,
)
from orders.models import Actor, IdempotencyRecord, Order, OrderLine, OrderStatus, OrderStatusChange
from orders.representation import (
    ITEMS,
    LINE_COLUMNS,
    details_render,
    details_with_move,
    line_render,
    order_rendered,
)
from shop import errors, transactions
from shop.db import primary_key_parse, to_milliseconds, unique_row
from shop.errors import InvalidInput, NotAuthenticated, NotFound

logger = logging.getLogger(__name__)

# The status machine as data: each status maps to the statuses it may move to.
ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.IN_PROGRESS: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}

MAX_LINES = 50
MIN_QUANTITY = 1
MAX_QUANTITY = 1000
# DecimalField(max_digits=12, decimal_places=2) holds at most this much.
MAX_AMOUNT = Decimal("9999999999.99")

IDEMPOTENCY_KEY_MAX_LENGTH = 255
IDEMPOTENCY_WINDOW = timedelta(hours=24)
# A claim still without an order after this long belongs to a request whose process
# died (a failure in the process deletes its claim); the key becomes usable again.
IDEMPOTENCY_ABANDONED_CLAIM = timedelta(minutes=10)

ITEMS_FIELD = "items"
SHIPPING_ADDRESS_FIELD = "shipping_address"
SHIPPING_ADDRESS_ID_FIELD = "shipping_address_id"
NOTE_FIELD = "note"
ORDER_NOTE_MAX_LENGTH = 500

# Order numbers are digits, unique and increasing, from this one (API.md).
FIRST_ORDER_NUMBER = 1001
# How often an insert that lost its number to a concurrent order takes the next one.
ORDER_NUMBER_ATTEMPTS = 5


def order_actor(*, user) -> str:
    """Return how ``user`` appears in an order's history: staff or customer."""
    return Actor.STAFF if user.is_staff else Actor.CUSTOMER


def order_next_statuses(*, status: str) -> frozenset[str]:
    """Return the statuses an order in ``status`` may legally move to."""
    return ORDER_TRANSITIONS.get(status, frozenset())


# --- Creation -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    """One validated, merged order line before anything is written."""

    position: int
    product: Product
    quantity: int

    @property
    def line_total(self) -> Decimal:
        return self.product.price * self.quantity


def order_create(
    *,
    customer,
    items: Iterable[Mapping[str, Any]],
    shipping_address: Mapping[str, Any] | None = None,
    shipping_address_id=None,
    note: str = "",
    idempotency_key: str | None = None,
    request_fingerprint: str | None = None,
) -> Order:
    """Place an order of ``items`` (``[{"product": id, "quantity": n}, ...]``) for ``customer``.

    Validation comes first (1 to 50 lines as sent; the same product twice is
    merged; each merged quantity 1 to 1000; every product known and active:
    otherwise ``InvalidInput`` on ``items``). The order ships to ``shipping_address``
    (the address fields, checked by ``accounts.services.address_clean``) or to the
    customer's saved address ``shipping_address_id`` (someone else's, or an unknown
    id: InvalidInput on ``shipping_address_id``), copied so that later edits of the
    saved address do not change the order; both at once is InvalidInput on
    ``shipping_address``, neither an order without an address (the legacy routes';
    the v1 API requires one). ``note`` is the customer's note (at most 500
    characters, else InvalidInput on ``note``). Then, as one business operation
    (``shop.transactions.run``): the idempotency key is claimed, stock is reserved
    for every line in product-id order, all or nothing (``InsufficientStock``
    naming every short product), and the order, its lines and the first history
    entry are written.

    With ``idempotency_key`` a repeat of the same request (same
    ``request_fingerprint``, by default the fingerprint of the fields given) within 24 hours
    returns the order the first request created, without reserving anything; a
    different request with the key raises ``IdempotencyKeyReused``; a repeat while
    the first still runs raises ``IdempotencyKeyInProgress``. A failed request
    leaves nothing behind: no claim, no order, no reservation.
    """
    if isinstance(items, tuple):
        items = list(items)
    address = shipping_address_resolve(
        customer=customer, shipping_address=shipping_address, shipping_address_id=shipping_address_id
    )
    note = order_note_clean(note)
    fingerprint = None
    if idempotency_key is not None:
        idempotency_key_validate(key=idempotency_key)
        body = {
            ITEMS_FIELD: items,
            SHIPPING_ADDRESS_FIELD: shipping_address,
            SHIPPING_ADDRESS_ID_FIELD: shipping_address_id,
            NOTE_FIELD: note,
        }
        fingerprint = request_fingerprint or idempotency_fingerprint(
            body={name: value for name, value in body.items() if value not in (None, "")}
        )

    # The catalog is read before the operation, outside its transaction (on SQLite, outside
    # the only write lock, which other orders wait for); the reservation checks again that
    # every product is active, so an order never takes one deactivated meanwhile.
    refused = None
    try:
        lines, total = _lines_priced(items)
    except InvalidInput as exc:
        if idempotency_key is None:
            raise
        refused = exc  # A replay answers with the first order even if its products changed since.

    def place() -> Order:
        record = None
        if idempotency_key is not None:
            record, replay = _idempotency_claim(user=customer, key=idempotency_key, fingerprint=fingerprint)
            if replay is not None:
                return replay
        if refused is not None:
            raise refused
        order = _order_write(customer=customer, lines=lines, total=total, shipping_address=address, note=note)
        if record is not None:
            IdempotencyRecord.objects.filter(pk=record.pk).update(order=order)
        order_email(order=order, kind=EmailKind.ORDER_PLACED, customer=customer)
        if not customer_orders_version_bump(customer_id=customer.pk):
            # The account was deleted while this request ran: no order for it (all is undone).
            raise NotAuthenticated("This account no longer exists.", code="user_not_found")
        return order

    return transactions.run(place)


def shipping_address_resolve(
    *, customer, shipping_address: Mapping[str, Any] | None, shipping_address_id
) -> dict[str, str] | None:
    """Return the address an order of ``customer`` ships to, as the order keeps it (or None).

    At most one of ``shipping_address`` (the address fields) and
    ``shipping_address_id`` (one of the customer's saved addresses). InvalidInput on
    ``shipping_address`` for both, or for an inline address that
    ``accounts.services.address_clean`` refuses (the message names the field); on
    ``shipping_address_id`` for an id that is not one of the customer's addresses.
    """
    if shipping_address is not None and shipping_address_id is not None:
        raise InvalidInput(
            "Send either shipping_address or shipping_address_id, not both.", field=SHIPPING_ADDRESS_FIELD
        )
    if shipping_address is not None:
        if not isinstance(shipping_address, Mapping):
            raise InvalidInput("Expected an object with the address fields.", field=SHIPPING_ADDRESS_FIELD)
        try:
            return account_services.address_clean(fields=shipping_address)
        except InvalidInput as exc:
            raise InvalidInput(f"{exc.field}: {exc.message}", field=SHIPPING_ADDRESS_FIELD) from None
    if shipping_address_id is not None:
        try:
            saved = account_selectors.address_get(user=customer, address_id=shipping_address_id)
        except NotFound:
            raise InvalidInput(
                f"Unknown address {shipping_address_id!r}: use the id of one of your saved addresses.",
                field=SHIPPING_ADDRESS_ID_FIELD,
            ) from None
        return account_services.address_snapshot(address=saved)
    return None


def order_note_clean(note) -> str:
    """Return the customer's note stripped; InvalidInput on ``note`` unless a string of at most 500 chars."""
    if note is None:
        return ""
    if not isinstance(note, str):
        raise InvalidInput("The note must be a string.", field=NOTE_FIELD)
    note = note.strip()
    if len(note) > ORDER_NOTE_MAX_LENGTH:
        raise InvalidInput(
            f"The note has at most {ORDER_NOTE_MAX_LENGTH} characters; got {len(note)}.", field=NOTE_FIELD
        )
    return note


def order_number_next() -> int:
    """Return the number the next order gets: one more than the highest so far (from 1001).

    A read of the first entry of the ``-number`` index. Two orders placed at once may
    read the same number; the unique index lets only one of them keep it
    (:func:`_order_insert`).
    """
    highest = Order.objects.order_by("-number").values_list("number", flat=True).first()
    return max(highest or 0, FIRST_ORDER_NUMBER - 1) + 1


def _order_insert(**fields) -> Order:
    """Insert an order under the next free number, with its rendering (``Order.rendered``); return it.

    The number is allocated inside the order's own write: if a concurrent order took
    it first, the unique index refuses the insert; inside a MongoDB transaction that
    reruns the whole operation (``shop.transactions.rerun_if_in_transaction``), without
    a transaction the insert takes the next number. In an SQLite transaction the
    operation holds the only write lock, so no other order can take the number it
    read: the insert needs no savepoint to recover from (two statements fewer).
    """
    # A savepoint inside an operation's transaction on SQL, so that a duplicate number
    # does not break the transaction; none where no duplicate can come.
    savepoint = not transactions.operation_holds_write_lock()
    for _attempt in range(ORDER_NUMBER_ATTEMPTS):
        number = order_number_next()
        try:
            order = Order(number=number, **fields)
            order.rendered = order_rendered(order)
            with transaction.atomic(savepoint=savepoint):
                order.save(force_insert=True)
                return order
        except IntegrityError as exc:
            transactions.rerun_if_in_transaction(exc)
            if Order.objects.filter(number=number).exists():
                continue  # Taken meanwhile: take the next one.
            raise
    raise errors.TransactionConflict()


def _order_write(
    *, customer, lines: list[_Line], total: Decimal, shipping_address: dict | None, note: str
) -> Order:
    """Reserve the stock of ``lines`` and write the order, its lines and its creation entry.

    Part of :func:`order_create`'s operation: without a transaction, each write
    registers how to undo it (``shop.transactions.on_failure``).
    """
    stock_reserve_all(lines={line.product.pk: line.quantity for line in lines})
    # As every backend stores it, so the order answered from memory equals a later read.
    now = to_milliseconds(timezone.now())
    line_values = [
        {
            "product_id": line.product.pk,
            "position": line.position,
            "sku": line.product.sku,
            "name": line.product.name,
            "category_slug": line.product.category_id,
            "unit_price": line.product.price,
            "quantity": line.quantity,
            "line_total": line.line_total,
        }
        for line in lines
    ]
    creation = {
        "from_status": None,
        "to_status": OrderStatus.IN_PROGRESS,
        "changed_at": now,
        "changed_by": Actor.CUSTOMER,
    }
    order = _order_insert(
        customer=customer,
        status=OrderStatus.IN_PROGRESS,
        total=total,
        currency=settings.SHOP_CURRENCY,
        shipping_address=shipping_address,
        note=note,
        created_at=now,
        updated_at=now,
        details=details_render(lines=line_values, history=[creation]),
    )
    transactions.on_failure(f"order {order.pk} with its lines and history", lambda: _order_erase(order=order))
    OrderLine.objects.bulk_create([OrderLine(order=order, **values) for values in line_values])
    OrderStatusChange.objects.create(order=order, changed_by_user=customer, **creation)
    return order


def _order_erase(*, order: Order) -> None:
    """Delete an order that failed half-way, with whatever lines and history it got (compensation).

    The customer's order-list version moves too, since a page may have been cached
    while the order was visible.
    """
    OrderStatusChange.objects.filter(order_id=order.pk).delete()
    OrderLine.objects.filter(order_id=order.pk).delete()
    Order.objects.filter(pk=order.pk).delete()
    customer_orders_version_bump(customer_id=order.customer_id)


def _lines_priced(items) -> tuple[list[_Line], Decimal]:
    """Return the validated lines of ``items`` and their total, or raise InvalidInput on items."""
    lines = _lines_validate(items)
    total = sum((line.line_total for line in lines), Decimal("0.00"))
    if total > MAX_AMOUNT:
        raise InvalidInput("The order total is too large; order fewer units.", field=ITEMS_FIELD)
    return lines, total


def _lines_validate(items) -> list[_Line]:
    """Return the merged lines of ``items`` with their products, or raise InvalidInput on items."""
    if not isinstance(items, list) or not items:
        raise InvalidInput("An order needs at least one item.", field=ITEMS_FIELD)
    if len(items) > MAX_LINES:
        raise InvalidInput(f"An order has at most {MAX_LINES} items; got {len(items)}.", field=ITEMS_FIELD)

    quantities: dict[Any, int] = {}
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise InvalidInput(
                f"Item {index}: expected an object with product and quantity.", field=ITEMS_FIELD
            )
        product_id = product_id_parse(item.get("product"))
        if product_id is None:
            raise InvalidInput(f"Item {index}: unknown product {item.get('product')!r}.", field=ITEMS_FIELD)
        quantity = item.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise InvalidInput(f"Item {index}: quantity must be a whole number.", field=ITEMS_FIELD)
        if not MIN_QUANTITY <= quantity <= MAX_QUANTITY:
            raise InvalidInput(
                f"Item {index}: quantity must be {MIN_QUANTITY} to {MAX_QUANTITY}; got {quantity}.",
                field=ITEMS_FIELD,
            )
        quantities[product_id] = quantities.get(product_id, 0) + quantity

    for product_id, quantity in quantities.items():
        if quantity > MAX_QUANTITY:
            raise InvalidInput(
                f"Product {product_id}: the merged quantity must be at most {MAX_QUANTITY}; got {quantity}.",
                field=ITEMS_FIELD,
            )

    # Unordered: the lines follow the request, and the catalog's ordering (by name) would
    # cost the query a sort (two fifths of the time Django takes to build it).
    products = Product.objects.filter(pk__in=list(quantities), is_active=True).order_by().in_bulk()
    unknown = [str(product_id) for product_id in quantities if product_id not in products]
    if unknown:
        raise InvalidInput(f"Unknown or inactive products: {', '.join(unknown)}.", field=ITEMS_FIELD)
    # Dicts keep insertion order: positions follow the first mention of each product.
    return [
        _Line(position=position, product=products[product_id], quantity=quantity)
        for position, (product_id, quantity) in enumerate(quantities.items(), start=1)
    ]


def product_id_parse(value) -> Any | None:
    """Return ``value`` (an id string, a primary key or a Product) as a product primary key, or None."""
    if isinstance(value, Product):
        value = value.pk
    return primary_key_parse(model=Product, value=value)


def stock_reserve_all(*, lines: Mapping[Any, int]) -> dict[Any, int]:
    """Reserve ``{product_id: quantity}`` all or nothing; return what was reserved.

    Products are taken in ascending id order, so concurrent orders meet in the
    same order. Every line is tried, so a failure names all short products. Each
    unit taken registers its release with ``shop.transactions.on_failure``, so
    without a transaction a failure (``InsufficientStock`` included) gives it back;
    inside one, the rollback does.
    """
    reserved: dict[Any, int] = {}
    short: list[Any] = []
    for product_id in sorted(lines):
        quantity = lines[product_id]
        if product_stock_reserve(product_id=product_id, quantity=quantity):
            reserved[product_id] = quantity
            transactions.on_failure(
                f"{quantity} units of product {product_id} reserved",
                functools.partial(product_stock_release, product_id=product_id, quantity=quantity),
            )
        else:
            short.append(product_id)
    if short:
        raise InsufficientStock(products=[str(product_id) for product_id in short])
    return reserved


def stock_release_all(*, lines: Mapping[Any, int]) -> None:
    """Give back ``{product_id: quantity}`` (cancellation), each product's release a finishing write."""
    for product_id in sorted(lines):
        transactions.complete(
            functools.partial(product_stock_release, product_id=product_id, quantity=lines[product_id]),
            description=f"return {lines[product_id]} units of product {product_id}",
        )


# --- Idempotency ----------------------------------------------------------------------


def idempotency_key_validate(*, key: str) -> None:
    """Raise InvalidIdempotencyKey unless ``key`` is 1 to 255 printable ASCII characters."""
    if (
        not isinstance(key, str)
        or not 1 <= len(key) <= IDEMPOTENCY_KEY_MAX_LENGTH
        or not all(" " <= char <= "~" for char in key)
    ):
        raise InvalidIdempotencyKey()


def _canonical(value):
    """Return ``value`` with integral floats as ints, so ``1.0`` and ``1`` compare equal as JSON."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_canonical(item) for item in value]
    return value


def idempotency_fingerprint(*, body) -> str:
    """Return a fingerprint of a parsed JSON body that is equal for equal JSON values.

    Key order and whitespace do not matter; a different value anywhere does.
    """
    canonical = json.dumps(_canonical(body), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _idempotency_claim(*, user, key: str, fingerprint: str) -> tuple[IdempotencyRecord | None, Order | None]:
    """Claim ``key`` for ``user``: return ``(record, None)``, or ``(None, order)`` for a replay.

    The unique (user, key) index makes the claim atomic on every backend: an insert
    that hits it means another request holds the key. Inside a transaction the
    claim commits with the order; without one, it is visible at once (a concurrent
    repeat sees it in progress) and its undo frees the key if the order fails.
    """
    for _attempt in range(3):
        existing = unique_row(IdempotencyRecord.objects.filter(user=user, key=key))
        if existing is not None:
            age = timezone.now() - existing.created_at
            limit = IDEMPOTENCY_ABANDONED_CLAIM if existing.order_id is None else IDEMPOTENCY_WINDOW
            if age < limit:
                return None, _idempotency_replay(record=existing, fingerprint=fingerprint)
            # Expired or abandoned: forget it (conditionally, a racer may have replaced it).
            IdempotencyRecord.objects.filter(pk=existing.pk, created_at=existing.created_at).delete()
        try:
            # A savepoint on SQL, so a duplicate does not break an enclosing transaction.
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=user, key=key, request_fingerprint=fingerprint, created_at=timezone.now()
                )
        except IntegrityError as exc:
            transactions.rerun_if_in_transaction(exc)
            continue  # Someone else claimed it in between: answer as they left it.
        transactions.on_failure(
            f"idempotency claim {record.pk}", IdempotencyRecord.objects.filter(pk=record.pk).delete
        )
        return record, None
    raise IdempotencyKeyInProgress()


def _idempotency_replay(*, record: IdempotencyRecord, fingerprint: str) -> Order:
    """Return the order of a finished request with the same body, or raise."""
    if record.request_fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    if record.order_id is None:
        raise IdempotencyKeyInProgress()
    return Order.objects.get(pk=record.order_id)


# --- Status machine ---------------------------------------------------------------------


def order_set_status(*, order: Order, to_status: str, by: str, by_user=None) -> Order:
    """Move ``order`` to ``to_status`` if the transition table allows it; return the order.

    ``by`` is the actor (``Actor.CUSTOMER``/``STAFF``/``SYSTEM``) recorded in the
    history, ``by_user`` the person if any (shown in the admin only). The move is
    a conditional update on the status the caller saw, so of two concurrent
    moves only one wins; the other gets ``InvalidTransition``. Any move to
    ``CANCELLED`` gives the order's stock back.

    One business operation: in a transaction all of it or nothing. Without one,
    the conditional update decides the move and the writes after it (history,
    restock, version) are finishing writes (``shop.transactions.complete``):
    retried, never undone, since returned stock may be sold again at once.
    """
    if to_status not in OrderStatus.values:
        raise InvalidInput(f"Unknown status {to_status!r}.", field="status")
    if by not in Actor.values:
        raise ValueError(f"Unknown actor {by!r}; use orders.models.Actor.")
    from_status = order.status
    if to_status not in order_next_statuses(status=from_status):
        raise InvalidTransition(f"An order that is {from_status} cannot become {to_status}.")

    # As every backend stores it (see _order_write).
    now = to_milliseconds(timezone.now())
    change = {"from_status": from_status, "to_status": to_status, "changed_at": now, "changed_by": by}
    # Every status has one path from creation (the table has no cycles), so the details
    # of an order that is still from_status are those the caller holds.
    details = details_with_move(order.details, change)
    moved_order = copy.copy(order)
    moved_order.status, moved_order.updated_at, moved_order.details = to_status, now, details
    rendered = order_rendered(moved_order)

    def move() -> None:
        moved = Order.objects.filter(pk=order.pk, status=from_status).update(
            status=to_status, updated_at=now, details=details, rendered=rendered
        )
        if moved != 1:
            raise InvalidTransition(f"The order is no longer {from_status}; it cannot become {to_status}.")
        transactions.complete(
            lambda: OrderStatusChange.objects.create(order_id=order.pk, changed_by_user=by_user, **change),
            description=f"history of order {order.pk}: {from_status} -> {to_status}",
        )
        if to_status == OrderStatus.CANCELLED:
            stock_release_all(lines=_order_quantities(order=order))
        kind = STATUS_EMAILS.get(to_status)
        if kind is not None and by != Actor.SYSTEM:
            transactions.complete(
                lambda: order_email(order=moved_order, kind=kind),
                description=f"{kind} email of order {order.pk}",
            )
        transactions.complete(
            lambda: customer_orders_version_bump(customer_id=order.customer_id),
            description=f"order-list version of customer {order.customer_id}",
        )

    transactions.run(move)
    # Mirror the stored row in memory, now that the operation is over.
    order.status = to_status
    order.updated_at = now
    order.details = details
    order.rendered = rendered
    # Any history prefetched before the move is stale now.
    getattr(order, "_prefetched_objects_cache", {}).pop("history", None)
    return order


# The status moves the customer hears about (``system`` moves, such as closing the account, are silent).
STATUS_EMAILS = {
    OrderStatus.SHIPPED: EmailKind.ORDER_SHIPPED,
    OrderStatus.CANCELLED: EmailKind.ORDER_CANCELLED,
}


def order_email(*, order: Order, kind: str, customer=None) -> None:
    """Write the email of ``kind`` about ``order`` to its customer into the outbox (part of the operation).

    ``customer`` is the order's customer if the caller has it; otherwise it is read.
    A detached order (its account closed) gets no email, and neither does an address
    the mail layer refuses (logged): the change it reports stands either way.
    """
    if customer is None:
        customer = unique_row(User.objects.filter(pk=order.customer_id)) if order.customer_id else None
    if customer is None:
        return
    context = order_email_context(order=order, customer_name=customer.get_short_name() or customer.email)
    try:
        email_enqueue(kind=kind, to_email=customer.email, context=context)
    except ValidationError:
        logger.warning("no %s email for order %s: the address %r is refused", kind, order.pk, customer.email)


def order_email_context(*, order: Order, customer_name: str) -> dict:
    """Return what the order emails' templates show: the order, its items and whom they greet."""
    return {"order": order, "items": order_items(order=order), "customer_name": customer_name}


def order_items(*, order: Order) -> list[dict]:
    """Return the order's lines as the API renders them: from its details, else from the lines table."""
    if order.details is not None:
        return order.details[ITEMS]
    lines = OrderLine.objects.filter(order_id=order.pk).order_by("position").values(*LINE_COLUMNS)
    return [line_render(**line) for line in lines]


def customer_orders_version_bump(*, customer_id) -> int:
    """Record that the orders of customer ``customer_id`` changed (None: a detached order).

    Pages of the customer's order list are cached under ``User.orders_version``
    (``orders.page_cache``), so this must be the last write of every change: a
    page cached under a version then always shows at least every change that
    version counts. An atomic ``F()`` increment, so concurrent changes all count. Return
    the rows changed: 0 when the customer no longer exists.
    """
    if customer_id is None:
        return 0
    return User.objects.filter(pk=customer_id).update(orders_version=F("orders_version") + 1)


def _order_quantities(*, order: Order) -> dict[Any, int]:
    """Return ``{product_id: quantity}`` of the order's lines that took their units from stock.

    Imported orders (:func:`order_import`) took none, so cancelling them gives none back.
    """
    quantities: dict[Any, int] = {}
    lines = OrderLine.objects.filter(order_id=order.pk).values_list(
        "product_id", "quantity", "stock_reserved"
    )
    for product_id, quantity, stock_reserved in lines:
        if stock_reserved:
            quantities[product_id] = quantities.get(product_id, 0) + quantity
    return quantities


def order_cancel(*, order: Order, by: str, by_user=None) -> Order:
    """Cancel an ``IN_PROGRESS`` order and give its stock back (``InvalidTransition`` otherwise)."""
    return order_set_status(order=order, to_status=OrderStatus.CANCELLED, by=by, by_user=by_user)


def orders_close_for_deleted_customer(*, customer) -> int:
    """Prepare ``customer``'s orders for the deletion of the account; return how many were cancelled.

    Every ``IN_PROGRESS`` order is cancelled with restock (by ``system``), then all
    of the customer's orders are detached from the person (``customer`` set to
    null) and kept for the shop's books. The customer's idempotency records go too.
    """
    cancelled = 0
    for order in Order.objects.filter(customer=customer, status=OrderStatus.IN_PROGRESS):
        try:
            order_set_status(order=order, to_status=OrderStatus.CANCELLED, by=Actor.SYSTEM)
        except InvalidTransition:
            continue  # Staff shipped (or it was cancelled) meanwhile: it stays as it is.
        cancelled += 1
    Order.objects.filter(customer=customer).update(customer=None)
    IdempotencyRecord.objects.filter(user=customer).delete()
    return cancelled


# --- Import from the original service -----------------------------------------------------

IMPORTED_UNIT_PRICE = Decimal("0.00")


def order_import(
    *,
    customer,
    product: Product,
    quantity: int,
    status: str,
    created_at,
    note: str,
    order_id=None,
) -> Order:
    """Write an order of the original service: one line of ``quantity`` x ``product``, in ``status``.

    The original service kept no prices, so the line and the total are 0.00 (the shop
    never invents what a customer paid), and it took no stock, so none is taken now and
    none is given back if the order is cancelled later (``OrderLine.stock_reserved``).
    The one history entry is the import (``from_status`` null, by ``system``), with
    ``note`` saying what it came from. ``created_at`` is when the original order was
    placed; ``order_id`` the primary key to give it (the original ObjectId on MongoDB)
    or None for a new one. The product may be inactive: this records the past.
    InvalidInput on ``status`` or ``quantity`` if they are not valid.
    """
    if status not in OrderStatus.values:
        raise InvalidInput(f"Unknown status {status!r}.", field="status")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < MIN_QUANTITY:
        raise InvalidInput(f"Quantity must be a whole number of at least {MIN_QUANTITY}.", field="quantity")
    now = to_milliseconds(timezone.now())
    line = {
        "product_id": product.pk,
        "position": 1,
        "sku": product.sku,
        "name": product.name,
        "category_slug": product.category_id,
        "unit_price": IMPORTED_UNIT_PRICE,
        "quantity": quantity,
        "line_total": IMPORTED_UNIT_PRICE,
    }
    entry = {"from_status": None, "to_status": status, "changed_at": now, "changed_by": Actor.SYSTEM}

    def write() -> Order:
        order = _order_insert(
            pk=order_id,
            customer=customer,
            status=status,
            total=IMPORTED_UNIT_PRICE,
            currency=settings.SHOP_CURRENCY,
            # Cut as MongoDB stores it, so that its rendering says what a read of it says.
            created_at=to_milliseconds(created_at),
            updated_at=now,
            details=details_render(lines=[line], history=[entry]),
        )
        transactions.on_failure(f"imported order {order.pk}", lambda: _order_erase(order=order))
        OrderLine.objects.create(order=order, stock_reserved=False, **line)
        OrderStatusChange.objects.create(order=order, note=note, **entry)
        customer_orders_version_bump(customer_id=customer.pk)
        return order

    return transactions.run(write)
