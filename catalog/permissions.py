"""Permissions of the catalog API: anyone reads, staff write."""

from rest_framework.permissions import SAFE_METHODS, BasePermission


class IsStaffOrReadOnly(BasePermission):
    """Allow reads to anyone and writes to staff only.

    An anonymous write is refused as unauthenticated (401 with ``WWW-Authenticate``,
    since the JWT authenticator comes first); a customer's write is 403.
    """

    def has_permission(self, request, view) -> bool:
        """Return whether the request may proceed."""
        if request.method in SAFE_METHODS:
            return True
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)
