"""Root URL configuration: admin, health probes, the v1 API, its docs, and legacy routes."""

from django.contrib import admin
from django.urls import include, path

from shop import health

api_v1 = [
    path("", include("accounts.urls")),
    path("", include("catalog.urls")),
    path("", include("orders.urls")),
]

handler400 = "shop.api.error_views.bad_request"
handler403 = "shop.api.error_views.permission_denied"
handler404 = "shop.api.error_views.not_found"
handler500 = "shop.api.error_views.server_error"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("api-auth/", include("rest_framework.urls")),
    path("api/v1/", include(api_v1)),
    path("", include("legacy.urls")),
]
