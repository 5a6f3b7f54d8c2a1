"""Reads that only the legacy routes need (LEGACY.md 3a and 3b).

* The original clients name a product by category and product name, in any case
  (``{"type": "electronics", "products": "Phone"}``). ``iexact`` cannot do that
  on MongoDB: django-mongodb-backend 5.2.4 compiles it to ``{"$regex": "^<value>$"}``
  *without escaping the value*, so ``".*"`` would match every product (see
  ``tests/test_mongo.py``). ``shop.db.exactly_ignoring_case`` builds the anchored,
  case-insensitive regex from ``re.escape``d text instead; it means the same on
  SQLite (Python's ``re`` behind ``REGEXP``) and on MongoDB (PCRE: every escape
  ``re.escape`` writes is a literal there too). The catalog keeps slugs, category
  names and product names within a category unique ignoring case, so each lookup
  finds at most one row.
"""

from __future__ import annotations

from catalog.models import Category, Product
from shop.db import exactly_ignoring_case


def legacy_category_find(*, text: str) -> Category | None:
    """Return the category whose slug or name is ``text`` ignoring case (a slug match wins)."""
    matches = list(
        Category.objects.filter(
            exactly_ignoring_case("slug", text) | exactly_ignoring_case("name", text)
        ).order_by("slug")[:2]
    )
    for category in matches:
        if category.slug.lower() == text.lower():
            return category
    return matches[0] if matches else None


def legacy_product_find(*, category: Category, name: str, include_inactive: bool = False) -> Product | None:
    """Return the active product named ``name`` (ignoring case) in ``category``, or None.

    ``include_inactive`` also finds inactive products (the import links old orders to
    products that are no longer sold, and to the stand-ins it created on an earlier run).
    """
    products = Product.objects.filter(exactly_ignoring_case("name", name), category_id=category.slug)
    if not include_inactive:
        products = products.filter(is_active=True)
    return products.order_by("name", "id").first()
