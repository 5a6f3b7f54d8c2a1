"""Record every command django-mongodb-backend sends to pymongo, reads included.

``shop.testing.mongo.record_writes`` records writes and refuses reads. The catalog's
MongoDB contract tests also need to see the *reads* a whole request or service call
makes (the paginator's count, the page, the uniqueness checks), so this recorder
swaps the connection's collections for stand-ins that log ``aggregate()`` pipelines
as well as ``insert_many``/``update_many``/``delete_many`` calls. A ``responder``
decides what each ``aggregate()`` answers (nothing by default) so that the code path
runs to the end. Nothing reaches a server; this shows what would be sent and never
stands in for a database in a behaviour test.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from bson import ObjectId

from shop.testing.mongo import RecordedCommand, WriteResult, mongo_connection


class _Cursor:
    def __init__(self, documents):
        self._documents = iter(documents)

    def __iter__(self):
        return self._documents

    def next(self):
        return next(self._documents)


class _Collection:
    def __init__(self, name: str, log: list[RecordedCommand], responder, matched: int):
        self.name = name
        self.log = log
        self.responder = responder
        self.matched = matched

    def aggregate(self, pipeline, *args, **kwargs):
        self.log.append(RecordedCommand(self.name, "aggregate", (pipeline, *args), kwargs))
        return _Cursor(self.responder(self.name, pipeline))

    def insert_many(self, documents, *args, **kwargs):
        documents = list(documents)
        self.log.append(RecordedCommand(self.name, "insert_many", (documents, *args), kwargs))
        return WriteResult(inserted_ids=[ObjectId() for _ in documents])

    def update_many(self, *args, **kwargs):
        self.log.append(RecordedCommand(self.name, "update_many", args, kwargs))
        return WriteResult(matched_count=self.matched)

    def delete_many(self, *args, **kwargs):
        self.log.append(RecordedCommand(self.name, "delete_many", args, kwargs))
        return WriteResult()

    def __getattr__(self, name):
        raise AssertionError(f"record_commands() saw an unexpected {name}() on {self.name}")


def no_documents(collection: str, pipeline: list) -> list[dict]:
    """Answer every read with no documents."""
    return []


@contextlib.contextmanager
def record_commands(responder: Callable[[str, list], list[dict]] = no_documents, *, matched: int = 1):
    """Record reads and writes sent to pymongo in the block; yield the list they go to.

    ``matched`` is the matched count every ``update_many`` reports (0 simulates a
    conditional update whose condition no longer holds).
    """
    connection = mongo_connection()
    log: list[RecordedCommand] = []
    original = connection.get_collection
    connection.get_collection = lambda name, **kwargs: _Collection(name, log, responder, matched)
    try:
        yield log
    finally:
        connection.get_collection = original
