"""OpenAPI description of the orders API: each operation's summary, description and examples, and the limits.

The examples are real: the order a client places in Swagger UI is one unit of a
product the catalog has (``catalog.schema.live_example_product`` puts its id into the
served document), and the responses look like the shop's (ids, positive money, the
order's history). ``order_create_example`` also starts the browsable API's order form.

``orders.services.order_create`` enforces the order limits (1 to 50 lines as sent,
each quantity 1 to 1000), for the v1 API and the legacy routes alike, with one
message per rule; the input serializers check only types. So drf-spectacular cannot
see the limits, and the postprocessing hook :func:`order_limits_document`
(``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``) writes them into the request
components, from the same constants; it also marks the staff-only fields optional.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema

from accounts.schema import ADDRESS_FIELDS_EXAMPLE
from catalog.schema import EXAMPLE_PRODUCT_ID, PRODUCT_EXAMPLE
from orders.models import OrderStatus
from orders.serializers import (
    STAFF_ONLY_FIELDS,
    OrderCreateInputSerializer,
    OrderSerializer,
    OrderStatusInputSerializer,
)
from orders.services import MAX_LINES, MAX_QUANTITY, MIN_QUANTITY
from shop.api.schema import error_responses, insufficient_stock_response
from shop.api.serializers import EmptyInputSerializer

ORDER_COMPONENT = "Order"
ORDER_CREATE_COMPONENT = "OrderCreateInputRequest"
ORDER_ITEM_COMPONENT = "OrderItemInputRequest"

EXAMPLE_ORDER_ID = "65277a812b73bb530ad77399"
EXAMPLE_CUSTOMER_EMAIL = "ann@example.com"
PLACED_AT = "2026-11-29T14:05:00.123000Z"
SHIPPED_AT = "2026-11-30T09:12:44.861000Z"
IDEMPOTENCY_KEY_EXAMPLE = "3f1c2b9e-8d47-4a51-9a0e-6c2d7f1e5b42"


EXAMPLE_ORDER_NUMBER = "1042"
EXAMPLE_NOTE = "Please leave the parcel at the front desk."


def order_create_example(*, product_id: str | None = None) -> dict:
    """Return the body of an order of one unit of ``product_id`` (the documented example id if None).

    It ships to an inline address, so it succeeds for a customer with no saved address.
    """
    return {
        "items": [{"product": product_id or EXAMPLE_PRODUCT_ID, "quantity": 1}],
        "shipping_address": ADDRESS_FIELDS_EXAMPLE,
        "note": EXAMPLE_NOTE,
    }


def order_example(*, status: str = OrderStatus.IN_PROGRESS) -> dict:
    """Return an order of one Phone as the API renders it, moved to ``status`` if not IN_PROGRESS."""
    price = PRODUCT_EXAMPLE["price"]
    history = [
        {
            "from_status": None,
            "to_status": OrderStatus.IN_PROGRESS,
            "changed_at": PLACED_AT,
            "changed_by": "customer",
        }
    ]
    if status != OrderStatus.IN_PROGRESS:
        actor = "customer" if status == OrderStatus.CANCELLED else "staff"
        history.append(
            {
                "from_status": OrderStatus.IN_PROGRESS,
                "to_status": status,
                "changed_at": SHIPPED_AT,
                "changed_by": actor,
            }
        )
    return {
        "id": EXAMPLE_ORDER_ID,
        "number": EXAMPLE_ORDER_NUMBER,
        "status": status,
        "items": [
            {
                "product": EXAMPLE_PRODUCT_ID,
                "sku": PRODUCT_EXAMPLE["sku"],
                "name": PRODUCT_EXAMPLE["name"],
                "unit_price": price,
                "quantity": 1,
                "line_total": price,
            }
        ],
        "total": price,
        "currency": settings.SHOP_CURRENCY,
        "shipping_address": ADDRESS_FIELDS_EXAMPLE,
        "note": EXAMPLE_NOTE,
        "created_at": PLACED_AT,
        "updated_at": history[-1]["changed_at"],
        "history": history,
    }


def staff_order_example(*, status: str = OrderStatus.IN_PROGRESS) -> dict:
    """Return :func:`order_example` as staff see it: with the customer's email and the links."""
    base = f"http://127.0.0.1:8000/api/v1/orders/{EXAMPLE_ORDER_ID}/"
    return {
        **order_example(status=status),
        "customer_email": EXAMPLE_CUSTOMER_EMAIL,
        "links": {"self": base, "cancel": f"{base}cancel/", "status": f"{base}status/"},
    }


def order_response_examples(*, status: str = OrderStatus.IN_PROGRESS) -> list[OpenApiExample]:
    """Return the response examples of an operation answering one order: as a customer and as staff see it."""
    return [
        OpenApiExample("As the customer sees it", value=order_example(status=status), response_only=True),
        OpenApiExample("As staff see it", value=staff_order_example(status=status), response_only=True),
    ]


ORDER_ID_PARAMETER = OpenApiParameter(
    "order_id",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The order's id, as the order list and order creation return it.",
)

ORDER_LIST = extend_schema(
    summary="List your orders",
    description=(
        "Your orders, newest first, a page at a time (follow `next` for older ones). Staff see "
        "every customer's orders, with each customer's email, and may ask for one customer's with "
        "`customer`."
    ),
    parameters=[
        OpenApiParameter(
            "status",
            OpenApiTypes.STR,
            enum=OrderStatus.values,
            description="Only orders in this status.",
        ),
        OpenApiParameter(
            "customer",
            OpenApiTypes.STR,
            description="Staff only: one customer's orders, by email (an unknown one gives none).",
        ),
    ],
    responses=OrderSerializer(many=True),
    examples=[OpenApiExample("A page of orders", value=order_example(), response_only=True)],
)

ORDER_CREATE = extend_schema(
    summary="Place an order",
    description=(
        "Send the products you want and how many of each: 1 to 50 lines, 1 to 1000 of each product "
        "(the same product twice counts as one line), and where they go: either `shipping_address` "
        "(the address itself) or `shipping_address_id` (one of your saved addresses, see "
        "accounts/me/addresses), not both; the order keeps a copy. An optional `note` (at most 500 "
        "characters) goes to the shop. Prices come from the catalog at this moment. "
        "The stock of every line is reserved, or, if any product is short, nothing is and the answer "
        "is 409 listing the short products. With an `Idempotency-Key`, sending the same body again "
        "within 24 hours answers with the first order instead of placing a second one."
    ),
    request=OrderCreateInputSerializer,
    parameters=[
        OpenApiParameter(
            "Idempotency-Key",
            {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"},
            OpenApiParameter.HEADER,
            description=(
                "Optional. 1 to 255 printable ASCII characters of your choice, for example a UUID; "
                "a repeat with the same key and body within 24 hours replays the first order."
            ),
            examples=[OpenApiExample("A UUID", value=IDEMPOTENCY_KEY_EXAMPLE)],
        )
    ],
    responses={
        201: OrderSerializer,
        409: insufficient_stock_response(
            "`insufficient_stock` (nothing reserved; `products` lists the short ones), or "
            "`idempotency_key_in_progress` while a request with the same key runs."
        ),
        **error_responses(422, s422="`idempotency_key_reused`: the key was used with a different body."),
    },
    examples=[
        OpenApiExample("One phone", value=order_create_example(), request_only=True),
        OpenApiExample("The order placed", value=order_example(), response_only=True, status_codes=["201"]),
    ],
)

ORDER_RETRIEVE = extend_schema(
    summary="Get one order",
    description="One of your orders (staff: any order) with its lines and its status history.",
    parameters=[ORDER_ID_PARAMETER],
    examples=order_response_examples(),
)

ORDER_CANCEL = extend_schema(
    summary="Cancel an order",
    description=(
        "Cancel one of your orders (staff: any order) while it is IN_PROGRESS; its stock goes back "
        "to the catalog. Send no body, or an empty object. Cancelling again, or an order that has "
        "shipped, is 409 `invalid_transition`."
    ),
    parameters=[ORDER_ID_PARAMETER],
    request=EmptyInputSerializer,
    responses={
        200: OrderSerializer,
        **error_responses(409, s409="`invalid_transition`: the order is not IN_PROGRESS."),
    },
    examples=[
        OpenApiExample("No body needed", value={}, request_only=True),
        *order_response_examples(status=OrderStatus.CANCELLED),
    ],
)

ORDER_SET_STATUS = extend_schema(
    summary="Change an order's status (staff)",
    description=(
        "Move an order along its life cycle: IN_PROGRESS to SHIPPED or CANCELLED, SHIPPED to "
        "DELIVERED. Any other move is 409 `invalid_transition`. Cancelling returns the stock."
    ),
    parameters=[ORDER_ID_PARAMETER],
    request=OrderStatusInputSerializer,
    responses={
        200: OrderSerializer,
        **error_responses(409, s409="`invalid_transition`: not a legal move from the current status."),
    },
    examples=[
        OpenApiExample("Mark it shipped", value={"status": OrderStatus.SHIPPED}, request_only=True),
        OpenApiExample(
            "The order shipped", value=staff_order_example(status=OrderStatus.SHIPPED), response_only=True
        ),
    ],
)


def order_limits_document(result, generator, request, public):
    """Add the order limits to the request components and make the staff-only fields optional.

    ``minItems``/``maxItems`` go on the order's ``items`` and ``minimum``/``maximum`` on
    ``quantity``. A missing component is a KeyError on purpose: renaming a serializer
    must not silently drop the limits from the document.
    """
    schemas = result["components"]["schemas"]
    items = schemas[ORDER_CREATE_COMPONENT]["properties"]["items"]
    items.update({"minItems": 1, "maxItems": MAX_LINES})
    quantity = schemas[ORDER_ITEM_COMPONENT]["properties"]["quantity"]
    quantity.update({"minimum": MIN_QUANTITY, "maximum": MAX_QUANTITY})
    order = schemas[ORDER_COMPONENT]
    order["required"] = [name for name in order["required"] if name not in STAFF_ONLY_FIELDS]
    return result
