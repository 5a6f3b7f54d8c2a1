"""The database wrapper of ``ENGINE: "shop.mongodb"``: django-mongodb-backend's, with our compilers."""

from django_mongodb_backend import base
from django_mongodb_backend.operations import DatabaseOperations as MongoDatabaseOperations


class DatabaseOperations(MongoDatabaseOperations):
    """The backend's operations; queries compile with ``shop.mongodb.compiler``."""

    compiler_module = "shop.mongodb.compiler"


class DatabaseWrapper(base.DatabaseWrapper):
    """django-mongodb-backend's ``DatabaseWrapper`` with the shop's compiler module."""

    ops_class = DatabaseOperations
