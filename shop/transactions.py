"""Business operations as one transaction where the database has them, retried as MongoDB prescribes.

Every service that writes more than one document runs its writes through
:func:`run`. What that means depends on the database (:func:`transaction_mode`):

* **SQL** (SQLite): ``transaction.atomic()``. SQLite's "database is locked" after the
  busy timeout becomes :class:`~shop.errors.DatabaseBusy` (a clean 503).
* **MongoDB replica set or sharded cluster**: one multi-document transaction
  (snapshot read concern, majority write concern) on a session that
  django-mongodb-backend passes to every command of the block. It is retried the way
  MongoDB's drivers prescribe (the "convenient transaction API" of the driver
  specifications): an error labelled ``TransientTransactionError`` (a WriteConflict
  with a concurrent transaction, a primary election) aborts and reruns the whole
  operation; a commit labelled ``UnknownTransactionCommitResult`` is retried as a
  commit. Retries are bounded (``DB_TRANSACTION_MAX_ATTEMPTS`` attempts and
  ``DB_TRANSACTION_MAX_SECONDS``) with jittered exponential backoff. What still fails
  is :class:`~shop.errors.TransactionConflict` or
  :class:`~shop.errors.CommitOutcomeUnknown`, never a half-written change: nothing
  ever writes again inside a transaction that a database error aborted, the abort is
  the compensation. ``pymongo``'s own ``with_transaction`` retries for a fixed 120
  seconds, longer than any web request should wait, so the loop is written here.
* **No transactions** (a standalone MongoDB server, allowed explicitly with
  ``MONGODB_ALLOW_STANDALONE``; or SQLite with transactions switched off by
  :func:`transactions_disabled` in the fault-injection tests): the operation runs
  write by write, and services make it whole themselves. Writes that can be undone
  register their undo with :func:`on_failure`; if the operation fails, the undos run
  newest first (:class:`Compensations`). Writes that finish a move already decided
  (a status change is final once its conditional update won) go through
  :func:`complete`, which retries them instead.

Work that must happen only once an operation has succeeded (delivering the email
the operation wrote to the outbox) is registered with :func:`after_success`: it runs
after the commit of a transaction, and after the whole operation returned when there
is none, never in the middle of it and never after it failed.

Nested calls join the outermost operation: one transaction, retried as a whole.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError, IntegrityError, OperationalError, connections, transaction

from shop import errors

logger = logging.getLogger(__name__)

T = TypeVar("T")

TRANSIENT_TRANSACTION_ERROR = "TransientTransactionError"
UNKNOWN_TRANSACTION_COMMIT_RESULT = "UnknownTransactionCommitResult"
# The backoff of MongoDB's convenient transaction API (pymongo's with_transaction).
BACKOFF_INITIAL_SECONDS = 0.005
BACKOFF_GROWTH = 1.5
BACKOFF_MAX_SECONDS = 0.5
# How often complete() tries a finishing write when there is no transaction.
COMPLETE_ATTEMPTS = 3
SQLITE_LOCKED_MESSAGES = ("database is locked", "database table is locked")


class Mode(enum.Enum):
    """How business operations are made all-or-nothing on the active database."""

    SQL = "sql"
    MONGODB = "mongodb"
    NONE = "none"


class Topology(enum.Enum):
    """What kind of MongoDB deployment the server says it is (its ``hello`` answer)."""

    REPLICA_SET = "replica set"
    SHARDED_CLUSTER = "sharded cluster"
    STANDALONE = "standalone"

    @property
    def has_transactions(self) -> bool:
        """Return whether multi-document transactions exist on this topology."""
        return self is not Topology.STANDALONE


class RetryOperation(Exception):
    """Raised inside a MongoDB transaction to abort it and rerun the whole operation.

    A database error aborts a MongoDB transaction on the server, so code that would
    recover from one in place (a duplicate key lost to a concurrent insert) raises
    this instead; the rerun's own checks then see the committed competitor.
    """


# --- Mode ---------------------------------------------------------------------------------------

_topologies: dict[str, Topology] = {}
_topology_lock = threading.Lock()
_disabled = False


def mongodb_topology(using: str = "default") -> Topology:
    """Return the topology of the MongoDB server behind ``using``, asked once per process.

    The ``hello`` command says it (``setName``: a replica set member; ``msg:
    "isdbgrid"``: a mongos of a sharded cluster). An unreachable server raises
    DatabaseError and nothing is remembered, so the next call asks again.
    """
    with _topology_lock:
        if using in _topologies:
            return _topologies[using]
    connection = connections[using]
    connection.ensure_connection()
    from pymongo.errors import PyMongoError

    try:
        hello = connection.connection.admin.command("hello")
    except PyMongoError as exc:
        raise DatabaseError(f"MongoDB did not answer hello: {exc}") from exc
    if hello.get("msg") == "isdbgrid":
        topology = Topology.SHARDED_CLUSTER
    elif "setName" in hello:
        topology = Topology.REPLICA_SET
    else:
        topology = Topology.STANDALONE
    with _topology_lock:
        if using not in _topologies and topology is Topology.STANDALONE and standalone_allowed():
            logger.warning(
                "MongoDB at %s is a standalone server: business operations run without "
                "transactions (MONGODB_ALLOW_STANDALONE is set); see the README for the "
                "crash windows that remain.",
                connection.settings_dict.get("NAME"),
            )
        _topologies[using] = topology
    return topology


def forget_topologies() -> None:
    """Forget what servers said about their topology (tests, after a reconfiguration)."""
    with _topology_lock:
        _topologies.clear()


def standalone_allowed() -> bool:
    """Return whether a standalone MongoDB server may serve (debug, or MONGODB_ALLOW_STANDALONE)."""
    return bool(settings.DEBUG or getattr(settings, "MONGODB_ALLOW_STANDALONE", False))


def transaction_mode(using: str = "default") -> Mode:
    """Return how operations on ``using`` are made all-or-nothing.

    Raises StandaloneRefused for a standalone MongoDB server in production unless
    ``MONGODB_ALLOW_STANDALONE`` is set, and DatabaseError if the server cannot be asked.
    """
    if _disabled:
        return Mode.NONE
    connection = connections[using]
    if connection.vendor != "mongodb":
        return Mode.SQL
    topology = mongodb_topology(using)
    if topology.has_transactions:
        return Mode.MONGODB
    if not standalone_allowed():
        raise errors.StandaloneRefused()
    return Mode.NONE


def describe_database(using: str = "default") -> str:
    """Return the vendor and mode for ``/readyz``: ``"mongodb (replica set, transactions)"``."""
    connection = connections[using]
    if connection.vendor != "mongodb":
        return f"{connection.vendor} (transactions)"
    topology = mongodb_topology(using)
    if topology.has_transactions:
        return f"mongodb ({topology.value}, transactions)"
    return f"mongodb ({topology.value}, no transactions)"


@contextlib.contextmanager
def transactions_disabled() -> Iterator[None]:
    """Run operations without transactions in the block, as on a standalone MongoDB server.

    For the fault-injection tests: the no-transaction code (compensation, finishing
    writes) then runs against a real SQLite database. Process-wide; never in production.
    """
    global _disabled
    previous, _disabled = _disabled, True
    try:
        yield
    finally:
        _disabled = previous


# --- Running an operation -----------------------------------------------------------------------


@dataclass
class Compensations:
    """The undo actions of one operation without a transaction, run newest first on failure.

    ``successes`` holds what :func:`after_success` registered: run in order once the
    outermost operation has returned, dropped if it failed.
    """

    undos: list[tuple[str, Callable[[], object]]] = field(default_factory=list)
    successes: list[Callable[[], object]] = field(default_factory=list)

    def add(self, description: str, undo: Callable[[], object]) -> None:
        """Remember how to undo a write that just succeeded."""
        self.undos.append((description, undo))

    def run_successes(self) -> None:
        """Run the callbacks of a succeeded operation in order; a failing one is logged, the others run."""
        while self.successes:
            callback = self.successes.pop(0)
            try:
                callback()
            except Exception:
                logger.exception(
                    "after_success callback %s failed", getattr(callback, "__qualname__", callback)
                )

    def run(self) -> None:
        """Undo every remembered write, newest first; an undo that fails is logged, the rest still run."""
        while self.undos:
            description, undo = self.undos.pop()
            try:
                undo()
            except Exception:
                logger.exception("compensation failed, left behind: %s", description)


_local = threading.local()


def _frames() -> list[Compensations]:
    if not hasattr(_local, "frames"):
        _local.frames = []
    return _local.frames


def on_failure(description: str, undo: Callable[[], object]) -> None:
    """Register ``undo`` for the write that just succeeded, in case the operation fails.

    Only operations without a transaction keep it; inside a transaction the
    rollback undoes the write and ``undo`` is dropped. ``description`` names what
    would be left behind if the undo itself failed (it is logged).
    """
    frames = _frames()
    if frames:
        frames[-1].add(description, undo)


def after_success(callback: Callable[[], object], *, using: str = "default") -> None:
    """Run ``callback`` (no arguments) once the business operation in progress has succeeded.

    * In a transaction (SQL ``atomic()``, or the MongoDB transaction of :func:`run`):
      Django's ``on_commit(robust=True)``, so it runs after the outermost commit and
      is dropped on rollback (a MongoDB rerun registers it again).
    * In an operation without a transaction: after the outermost :func:`run` has
      returned (a nested operation hands it to the one around it); dropped if the
      operation fails. Not while the operation runs: its writes are visible at once
      there, but it may still fail and undo them.
    * Outside any operation or transaction: at once.

    A callback that raises is logged and never fails the operation, which has
    already succeeded; it must be best effort (work a later retry can finish).
    """
    frames = _frames()
    if frames:
        frames[-1].successes.append(callback)
        return
    transaction.on_commit(callback, using=using, robust=True)


def in_operation_without_transaction() -> bool:
    """Return whether an operation without a transaction is running in this thread.

    Its writes are visible to other processes at once and undone by the
    :func:`on_failure` actions if it fails later.
    """
    return bool(_frames())


def operation_holds_write_lock(using: str = "default") -> bool:
    """Return whether the running operation's transaction holds the database's only write lock.

    True inside an SQLite transaction begun with ``BEGIN IMMEDIATE`` (the shop's
    ``transaction_mode``): no other writer, in any process, can come between a read
    and a write of the transaction, so a value read as free (the next order number)
    stays free until the commit. False for an operation without a transaction, even
    inside a test's own transaction.
    """
    connection = connections[using]
    return (
        not in_operation_without_transaction()
        and connection.vendor == "sqlite"
        and connection.in_atomic_block
        and connection.settings_dict["OPTIONS"].get("transaction_mode") == "IMMEDIATE"
    )


def complete(write: Callable[[], T], *, description: str) -> T:
    """Run a write that finishes a change already decided; return its result.

    Inside a transaction this is just ``write()``: if it fails, the whole
    transaction aborts. Without one, what came before cannot be taken back safely
    (stock returned by a cancellation may already be sold again), so the write is
    tried again, up to ``COMPLETE_ATTEMPTS`` times, before the error is raised and
    ``description`` logged as left undone.
    """
    if not _frames():
        return write()
    for attempt in range(1, COMPLETE_ATTEMPTS + 1):
        try:
            return write()
        except DatabaseError:
            if attempt == COMPLETE_ATTEMPTS:
                logger.critical("a finishing write failed %d times, left undone: %s", attempt, description)
                raise
            logger.warning("a finishing write failed, trying again: %s", description, exc_info=True)
            time.sleep(_backoff(attempt))
    raise AssertionError("unreachable")  # pragma: no cover


def rerun_if_in_transaction(error: IntegrityError) -> None:
    """Raise RetryOperation for an IntegrityError inside a MongoDB transaction, else return.

    Call it where code recovers from a duplicate key in place: inside a MongoDB
    transaction the error has aborted the transaction, so nothing may be read or
    written any more; the operation reruns instead and meets the competitor in its checks.
    """
    if _in_mongodb_transaction():
        raise RetryOperation() from error


def run(operation: Callable[[], T], *, using: str = "default") -> T:
    """Run ``operation`` (a callable without arguments) as one business operation; return its result.

    See the module docstring for what happens on each database. ``operation`` may run
    more than once (MongoDB reruns a transaction after a transient error), so it must
    not change anything outside the database until it returns: mutate the caller's
    objects after ``run`` returns.
    """
    connection = connections[using]
    if connection.vendor == "mongodb" and connection.in_atomic_block_mongo:
        return operation()  # Join the enclosing transaction.
    mode = transaction_mode(using)
    if mode is Mode.SQL:
        return _run_sql(operation, using)
    if mode is Mode.MONGODB:
        return _run_mongodb(operation, connection)
    return _run_without_transaction(operation)


def _run_sql(operation: Callable[[], T], using: str) -> T:
    try:
        with transaction.atomic(using=using):
            return operation()
    except OperationalError as exc:
        if any(message in str(exc) for message in SQLITE_LOCKED_MESSAGES):
            raise errors.DatabaseBusy() from exc
        raise


def _run_without_transaction(operation: Callable[[], T]) -> T:
    frames = _frames()
    compensations = Compensations()
    frames.append(compensations)
    try:
        result = operation()
    except BaseException:
        compensations.run()
        raise
    finally:
        frames.pop()
    if frames:
        # A nested operation: the one around it may still fail, so it decides.
        frames[-1].successes.extend(compensations.successes)
    else:
        compensations.run_successes()
    return result


def _in_mongodb_transaction(using: str = "default") -> bool:
    connection = connections[using]
    return connection.vendor == "mongodb" and connection.in_atomic_block_mongo


def error_labels(exc: BaseException) -> set[str]:
    """Return the MongoDB error labels of ``exc`` or of the pymongo error it was raised from."""
    from pymongo.errors import PyMongoError

    labels: set[str] = set()
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, PyMongoError):
            labels.update(
                label
                for label in (TRANSIENT_TRANSACTION_ERROR, UNKNOWN_TRANSACTION_COMMIT_RESULT)
                if exc.has_error_label(label)
            )
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return labels


def _backoff(attempt: int) -> float:
    """Return the jittered wait before retry ``attempt`` (1 is the first retry)."""
    ceiling = min(BACKOFF_INITIAL_SECONDS * BACKOFF_GROWTH**attempt, BACKOFF_MAX_SECONDS)
    return random.random() * ceiling  # noqa: S311 (jitter, not security)


class _Budget:
    """The bound on one operation's retries: attempts and seconds."""

    def __init__(self):
        self.attempts = settings.DB_TRANSACTION_MAX_ATTEMPTS
        self.deadline = time.monotonic() + settings.DB_TRANSACTION_MAX_SECONDS
        self.attempt = 1

    def retry(self) -> bool:
        """Wait before the next attempt and return True, or return False when the budget is spent."""
        if self.attempt >= self.attempts:
            return False
        pause = _backoff(self.attempt)
        if time.monotonic() + pause >= self.deadline:
            return False
        time.sleep(pause)
        self.attempt += 1
        return True


def _run_mongodb(operation: Callable[[], T], connection) -> T:
    budget = _Budget()
    while True:
        session = _transaction_start(connection)
        try:
            result = operation()
        except BaseException as exc:
            _transaction_abort(connection, session)
            if not (isinstance(exc, RetryOperation) or TRANSIENT_TRANSACTION_ERROR in error_labels(exc)):
                raise
            if not budget.retry():
                raise errors.TransactionConflict() from exc
            logger.info("transaction aborted by a transient error, rerunning (attempt %d)", budget.attempt)
            continue
        rerun_after = _transaction_commit(connection, session, budget)
        if rerun_after is None:
            return result
        if not budget.retry():
            raise errors.TransactionConflict() from rerun_after
        logger.info("commit aborted by a transient error, rerunning (attempt %d)", budget.attempt)


def _transaction_commit(connection, session, budget: _Budget) -> BaseException | None:
    """Commit, retrying the commit while its outcome is unknown.

    Return None once committed, or the error after which the whole operation must
    run again (a transient error: the transaction was aborted). Raise
    CommitOutcomeUnknown when the budget ends with the outcome still unknown.
    """
    from pymongo.errors import PyMongoError

    while True:
        try:
            session.commit_transaction()
        except PyMongoError as exc:
            labels = error_labels(exc)
            if UNKNOWN_TRANSACTION_COMMIT_RESULT in labels and not _max_time_expired(exc):
                if budget.retry():
                    continue
                _transaction_end(connection, session, committed=False)
                raise errors.CommitOutcomeUnknown() from exc
            _transaction_end(connection, session, committed=False)
            if TRANSIENT_TRANSACTION_ERROR in labels:
                return exc
            raise DatabaseError(f"commitTransaction failed: {exc}") from exc
        _transaction_end(connection, session, committed=True)
        return None


def _max_time_expired(exc) -> bool:
    return getattr(exc, "code", None) == 50  # MaxTimeMSExpired: the commit will not succeed by retrying


def _transaction_start(connection):
    """Start a session and a transaction on it that django-mongodb-backend uses for every command."""
    from pymongo.read_concern import ReadConcern
    from pymongo.write_concern import WriteConcern

    connection.ensure_connection()
    session = connection.connection.start_session()
    session.start_transaction(read_concern=ReadConcern("snapshot"), write_concern=WriteConcern("majority"))
    # The backend hands connection.session to every command, and defers on_commit()
    # callbacks while in_atomic_block_mongo is set (its own atomic() does the same).
    connection.session = session
    connection.in_atomic_block_mongo = True
    return session


def _transaction_abort(connection, session) -> None:
    """Abort the transaction (if the server still has it) and release the session."""
    from pymongo.errors import PyMongoError

    try:
        if session.in_transaction:
            session.abort_transaction()
    except PyMongoError:
        logger.warning("abortTransaction failed; the server drops the transaction itself", exc_info=True)
    _transaction_end(connection, session, committed=False)


def _transaction_end(connection, session, *, committed: bool) -> None:
    """Detach the session from the connection; run the on_commit callbacks after a commit."""
    connection.session = None
    connection.in_atomic_block_mongo = False
    hooks, connection.run_on_commit = connection.run_on_commit, []
    try:
        session.end_session()
    finally:
        if committed:
            _run_commit_hooks(hooks)


def _run_commit_hooks(hooks) -> None:
    """Run the ``on_commit()`` callbacks of a committed MongoDB transaction, in order.

    Not ``connection.run_and_clear_commit_hooks()``: that refuses to run inside
    Django's own ``atomic()``, which the admin opens around its views although it
    does nothing on MongoDB; the transaction here has really committed.
    """
    for _savepoints, callback, robust in hooks:
        if not robust:
            callback()
            continue
        try:
            callback()
        except Exception:
            logger.exception("on_commit callback %s failed", getattr(callback, "__qualname__", callback))
