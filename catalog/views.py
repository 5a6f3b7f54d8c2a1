"""The catalog API (API.md "Catalog"): two viewsets on the router, thin over selectors and services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_view
from rest_framework import mixins, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from catalog import page_cache, schema, selectors, services
from catalog.filters import ProductFilter
from catalog.middleware import public_page_mark
from catalog.permissions import IsStaffOrReadOnly
from catalog.serializers import (
    CategoryOutputSerializer,
    ProductCreateInputSerializer,
    ProductOutputSerializer,
    ProductUpdateInputSerializer,
)
from shop.api.filters import ShopFilterBackend
from shop.api.pagination import ShopPageNumberPagination
from shop.api.serializers import validated_input
from shop.api.views import ShopViewSet


def _is_staff(request) -> bool:
    return bool(request.user and request.user.is_authenticated and request.user.is_staff)


@extend_schema_view(list=schema.CATEGORY_LIST)
class CategoryViewSet(mixins.ListModelMixin, ShopViewSet):
    """The catalog's categories. Use a category's slug to filter the products."""

    list_name = "Categories"
    permission_classes = [AllowAny]
    serializer_class = CategoryOutputSerializer
    # A handful of rows: a plain list, no pages and no filters.
    pagination_class = None
    filter_backends = []

    def get_queryset(self):
        """Return every category, by name."""
        return selectors.category_list()


@extend_schema_view(
    list=schema.PRODUCT_LIST,
    retrieve=schema.PRODUCT_RETRIEVE,
    create=schema.PRODUCT_CREATE,
    partial_update=schema.PRODUCT_PARTIAL_UPDATE,
    destroy=schema.PRODUCT_DESTROY,
)
class ProductViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ShopViewSet):
    """The shop's catalog: anyone may browse it, staff manage it.

    Filter the list by category, by text in the name, SKU or description, and by
    whether a product is in stock, and order it by name or price. Prices are decimal
    strings, such as "699.00". Staff also see inactive products, and may add, change
    and delete products: a change to the stock is applied as the difference from the
    stock they saw, so that orders placed meanwhile keep their units.
    """

    list_name = "Products"
    detail_name = "Product"
    permission_classes = [IsStaffOrReadOnly]
    serializer_class = ProductOutputSerializer
    input_serializers = {
        "create": ProductCreateInputSerializer,
        "partial_update": ProductUpdateInputSerializer,
    }
    pagination_class = ShopPageNumberPagination
    filter_backends = [ShopFilterBackend]
    filterset_class = ProductFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        """Return the products the caller may see (staff: inactive ones too)."""
        return selectors.product_list(include_inactive=_is_staff(self.request))

    def get_object(self):
        """Return the product of the URL, or 404 (malformed ids included)."""
        product = selectors.product_get(
            product_id=self.kwargs["pk"], include_inactive=_is_staff(self.request)
        )
        self.check_object_permissions(self.request, product)
        return product

    def list(self, request, *args, **kwargs):
        """Return a page of products (from ``catalog.page_cache`` when it has the page).

        A page that is the same for every shopper is marked so, for ``catalog.middleware``.
        """
        page = page_cache.product_page(request)
        if page is None:
            return super().list(request)
        cached = page.cached()
        if cached is not None:
            response = Response(cached)
        else:
            response = super().list(request)
            page.store_when_rendered(response)
        public_page_mark(response)
        return response

    def create(self, request):
        """Create a product from a strictly validated body."""
        product = services.product_create(**validated_input(ProductCreateInputSerializer, request.data))
        return Response(ProductOutputSerializer(product).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        """Change the given fields; ``stock`` is applied as a difference (see the serializer)."""
        product = self.get_object()
        changes = dict(validated_input(ProductUpdateInputSerializer, request.data, partial=True))
        seen_stock = changes.pop("expected_stock", None)
        product = services.product_update(product=product, seen_stock=seen_stock, **changes)
        return Response(ProductOutputSerializer(product).data)

    def destroy(self, request, pk=None):
        """Delete the product, or deactivate it if it was ever ordered."""
        services.product_delete(product=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def get_form_example(self, action: str | None):
        """Start the new-product form from an example product that is not in the demo catalog."""
        return schema.PRODUCT_CREATE_EXAMPLE if action == "create" else None
