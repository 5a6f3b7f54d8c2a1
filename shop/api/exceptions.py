"""One error shape for the v1 API (API.md "Conventions").

Request-level errors are ``{"detail": "...", "code": "..."}`` (plus extra keys such
as ``products`` for ``insufficient_stock``); validation errors are DRF's
``{"field": ["message", ...]}``. Domain errors from services are mapped here, once.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, IntegrityError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from shop import errors
from shop.api.parsers import RequestTooLarge

AUTHENTICATE_HEADER = 'Bearer realm="api"'

logger = logging.getLogger(__name__)

DOMAIN_STATUS = (
    (errors.InvalidInput, status.HTTP_400_BAD_REQUEST),
    (errors.NotAuthenticated, status.HTTP_401_UNAUTHORIZED),
    (errors.NotFound, status.HTTP_404_NOT_FOUND),
    (errors.NotAllowed, status.HTTP_403_FORBIDDEN),
    (errors.Conflict, status.HTTP_409_CONFLICT),
    (errors.Unprocessable, status.HTTP_422_UNPROCESSABLE_ENTITY),
    (errors.Throttled, status.HTTP_429_TOO_MANY_REQUESTS),
    (errors.Unavailable, status.HTTP_503_SERVICE_UNAVAILABLE),
)


def domain_error_status(exc: errors.ShopError) -> int:
    """Return the HTTP status code of a domain error."""
    for error_class, status_code in DOMAIN_STATUS:
        if isinstance(exc, error_class):
            return status_code
    return status.HTTP_400_BAD_REQUEST


def domain_error_response(exc: errors.ShopError) -> Response:
    """Render a domain error in the v1 shape."""
    status_code = domain_error_status(exc)
    headers = {}
    if isinstance(exc, errors.InvalidInput) and exc.field:
        data = {exc.field: [exc.message]}
    else:
        data = {"detail": exc.message, "code": exc.code, **exc.extra}
    if isinstance(exc, (errors.Throttled, errors.Unavailable)):
        headers["Retry-After"] = str(exc.retry_after)
    if isinstance(exc, errors.NotAuthenticated):
        # RFC 7235: a 401 names the scheme that would be accepted.
        headers["WWW-Authenticate"] = AUTHENTICATE_HEADER
    return Response(data, status=status_code, headers=headers)


def database_error_as_domain_error(exc: DatabaseError) -> errors.ShopError:
    """Return the domain error a database error that reached a view is answered with.

    Services turn the errors they expect into domain errors; what still arrives is
    a database that failed or a race the services did not foresee. Neither is the
    client's fault nor a reason for a 500: a lost race (IntegrityError) is 409, a
    failing database 503. Both are logged with their traceback.
    """
    logger.error("database error reached a view", exc_info=exc)
    if isinstance(exc, IntegrityError):
        return errors.Conflict(
            "The request conflicts with a concurrent change; nothing was changed. Reload and try again.",
            code="concurrent_change",
        )
    return errors.Unavailable()


def exception_handler(exc, context):
    """Map domain errors and DRF/Django errors to the v1 error shape with a ``code``."""
    if isinstance(exc, DatabaseError):
        exc = database_error_as_domain_error(exc)
    if isinstance(exc, errors.ShopError):
        return domain_error_response(exc)
    if isinstance(exc, RequestDataTooBig):
        # Django refuses an oversized body when it is read in full (a body whose read
        # has started, as under the test client) before BoundedJSONParser sees it.
        exc = RequestTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.APIException) and isinstance(response.data, dict):
        detail = response.data.get("detail")
        if detail is not None and "code" not in response.data:
            codes = exc.get_codes()
            response.data["code"] = (
                codes.get("detail", exc.default_code) if isinstance(codes, dict) else codes
            )
    return response
