"""The API's renderers: JSON through orjson, and the browsable API whose forms start from a working body.

:class:`ShopJSONRenderer` is DRF's ``JSONRenderer`` (same media type, same bytes)
that encodes with orjson when it can: a compact rendering of plain JSON types (dicts,
lists, strings, numbers, booleans, None, and their subclasses such as DRF's
``ReturnDict`` and ``ErrorDetail``). Anything else (an indent asked for in the
``Accept`` header, a type orjson does not know, an integer beyond 64 bits) goes to
DRF's own ``json.dumps``, so the output is byte for byte what DRF would send; a test
compares the two. JSON rendered ahead of time (:class:`EmbeddedJSON`, the customer's
order list) is written out undecoded by orjson, and decoded for every other encoding.
orjson cost a tenth of ``json.dumps`` with DRF's encoder on the order list's pages
(BENCHMARKS.md).

The browsable API:

DRF fills the raw-data form of a POST with the input serializer's blank values
(``{"items": []}`` for an order), which would fail as shown. A view that knows a
better start says so with ``get_form_example(action)`` (``shop.api.views.ShopViewSet``):
for an order, one unit of a product the catalog has in stock; for a new product, an
example product. Forms for changes (PATCH) start from the object as it is, rendered
by the action's input serializer, so sending the form unchanged changes nothing.
"""

from __future__ import annotations

import json

import orjson
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.utils import encoders

# What DRF escapes after json.dumps, so that JSON is also a strict JavaScript subset.
LINE_SEPARATOR, PARAGRAPH_SEPARATOR = "\u2028".encode(), "\u2029".encode()


# Types orjson would encode its own way (datetimes without DRF's "Z"): DRF encodes them.
PASSTHROUGH = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class EmbeddedJSON:
    """JSON text to put in a response as it is, such as an order rendered when it was written.

    :class:`ShopJSONRenderer` writes it out undecoded (``orjson.Fragment``); every
    other encoding (an indent, the browsable API) decodes it, through :class:`ShopJSONEncoder`.
    The text must be compact JSON as orjson writes it (``orjson.dumps``).
    """

    __slots__ = ("content",)

    def __init__(self, content: bytes):
        self.content = content

    def __eq__(self, other) -> bool:
        return isinstance(other, EmbeddedJSON) and other.content == self.content

    __hash__ = None

    def __repr__(self) -> str:
        return f"EmbeddedJSON({self.content!r})"


def _embedded_or_not_plain_json(value):
    if type(value) is EmbeddedJSON:
        return orjson.Fragment(value.content)
    raise TypeError(type(value).__name__)


class ShopJSONEncoder(encoders.JSONEncoder):
    """DRF's JSON encoder, which decodes :class:`EmbeddedJSON` to encode its values."""

    def default(self, obj):
        """Return the values of embedded JSON; anything else as DRF's encoder does."""
        if isinstance(obj, EmbeddedJSON):
            return orjson.loads(obj.content)
        return super().default(obj)


class ShopJSONRenderer(JSONRenderer):
    """DRF's JSON renderer, encoding through orjson when the result is the same bytes."""

    encoder_class = ShopJSONEncoder

    def render(self, data, accepted_media_type=None, renderer_context=None):
        """Return ``data`` as compact JSON bytes, as ``JSONRenderer`` would."""
        if data is None:
            return b""
        fast = (
            self.compact
            and not self.ensure_ascii
            and self.get_indent(accepted_media_type, renderer_context or {}) is None
        )
        if fast:
            try:
                content = orjson.dumps(data, default=_embedded_or_not_plain_json, option=PASSTHROUGH)
            except TypeError:
                pass  # a type orjson does not encode as DRF would, or an int beyond 64 bits
            else:
                if LINE_SEPARATOR in content or PARAGRAPH_SEPARATOR in content:
                    content = content.replace(LINE_SEPARATOR, b"\\u2028").replace(
                        PARAGRAPH_SEPARATOR, b"\\u2029"
                    )
                return content
        return super().render(data, accepted_media_type, renderer_context)


class ShopBrowsableAPIRenderer(BrowsableAPIRenderer):
    """DRF's browsable API whose raw-data forms start from the view's example body, if it has one."""

    def get_raw_data_form(self, data, view, method, request):
        """Return DRF's raw-data form for ``method``, its content set to the view's example if any."""
        form = super().get_raw_data_form(data, view, method, request)
        get_example = getattr(view, "get_form_example", None)
        if form is None or get_example is None:
            return form
        example = get_example(getattr(view, "action_map", {}).get(method.lower()))
        if example is not None:
            form.fields["_content"].initial = json.dumps(example, indent=4)
        return form
