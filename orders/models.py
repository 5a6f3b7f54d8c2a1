"""Order models: orders, their lines, status history and idempotency records.

Nothing but ``orders.services`` writes these (STYLE.md habit 3).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class OrderStatus(models.TextChoices):
    """The life cycle of an order; legal moves are in ``orders.services``."""

    IN_PROGRESS = "IN_PROGRESS", "In progress"
    SHIPPED = "SHIPPED", "Shipped"
    DELIVERED = "DELIVERED", "Delivered"
    CANCELLED = "CANCELLED", "Cancelled"


class Actor(models.TextChoices):
    """Who made a status change, as shown to customers."""

    CUSTOMER = "customer", "Customer"
    STAFF = "staff", "Staff"
    SYSTEM = "system", "System"


class Order(models.Model):
    """A customer's order; survives account deletion with ``customer`` set to null."""

    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    # The human-readable order number (digits, from FIRST_ORDER_NUMBER up), allocated by
    # orders.services inside the order's write; what customers and staff quote.
    number = models.PositiveBigIntegerField(unique=True, editable=False)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.IN_PROGRESS)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # Where the order goes: a copy of the address fields taken when it was placed
    # (accounts.Address without id and default flag), so later edits of a saved address
    # do not change it. Null for orders placed through the legacy routes.
    shipping_address = models.JSONField(null=True, blank=True, editable=False)
    # The customer's note to the shop (at most ORDER_NOTE_MAX_LENGTH characters).
    note = models.TextField(blank=True, default="", editable=False)
    # The read model: the order's lines and history as the API renders them
    # ({"items": [...], "history": [...]}, orders.representation), kept by orders.services
    # in the same writes as the order's row. Null for an order written before it existed:
    # then it is rendered from the lines and history tables.
    details = models.JSONField(null=True, blank=True, editable=False)
    # The whole order as its customer sees it, without the id: compact JSON text
    # (orders.representation.order_rendered), written with details. The customer's order
    # list embeds it undecoded. Null where details are.
    rendered = models.TextField(null=True, blank=True, editable=False)  # noqa: DJ001 - null: not yet rendered

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The next number (the highest so far) and the admin's search by number; the
            # unique index is partial on MongoDB and serves neither (see accounts.User.Meta).
            models.Index(fields=["-number"], name="orders_number_desc"),
            models.Index(fields=["customer", "-created_at", "-id"], name="orders_customer_newest"),
            models.Index(
                fields=["customer", "status", "-created_at", "-id"], name="orders_customer_status_newest"
            ),
            models.Index(fields=["status", "-created_at", "-id"], name="orders_status_newest"),
            models.Index(fields=["-created_at", "-id"], name="orders_newest"),
        ]

    def __str__(self) -> str:
        return f"Order {self.number} ({self.status})"


class OrderLine(models.Model):
    """One product in an order, with the catalog data snapshotted when it was placed."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="order_lines")
    position = models.PositiveSmallIntegerField()
    sku = models.CharField("SKU", max_length=64)
    name = models.CharField(max_length=200)
    category_slug = models.CharField(max_length=50)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    quantity = models.PositiveIntegerField()
    line_total = models.DecimalField(max_digits=12, decimal_places=2)
    # Whether the line's units were taken from stock (so cancelling gives them back).
    # Orders imported from the original service (import_legacy) took none.
    stock_reserved = models.BooleanField(default=True, editable=False)

    class Meta:
        # "order_id", not "order": ordering by the relation would sort by the
        # order's own ordering, a join ($lookup on MongoDB) for every line query.
        ordering = ["order_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="orders_line_position_unique"),
        ]
        # A page's lines, in order (the unique index is partial on MongoDB: see accounts.User.Meta).
        indexes = [models.Index(fields=["order", "position"], name="orders_line_order_position")]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"


class OrderStatusChange(models.Model):
    """One move in an order's life; creation is the first (``from_status`` null)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="history")
    # Null (not "") for the creation entry: the API shows it as from_status: null.
    from_status = models.CharField(  # noqa: DJ001
        max_length=20, choices=OrderStatus.choices, null=True, blank=True
    )
    to_status = models.CharField(max_length=20, choices=OrderStatus.choices)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.CharField(max_length=10, choices=Actor.choices)
    # Staff identity, for the admin only; never shown to customers.
    changed_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the system recorded with the move, for staff (the import's source id and original status).
    note = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["order_id", "changed_at", "id"]  # "order_id": no join (see OrderLine)
        indexes = [models.Index(fields=["order", "changed_at", "id"], name="orders_history_order_time")]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"


class IdempotencyRecord(models.Model):
    """A client's ``Idempotency-Key`` for order creation, per user, kept 24 hours.

    ``order`` is null while the first request is still running.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_fingerprint = models.CharField(max_length=64)
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="orders_idempotency_key_unique_per_user"),
        ]
        indexes = [
            # The claim lookup (the unique index is partial on MongoDB: see accounts.User.Meta).
            models.Index(fields=["user", "key"], name="orders_idempotency_lookup"),
            models.Index(fields=["created_at"], name="orders_idempotency_created"),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.user_id})"
