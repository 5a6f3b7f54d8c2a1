"""The site's front page (``/``): where a person or a program starts.

A browser gets a small page with links to the browsable API, its documentation
(Swagger UI, ReDoc, the OpenAPI document), the browsable-API login and the admin; a
client that prefers JSON gets the same links as ``{name: url}``. The page reads
nothing from the database.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

# (key, URL name, label) in the order the page shows them.
LINKS = (
    ("api", "api-root", "Browse the API"),
    ("docs", "api-docs", "API documentation (Swagger UI)"),
    ("redoc", "api-redoc", "API documentation (ReDoc)"),
    ("schema", "api-schema", "OpenAPI document"),
    ("login", "rest_framework:login", "Log in to the browsable API"),
    ("admin", "admin:index", "Shop administration (staff)"),
)


@require_safe
def home(request):
    """Answer ``/``: the links as an HTML page, or as JSON for a client that prefers it."""
    links = {key: request.build_absolute_uri(reverse(name)) for key, name, _ in LINKS}
    if request.get_preferred_type(["text/html", "application/json"]) == "application/json":
        return JsonResponse(links)
    items = [(label, links[key]) for key, _, label in LINKS]
    return render(request, "shop/home.html", {"links": items, "api_root": links["api"]})
