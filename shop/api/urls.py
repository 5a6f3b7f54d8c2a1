"""URLs of the v1 API (``/api/v1/``): every resource on one router, its root, the token endpoints, the docs.

The router's root (``GET /api/v1/``) lists every resource, browsable and as JSON, in
the order a newcomer needs them. Paths, methods and status codes are API.md's.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from accounts.views import AccountViewSet, AddressViewSet
from catalog.views import CategoryViewSet, ProductViewSet
from orders.views import OrderViewSet
from shop.api import docs
from shop.api.routers import ShopRouter

router = ShopRouter(
    root_entries={
        "auth/register": "auth-register",
        "auth/token": "auth-token",
        "auth/token/refresh": "auth-token-refresh",
        "auth/logout": "auth-logout",
        "auth/logout-all": "auth-logout-all",
        "auth/password-reset": "auth-password-reset",
        "accounts/me": "account-me",
        "accounts/me/password": "account-me-password",
        "accounts/me/addresses": "address-list",
        "categories": "category-list",
        "products": "product-list",
        "orders": "order-list",
        "docs": "api-docs",
        "redoc": "api-redoc",
        "schema": "api-schema",
    }
)
# accounts/me/ and accounts/me/password/ (the viewset has no list or detail routes).
router.register("accounts", AccountViewSet, basename="account")
router.register("accounts/me/addresses", AddressViewSet, basename="address")
router.register("categories", CategoryViewSet, basename="category")
router.register("products", ProductViewSet, basename="product")
router.register("orders", OrderViewSet, basename="order")

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include(router.urls)),
    # OpenAPI 3 schema and its two viewers, served from our own static files (sidecar).
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/redoc.standalone.js", docs.redoc_bundle, name="api-redoc-bundle"),
    path(
        "redoc/",
        SpectacularRedocView.as_view(url_name="api-schema", template_name="shop_api/redoc.html"),
        name="api-redoc",
    ),
]
