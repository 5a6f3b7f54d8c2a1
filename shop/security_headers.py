"""The Content-Security-Policy header, built once for the responses that keep the settings' policy.

django-csp's middleware builds the header from the settings for every response, the
policy and then the report-only one: about 60 microseconds of CPU, a twentieth of a
cached catalog page (BENCHMARKS.md). For a response that changes nothing (no nonce
was used, no ``csp``, ``csp_update``, ``csp_replace`` or ``csp_exempt`` decorator,
no excluded URL prefix in the settings: every JSON answer) the header depends on the
settings alone, so :class:`SettingsPolicyCSPMiddleware` builds it once, and again
after a settings change (tests). Every other response (the HTML pages with their
nonces) goes through django-csp unchanged. ``shop/tests/test_security_headers.py``
holds both to the same headers.
"""

from __future__ import annotations

import functools
import http.client

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

POLICY_SETTINGS = ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY")
# What django-csp's decorators leave on a response to change its policy.
RESPONSE_POLICY_CHANGES = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
RESPONSE_EXEMPTIONS = ("_csp_exempt", "_csp_exempt_ro")
# django-csp leaves these to Django's debug pages when DEBUG is on.
DEBUG_PAGE_STATUSES = (http.client.NOT_FOUND, http.client.INTERNAL_SERVER_ERROR)


@functools.cache
def settings_policies() -> tuple[tuple[str, str], ...] | None:
    """Return the ``(header, value)`` pairs of the settings' policies, or None if a URL prefix is excluded.

    A policy the settings leave empty has no pair. None means the headers depend on
    the path, so django-csp decides for every response.
    """
    for name in POLICY_SETTINGS:
        if (getattr(settings, name, None) or {}).get("EXCLUDE_URL_PREFIXES"):
            return None
    pairs = ((HEADER, build_policy()), (HEADER_REPORT_ONLY, build_policy(report_only=True)))
    return tuple((header, value) for header, value in pairs if value)


@receiver(setting_changed)
def settings_policies_forget(*, setting, **kwargs) -> None:
    """Build the policies afresh after a test changes a setting they read."""
    if setting in POLICY_SETTINGS:
        settings_policies.cache_clear()


def keeps_settings_policy(request, response) -> bool:
    """Return whether the policy of ``response`` is the settings' one, unchanged by the view or a nonce."""
    if getattr(request, "_csp_nonce", None) is not None:
        return False
    if any(getattr(response, name, None) is not None for name in RESPONSE_POLICY_CHANGES):
        return False
    return all(getattr(response, name, False) is False for name in RESPONSE_EXEMPTIONS)


class SettingsPolicyCSPMiddleware(CSPMiddleware):
    """django-csp's middleware, with the header of an unchanged policy built once."""

    def process_response(self, request, response):
        """Add the settings' policy headers, built once; any other policy is django-csp's to build."""
        policies = settings_policies()
        if policies is None or not keeps_settings_policy(request, response):
            return super().process_response(request, response)
        if settings.DEBUG and response.status_code in DEBUG_PAGE_STATUSES:
            return response
        for header, value in policies:
            if header not in response:
                response[header] = value
        # As django-csp does: a nonce asked for after the header was written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
