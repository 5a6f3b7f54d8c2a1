"""The database wrapper of ``ENGINE: "shop.sqlite"``: Django's SQLite wrapper, our operations."""

import itertools

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


# Numbers every connection this process opens, so that the commit state of one
# connection is never mistaken for that of a later one (see ``commit_state``).
_connection_numbers = itertools.count(1)


class DatabaseWrapper(base.DatabaseWrapper):
    """Django's SQLite ``DatabaseWrapper`` with the shop's operations, and its commit state."""

    ops_class = DatabaseOperations
    connection_number = 0

    def get_new_connection(self, conn_params):
        """Open a connection as Django does, and give it a number no other connection had."""
        connection = super().get_new_connection(conn_params)
        self.connection_number = next(_connection_numbers)
        return connection

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
