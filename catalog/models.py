"""Catalog models: categories and products with stock.

Rules are enforced in the database where both backends allow (unique indexes
everywhere; check constraints on SQL only, since MongoDB has none) and in
``catalog.services`` everywhere.
"""

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models

MIN_PRICE = Decimal("0.01")
# The one row of CatalogVersion.
CATALOG_VERSION_NAME = "catalog"


class Category(models.Model):
    """A group of products, addressed by its slug (``electronics``)."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """Something the shop sells, with its current price and units in stock."""

    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=200)
    # Keyed by slug so that filtering and rendering by category need no join
    # (a plain $match on MongoDB).
    category = models.ForeignKey(Category, to_field="slug", on_delete=models.PROTECT, related_name="products")
    description = models.TextField(blank=True, max_length=5000)
    # At least MIN_PRICE, except 0.00 for an inactive imported product: the check
    # constraint below states the whole rule (Django validates it with the model).
    price = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))]
    )
    stock = models.IntegerField(default=0, validators=[MinValueValidator(0)])
    is_active = models.BooleanField(default=True)
    # Created by import_legacy for a product the original service's orders name but the
    # catalog lacked: inactive, with price 0.00 until staff price and activate it.
    is_imported = models.BooleanField(
        default=False,
        editable=False,
        help_text="Created by the import from the original service; set a price before activating it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "name"], name="catalog_product_name_unique_in_category"
            ),
            # Only an imported product may be unpriced (0.00), and only while it is inactive.
            models.CheckConstraint(
                condition=models.Q(price__gt=0) | models.Q(price=0, is_imported=True, is_active=False),
                name="catalog_product_price_positive",
                violation_error_message=(
                    "Price must be greater than zero; only an inactive imported product may have none."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(stock__gte=0), name="catalog_product_stock_not_negative"
            ),
        ]
        indexes = [
            # The shoppers' lists: active products, optionally of one category, in each
            # ordering the API offers (name or price, either way, then id).
            models.Index(fields=["is_active", "name", "id"], name="catalog_product_active_name"),
            models.Index(fields=["is_active", "price", "id"], name="catalog_product_active_price"),
            models.Index(
                fields=["is_active", "category", "name", "id"], name="catalog_product_category_name"
            ),
            models.Index(
                fields=["is_active", "category", "price", "id"], name="catalog_product_category_price"
            ),
            # The SKU check (unique=True's index is partial on MongoDB: see accounts.User.Meta).
            models.Index(fields=["sku"], name="catalog_product_sku_lookup"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"

    def get_constraints(self):
        """Return the constraints a form validates on the database: the unique ones, not the CHECKs.

        Price and stock are checked by ``catalog.services`` (the admin forms call the
        same checks) before anything is written, and SQLite's CHECKs back them up;
        Django would otherwise evaluate each CHECK with a query per form save (on
        MongoDB, a ``$facet`` over an empty collection) only to repeat those rules.
        """
        return [
            (
                model,
                [
                    constraint
                    for constraint in constraints
                    if not isinstance(constraint, models.CheckConstraint)
                ],
            )
            for model, constraints in super().get_constraints()
        ]


class CatalogVersion(models.Model):
    """A counter that every write to the catalog bumps: the key of the cached catalog pages.

    One row (``name="catalog"``), bumped by ``catalog.services.catalog_version_bump``
    after each write to products or categories has committed, and read by
    ``catalog.page_cache`` on every public catalog request. Kept in the database, not
    in a cache, so that every process (each worker's own memory cache, or a shared
    Redis) sees a change at once.
    """

    name = models.CharField(max_length=32, unique=True)
    version = models.PositiveBigIntegerField(default=0)

    class Meta:
        indexes = [
            # The read of every public catalog request (unique=True's index is partial on
            # MongoDB, which an equality match does not use: see accounts.User.Meta).
            models.Index(fields=["name"], name="catalog_version_name_lookup"),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"
