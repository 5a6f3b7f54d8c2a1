"""The MongoDB contract harness: compile queries for django-mongodb-backend without a server.

No MongoDB server runs where the suite runs, so the MongoDB path is checked by
compilation (DESIGN.md "The MongoDB contract"):

* :func:`compile_pipeline` turns a read QuerySet into the aggregation pipeline the
  backend would send. django-mongodb-backend's compiler does this without touching
  the network: ``pre_sql_setup()`` (without it joins and sorts are silently
  missing), ``build_query()`` and ``get_pipeline()``. Anything the backend cannot
  do (``extra()``, many-to-many ``prefetch_related()``, ``select_for_update()``,
  combinators...) raises ``NotSupportedError`` here, failing the test.
* :func:`captured_reads` runs real code (a view, a service) and records the
  pipeline of every read it makes, answering "no rows": the backend's
  ``SQLCompiler.execute_sql`` is swapped for one that builds the pipeline exactly
  as the original does and logs it instead of sending it.
* :func:`record_writes` records the commands the backend hands to pymongo for
  inserts, updates and deletes by swapping the connection's collections for a
  recorder. It exists only to see what would be sent and never stands in for a
  database in a behaviour test (those run on SQLite, or on a real MongoDB).

These helpers only make sense in the MongoDB settings profile, where primary keys
are ObjectIds and ``id`` maps to ``_id`` as in production: tests that use them are
marked ``mongo`` and run in ``make test``'s second pass with
``MONGODB_URI`` pointing at an unreachable host.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId
from django.core.exceptions import EmptyResultSet
from django.db import connections

UNREACHABLE_MONGODB_URI = "mongodb://127.0.0.1:1/shop?serverSelectionTimeoutMS=200"


def mongo_connection(using: str = "default"):
    """Return the django-mongodb-backend connection; fail if the profile is not MongoDB."""
    connection = connections[using]
    if connection.vendor != "mongodb":
        raise AssertionError(
            "The MongoDB compile harness needs the MongoDB settings profile "
            f"(MONGODB_URI set); the active backend is {connection.vendor!r}."
        )
    return connection


def compile_pipeline(queryset, using: str = "default") -> list[dict[str, Any]]:
    """Return the aggregation pipeline ``queryset`` compiles to on MongoDB.

    Raises whatever the backend raises for an unsupported query.
    """
    connection = mongo_connection(using)
    compiler = queryset.query.get_compiler(connection=connection)
    compiler.pre_sql_setup()
    columns = (
        compiler.columns
        if queryset.query.annotations or not queryset.query.default_cols or queryset.query.distinct
        else None
    )
    return compiler.build_query(columns).get_pipeline()


def stages(pipeline: list[dict[str, Any]]) -> list[str]:
    """Return the stage names of ``pipeline`` in order (``["$match", "$sort", ...]``)."""
    return [next(iter(stage)) for stage in pipeline]


def contains_operator(value: Any, operator: str) -> bool:
    """Return whether ``operator`` (e.g. ``"$expr"``) appears anywhere in ``value``."""
    if isinstance(value, dict):
        return any(key == operator or contains_operator(item, operator) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return any(contains_operator(item, operator) for item in value)
    return False


def assert_index_friendly(pipeline: list[dict[str, Any]], *, allow_lookup: bool = False) -> None:
    """Fail unless ``pipeline`` is a plain ``$match``/``$sort`` query a MongoDB index can serve.

    ``$expr`` defeats most indexes; ``$lookup`` is a join that a key should make
    unnecessary on customer hot paths.
    """
    text = describe(pipeline)
    for stage in pipeline:
        if "$match" in stage:
            assert not contains_operator(stage["$match"], "$expr"), f"$match uses $expr: {text}"
    if not allow_lookup:
        assert "$lookup" not in stages(pipeline), f"pipeline joins with $lookup: {text}"


def describe(pipeline: list[dict[str, Any]]) -> str:
    """Return ``pipeline`` as readable JSON for assertion messages."""
    return json.dumps(pipeline, default=str, indent=1)


@dataclass
class RecordedCommand:
    """One pymongo call the backend made: collection, method and arguments."""

    collection: str
    method: str
    args: tuple
    kwargs: dict


@dataclass
class WriteResult:
    """Stand-in for pymongo's result objects, so the backend's code path completes."""

    matched_count: int = 1
    modified_count: int = 1
    deleted_count: int = 1
    inserted_ids: list = field(default_factory=list)


class _RecordingCollection:
    """Record write calls; refuse reads (a read here would be a harness misuse)."""

    def __init__(self, name: str, log: list[RecordedCommand]):
        self.name = name
        self.log = log

    def _record(self, method: str, args, kwargs) -> None:
        self.log.append(RecordedCommand(self.name, method, args, kwargs))

    def insert_many(self, documents, *args, **kwargs):
        documents = list(documents)
        self._record("insert_many", (documents, *args), kwargs)
        return WriteResult(inserted_ids=[ObjectId() for _ in documents])

    def update_many(self, *args, **kwargs):
        self._record("update_many", args, kwargs)
        return WriteResult()

    def delete_many(self, *args, **kwargs):
        self._record("delete_many", args, kwargs)
        return WriteResult()

    def __getattr__(self, name):
        raise AssertionError(f"record_writes() saw a {name}() on {self.name}; only writes are recorded")


@contextlib.contextmanager
def record_writes(using: str = "default"):
    """Record the write commands django-mongodb-backend sends to pymongo in the block.

    Yields the list the commands are appended to. Nothing reaches a server.
    """
    connection = mongo_connection(using)
    log: list[RecordedCommand] = []
    original = connection.get_collection
    connection.get_collection = lambda name, **kwargs: _RecordingCollection(name, log)
    try:
        yield log
    finally:
        connection.get_collection = original


@contextlib.contextmanager
def captured_reads():
    """Record ``(collection, pipeline)`` of every read made in the block; answer no rows."""
    from django_mongodb_backend.compiler import SQLCompiler

    log: list[tuple[str, list]] = []
    original = SQLCompiler.execute_sql

    def execute_sql(self, result_type="multi", chunked_fetch=False, chunk_size=100):
        self.pre_sql_setup()
        columns = (
            self.columns
            if self.query.annotations or not self.query.default_cols or self.query.distinct
            else None
        )
        try:
            query = self.build_query(columns)
        except EmptyResultSet:  # as the original: nothing to send
            return [] if result_type == "multi" else None
        log.append((self.collection_name, query.get_pipeline()))
        return [] if result_type == "multi" else None

    SQLCompiler.execute_sql = execute_sql
    try:
        yield log
    finally:
        SQLCompiler.execute_sql = original
