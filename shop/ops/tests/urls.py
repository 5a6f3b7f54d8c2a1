"""The shop's URLs plus views that fail on purpose, for the tests of errors and request logs."""

from django.urls import path

from shop.urls import handler400, handler403, handler404, handler500  # noqa: F401 - Django reads them here
from shop.urls import urlpatterns as shop_urlpatterns


def broken_view(request):
    """Fail as a bug would, mentioning a customer's address."""
    raise RuntimeError("bug while handling jane.doe@example.com")


urlpatterns = [
    path("test-only/broken", broken_view, name="test-broken"),
    path("admin/test-only/broken", broken_view, name="test-admin-broken"),
    *shop_urlpatterns,
]
