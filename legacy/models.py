"""What ``import_legacy`` brought over from the original service: its ids, and the shop's rows for them.

One row per imported user and per imported order, keyed by the original document's
``_id`` (an ObjectId, stored as its 24-character hex text). This is how a re-run
knows what it already imported, and how an order's ``customer_id`` finds its user:

* on SQLite the shop's ids are new integers, and this is the only link;
* on MongoDB users and orders keep the original ObjectId as their ``_id`` (old
  ``customer_id``s and ``/users/<id>`` keep meaning the same person), and the row
  is the record that the import happened.

The row outlives what it points at (``on_delete=SET_NULL``): a customer who deleted
their account after the import is not brought back by the next run.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

SOURCE_ID_LENGTH = 24  # an ObjectId in hex


class LegacyUserImport(models.Model):
    """A user document of the original service that the import has handled."""

    source_id = models.CharField(max_length=SOURCE_ID_LENGTH, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["source_id"]
        # MongoDB builds the unique index above as a $type-partial one, which an
        # equality query does not use; the import looks source ids up by the batch.
        indexes = [models.Index(fields=["source_id"], name="legacy_user_import_source")]

    def __str__(self) -> str:
        return f"user {self.source_id} -> {self.user_id or 'deleted'}"


class LegacyOrderImport(models.Model):
    """An order document of the original service that the import has handled."""

    source_id = models.CharField(max_length=SOURCE_ID_LENGTH, unique=True)
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["source_id"]
        indexes = [models.Index(fields=["source_id"], name="legacy_order_import_source")]

    def __str__(self) -> str:
        return f"order {self.source_id} -> {self.order_id or 'deleted'}"
