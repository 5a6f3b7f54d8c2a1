"""The HTML login forms (the admin's and the browsable API's), with the lockout explained.

Both check the password through ``accounts.backends.ShopAuthenticationBackend``; a
refused attempt shows how long to wait instead of "wrong email or password".
"""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from accounts.backends import THROTTLED_ATTRIBUTE

THROTTLED_MESSAGE = "Too many failed login attempts. Try again in %(seconds)s seconds."


class ThrottledLoginMixin:
    """Say "try again in N seconds" when the login was refused by the lockout policy."""

    def get_invalid_login_error(self):
        """Return the lockout's message if the attempt was refused, else the usual one."""
        throttled = getattr(self.request, THROTTLED_ATTRIBUTE, None)
        if throttled is not None:
            return forms.ValidationError(
                THROTTLED_MESSAGE, code="login_throttled", params={"seconds": throttled.retry_after}
            )
        return super().get_invalid_login_error()


class ShopAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    """The browsable API's login form."""


class ShopAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin's login form."""
