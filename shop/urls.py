"""Root URL configuration: the front page, admin, probes, metrics, the v1 API, legacy routes, JSON 404s."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from accounts.forms import ShopAuthenticationForm
from shop import health, views
from shop.api import error_views
from shop.ops import views as ops_views

# The admin is the shop's, and its "View site" leads to the front page.
admin.site.site_header = "Shop administration"
admin.site.site_title = "Shop administration"
admin.site.index_title = "Run the shop"
admin.site.site_url = "/"

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
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", ops_views.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("api-auth/", include(api_auth)),
    path("api/v1/", include("shop.api.urls")),
    path("", include("legacy.urls")),
    # Last: every other path outside the admin and the login pages is a JSON 404, in debug
    # too, naming the path with or without its trailing slash when that one is served.
    re_path(
        r"^(?!admin(?:/|$)|api-auth(?:/|$)).*$",
        error_views.unknown_path,
        name=error_views.UNKNOWN_PATH_URL_NAME,
    ),
]
