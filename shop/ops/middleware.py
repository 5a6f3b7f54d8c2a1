"""The outermost middleware: a request id for every request, one log line and its metrics.

The request id is the client's (or the proxy's) ``X-Request-ID`` when it is valid:
1 to 128 characters of letters, digits and ``.-_:=+/``, the same rule as nginx's
map in ``deploy/nginx/shop.conf.template``. Anything else is replaced by a new
random id. The id is written to every log record of the request
(``shop.ops.logs.current_request_id``), echoed in the ``X-Request-ID`` response
header and in the body of a 500 (``shop.api.error_views.server_error``).

When the response is ready, the request is logged once on the ``shop.request``
logger (method, path without the query string, status, duration, user id when
known, view name) and counted in ``shop_http_request_duration_seconds``.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from django.utils.functional import SimpleLazyObject, empty

from shop.api.error_views import UNKNOWN_PATH_URL_NAME
from shop.ops import metrics
from shop.ops.logs import current_request_id

REQUEST_ID_HEADER = "X-Request-ID"
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:=+/-]{1,128}")
UNMATCHED_VIEW = "unmatched"

request_logger = logging.getLogger("shop.request")


def request_id_from(request) -> str:
    """Return the request's valid ``X-Request-ID``, or a new random id."""
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    if VALID_REQUEST_ID.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


def view_name(request) -> str:
    """Return the URL name of the view that served ``request`` (a bounded set, for labels).

    Paths no route serves (the catch-all JSON 404 included) are all ``unmatched``.
    """
    match = getattr(request, "resolver_match", None)
    if match is None or match.url_name == UNKNOWN_PATH_URL_NAME:
        return UNMATCHED_VIEW
    return match.view_name or UNMATCHED_VIEW


def known_user_id(request) -> str | None:
    """Return the id of the authenticated user, without loading a user nobody asked for.

    DRF puts the user it authenticated (a bearer token) on the request; a session user
    that no code evaluated is left unevaluated, so logging costs no query.
    """
    user = request.__dict__.get("user")
    if user is None:
        return None
    if isinstance(user, SimpleLazyObject) and user._wrapped is empty:
        return None
    if not getattr(user, "is_authenticated", False):
        return None
    return str(user.pk)


class RequestTelemetryMiddleware:
    """Give each request an id; log and measure it once its response is ready."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        """Serve ``request`` under its request id, then log and count it."""
        started = time.perf_counter()
        request_id = request_id_from(request)
        request.request_id = request_id
        token = current_request_id.set(request_id)
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request_id
            self.record(request, response, duration=time.perf_counter() - started)
            return response
        finally:
            current_request_id.reset(token)

    @staticmethod
    def record(request, response, *, duration: float) -> None:
        """Write the request's log line and observe its duration."""
        view = view_name(request)
        status = response.status_code
        metrics.request_observed(method=request.method, view=view, status=status, seconds=duration)
        duration_ms = round(duration * 1000, 1)
        level = logging.ERROR if status >= 500 else logging.INFO
        request_logger.log(
            level,
            "%s %s %s %.1fms",
            request.method,
            request.path,
            status,
            duration_ms,
            extra={
                "method": request.method,
                "path": request.path,
                "status": status,
                "duration_ms": duration_ms,
                "user_id": known_user_id(request),
                "view": view,
            },
        )
