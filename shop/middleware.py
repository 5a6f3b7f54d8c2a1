"""Responses that carry personal data or credentials are never stored by a cache.

``Cache-Control: no-store`` (with ``private``) on every response to a request that
carried credentials (a bearer token, or a logged-in session), and on every
response of the endpoints that deal in accounts, tokens and orders whoever asks
(a login's answer carries tokens before any credential was sent). Anonymous reads
of the catalog stay cacheable.
"""

from __future__ import annotations

from django.utils.cache import patch_cache_control
from django.utils.functional import SimpleLazyObject

# Paths whose answers are personal whoever asks: v1 accounts, tokens and orders, and
# the original service's routes (LEGACY.md).
PRIVATE_PATH_PREFIXES = (
    "/api/v1/auth/",
    "/api/v1/accounts/",
    "/api/v1/orders",
    "/login",
    "/register",
    "/order",
    "/users/",
)


class PrivateResponseMiddleware:
    """Mark personal responses ``Cache-Control: no-store, private``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        """Answer the request, marking the response private if it is personal."""
        response = self.get_response(request)
        if self.is_personal(request):
            patch_cache_control(response, no_store=True, private=True)
            response.headers.pop("Expires", None)
        return response

    @staticmethod
    def is_personal(request) -> bool:
        """Return whether the response to ``request`` may hold personal data or tokens."""
        if request.path.startswith(PRIVATE_PATH_PREFIXES) or "HTTP_AUTHORIZATION" in request.META:
            return True
        # The session's user only if the request looked it up: a page that never asked
        # shows nothing of it (and a probe with a stale cookie costs no query).
        user = vars(request).get("user")
        if isinstance(user, SimpleLazyObject):
            user = getattr(request, "_cached_user", None)
        return bool(user is not None and user.is_authenticated)
