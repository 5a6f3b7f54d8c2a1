"""Database-level fault injection for SQL backends: make the k-th write statement fail.

:class:`FailNthWrite` is a Django database instrumentation wrapper
(``connection.execute_wrapper``): it sits where every SQL statement passes on its
way to the driver, counts the writes (INSERT, UPDATE, DELETE), and raises
``OperationalError`` instead of sending the k-th, as a failing disk or a dropped
connection would. Nothing above it is patched: services, the transaction runner and
the database run as in production. ``shop.testing.mongo.fail_nth_write`` is its
twin for the MongoDB recorder.

Writes to :data:`CACHE_KEY_TABLES` are passed on uncounted: the catalog version
(``catalog.services.catalog_version_bump``) is bumped after the operation commits and
keys caches only; that a failing bump leaves the operation whole is tested in
``catalog/tests/test_page_cache.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import OperationalError

WRITE_STATEMENT = re.compile(r"^\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
CACHE_KEY_TABLES = ("catalog_catalogversion",)


@dataclass
class FailNthWrite:
    """Fail the ``n``-th write statement (1-based); ``n=0`` only counts.

    ``statements`` keeps every write seen (the failed one included), so a test can
    say how many writes an operation makes and which one failed.
    """

    n: int = 0
    statements: list[str] = field(default_factory=list)

    @property
    def writes(self) -> int:
        """Return how many write statements were seen."""
        return len(self.statements)

    @property
    def fired(self) -> bool:
        """Return whether the fault was raised."""
        return 0 < self.n <= self.writes

    def __call__(self, execute, sql, params, many, context):
        """Pass the statement on, unless it is the n-th write: then raise OperationalError."""
        if WRITE_STATEMENT.match(sql) and not any(table in sql for table in CACHE_KEY_TABLES):
            self.statements.append(sql)
            if len(self.statements) == self.n:
                raise OperationalError(f"injected fault at write {self.n}: {sql[:80]}")
        return execute(sql, params, many, context)
