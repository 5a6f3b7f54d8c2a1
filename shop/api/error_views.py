"""Django's own error responses as JSON on API routes (404, 400, 403, 500, CSRF).

Errors raised inside DRF views already use the v1 shape (``shop.api.exceptions``);
these cover what happens outside them: unknown URLs, requests Django refuses
before routing, CSRF failures and unhandled errors. The admin and the
browsable-API login keep Django's HTML pages for humans.
"""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponseServerError, JsonResponse
from django.template import loader
from django.views import defaults
from django.views.csrf import csrf_failure as html_csrf_failure

HTML_PREFIXES = ("/admin/", "/api-auth/")


def wants_html(request) -> bool:
    """Return whether the request is for a human-facing HTML page (admin, login)."""
    return request.path.startswith(HTML_PREFIXES)


def json_error(detail: str, code: str, status: int) -> JsonResponse:
    """Return ``{"detail", "code"}`` with ``status``."""
    return JsonResponse({"detail": detail, "code": code}, status=status)


def not_found(request, exception=None):
    """404 for URLs no route matches."""
    if wants_html(request):
        return defaults.page_not_found(request, exception)
    return json_error("Not found.", "not_found", 404)


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
