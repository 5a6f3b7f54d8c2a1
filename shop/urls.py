"""Root URL configuration: admin, health probes, metrics, the v1 API, its docs, and legacy routes."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from accounts.forms import ShopAuthenticationForm
from shop import health
from shop.api import docs
from shop.ops import views as ops_views

api_v1 = [
    path("", include("accounts.urls")),
    path("", include("catalog.urls")),
    path("", include("orders.urls")),
    # OpenAPI 3 schema and its two viewers, served from our own static files (sidecar).
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/redoc.standalone.js", docs.redoc_bundle, name="api-redoc-bundle"),
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="api-schema", template_name="shop_api/redoc.html"),
        name="api-redoc",
    ),
]

# The browsable API's login and logout (rest_framework.urls), with the shop's login form.
api_auth = (
    [
        path(
            "login/",
            auth_views.LoginView.as_view(
                template_name="rest_framework/login.html", authentication_form=ShopAuthenticationForm
            ),
            name="login",
        ),
        path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    ],
    "rest_framework",
)

handler400 = "shop.api.error_views.bad_request"
handler403 = "shop.api.error_views.permission_denied"
handler404 = "shop.api.error_views.not_found"
handler500 = "shop.api.error_views.server_error"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", ops_views.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api-auth/", include(api_auth)),
    path("api/v1/", include(api_v1)),
    path("", include("legacy.urls")),
]
