"""Database helpers that behave the same on SQLite and MongoDB."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Q, QuerySet


def to_milliseconds(moment: datetime) -> datetime:
    """Return ``moment`` cut to milliseconds, the precision MongoDB stores datetimes in.

    A value written so reads back equal on every backend: a lease compares equal, and
    an object rendered from memory says what a later read of it says.
    """
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def database_vendor(using: str = "default") -> str:
    """Return the vendor of the active database (``sqlite`` or ``mongodb``)."""
    return connections[using].vendor


def exactly_ignoring_case(field: str, text: str) -> Q:
    """Return a filter for ``field`` equal to ``text`` ignoring case, safe on both backends.

    Use this instead of ``iexact``: django-mongodb-backend 5.2.4 compiles ``iexact``
    to ``{"$regex": "^<value>$"}`` without escaping the value, so ``".*"`` would
    match every row (a test in shop/tests/test_mongo_profile.py watches for a fix).
    Here the text is ``re.escape``d and anchored, which means the same on SQLite
    (Python's ``re`` behind ``REGEXP``) and on MongoDB (PCRE).
    """
    return Q(**{f"{field}__iregex": rf"^{re.escape(text)}$"})


def built_once(build: Callable[[], QuerySet]) -> Callable[[], QuerySet]:
    """Decorate a function that returns a queryset: build it once, return a fresh clone per call.

    For the queries on the hottest paths (every cached catalog page). Building a
    queryset (resolving each filter's field and lookup, one clone per chained method)
    costs as much as compiling and running it on SQLite: the catalog version's read
    takes 82 instead of 181 microseconds of CPU when built once (BENCHMARKS.md). The
    built queryset is never evaluated itself; each clone holds its own results, and
    the database it runs on is chosen when it runs.
    """
    build_once = functools.cache(build)

    @functools.wraps(build)
    def fresh_clone() -> QuerySet:
        return build_once().all()

    return fresh_clone


def unique_row(queryset):
    """Return the one row a lookup by a unique key finds, or None.

    Like ``first()`` but without its ``ORDER BY`` (``first()`` sorts by the model's
    ordering or the primary key): a lookup by a unique key finds at most one row,
    and on MongoDB a ``$sort`` the index cannot deliver would be an in-memory sort
    stage in the plan.
    """
    return next(iter(queryset.order_by()[:1]), None)


class RowLookup:
    """A lookup of at most one row of a model by exact values of some fields, compiled once.

    ``USER_BY_PK = RowLookup(User, "pk")`` then ``USER_BY_PK(pk=5)`` returns what
    ``unique_row(User.objects.filter(pk=5))`` returns: the row or None. Compiling a query
    to SQL (its columns, its WHERE clause) costs Django three times what SQLite takes to
    run it: 97 of the 230 microseconds of CPU of a user read by primary key
    (BENCHMARKS.md). On SQLite the SQL is compiled once and run with the values as
    parameters (``Manager.raw``, whose rows go through the model's converters as a
    queryset's do); on MongoDB the queryset is built and compiled as usual.
    """

    # Stand-ins for the values while compiling (found again among the compiled parameters,
    # as numbers or as text): values no row has.
    PLACEHOLDER_BASE = 2**62

    def __init__(self, model, *fields: str):
        self.model = model
        self.fields = fields
        self._compiled: dict[str, tuple[str, list[str]]] = {}

    def __call__(self, **values):
        """Return the row whose fields equal ``values`` (every field of the lookup), or None."""
        if values.keys() != set(self.fields):
            raise TypeError(f"{self!r} takes exactly {', '.join(self.fields)}")
        connection = connections[DEFAULT_DB_ALIAS]
        if connection.vendor != "sqlite":
            return unique_row(self._filtered(values))
        sql, order = self._compiled.get(connection.alias) or self._compile(connection)
        params = [self._field(name).get_db_prep_value(values[name], connection) for name in order]
        return next(iter(self.model._default_manager.raw(sql, params)), None)

    def _compile(self, connection) -> tuple[str, list[str]]:
        """Compile the lookup for ``connection``: its SQL, and which field each parameter is."""
        placeholders = {name: self.PLACEHOLDER_BASE + number for number, name in enumerate(self.fields)}
        query = self._filtered(placeholders).order_by()[:1].query
        sql, params = query.get_compiler(connection=connection).as_sql()
        names = {form: name for name, value in placeholders.items() for form in (value, str(value))}
        compiled = (sql, [names[value] for value in params])
        self._compiled[connection.alias] = compiled
        return compiled

    def _filtered(self, values: dict) -> QuerySet:
        """Return the model's rows filtered by ``values``, one filter per field in the lookup's order."""
        queryset = self.model._default_manager.all()
        for name in self.fields:
            queryset = queryset.filter(**{name: values[name]})
        return queryset

    def _field(self, name: str):
        """Return the model field ``name`` names (``pk``: the primary key)."""
        return self.model._meta.pk if name == "pk" else self.model._meta.get_field(name)

    def __repr__(self) -> str:
        return f"RowLookup({self.model.__name__}, {', '.join(map(repr, self.fields))})"


def primary_key_parse(*, model, value):
    """Return ``value`` as a primary key of ``model`` on the active backend, or None.

    Ids arrive as strings (``"17"`` on SQLite, an ObjectId's hex on MongoDB) and only
    the exact form the API emits is accepted: no surrounding spaces, leading zeros,
    signs, other digits than ASCII ones, or upper-case hex. Anything else (or a value
    the backend cannot hold) is None, and must never reach a query, where it would
    be a 500. Keys that the code itself holds (an int, an ObjectId) pass as they are.
    """
    if value is None or isinstance(value, (bool, float, list, dict)):
        return None
    field = model._meta.pk
    try:
        parsed = field.to_python(value)
        field.run_validators(parsed)
    except (ValidationError, TypeError, ValueError, OverflowError):
        return None
    if isinstance(value, str) and str(parsed) != value:
        return None
    return parsed


def commit_state(using: str = "default") -> tuple | None:
    """Return the database's commit state: equal in two calls only if nothing was committed between.

    On SQLite (``shop.sqlite``), whose readers all share one file, this costs a few
    microseconds and no query (``DatabaseWrapper.commit_state``); a process may then
    reuse what it read from the database while the state has not moved. None on
    MongoDB, whose writers reach the database from anywhere and where no such cheap
    signal exists, and inside a transaction: the caller reads the database as usual.
    """
    state = getattr(connections[using], "commit_state", None)
    return state() if state is not None else None
