"""Django's own error responses as JSON on API routes (404, 400, 403, 500, CSRF).

Errors raised inside DRF views already use the v1 shape (``shop.api.exceptions``);
these cover what happens outside them: unknown URLs, requests Django refuses
before routing, CSRF failures and unhandled errors. The admin and the
browsable-API login keep Django's HTML pages for humans.

Unknown paths are answered by :func:`unknown_path`, the last URL pattern, rather
than by Django's 404 machinery: that would show its HTML debug page when
``DEBUG`` is on, and CommonMiddleware's ``APPEND_SLASH`` would turn a ``POST
/api/v1/orders`` into a 500 in debug and a redirect that drops the body in
production. So an API path with its trailing slash missing (or a legacy path with
one too many) is a JSON 404 that names the path the client meant, in debug and in
production alike; the admin keeps its slash redirect.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponseServerError, JsonResponse
from django.template import loader
from django.urls import Resolver404, resolve
from django.views import defaults
from django.views.csrf import csrf_failure as html_csrf_failure
from django.views.decorators.csrf import csrf_exempt

HTML_PREFIXES = ("/admin/", "/api-auth/")
# The URL name of the catch-all pattern (shop.urls); a path it matches is not served.
UNKNOWN_PATH_URL_NAME = "unknown-path"


def wants_html(request) -> bool:
    """Return whether the request is for a human-facing HTML page (admin, login)."""
    return request.path.startswith(HTML_PREFIXES)


def json_error(detail: str, code: str, status: int) -> JsonResponse:
    """Return ``{"detail", "code"}`` with ``status``."""
    return JsonResponse({"detail": detail, "code": code}, status=status)


def slash_twin(path: str) -> str | None:
    """Return ``path`` with its trailing slash added or removed, if a route serves that path, else None."""
    twin = path[:-1] if path.endswith("/") else f"{path}/"
    if twin in ("", "/"):
        return None
    try:
        match = resolve(twin)
    except Resolver404:
        return None
    return None if match.url_name == UNKNOWN_PATH_URL_NAME else twin


def not_found_response(request) -> JsonResponse:
    """Return the JSON 404 of an unknown path, naming the path with or without its slash if that is served."""
    twin = slash_twin(request.path_info)
    if twin is None:
        return json_error("Not found.", "not_found", 404)
    meant = f"{request.path[: len(request.path) - len(request.path_info)]}{twin}"
    ending = "ends with a slash" if twin.endswith("/") else "has no trailing slash"
    return JsonResponse(
        {
            "detail": f"Not found. Did you mean {meant} ? That path {ending}.",
            "code": "not_found",
            "path": meant,
        },
        status=404,
    )


def not_found(request, exception=None):
    """404 raised outside DRF views (``handler404``); HTML for the admin and the login pages."""
    if wants_html(request):
        return defaults.page_not_found(request, exception)
    return not_found_response(request)


@csrf_exempt  # It changes nothing; a CSRF refusal would hide the 404 and the right path.
def unknown_path(request, *args, **kwargs):
    """JSON 404 for every path no route serves (but the admin's and the login's), whatever the method."""
    return not_found_response(request)


def bad_request(request, exception=None):
    """400 for requests Django refuses before routing (bad Host header, oversize form...)."""
    if wants_html(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return json_error("The request body is too large.", "request_too_large", 413)
    return json_error("Bad request.", "bad_request", 400)


def permission_denied(request, exception=None):
    """403 raised outside DRF views."""
    if wants_html(request):
        return defaults.permission_denied(request, exception)
    return json_error("You do not have permission to perform this action.", "permission_denied", 403)


def server_error(request):
    """500 for unhandled errors: no traceback leaks; the body names the request id to report.

    The id (``shop.ops.middleware``) is the one in the ``X-Request-ID`` header and on
    every log line of the request, so a customer's report leads to the traceback.
    """
    request_id = getattr(request, "request_id", None)
    if wants_html(request):
        return HttpResponseServerError(loader.render_to_string("500.html", {"request_id": request_id}))
    body = {"detail": "Internal server error.", "code": "server_error"}
    if request_id:
        body["request_id"] = request_id
    return JsonResponse(body, status=500)


def csrf_failure(request, reason=""):
    """403 when a session request misses its CSRF token."""
    if wants_html(request):
        return html_csrf_failure(request, reason=reason)
    return json_error(f"CSRF Failed: {reason}", "csrf_failed", 403)
