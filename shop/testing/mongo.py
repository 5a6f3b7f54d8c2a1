"""The MongoDB contract harness: compile queries for django-mongodb-backend without a server.

No MongoDB server runs where the suite runs, so the MongoDB path is checked by
compilation (DESIGN.md "The MongoDB contract"):

* :func:`compile_pipeline` turns a read QuerySet into the aggregation pipeline the
  backend would send. django-mongodb-backend's compiler does this without touching
  the network: ``pre_sql_setup()`` (without it joins and sorts are silently
  missing), ``build_query()`` and ``get_pipeline()``. Anything the backend cannot
  do (``extra()``, many-to-many ``prefetch_related()``, ``select_for_update()``,
  combinators...) raises ``NotSupportedError`` here, failing the test.
* :class:`MongoRecorder` (with :func:`captured_reads` and :func:`record_writes` on
  top) runs real code (a view, a service, a command) and records every command
  the backend hands to pymongo, reads and writes, with the session and transaction
  state of each. It replaces only the backend's seam to pymongo (its
  ``get_collection()``, its ``MongoClient`` and ``database``); the compilers, the
  backend's ``execute_sql`` and the shop's transaction runner run as in production.
  Canned documents are given only to the reads they name (:class:`Answer`); faults
  (:func:`fail_nth_write`, :func:`write_conflict`) make a chosen write or commit
  fail the way pymongo would. It exists to see what would be sent and never stands
  in for a database in a behaviour test (those run on SQLite, or on a real MongoDB).

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
from django.db import connections

from shop.testing import query_sites

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


def stage(pipeline: list[dict[str, Any]], name: str) -> Any:
    """Return the value of the pipeline's first ``name`` stage (``stage(p, "$sort")``); fail if absent."""
    for item in pipeline:
        if name in item:
            return item[name]
    raise AssertionError(f"no {name} stage in {describe(pipeline)}")


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


# --- The recorder: what django-mongodb-backend would send to pymongo ----------------------------

WRITE_METHODS = frozenset({"insert_many", "update_many", "delete_many"})


@dataclass
class RecordedCommand:
    """One pymongo call the backend made: collection, method, arguments and transaction state.

    ``session`` is the session the backend passed (None outside a transaction) and
    ``in_transaction`` whether that session was inside a transaction at the time.
    ``error`` is the fault the recorder raised instead of answering, if any.
    """

    collection: str
    method: str
    args: tuple
    kwargs: dict
    session: Any = None
    in_transaction: bool = False
    error: BaseException | None = None

    @property
    def is_write(self) -> bool:
        """Return whether this is an insert, update or delete."""
        return self.method in WRITE_METHODS

    @property
    def pipeline(self) -> list[dict[str, Any]]:
        """Return the aggregation pipeline of a read."""
        assert self.method == "aggregate", f"{self.method} has no pipeline"
        return self.args[0]


def conjuncts(match: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the conditions a ``$match`` document ANDs together, ``$and`` lists flattened.

    ``{"a": 1, "$and": [{"b": 2}, {"c": 3}]}`` gives ``[{"a": 1}, {"b": 2}, {"c": 3}]``.
    """
    found: list[dict[str, Any]] = []
    for key, value in match.items():
        if key == "$and":
            for item in value:
                found.extend(conjuncts(item))
        else:
            found.append({key: value})
    return found


def first_match(pipeline: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Return the pipeline's first ``$match`` document, or None if it filters nothing."""
    return next((stage["$match"] for stage in pipeline if "$match" in stage), None)


def is_count(pipeline: list[dict[str, Any]]) -> bool:
    """Return whether the pipeline is the backend's count (a ``$facet`` grouping ``__count``)."""
    return any("$facet" in stage and "__count" in describe(stage["$facet"]) for stage in pipeline)


@dataclass(frozen=True)
class Answer:
    """Canned documents for exactly the reads that ask for them.

    The answer is given to a read of ``collection`` only when every condition of
    ``where`` is one of the ANDed conditions of the pipeline's ``$match`` (compared
    as BSON values); ``where=None`` matches only a pipeline with no ``$match`` at all,
    and ``exact=True`` only a ``$match`` with no other conditions; ``fields`` also
    requires the pipeline to ``$project`` exactly those fields. ``count`` answers the
    backend's count pipelines instead of row reads. A read that no answer matches
    gets no documents, as a database holding none of them would.
    """

    collection: str
    where: dict[str, Any] | None
    documents: tuple[dict[str, Any], ...] = ()
    count: int | None = None
    exact: bool = False
    fields: tuple[str, ...] | None = None

    def __post_init__(self):
        if self.where == {}:
            raise ValueError("An Answer must name the conditions it answers (where=None: no $match at all).")

    def matches(self, collection: str, pipeline: list[dict[str, Any]]) -> bool:
        """Return whether this answer is for ``pipeline`` on ``collection``."""
        if collection != self.collection or is_count(pipeline) != (self.count is not None):
            return False
        if self.fields is not None:
            projected = next((stage["$project"] for stage in pipeline if "$project" in stage), None)
            if projected is None or set(projected) != set(self.fields):
                return False
        match = first_match(pipeline)
        if self.where is None:
            return match is None
        if match is None:
            return False
        present = conjuncts(match)
        if self.exact and len(present) != len(self.where):
            return False
        return all({key: value} in present for key, value in self.where.items())

    def result(self) -> list[dict[str, Any]]:
        """Return the documents the backend reads for this answer."""
        if self.count is not None:
            return [{"__count": self.count}] if self.count else []
        return [dict(document) for document in self.documents]


@dataclass
class WriteResult:
    """pymongo's result objects as far as the backend reads them."""

    matched_count: int = 1
    modified_count: int = 1
    deleted_count: int = 1
    inserted_ids: list = field(default_factory=list)


class _Cursor:
    """The part of a pymongo CommandCursor the backend uses (iteration and ``next()``)."""

    def __init__(self, documents):
        self._documents = iter(documents)

    def __iter__(self):
        return self._documents

    def next(self):
        return next(self._documents)


class RecordingSession:
    """A client session: records transaction starts, commits and aborts in the recorder."""

    def __init__(self, recorder: MongoRecorder):
        self.recorder = recorder
        self.in_transaction = False
        self.ended = False

    def _event(self, name: str, **details) -> None:
        self.recorder.transaction_events.append((name, self, details))

    def start_transaction(self, read_concern=None, write_concern=None, **options):
        """Start a transaction (refused while one is in progress, as pymongo does)."""
        from pymongo.errors import InvalidOperation

        if self.in_transaction:
            raise InvalidOperation("Transaction already in progress")
        self.in_transaction = True
        self._event("start_transaction", read_concern=read_concern, write_concern=write_concern)

    def commit_transaction(self):
        """Commit, or raise the recorder's ``commit_fault`` for this commit (numbered across sessions)."""
        self.recorder.commits += 1
        error = self.recorder.commit_fault(self.recorder.commits) if self.recorder.commit_fault else None
        self._event("commit_transaction", error=error)
        if error is not None:
            if not error.has_error_label("UnknownTransactionCommitResult"):
                self.in_transaction = False
            raise error
        self.in_transaction = False

    def abort_transaction(self):
        """Abort the transaction."""
        self._event("abort_transaction")
        self.in_transaction = False

    def end_session(self):
        """End the session."""
        self.ended = True
        self._event("end_session")


class _Admin:
    def __init__(self, recorder: MongoRecorder):
        self.recorder = recorder

    def command(self, name, *args, **kwargs):
        if name != "hello":
            raise AssertionError(f"the recorder answers only hello on admin, not {name!r}")
        self.recorder.commands.append(("admin", name))
        query_sites.note_current()
        return dict(HELLO_ANSWERS[self.recorder.topology])


class _Client:
    """The MongoClient as the shop and the backend use it: sessions and ``admin.command("hello")``."""

    def __init__(self, recorder: MongoRecorder):
        self.recorder = recorder
        self.admin = _Admin(recorder)

    def start_session(self, **options):
        session = RecordingSession(self.recorder)
        self.recorder.sessions.append(session)
        return session


class _Database:
    def __init__(self, recorder: MongoRecorder):
        self.recorder = recorder

    def create_collection(self, name, **options):
        self.recorder.schema.append(("create_collection", name, None))

    def command(self, name, *args, **kwargs):
        if name != "ping":
            raise AssertionError(f"the recorder answers only ping on the database, not {name!r}")
        self.recorder.commands.append(("database", name))
        query_sites.note_current()
        return {"ok": 1.0}


class _Collection:
    def __init__(self, name: str, recorder: MongoRecorder):
        self.name = name
        self.recorder = recorder

    def _record(self, method: str, args: tuple, kwargs: dict) -> RecordedCommand:
        session = kwargs.get("session")
        command = RecordedCommand(
            self.name,
            method,
            args,
            kwargs,
            session=session,
            in_transaction=bool(session is not None and session.in_transaction),
        )
        for recorder in self.recorder.chain():
            recorder.log.append(command)
        query_sites.note_current()
        if command.is_write:
            for recorder in self.recorder.chain():
                recorder.writes.append(command)
            error = self.recorder.fault(command) if self.recorder.fault else None
            if error is not None:
                command.error = error
                raise error
        return command

    def aggregate(self, pipeline, *args, **kwargs):
        self._record("aggregate", (pipeline, *args), kwargs)
        for recorder in self.recorder.chain():
            recorder.reads.append((self.name, pipeline))
        for answer in self.recorder.all_answers():
            if answer.matches(self.name, pipeline):
                return _Cursor(answer.result())
        return _Cursor([])

    def insert_many(self, documents, *args, **kwargs):
        documents = list(documents)
        for document in documents:
            # pymongo gives each document its _id client-side; ``ids`` pins the first one per collection.
            document.setdefault("_id", self.recorder.ids.pop(self.name, None) or ObjectId())
        self._record("insert_many", (documents, *args), kwargs)
        return WriteResult(inserted_ids=[document["_id"] for document in documents])

    def update_many(self, *args, **kwargs):
        command = self._record("update_many", args, kwargs)
        matched = self.recorder.matched(command) if callable(self.recorder.matched) else self.recorder.matched
        return WriteResult(matched_count=matched, modified_count=matched)

    def delete_many(self, *args, **kwargs):
        self._record("delete_many", args, kwargs)
        return WriteResult()

    # Schema changes (migrations), recorded in order for shop.testing.mongo_indexes.
    def create_indexes(self, indexes, *args, **kwargs):
        for index in indexes:
            self.recorder.schema.append(("create_index", self.name, index.document))
        return [index.document["name"] for index in indexes]

    def drop_index(self, name, *args, **kwargs):
        self.recorder.schema.append(("drop_index", self.name, name))

    def drop(self, *args, **kwargs):
        self.recorder.schema.append(("drop_collection", self.name, None))

    def rename(self, new_name, *args, **kwargs):
        self.recorder.schema.append(("rename_collection", self.name, new_name))

    def __getattr__(self, name):
        raise AssertionError(f"the recorder saw an unexpected {name}() on {self.name}")


_HELLO_COMMON = {"isWritablePrimary": True, "logicalSessionTimeoutMinutes": 30, "ok": 1.0}
HELLO_ANSWERS = {
    "replica set": {**_HELLO_COMMON, "setName": "rs0"},
    "sharded cluster": {**_HELLO_COMMON, "msg": "isdbgrid"},
    "standalone": dict(_HELLO_COMMON),
    # A replica set that lost its primary (an election, a network split): it takes no writes.
    "replica set without a primary": {
        **_HELLO_COMMON,
        "setName": "rs0",
        "isWritablePrimary": False,
        "secondary": True,
    },
}


class MongoRecorder:
    """Record every command django-mongodb-backend hands to pymongo, without a server.

    The seam is the backend's own: ``DatabaseWrapper.get_collection()`` (every read
    and write the compilers send goes through it), the ``MongoClient`` it keeps as
    ``connection.connection`` (sessions for transactions, ``hello``) and its
    ``database`` (``ping``). Everything above the seam is the backend's and the
    shop's real code: compilers, ``execute_sql``, the transaction runner.

    * ``answers``: canned documents, each given only to the reads it names (:class:`Answer`).
    * ``topology``: what ``hello`` says (``"replica set"``, ``"sharded cluster"``,
      ``"standalone"``; by default :data:`DEFAULT_TOPOLOGY`).
    * A recorder entered inside another records for both and answers with both's answers.
    * ``matched``: the matched count of every ``update_many`` (an int, or a function of
      the :class:`RecordedCommand`); 0 shows a conditional update whose condition failed.
    * ``fault``: a function of each write command returning an exception to raise
      instead of answering (see :func:`fail_nth_write`), or None.
    * ``ids``: ``{collection: ObjectId}``, the ``_id`` the next document inserted into
      that collection gets (pymongo makes ids client-side), so a test can answer
      later reads of it.
    * ``commit_fault``: a function of the commit's number (1 for the block's first commit)
      returning an exception to raise, or None.

    It shows what would be sent; it never stands in for a database in a behaviour
    test (those run on SQLite, or on a real MongoDB).
    """

    def __init__(
        self,
        answers=(),
        *,
        topology: str | None = None,
        matched=1,
        fault=None,
        commit_fault=None,
        ids: dict[str, ObjectId] | None = None,
        using: str = "default",
    ):
        self.answers = list(answers)
        self.topology = topology or DEFAULT_TOPOLOGY
        self.outer: MongoRecorder | None = None
        self.matched = matched
        self.fault = fault
        self.commit_fault = commit_fault
        self.ids = dict(ids or {})
        self.using = using
        self.log: list[RecordedCommand] = []
        self.reads: list[tuple[str, list]] = []
        self.writes: list[RecordedCommand] = []
        self.sessions: list[RecordingSession] = []
        self.transaction_events: list[tuple[str, RecordingSession, dict]] = []
        self.commands: list[tuple[str, str]] = []
        self.schema: list[tuple[str, str, Any]] = []
        self.commits = 0
        self._saved: dict[str, Any] = {}

    def __enter__(self) -> MongoRecorder:
        from shop import transactions

        connection = mongo_connection(self.using)
        client = connection.__dict__.get("connection")
        if isinstance(client, _Client):
            # Inside another recorder (captured_reads() with record_writes()): record for both.
            self.outer = client.recorder
        self._saved = {name: connection.__dict__.get(name, _MISSING) for name in _PATCHED}
        connection.get_collection = lambda name, **kwargs: _Collection(name, self)
        # The client below is the connection: nothing to connect to (pytest-django's
        # database blocker patches ensure_connection() on the class, so it is set here).
        connection.ensure_connection = lambda: None
        connection.connection = _Client(self)
        connection.__dict__["database"] = _Database(self)
        connection.autocommit = True  # as connect() leaves it
        connection.session = None
        connection.in_atomic_block_mongo = False
        transactions.forget_topologies()
        return self

    def __exit__(self, *exc_info):
        from shop import transactions

        connection = mongo_connection(self.using)
        for name, value in self._saved.items():
            if value is _MISSING:
                connection.__dict__.pop(name, None)
            else:
                connection.__dict__[name] = value
        transactions.forget_topologies()

    def chain(self) -> list[MongoRecorder]:
        """Return this recorder and the ones it was entered inside, innermost first."""
        recorders, recorder = [], self
        while recorder is not None:
            recorders.append(recorder)
            recorder = recorder.outer
        return recorders

    def all_answers(self) -> list[Answer]:
        """Return the answers of this recorder, then those of the recorders around it."""
        return [answer for recorder in self.chain() for answer in recorder.answers]

    @property
    def attempts(self) -> list[list[RecordedCommand]]:
        """Return the writes grouped by the session (transaction attempt) that carried them."""
        groups: dict[int, list[RecordedCommand]] = {}
        for command in self.writes:
            groups.setdefault(id(command.session), []).append(command)
        return list(groups.values())

    def events(self) -> list[str]:
        """Return the names of the transaction events in order (start, commit, abort, end)."""
        return [name for name, _session, _details in self.transaction_events]


_MISSING = object()
# What hello says unless a recorder is told otherwise: production's replica set.
DEFAULT_TOPOLOGY = "replica set"
_PATCHED = (
    "get_collection",
    "ensure_connection",
    "connection",
    "database",
    "autocommit",
    "session",
    "in_atomic_block_mongo",
)


def record_commands(answers=(), **options) -> MongoRecorder:
    """Return a :class:`MongoRecorder`; use it as a context manager.

    ``with record_commands([...]) as recorder:`` records the block's commands.
    """
    return MongoRecorder(answers, **options)


@contextlib.contextmanager
def captured_reads(answers=(), **options):
    """Record ``(collection, pipeline)`` of every read made in the block; yield the list.

    Reads no answer names get no documents. Built on :class:`MongoRecorder`, so the
    pipelines are built and sent by the backend's own ``execute_sql``.
    """
    with MongoRecorder(answers, **options) as recorder:
        yield recorder.reads


@contextlib.contextmanager
def record_writes(answers=(), **options):
    """Record the write commands sent in the block (reads get no documents); yield their list."""
    with MongoRecorder(answers, **options) as recorder:
        yield recorder.writes


# --- Faults -------------------------------------------------------------------------------------


def write_conflict():
    """Return the error MongoDB gives a transaction that lost a write conflict (transient)."""
    from pymongo.errors import OperationFailure

    return OperationFailure(
        "WriteConflict error: this operation conflicted with another operation. Please retry your operation.",
        code=112,
        details={"code": 112, "codeName": "WriteConflict", "errorLabels": ["TransientTransactionError"]},
    )


def server_error():
    """Return a non-transient server error (the write was refused, nothing applied)."""
    from pymongo.errors import OperationFailure

    return OperationFailure("injected fault", code=1, details={"code": 1, "codeName": "InternalError"})


def unknown_commit_result():
    """Return the error of a commit whose outcome the driver could not learn."""
    from pymongo.errors import AutoReconnect

    error = AutoReconnect("connection closed while committing")
    error._add_error_label("UnknownTransactionCommitResult")
    return error


def fail_nth_write(n: int, make_error=server_error):
    """Return a recorder ``fault`` that raises ``make_error()`` on the ``n``-th write command (1-based)."""
    seen = 0

    def fault(command: RecordedCommand):
        nonlocal seen
        seen += 1
        return make_error() if seen == n else None

    return fault


def fail_every_write(make_error=write_conflict, *, collection: str | None = None):
    """Return a recorder ``fault`` that raises ``make_error()`` on every write (of ``collection``)."""

    def fault(command: RecordedCommand):
        if collection is None or command.collection == collection:
            return make_error()
        return None

    return fault


# --- Logged-in browser requests ------------------------------------------------------------------


def user_document(
    user_id: ObjectId, *, email: str = "staff@example.com", password: str = "", **fields
) -> dict:
    """Return a stored user as MongoDB would hold it (a superuser by default)."""
    from django.utils import timezone

    return {
        "_id": user_id,
        "email": email,
        "password": password,
        "first_name": "",
        "last_name": "",
        "is_staff": True,
        "is_superuser": True,
        "is_active": True,
        "date_joined": timezone.now().replace(tzinfo=None),
        "last_login": None,
        "token_version": 0,
        "tokens_valid_after": None,
        "orders_version": 0,
        **fields,
    }


def session_answers(document: dict, *, session_key: str) -> list[Answer]:
    """Return the answers that make a request with session cookie ``session_key`` logged in as ``document``.

    They answer exactly Django's own lookups: the session by its key (with its
    expiry) and the user by the id the session names; the session carries the
    user's current session hash, as ``django.contrib.auth.login()`` leaves it.
    """
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils import timezone

    from accounts.models import User
    from accounts.sessions import SessionStore

    user = User(pk=document["_id"], password=document["password"], token_version=document["token_version"])
    data = {
        SESSION_KEY: str(document["_id"]),
        BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
        HASH_SESSION_KEY: user.get_session_auth_hash(),
    }
    session = {
        "_id": ObjectId(),
        "session_key": session_key,
        "session_data": SessionStore().encode(data),
        "expire_date": (timezone.now() + timedelta(days=1)).replace(tzinfo=None),
        "user_id": document["_id"],
    }
    return [
        Answer("accounts_usersession", where={"session_key": session_key}, documents=(session,)),
        Answer("accounts_user", where={"_id": document["_id"]}, documents=(document,)),
    ]
