"""Liveness and readiness probes (``/healthz``, ``/readyz``)."""

import logging

from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request):
    """Answer 200 while the process is up; touches nothing else."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request):
    """Answer 200 when the active database answers a ping, else 503."""
    try:
        ping_database()
    except Exception as exc:  # any driver error means "not ready", never a 500
        logger.warning("readiness check failed: %s", exc)
        return JsonResponse(
            {
                "status": "unavailable",
                "database": connection.vendor,
                "detail": "The database did not answer.",
                "code": "database_unavailable",
            },
            status=503,
        )
    return JsonResponse({"status": "ok", "database": connection.vendor})


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
