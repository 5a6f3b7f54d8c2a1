"""URL routes of the accounts app (under /api/v1/)."""

from django.urls import path

from accounts import views

urlpatterns = [
    path("auth/register/", views.RegisterView.as_view(), name="auth-register"),
    path("auth/token/", views.TokenObtainView.as_view(), name="auth-token"),
    path("auth/token/refresh/", views.TokenRefreshView.as_view(), name="auth-token-refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/logout-all/", views.LogoutAllView.as_view(), name="auth-logout-all"),
    path("accounts/me/", views.MeView.as_view(), name="accounts-me"),
    path("accounts/me/password/", views.PasswordChangeView.as_view(), name="accounts-me-password"),
]
