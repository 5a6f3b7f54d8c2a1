"""Views of the catalog API (API.md "Catalog"): thin adapters over selectors and services."""

from __future__ import annotations

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import selectors, services
from catalog.filters import ProductFilter
from catalog.permissions import IsStaffOrReadOnly
from catalog.serializers import (
    CategoryOutputSerializer,
    ProductCreateInputSerializer,
    ProductOutputSerializer,
    ProductUpdateInputSerializer,
)
from shop.api.pagination import ShopPageNumberPagination
from shop.api.schema import error_responses
from shop.api.serializers import validated_input


def _is_staff(request) -> bool:
    return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class CategoryListView(APIView):
    """``GET /api/v1/categories/``: every category, as a plain (unpaginated) list."""

    permission_classes = [AllowAny]

    @extend_schema(responses=CategoryOutputSerializer(many=True))
    def get(self, request):
        """List the categories by name."""
        return Response(CategoryOutputSerializer(selectors.category_list(), many=True).data)


@extend_schema_view(
    list=extend_schema(summary="List products (non-staff: active only)"),
    retrieve=extend_schema(summary="Get one product (non-staff: active only)"),
    create=extend_schema(
        summary="Create a product (staff)",
        request=ProductCreateInputSerializer,
        responses={201: ProductOutputSerializer},
    ),
    partial_update=extend_schema(
        summary="Change a product (staff); stock moves by the difference from the stock seen",
        request=ProductUpdateInputSerializer,
        responses={
            200: ProductOutputSerializer,
            **error_responses(
                409, s409="The stock moved and the change would make it negative (`stock_changed`)."
            ),
        },
    ),
    destroy=extend_schema(
        summary="Delete a product (staff); a product that was ever ordered is deactivated instead",
        responses={204: None},
    ),
)
class ProductViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Products: public browsing, staff management."""

    permission_classes = [IsStaffOrReadOnly]
    serializer_class = ProductOutputSerializer
    pagination_class = ShopPageNumberPagination
    filter_backends = [DjangoFilterBackend]
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
