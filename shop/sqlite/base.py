"""The database wrapper of ``ENGINE: "shop.sqlite"``: Django's SQLite wrapper, our operations."""

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


class DatabaseWrapper(base.DatabaseWrapper):
    """Django's SQLite ``DatabaseWrapper`` with the shop's operations."""

    ops_class = DatabaseOperations
