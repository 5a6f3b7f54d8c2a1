"""Catalog services: every write to categories and products goes through here.

The rules of API.md "Catalog" live here, not only in the database: MongoDB has
no check constraints, so these functions are the guard on every backend, and
unique indexes only back them up (a race that slips past a check is still
reported as a 400 naming the field, never as an IntegrityError).

Stock edits by staff are *differences*: the editor says which stock they saw and
which they want, and the service adds ``wanted - seen`` with one atomic ``F()``
update, so reservations made in between are never overwritten.

Every function here that changes what a public product page shows, other than the
stock, ends by bumping the catalog version (:func:`catalog_version_bump`), the key
of the cached pages of the public product list (``catalog.page_cache``). Stock
reservations and releases (every order) do not: a cached page's stock is read afresh
on every request. Nor do categories (the public product pages show only the slug,
which cannot change while products use it) or imported products (inactive until
staff edit them).
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError
from django.utils import timezone

from catalog.models import CATALOG_VERSION_NAME, MIN_PRICE, CatalogVersion, Category, Product
from shop import db, transactions
from shop.errors import Conflict, InvalidInput

MAX_PRICE = Decimal("9999999999.99")  # what DecimalField(max_digits=12, decimal_places=2) holds
MAX_STOCK = 1_000_000_000
SKU_MAX_LENGTH = Product._meta.get_field("sku").max_length
PRODUCT_NAME_MAX_LENGTH = Product._meta.get_field("name").max_length
DESCRIPTION_MAX_LENGTH = Product._meta.get_field("description").max_length
CATEGORY_SLUG_MAX_LENGTH = Category._meta.get_field("slug").max_length
CATEGORY_NAME_MAX_LENGTH = Category._meta.get_field("name").max_length
SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")

PRODUCT_FIELDS = frozenset({"sku", "name", "category", "description", "price", "stock", "is_active"})

# --- Validation helpers (shared by create and update; the admin forms call them too) --


def clean_text(value, *, field: str, max_length: int, allow_blank: bool = False) -> str:
    """Return ``value`` stripped, or raise InvalidInput naming ``field``."""
    if not isinstance(value, str):
        raise InvalidInput("Must be a string.", field=field)
    value = value.strip()
    if not value and not allow_blank:
        raise InvalidInput("This field may not be blank.", field=field)
    if len(value) > max_length:
        raise InvalidInput(f"Ensure this field has no more than {max_length} characters.", field=field)
    return value


def clean_price(value) -> Decimal:
    """Return ``value`` as a 2-place Decimal greater than zero, or raise InvalidInput on ``price``."""
    if isinstance(value, bool):
        raise InvalidInput("A valid number is required.", field="price")
    try:
        price = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise InvalidInput("A valid number is required.", field="price") from None
    if not price.is_finite():
        raise InvalidInput("A valid number is required.", field="price")
    if price != price.quantize(Decimal("0.01")):
        raise InvalidInput("Ensure that there are no more than 2 decimal places.", field="price")
    if price < MIN_PRICE:
        raise InvalidInput("Price must be greater than zero.", field="price")
    if price > MAX_PRICE:
        raise InvalidInput(f"Price may not exceed {MAX_PRICE}.", field="price")
    return price.quantize(Decimal("0.01"))


def clean_stock(value, *, field: str = "stock") -> int:
    """Return ``value`` as an int from 0 to MAX_STOCK, or raise InvalidInput naming ``field``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("A valid integer is required.", field=field)
    if value < 0:
        raise InvalidInput("Stock may not be negative.", field=field)
    if value > MAX_STOCK:
        raise InvalidInput(f"Stock may not exceed {MAX_STOCK}.", field=field)
    return value


def _resolve_category(category) -> Category:
    """Return the Category given as an instance or a slug; unknown -> InvalidInput on ``category``."""
    if isinstance(category, Category):
        return category
    if not isinstance(category, str) or not category:
        raise InvalidInput("A category slug is required.", field="category")
    found = db.unique_row(Category.objects.filter(slug=category))
    if found is None:
        raise InvalidInput(f"Unknown category: {category!r}.", field="category")
    return found


def product_check_unique(*, sku: str, name: str, category_slug: str, exclude_pk=None) -> None:
    """Raise InvalidInput if ``sku`` is taken or ``name`` is taken in the category (any case).

    Names compare case-insensitively because the legacy routes find a product by
    category and name in any case, so "Phone" and "phone" must not both exist.
    """
    others = Product.objects.all() if exclude_pk is None else Product.objects.exclude(pk=exclude_pk)
    if others.filter(sku=sku).exists():
        raise InvalidInput("A product with this SKU already exists.", field="sku")
    if others.filter(db.exactly_ignoring_case("name", name), category_id=category_slug).exists():
        raise InvalidInput("A product with this name already exists in this category.", field="name")


def _raise_for_integrity_error(*, sku: str, name: str, category_slug: str, exclude_pk=None) -> None:
    """Turn a unique-index violation (a lost race with another writer) into InvalidInput."""
    product_check_unique(sku=sku, name=name, category_slug=category_slug, exclude_pk=exclude_pk)
    raise InvalidInput("A product with this SKU or name already exists.", field="sku")


# --- The catalog version ----------------------------------------------------------------


def catalog_version_bump() -> None:
    """Bump the catalog version once the current write has committed.

    Called after every write that changes a public product page other than by its
    stock: products created, changed, deactivated or deleted (API, admin, commands).
    The bump runs when the outermost transaction commits (at once outside one): a
    reader that sees the new version must find the new data, so the bump may not
    become visible before the write does, and a counter inside a MongoDB transaction
    would make every concurrent writer conflict on it. A rolled-back write bumps
    nothing, and a page built from data newer than its version is harmless (its key
    only ever becomes obsolete).

    ``robust``: a bump that fails after the commit is logged, not raised, so that a
    committed order is never reported (or rerun) as failed; its pages then live out
    ``CATALOG_CACHE_SECONDS``.
    """
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        callback is catalog_version_bump_now for _, callback, _ in connection.run_on_commit
    ):
        return  # one bump per transaction: this one already waits for the commit
    transaction.on_commit(catalog_version_bump_now, robust=True)


def catalog_version_bump_now() -> None:
    """Add one to the catalog version now (the row is made by the first bump)."""
    bumped = CatalogVersion.objects.filter(name=CATALOG_VERSION_NAME).update(version=F("version") + 1)
    if bumped:
        return
    try:
        with transaction.atomic():
            CatalogVersion.objects.create(name=CATALOG_VERSION_NAME, version=1)
    except IntegrityError:  # another process made it first: bump it
        CatalogVersion.objects.filter(name=CATALOG_VERSION_NAME).update(version=F("version") + 1)


# --- Categories ---------------------------------------------------------------------


def category_clean(*, slug, name, exclude_pk=None) -> tuple[str, str]:
    """Return slug and name stripped, or raise InvalidInput naming the field at fault."""
    slug = clean_text(slug, field="slug", max_length=CATEGORY_SLUG_MAX_LENGTH)
    if not SLUG_RE.match(slug):
        raise InvalidInput("Use only letters, numbers, underscores or hyphens.", field="slug")
    name = clean_text(name, field="name", max_length=CATEGORY_NAME_MAX_LENGTH)
    others = Category.objects.all() if exclude_pk is None else Category.objects.exclude(pk=exclude_pk)
    if others.filter(db.exactly_ignoring_case("slug", slug)).exists():
        raise InvalidInput("A category with this slug already exists.", field="slug")
    if others.filter(db.exactly_ignoring_case("name", name)).exists():
        raise InvalidInput("A category with this name already exists.", field="name")
    return slug, name


def category_create(*, slug: str, name: str) -> Category:
    """Create a category; slug and name are unique (ignoring case, as the legacy routes match)."""
    slug, name = category_clean(slug=slug, name=name)
    try:
        with transaction.atomic():  # a savepoint on SQL: the duplicate leaves an outer transaction usable
            category = Category.objects.create(slug=slug, name=name)
    except IntegrityError as exc:
        transactions.rerun_if_in_transaction(exc)
        category_clean(slug=slug, name=name)
        raise InvalidInput("A category with this slug already exists.", field="slug") from None
    return category


def category_update(*, category: Category, slug: str | None = None, name: str | None = None) -> Category:
    """Rename a category or change its slug; a slug in use by products cannot change.

    Products point at the slug, and MongoDB cannot cascade key changes, so a slug
    is fixed once products use it.
    """
    new_slug, new_name = category_clean(
        slug=category.slug if slug is None else slug,
        name=category.name if name is None else name,
        exclude_pk=category.pk,
    )
    if new_slug != category.slug and Product.objects.filter(category_id=category.slug).exists():
        raise InvalidInput("The slug of a category with products cannot change.", field="slug")
    try:
        with transaction.atomic():
            Category.objects.filter(pk=category.pk).update(slug=new_slug, name=new_name)
    except IntegrityError as exc:
        transactions.rerun_if_in_transaction(exc)
        raise InvalidInput("A category with this slug or name already exists.", field="slug") from None
    category.slug, category.name = new_slug, new_name
    return category


def category_delete(*, category: Category) -> None:
    """Delete a category that no product uses (products keep their category for history)."""
    if Product.objects.filter(category_id=category.slug).exists():
        raise InvalidInput("A category with products cannot be deleted.", field="slug")
    Category.objects.filter(pk=category.pk).delete()


# --- Products -------------------------------------------------------------------------


def product_create(
    *,
    sku: str,
    name: str,
    category,
    price,
    description: str = "",
    stock: int = 0,
    is_active: bool = True,
) -> Product:
    """Create a product after checking every rule of API.md (400 naming the field otherwise)."""
    sku = clean_text(sku, field="sku", max_length=SKU_MAX_LENGTH)
    name = clean_text(name, field="name", max_length=PRODUCT_NAME_MAX_LENGTH)
    description = clean_text(
        description, field="description", max_length=DESCRIPTION_MAX_LENGTH, allow_blank=True
    )
    price = clean_price(price)
    stock = clean_stock(stock)
    category = _resolve_category(category)
    product_check_unique(sku=sku, name=name, category_slug=category.slug)
    try:
        with transaction.atomic():
            product = Product.objects.create(
                sku=sku,
                name=name,
                category=category,
                description=description,
                price=price,
                stock=stock,
                is_active=bool(is_active),
            )
    except IntegrityError as exc:
        transactions.rerun_if_in_transaction(exc)
        _raise_for_integrity_error(sku=sku, name=name, category_slug=category.slug)
        raise  # unreachable: the helper always raises
    catalog_version_bump()
    return product


def product_update(*, product: Product, seen_stock: int | None = None, **changes) -> Product:
    """Change a product's fields; a new ``stock`` is applied as a difference, never overwritten.

    ``changes`` may hold any of sku, name, category, description, price, stock and
    is_active. ``seen_stock`` is the stock the editor saw when deciding on the new
    value; it defaults to ``product.stock`` as loaded by the caller (for the API: read
    at the start of the request). The stock moves by ``stock - seen_stock`` in the same
    single-row update as the other fields, with ``F("stock")``, so units reserved or
    released by orders in the meantime are kept. If the difference would take the
    current stock below zero, nothing is written and Conflict(code="stock_changed")
    is raised. Return the product as stored after the update.
    """
    unknown = sorted(set(changes) - PRODUCT_FIELDS)
    if unknown:
        raise InvalidInput("Unknown field.", field=unknown[0])
    if seen_stock is not None and "stock" not in changes:
        raise InvalidInput("Only meaningful together with stock.", field="expected_stock")

    values: dict = {}
    if "sku" in changes:
        values["sku"] = clean_text(changes["sku"], field="sku", max_length=SKU_MAX_LENGTH)
    if "name" in changes:
        values["name"] = clean_text(changes["name"], field="name", max_length=PRODUCT_NAME_MAX_LENGTH)
    if "description" in changes:
        values["description"] = clean_text(
            changes["description"], field="description", max_length=DESCRIPTION_MAX_LENGTH, allow_blank=True
        )
    if "price" in changes:
        values["price"] = clean_price(changes["price"])
    if "is_active" in changes:
        if not isinstance(changes["is_active"], bool):
            raise InvalidInput("Must be a boolean.", field="is_active")
        values["is_active"] = changes["is_active"]
    if "category" in changes:
        values["category_id"] = _resolve_category(changes["category"]).slug

    delta = 0
    if "stock" in changes:
        wanted = clean_stock(changes["stock"])
        seen = clean_stock(product.stock if seen_stock is None else seen_stock, field="expected_stock")
        delta = wanted - seen

    unpriced = product.price is not None and product.price < MIN_PRICE
    if values.get("is_active") and "price" not in values and unpriced:
        # An imported product has no price yet (0.00); MongoDB has no check constraint to stop this.
        raise InvalidInput("Set a price before activating this product.", field="price")

    sku = values.get("sku", product.sku)
    name = values.get("name", product.name)
    category_slug = values.get("category_id", product.category_id)
    if {"sku", "name", "category_id"} & values.keys():
        product_check_unique(sku=sku, name=name, category_slug=category_slug, exclude_pk=product.pk)

    target = Product.objects.filter(pk=product.pk)
    if delta:
        values["stock"] = F("stock") + delta
        if delta < 0:
            # The condition makes the decrement atomic: it applies only while enough is left.
            target = target.filter(stock__gte=-delta)
    if values:
        values["updated_at"] = timezone.now()
        try:
            with transaction.atomic():
                updated = target.update(**values)
        except IntegrityError as exc:
            transactions.rerun_if_in_transaction(exc)
            _raise_for_integrity_error(sku=sku, name=name, category_slug=category_slug, exclude_pk=product.pk)
        if not updated:
            current = db.unique_row(Product.objects.filter(pk=product.pk).values_list("stock", flat=True))
            if current is None:
                raise Conflict("The product no longer exists.", code="product_deleted")
            raise Conflict(
                f"Stock changed since it was read (now {current}); reducing it by {-delta} "
                "would make it negative. Reload and try again.",
                code="stock_changed",
                stock=current,
            )
        catalog_version_bump()
    product.refresh_from_db()
    return product


def product_was_ordered(*, product: Product) -> bool:
    """Return whether any order line ever referred to ``product``."""
    return product.order_lines.exists()


def product_deactivate(*, product: Product) -> Product:
    """Hide a product from customers and from new orders, keeping it for order history."""
    Product.objects.filter(pk=product.pk).update(is_active=False, updated_at=timezone.now())
    catalog_version_bump()
    product.refresh_from_db()
    return product


def product_delete(*, product: Product) -> bool:
    """Delete a product, or deactivate it if it was ever ordered; return whether it was deleted.

    Order lines keep pointing at ordered products (they are the shop's books), so
    those are only deactivated. An order placed between the check and the delete is
    caught by the PROTECT foreign key and also ends in deactivation.
    """
    if product_was_ordered(product=product):
        product_deactivate(product=product)
        return False
    try:
        product.delete()
    except ProtectedError:
        product_deactivate(product=product)
        return False
    catalog_version_bump()
    return True


# --- Stock reservations (orders) --------------------------------------------------------


def product_stock_reserve(*, product_id, quantity: int) -> bool:
    """Take ``quantity`` units of an active product if that many are in stock.

    One conditional single-document update: it succeeds only while the stock is
    high enough, so concurrent reservations can never drive stock below zero.
    Return whether the units were taken.
    """
    taken = Product.objects.filter(pk=product_id, is_active=True, stock__gte=quantity).update(
        stock=F("stock") - quantity, updated_at=timezone.now()
    )
    return taken == 1


def product_stock_release(*, product_id, quantity: int) -> None:
    """Give ``quantity`` units back to a product (cancellation, compensation)."""
    Product.objects.filter(pk=product_id).update(stock=F("stock") + quantity, updated_at=timezone.now())


# --- Import from the original service ---------------------------------------------------

IMPORTED_SKU_PREFIX = "IMPORTED-"
IMPORTED_PRICE = Decimal("0.00")
IMPORTED_DESCRIPTION = (
    "Created by the import from the original service for its orders of this product. "
    "Set a price and stock before activating it."
)


def imported_product_sku(*, category_slug: str, name: str) -> str:
    """Return the SKU of the imported product ``name`` in ``category_slug``: the same for every run."""
    digest = hashlib.sha256(f"{category_slug}\n{name.lower()}".encode()).hexdigest()[:16].upper()
    return IMPORTED_SKU_PREFIX + digest


def product_create_imported(*, category: Category, name: str) -> Product:
    """Create the stand-in for a product the original service's orders name but the catalog lacks.

    The product is inactive (customers neither see nor order it), has price 0.00 and
    no stock, and is marked ``is_imported``; staff set a price before activating it
    (:func:`product_update` refuses activation without one). The name is checked like
    any product's (unique in its category, ignoring case: InvalidInput on ``name``).
    """
    name = clean_text(name, field="name", max_length=PRODUCT_NAME_MAX_LENGTH)
    sku = imported_product_sku(category_slug=category.slug, name=name)
    product_check_unique(sku=sku, name=name, category_slug=category.slug)
    try:
        with transaction.atomic():
            product = Product.objects.create(
                sku=sku,
                name=name,
                category=category,
                description=IMPORTED_DESCRIPTION,
                price=IMPORTED_PRICE,
                stock=0,
                is_active=False,
                is_imported=True,
            )
    except IntegrityError as exc:
        transactions.rerun_if_in_transaction(exc)
        _raise_for_integrity_error(sku=sku, name=name, category_slug=category.slug)
        raise  # unreachable: the helper always raises
    return product
