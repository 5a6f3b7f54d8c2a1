"""OpenAPI description of the catalog API: summaries, plain descriptions and examples that work.

The examples describe the demo catalog (``load_demo_catalog``): its Phone is the
product an example reads and orders. Its id differs from one database to the next,
so the examples carry :data:`EXAMPLE_PRODUCT_ID`, and :func:`live_example_product`
(a postprocessing hook) replaces it, in the document the server serves, with the id
of a product this shop can sell now (``catalog.selectors.product_for_examples``).
"Try it out" in Swagger UI then reads and orders a real product. The document made
without a request (``manage.py spectacular``, the tests) keeps the placeholder.
"""

from __future__ import annotations

import copy

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema

from catalog import selectors
from catalog.serializers import (
    CategoryOutputSerializer,
    ProductCreateInputSerializer,
    ProductOutputSerializer,
    ProductUpdateInputSerializer,
)
from shop.api.schema import error_responses

EXAMPLE_PRODUCT_ID = "65277a812b73bb530ad77311"
EXAMPLE_TIME = "2026-11-02T08:30:00.000000Z"

PRODUCT_EXAMPLE = {
    "id": EXAMPLE_PRODUCT_ID,
    "sku": "EL-PHONE-001",
    "name": "Phone",
    "category": "electronics",
    "description": "6.1-inch smartphone, 128 GB, dual camera.",
    "price": "699.00",
    "currency": settings.SHOP_CURRENCY,
    "stock": 500,
    "is_active": True,
    "created_at": EXAMPLE_TIME,
    "updated_at": EXAMPLE_TIME,
}
# Not in the demo catalog, so creating it works once.
PRODUCT_CREATE_EXAMPLE = {
    "sku": "HK-TEAPOT-08",
    "name": "Cast Iron Teapot 0.8 L",
    "category": "home-kitchen",
    "description": "Enamelled inside, with a steel infuser.",
    "price": "39.00",
    "stock": 25,
    "is_active": True,
}
# One category; the document shows it in a list (the categories are a plain JSON array).
CATEGORY_EXAMPLE = {"slug": "electronics", "name": "Electronics"}

PRODUCT_ID_PARAMETER = OpenApiParameter(
    "id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The product's id, as the product list returns it.",
)
PRODUCT_ID_PARAMETER_WITH_EXAMPLE = OpenApiParameter(
    "id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The product's id, as the product list returns it.",
    examples=[OpenApiExample("The demo catalog's Phone", value=EXAMPLE_PRODUCT_ID)],
)
PRODUCT_RESPONSE_EXAMPLE = OpenApiExample("The Phone", value=PRODUCT_EXAMPLE, response_only=True)

CATEGORY_LIST = extend_schema(
    summary="List the categories",
    description="Every category of the catalog, by name. Filter products with a category's `slug`.",
    responses=CategoryOutputSerializer(many=True),
    examples=[OpenApiExample("The categories", value=CATEGORY_EXAMPLE, response_only=True)],
)

PRODUCT_LIST = extend_schema(
    summary="List products",
    description=(
        "The catalog, a page at a time, by name unless `ordering` says otherwise. Filter by "
        "`category` (a category slug), `search` (text in the name, SKU or description) and "
        "`in_stock`. Customers and visitors see active products only; staff see all."
    ),
    examples=[OpenApiExample("A page of products", value=PRODUCT_EXAMPLE, response_only=True)],
)

PRODUCT_RETRIEVE = extend_schema(
    summary="Get one product",
    description="One product of the catalog (an inactive one only for staff).",
    parameters=[PRODUCT_ID_PARAMETER_WITH_EXAMPLE],
    examples=[PRODUCT_RESPONSE_EXAMPLE],
)

PRODUCT_CREATE = extend_schema(
    summary="Create a product (staff)",
    description=(
        "Add a product to a category. The SKU must be new, and the name new within its category "
        '(ignoring case). The price is a decimal string greater than zero, such as "39.00".'
    ),
    request=ProductCreateInputSerializer,
    responses={201: ProductOutputSerializer},
    examples=[
        OpenApiExample("A teapot", value=PRODUCT_CREATE_EXAMPLE, request_only=True),
        OpenApiExample(
            "The product created",
            value={**PRODUCT_EXAMPLE, **PRODUCT_CREATE_EXAMPLE, "id": "65277a812b73bb530ad7733a"},
            response_only=True,
            status_codes=["201"],
        ),
    ],
)

PRODUCT_PARTIAL_UPDATE = extend_schema(
    summary="Change a product (staff)",
    description=(
        "Send only the fields to change. A new `stock` is applied as the difference from the stock "
        "you saw (`expected_stock`, or the stock at the time of the request), so units that orders "
        "reserved meanwhile are kept; if the difference would take the stock below zero, nothing "
        "changes and the answer is 409 `stock_changed` with the current `stock`."
    ),
    parameters=[PRODUCT_ID_PARAMETER_WITH_EXAMPLE],
    request=ProductUpdateInputSerializer,
    responses={
        200: ProductOutputSerializer,
        **error_responses(
            409, s409="The stock moved and the change would make it negative (`stock_changed`)."
        ),
    },
    examples=[
        OpenApiExample("A new price", value={"price": "649.00"}, request_only=True),
        OpenApiExample(
            "Stock counted on the shelf",
            value={"stock": 480, "expected_stock": 500},
            request_only=True,
        ),
        OpenApiExample(
            "The product changed", value={**PRODUCT_EXAMPLE, "price": "649.00"}, response_only=True
        ),
    ],
)

PRODUCT_DESTROY = extend_schema(
    summary="Delete a product (staff)",
    description=(
        "Remove a product from the catalog. A product that was ever ordered is deactivated "
        "instead, so that orders keep their history."
    ),
    parameters=[PRODUCT_ID_PARAMETER],
    responses={204: None},
)


def live_example_product(result, generator, request, public):
    """Put the id of a product this shop sells now in place of :data:`EXAMPLE_PRODUCT_ID` in the examples.

    Only in the document served over HTTP (``request`` set); with no orderable
    product, or outside a request, the placeholder stays. The paths are copied first:
    their example values are the module's own constants, shared by every generation.
    """
    if request is None:
        return result
    product = selectors.product_for_examples()
    if product is None:
        return result
    result["paths"] = copy.deepcopy(result["paths"])
    for item in result["paths"].values():
        for operation in item.values():
            if isinstance(operation, dict):
                _replace_in_examples(operation, EXAMPLE_PRODUCT_ID, str(product.pk))
    return result


def _replace_in_examples(node, old: str, new: str, *, in_example: bool = False):
    """Replace the string ``old`` by ``new`` inside the ``example``/``examples`` values under ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            inside = in_example or key in ("example", "examples")
            if inside and value == old:
                node[key] = new
            else:
                _replace_in_examples(value, old, new, in_example=inside)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if in_example and value == old:
                node[index] = new
            else:
                _replace_in_examples(value, old, new, in_example=in_example)
