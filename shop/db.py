"""Database helpers that behave the same on SQLite and MongoDB."""

from __future__ import annotations

import contextlib
import re

from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.db.models import Q


def database_vendor(using: str = "default") -> str:
    """Return the vendor of the active database (``sqlite`` or ``mongodb``)."""
    return connections[using].vendor


def atomic(using: str = "default"):
    """Return a context manager that makes a business operation all-or-nothing.

    On SQL backends this is ``transaction.atomic()``. On MongoDB, Django's atomic()
    does nothing, so a replica set (which supports multi-document transactions) gets
    ``django_mongodb_backend.transaction.atomic()`` and a standalone server gets no
    transaction at all: there the services' conditional single-document updates
    and compensation are the correctness layer, as everywhere.
    """
    connection = connections[using]
    if connection.vendor != "mongodb":
        return transaction.atomic(using=using)
    if mongodb_supports_transactions(using):
        from django_mongodb_backend import transaction as mongo_transaction

        return mongo_transaction.atomic(using=using)
    return contextlib.nullcontext()


_transaction_support: dict[str, bool] = {}


def mongodb_supports_transactions(using: str = "default") -> bool:
    """Return whether the MongoDB server supports transactions (asked once per process)."""
    if using not in _transaction_support:
        _transaction_support[using] = bool(connections[using].features._supports_transactions)
    return _transaction_support[using]


def exactly_ignoring_case(field: str, text: str) -> Q:
    """Return a filter for ``field`` equal to ``text`` ignoring case, safe on both backends.

    Use this instead of ``iexact``: django-mongodb-backend 5.2.4 compiles ``iexact``
    to ``{"$regex": "^<value>$"}`` without escaping the value, so ``".*"`` would
    match every row (a test in shop/tests/test_mongo_profile.py watches for a fix).
    Here the text is ``re.escape``d and anchored, which means the same on SQLite
    (Python's ``re`` behind ``REGEXP``) and on MongoDB (PCRE).
    """
    return Q(**{f"{field}__iregex": rf"^{re.escape(text)}$"})


def primary_key_parse(*, model, value):
    """Return ``value`` as a primary key of ``model`` on the active backend, or None if malformed.

    Ids arrive as strings (``"17"`` on SQLite, an ObjectId's hex on MongoDB); a
    value the backend cannot hold must never reach a query, where it would be a 500.
    """
    if value is None or isinstance(value, (bool, float, list, dict)):
        return None
    field = model._meta.pk
    try:
        parsed = field.to_python(value.strip() if isinstance(value, str) else value)
        field.run_validators(parsed)
    except (ValidationError, TypeError, ValueError):
        return None
    return parsed
