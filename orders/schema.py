"""OpenAPI additions of the orders app: the order limits, which no serializer can show.

``orders.services.order_create`` enforces the limits (1 to 50 lines as sent, each
quantity 1 to 1000), for the v1 API and the legacy routes alike, with one message per
rule; the input serializers check only types. So drf-spectacular cannot see the
limits, and this postprocessing hook (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``)
writes them into the request components, from the same constants.
"""

from __future__ import annotations

from orders.services import MAX_LINES, MAX_QUANTITY, MIN_QUANTITY

ORDER_CREATE_COMPONENT = "OrderCreateInputRequest"
ORDER_ITEM_COMPONENT = "OrderItemInputRequest"


def order_limits_document(result, generator, request, public):
    """Add ``minItems``/``maxItems`` to the order's ``items`` and ``minimum``/``maximum`` to ``quantity``.

    A missing component is a KeyError on purpose: renaming a serializer must not
    silently drop the limits from the document.
    """
    schemas = result["components"]["schemas"]
    items = schemas[ORDER_CREATE_COMPONENT]["properties"]["items"]
    items.update({"minItems": 1, "maxItems": MAX_LINES})
    quantity = schemas[ORDER_ITEM_COMPONENT]["properties"]["quantity"]
    quantity.update({"minimum": MIN_QUANTITY, "maximum": MAX_QUANTITY})
    return result
