"""Domain errors of the orders app, each with a machine ``code``.

They subclass the shared families of ``shop.errors`` so that
``shop.api.exceptions`` (v1) and the legacy adapters map them to HTTP once:
InvalidTransition and InsufficientStock are conflicts (409), a reused
idempotency key is unprocessable (422).
"""

from __future__ import annotations

from shop import errors


class OrderError(errors.ShopError):
    """Base of the errors raised by ``orders.services``."""

    code = "order_error"


class InvalidTransition(OrderError, errors.Conflict):
    """The order's status does not allow the requested move (or it moved meanwhile)."""

    code = "invalid_transition"
    default_message = "This status change is not allowed for the order's current status."


class InsufficientStock(OrderError, errors.Conflict):
    """At least one line asks for more units than are in stock; ``products`` names them all."""

    code = "insufficient_stock"
    default_message = "Not enough stock for some of the products; nothing was reserved."

    def __init__(self, message: str | None = None, *, products: list[str], **kwargs):
        self.products = products
        super().__init__(message, products=products, **kwargs)


class IdempotencyKeyReused(OrderError, errors.Unprocessable):
    """The ``Idempotency-Key`` was already used by this user with a different request body."""

    code = "idempotency_key_reused"
    default_message = "This Idempotency-Key was already used with a different request body."


class IdempotencyKeyInProgress(OrderError, errors.Conflict):
    """Another request with the same ``Idempotency-Key`` is still being processed."""

    code = "idempotency_key_in_progress"
    default_message = "A request with this Idempotency-Key is still in progress; retry shortly."


class InvalidIdempotencyKey(OrderError, errors.InvalidInput):
    """The ``Idempotency-Key`` header is empty, too long or not printable ASCII."""

    code = "invalid_idempotency_key"
    default_message = "Idempotency-Key must be 1 to 255 printable ASCII characters."
