"""URL routes of the orders app (under /api/v1/); ids are any string, malformed ones are 404."""

from django.urls import path

from orders import views

urlpatterns = [
    path("orders/", views.OrderListCreateView.as_view(), name="order-list"),
    path("orders/<str:order_id>/", views.OrderDetailView.as_view(), name="order-detail"),
    path("orders/<str:order_id>/cancel/", views.OrderCancelView.as_view(), name="order-cancel"),
    path("orders/<str:order_id>/status/", views.OrderStatusView.as_view(), name="order-status"),
]
