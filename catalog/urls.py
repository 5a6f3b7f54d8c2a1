"""URL routes of the catalog app (included under ``/api/v1/``)."""

from django.urls import path

from catalog.views import CategoryListView, ProductViewSet

product_list = ProductViewSet.as_view({"get": "list", "post": "create"})
product_detail = ProductViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"})

app_name = "catalog"
urlpatterns = [
    path("categories/", CategoryListView.as_view(), name="category-list"),
    path("products/", product_list, name="product-list"),
    path("products/<str:pk>/", product_detail, name="product-detail"),
]
