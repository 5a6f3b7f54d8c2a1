"""Accounts selectors: the reads behind a customer's saved addresses."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Address, User
from shop.db import primary_key_parse, unique_row
from shop.errors import NotFound


def address_list(*, user: User) -> QuerySet[Address]:
    """Return ``user``'s saved addresses, oldest first (at most ``ADDRESSES_PER_CUSTOMER``)."""
    return Address.objects.filter(customer_id=user.pk).order_by("created_at", "id")


def address_get(*, user: User, address_id) -> Address:
    """Return ``user``'s address ``address_id``; someone else's, an unknown or malformed id: NotFound."""
    pk = primary_key_parse(model=Address, value=address_id)
    address = unique_row(Address.objects.filter(pk=pk, customer_id=user.pk)) if pk is not None else None
    if address is None:
        raise NotFound("Address not found.")
    return address
