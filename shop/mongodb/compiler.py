"""django-mongodb-backend's compilers, reads building :class:`~shop.mongodb.query.IndexOrderedMongoQuery`."""

from django_mongodb_backend import compiler as mongo_compiler

from shop.mongodb.query import IndexOrderedMongoQuery


class SQLCompiler(mongo_compiler.SQLCompiler):
    """The backend's read compiler, building pipelines whose ``$sort`` an index can serve."""

    query_class = IndexOrderedMongoQuery


class SQLInsertCompiler(mongo_compiler.SQLInsertCompiler):
    """The backend's insert compiler, unchanged."""


class SQLDeleteCompiler(mongo_compiler.SQLDeleteCompiler):
    """The backend's delete compiler, unchanged."""


class SQLUpdateCompiler(mongo_compiler.SQLUpdateCompiler):
    """The backend's update compiler, unchanged."""


class SQLAggregateCompiler(mongo_compiler.SQLAggregateCompiler):
    """The backend's aggregate compiler, building the same pipelines as reads."""

    query_class = IndexOrderedMongoQuery
