"""Liveness and readiness probes (``/healthz``, ``/readyz``)."""

import functools
import logging

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
    """Make one round trip to the active database; raise if it does not answer."""
    connection.ensure_connection()
    if connection.vendor == "mongodb":
        connection.database.command("ping")
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        if cursor.fetchone() != (1,):
            raise DatabaseError("unexpected answer to SELECT 1")
