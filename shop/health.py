"""Liveness and readiness probes (``/healthz``, ``/readyz``)."""

import functools
import logging
import os
import sqlite3
from urllib.request import pathname2url

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from shop import errors, transactions

logger = logging.getLogger(__name__)

SAFE_METHODS = ("GET", "HEAD")


def json_require_safe(view):
    """Allow only GET and HEAD; other methods get a JSON 405 with an ``Allow`` header."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in SAFE_METHODS:
            response = JsonResponse(
                {"detail": f'Method "{request.method}" not allowed.', "code": "method_not_allowed"},
                status=405,
            )
            response["Allow"] = ", ".join(SAFE_METHODS)
            return response
        return view(request, *args, **kwargs)

    return wrapper


@never_cache
@json_require_safe
def healthz(request):
    """Answer 200 while the process is up; touches nothing else."""
    return JsonResponse({"status": "ok"})


@never_cache
@json_require_safe
def readyz(request):
    """Answer 200 when the database answers and can serve in its mode, else 503.

    ``database`` names the vendor and how operations are made all-or-nothing
    (``"mongodb (replica set, transactions)"``). A standalone MongoDB server is not
    ready in production unless ``MONGODB_ALLOW_STANDALONE`` is set.
    """
    try:
        ping_database()
        label = transactions.describe_database()
        transactions.transaction_mode()
    except errors.StandaloneRefused as exc:
        logger.error("readiness check failed: %s", exc.message)
        return unavailable(database=label, detail=exc.message, code=exc.code)
    except Exception as exc:  # any driver error means "not ready", never a 500
        logger.warning("readiness check failed: %s", exc)
        return unavailable(
            database=connection.vendor, detail="The database did not answer.", code="database_unavailable"
        )
    return JsonResponse({"status": "ok", "database": label})


def unavailable(*, database: str, detail: str, code: str) -> JsonResponse:
    """Return the 503 of ``/readyz``."""
    return JsonResponse(
        {"status": "unavailable", "database": database, "detail": detail, "code": code}, status=503
    )


def ping_database() -> None:
    """Check that the active database can be read and written now; raise if not.

    Cheap on both backends. SQLite: a connection of its own (the workers' persistent
    connections keep a file open even after it was made unreadable or unwritable)
    reads the schema and makes a write it rolls back (a lock held by a writer beyond a
    second proves the file writable too); MongoDB: ``hello`` must
    name a writable primary (a replica set without one, or a lost mongos, takes no
    writes), and ``ping`` answers.
    """
    if connection.vendor == "mongodb":
        connection.ensure_connection()
        hello = connection.connection.admin.command("hello")
        if not hello.get("isWritablePrimary"):
            raise DatabaseError("MongoDB has no writable primary")
        connection.database.command("ping")
        return
    sqlite_read_write_check(connection.settings_dict["NAME"])


def sqlite_read_write_check(path: str, *, timeout: float = 1.0) -> None:
    """Read the SQLite file at ``path`` and try a write there (rolled back), on a fresh connection."""
    uri = f"file:{pathname2url(os.path.abspath(path))}?mode=rw"
    try:
        probe = sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
    except sqlite3.Error as exc:
        raise DatabaseError(f"SQLite file cannot be opened for reading and writing: {exc}") from exc
    try:
        probe.execute("SELECT count(*) FROM sqlite_master").fetchone()
        # A write that is rolled back: SQLite refuses it at once ("attempt to write a
        # readonly database") when the file could only be opened for reading, and in
        # WAL mode nothing reaches the file before a commit.
        probe.execute("BEGIN IMMEDIATE")
        version = probe.execute("PRAGMA user_version").fetchone()[0]
        probe.execute(f"PRAGMA user_version = {int(version)}")
        probe.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if "database is locked" not in str(exc):  # busy with another writer: writable
            raise DatabaseError(f"SQLite cannot be read and written: {exc}") from exc
    except sqlite3.Error as exc:
        raise DatabaseError(f"SQLite cannot be read and written: {exc}") from exc
    finally:
        probe.close()
