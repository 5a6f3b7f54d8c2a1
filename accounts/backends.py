"""The authentication backend of Django's own logins (the admin, the browsable API).

``AUTHENTICATION_BACKENDS = ["accounts.backends.ShopAuthenticationBackend"]``: every
``django.contrib.auth.authenticate()`` call checks the password through
``accounts.services.password_login``, the same check (and the same failure count and
lockout) as the v1 token endpoint and the legacy ``/login``. A lockout on one path
holds on all of them, so no session can be had where a token is refused.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from accounts import services
from shop import errors
from shop.http import client_address

# Where a refused login leaves its Throttled error for the login form to explain.
THROTTLED_ATTRIBUTE = "login_throttled"


class ShopAuthenticationBackend(ModelBackend):
    """Django's model backend, with the password checked by ``accounts.services.password_login``."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        """Return the user, None for wrong credentials, or refuse a locked-out login outright.

        A lockout raises PermissionDenied (Django then tries no other backend) and
        leaves the Throttled error on ``request`` for the form's message.
        """
        email = username if username is not None else kwargs.get("email")
        if email is None or password is None:
            return None
        try:
            return services.password_login(
                email=email, password=password, client_address=client_address(request)
            )
        except errors.Throttled as exc:
            if request is not None:
                setattr(request, THROTTLED_ATTRIBUTE, exc)
            raise PermissionDenied(exc.message) from None
        except errors.NotAuthenticated:
            return None
