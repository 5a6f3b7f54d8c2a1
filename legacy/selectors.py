"""Reads that only the legacy routes need (LEGACY.md 3a and 3b).

* The original clients name a product by category and product name, in any case
  (``{"type": "electronics", "products": "Phone"}``). ``iexact`` compiles to an
  anchored, case-insensitive ``$regex`` on MongoDB with the value escaped
  (django-mongodb-backend applies ``re.escape``), so a name such as ``".*"``
  matches only itself. The catalog keeps slugs, category names and product names
  within a category unique ignoring case, so each lookup finds at most one row.
* ``GET /order`` lists the caller's *own* orders, staff included (v1 shows staff
  every order), newest first, with lines prefetched: one query for the orders and
  one (``$in`` on MongoDB) for all their lines, however many orders there are.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from catalog.models import Category, Product
from orders.models import Order, OrderLine


def legacy_category_find(*, text: str) -> Category | None:
    """Return the category whose slug or name is ``text`` ignoring case (a slug match wins)."""
    matches = list(Category.objects.filter(Q(slug__iexact=text) | Q(name__iexact=text)).order_by("slug")[:2])
    for category in matches:
        if category.slug.lower() == text.lower():
            return category
    return matches[0] if matches else None


def legacy_product_find(*, category: Category, name: str) -> Product | None:
    """Return the active product named ``name`` (ignoring case) in ``category``, or None."""
    return Product.objects.filter(category_id=category.slug, name__iexact=name, is_active=True).first()


def legacy_order_list(*, user) -> QuerySet[Order]:
    """Return ``user``'s own orders, newest first, with their lines prefetched in position order."""
    return (
        Order.objects.filter(customer_id=user.pk)
        .order_by("-created_at", "-id")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("position")))
    )
