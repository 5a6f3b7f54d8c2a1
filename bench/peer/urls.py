"""URLs of the textbook peer: the order list, and the health check the bench's runner probes."""

from django.urls import path

from bench.peer.views import OrderList
from shop import health

urlpatterns = [
    path("api/v1/orders/", OrderList.as_view()),
    path("healthz", health.healthz),
]
