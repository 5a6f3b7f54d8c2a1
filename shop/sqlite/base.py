"""The database wrapper of ``ENGINE: "shop.sqlite"``: Django's SQLite wrapper, our operations."""

import itertools
import sqlite3
import time

from django.db.backends.sqlite3 import base
from django.db.backends.sqlite3.operations import DatabaseOperations as SQLiteDatabaseOperations
from django.db.models import Exists, ExpressionWrapper, Lookup
from django.db.models.sql.where import WhereNode


class DatabaseOperations(SQLiteDatabaseOperations):
    """SQLite's operations, comparing boolean columns with a literal in WHERE clauses."""

    def conditional_expression_supported_in_where_clause(self, expression) -> bool:
        """Return False for a boolean column, so ``Exact`` compares it with 1 or 0.

        Lookups, ``Exists`` and ``Q`` trees are conditions in their own right and stay
        as they are; a wrapped condition is judged by what it wraps (as Django does
        for MySQL, and for SQLite from 6.0 on).
        """
        if isinstance(expression, (Exists, Lookup, WhereNode)):
            return True
        if isinstance(expression, ExpressionWrapper) and expression.conditional:
            return self.conditional_expression_supported_in_where_clause(expression.expression)
        if getattr(expression, "conditional", False):
            return False
        return super().conditional_expression_supported_in_where_clause(expression)


# SQLite's "busy" result code; extended codes (SQLITE_BUSY_RECOVERY, ...) share its low byte.
SQLITE_BUSY = 5
# How long a statement that found the database locked waits before it tries again:
# the first pause, doubled after each try up to the last. SQLite's own busy handler
# sleeps 1, 2, 5, 10, 15, 20, 25 ms... (sqliteDefaultBusyCallback), so a writer that
# finds the lock taken for 3 ms waited 8; these pauses lose a tenth of a millisecond.
BUSY_FIRST_PAUSE_SECONDS = 0.0001
BUSY_LAST_PAUSE_SECONDS = 0.001


def is_busy(error: sqlite3.OperationalError) -> bool:
    """Return True if ``error`` says that another connection holds the lock the statement needed."""
    return (getattr(error, "sqlite_errorcode", None) or 0) & 0xFF == SQLITE_BUSY


class BusyWaitingCursor(base.SQLiteCursorWrapper):
    """Django's SQLite cursor, which waits for a locked database in short pauses.

    The connection's own busy handler is off (``busy_timeout`` 0): a statement run
    outside a transaction, which changed nothing when it found the database locked
    (``BEGIN IMMEDIATE``, an autocommit write), is tried again after a pause of 0.1 ms
    doubling up to 1 ms, until the connection's ``timeout`` has passed; then its
    "database is locked" error is raised as before. Inside a transaction a busy error
    is raised at once: the transaction already holds what it took, and its statements
    cannot be retried alone. So transactions must take the write lock when they begin
    (``transaction_mode: IMMEDIATE``, as ``shop.config`` sets): a deferred one that
    wrote after reading would not wait for another writer. ``executemany`` outside a
    transaction commits row by row, so it is not retried either: it runs under SQLite's
    own busy handler.
    """

    busy_timeout_seconds = 0.0

    def execute(self, query, params=None):
        """Run one statement, waiting while the database is locked (outside a transaction)."""
        if self.connection.in_transaction:
            return super().execute(query, params)
        deadline = time.monotonic() + self.busy_timeout_seconds
        pause = BUSY_FIRST_PAUSE_SECONDS
        while True:
            try:
                return super().execute(query, params)
            except sqlite3.OperationalError as error:
                if not is_busy(error) or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, BUSY_LAST_PAUSE_SECONDS)

    def executemany(self, query, param_list):
        """Run a statement for each parameter set; outside a transaction under SQLite's busy handler."""
        if self.connection.in_transaction:
            return super().executemany(query, param_list)
        self.connection.execute(f"PRAGMA busy_timeout = {round(self.busy_timeout_seconds * 1000)}")
        try:
            return super().executemany(query, param_list)
        finally:
            self.connection.execute("PRAGMA busy_timeout = 0")


# Numbers every connection this process opens, so that the commit state of one
# connection is never mistaken for that of a later one (see ``commit_state``).
_connection_numbers = itertools.count(1)


class DatabaseWrapper(base.DatabaseWrapper):
    """Django's SQLite ``DatabaseWrapper`` with the shop's operations, its commit state and busy waits."""

    ops_class = DatabaseOperations
    connection_number = 0
    # sqlite3.connect's default; OPTIONS["timeout"] sets it.
    busy_timeout_seconds = 5.0

    def get_new_connection(self, conn_params):
        """Open a connection as Django does, numbered, with the waiting for locks left to its cursors.

        The number is one no other connection of this process had. SQLite's busy handler
        is turned off: :class:`BusyWaitingCursor` waits instead, for ``OPTIONS["timeout"]``.
        """
        connection = super().get_new_connection(conn_params)
        self.connection_number = next(_connection_numbers)
        self.busy_timeout_seconds = float(conn_params.get("timeout", type(self).busy_timeout_seconds))
        connection.execute("PRAGMA busy_timeout = 0")
        return connection

    def create_cursor(self, name=None):
        """Return a cursor that waits for a locked database in short pauses (:class:`BusyWaitingCursor`)."""
        cursor = self.connection.cursor(factory=BusyWaitingCursor)
        cursor.busy_timeout_seconds = self.busy_timeout_seconds
        return cursor

    def commit_state(self) -> tuple[int, int, int] | None:
        """Return a value that two calls return alike only if nothing was committed in between.

        By any connection, in any process: SQLite's ``PRAGMA data_version`` changes when
        another connection commits to the database file, and the connection's
        ``total_changes`` when this one writes a row (rolled back or not: a needless
        change of state, never a missed one). The connection's number comes first,
        since both figures belong to one connection. A few microseconds, no query
        through Django (it is not a read of the shop's data). None inside a
        transaction, whose reads are not those of the next request.
        """
        if self.in_atomic_block:
            return None
        self.ensure_connection()
        (data_version,) = self.connection.execute("PRAGMA data_version").fetchone()
        return (self.connection_number, data_version, self.connection.total_changes)
