"""An order's lines and history as the API shows them: the order's read model.

``Order.details`` keeps ``{"items": [...], "history": [...]}`` exactly as the v1
order representation renders them (API.md), written by ``orders.services`` in the
same single-document writes that place an order and move its status. Reading an
order is then one row, not three queries and some hundred row conversions
(BENCHMARKS.md). The ``OrderLine`` and ``OrderStatusChange`` tables stay the
record (the admin, stock, the legacy routes read them); an order whose details
are missing (written before the field existed) is rendered from them
(``orders.selectors.order_details_load``).

The formats are DRF's (``orders.serializers`` declares the fields; a test compares
the renderings): money as ``"999.00"``, times in UTC with a ``Z``.
"""

from __future__ import annotations

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
