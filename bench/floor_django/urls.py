"""The bare Django floor's only route and view."""

from django.http import JsonResponse
from django.urls import path


def floor(request):
    """Return a fixed JSON body, as the plain WSGI floor does."""
    return JsonResponse({"status": "ok", "floor": "django"})


urlpatterns = [path("", floor)]
