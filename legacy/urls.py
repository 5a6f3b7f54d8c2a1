"""URL routes of the legacy app, at the site root with the original paths (no trailing slash).

CommonMiddleware's APPEND_SLASH only redirects paths that match nothing, so these
exact paths are served as they are, POST and PUT included.
"""

from django.urls import path

from legacy import views

urlpatterns = [
    path("register", views.RegisterView.as_view(), name="legacy-register"),
    path("login", views.LoginView.as_view(), name="legacy-login"),
    path("order", views.OrderView.as_view(), name="legacy-order"),
    path("orders/status", views.OrderStatusView.as_view(), name="legacy-order-status"),
    path("orders/update", views.OrderUpdateView.as_view(), name="legacy-order-update"),
    path("orders/cancel", views.OrderCancelView.as_view(), name="legacy-order-cancel"),
    path("users/<str:user_id>", views.UserDeleteView.as_view(), name="legacy-user-delete"),
]
