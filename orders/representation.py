"""An order's lines and history as the API shows them: the order's read model.

``Order.details`` keeps ``{"items": [...], "history": [...]}`` exactly as the v1
order representation renders them (API.md), written by ``orders.services`` in the
same single-document writes that place an order and move its status. Reading an
order is then one row, not three queries and some hundred row conversions
(BENCHMARKS.md). The ``OrderLine`` and ``OrderStatusChange`` tables stay the
record (the admin, stock, the legacy routes read them); an order whose details
are missing (written before the field existed) is rendered from them
(``orders.selectors.order_details_load``).

``Order.rendered`` keeps the whole order as its customer sees it (API.md), as
compact JSON text without the ``id`` (:func:`order_rendered`), written in the same
writes. What a customer reads (the list, the detail, the answers to changes) embeds it
as it is (:func:`order_fragment`), so a list page neither decodes nor builds an order:
its query reads four columns; staff's pages decode it to add the customer's email.

The formats are DRF's (``orders.serializers`` declares the fields; a test compares
the renderings): money as ``"999.00"``, times in UTC with a ``Z``.
"""

from __future__ import annotations

import orjson

from shop.api.renderers import EmbeddedJSON
from shop.api.serializers import money, timestamp

ITEMS = "items"
HISTORY = "history"
# The columns a line and a status change are rendered from (read as plain rows).
LINE_COLUMNS = (
    "order_id",
    "product_id",
    "sku",
    "name",
    "category_slug",
    "unit_price",
    "quantity",
    "line_total",
)
HISTORY_COLUMNS = ("order_id", "from_status", "to_status", "changed_at", "changed_by")
# The fields of an order's shipping address, in the order the API shows them.
ADDRESS_FIELDS = ("full_name", "line1", "line2", "city", "postal_code", "region", "country", "phone")


def line_render(*, product_id, sku: str, name: str, unit_price, quantity: int, line_total, **_unused) -> dict:
    """Return one order line (the values of an ``OrderLine``) as an order item."""
    return {
        "product": str(product_id),
        "sku": sku,
        "name": name,
        "unit_price": money(unit_price),
        "quantity": quantity,
        "line_total": money(line_total),
    }


def history_render(*, from_status, to_status: str, changed_at, changed_by: str, **_unused) -> dict:
    """Return one status change (the values of an ``OrderStatusChange``) as a history entry."""
    return {
        "from_status": from_status,
        "to_status": to_status,
        "changed_at": timestamp(changed_at),
        "changed_by": changed_by,
    }


def details_render(*, lines, history) -> dict:
    """Return the read model of an order with ``lines`` and ``history`` (dicts of column values)."""
    return {
        ITEMS: [line_render(**line) for line in lines],
        HISTORY: [history_render(**move) for move in history],
    }


def details_with_move(details: dict | None, move: dict) -> dict | None:
    """Return ``details`` with the status change ``move`` (column values) appended (None stays None)."""
    if details is None:
        return None
    return {ITEMS: details[ITEMS], HISTORY: [*details[HISTORY], history_render(**move)]}


def shipping_address_render(snapshot: dict | None) -> dict | None:
    """Render an order's address snapshot (every field, "" for one it lacks), or None."""
    if snapshot is None:
        return None
    return {name: snapshot.get(name, "") for name in ADDRESS_FIELDS}


def order_render(order) -> dict:
    """Return ``order`` (with its ``details``) as its customer sees it: the v1 order representation."""
    return {
        "id": str(order.pk),
        **_order_fields(order),
    }


def _order_fields(order) -> dict:
    return {
        "number": str(order.number),
        "status": order.status,
        ITEMS: order.details[ITEMS],
        "total": money(order.total),
        "currency": order.currency,
        "shipping_address": shipping_address_render(order.shipping_address),
        "note": order.note,
        "created_at": timestamp(order.created_at),
        "updated_at": timestamp(order.updated_at),
        HISTORY: order.details[HISTORY],
    }


def order_rendered(order) -> str | None:
    """Return the value of ``Order.rendered`` for ``order`` as it will be stored (None without details).

    :func:`order_render` without the ``id`` (not known before an SQL insert), as
    compact JSON text; :func:`order_fragment` puts the id back in front.
    """
    if order.details is None:
        return None
    return orjson.dumps(_order_fields(order)).decode()


def order_fragment(*, pk, rendered: str) -> EmbeddedJSON:
    """Return the order representation from its primary key and ``Order.rendered``, as JSON to embed.

    The JSON renderer writes it out as it is; the renderers that need values decode it
    (``shop.api.renderers.EmbeddedJSON``).
    """
    return EmbeddedJSON(b'{"id":' + orjson.dumps(str(pk)) + b"," + rendered[1:].encode())
