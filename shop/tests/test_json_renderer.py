"""``ShopJSONRenderer`` sends the bytes DRF's ``JSONRenderer`` sends, whichever encoder runs."""

import datetime as dt
import uuid
from collections import OrderedDict
from decimal import Decimal

import orjson
import pytest
from django.utils.translation import gettext_lazy
from rest_framework.exceptions import ErrorDetail
from rest_framework.renderers import JSONRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from shop.api.renderers import EmbeddedJSON, ShopJSONRenderer

VALUES = [
    {"count": 3, "next": None, "previous": "http://testserver/api/v1/products/?page=2", "results": []},
    OrderedDict([("b", 1), ("a", [True, False, None, 0, -1, 2**63 - 1])]),
    ReturnDict({"id": "17", "price": "999.00"}, serializer=None),
    ReturnList([{"x": "y"}], serializer=None),
    {"text": 'quotes " and \\ backslash, \n\t\r\b\f controls \x00\x1f \x7f'},
    {"unicode": "Zoë, 東京, emoji 🛒, line\u2028separator and paragraph\u2029separator"},
    {"detail": ErrorDetail("Not found.", code="not_found")},
    {"floats": [0.5, 1.25, 3.0]},
    # Through DRF's encoder (orjson would write these its own way, or not at all):
    {"when": dt.datetime(2026, 12, 2, 17, 0, 0, 123456, tzinfo=dt.UTC)},
    {"day": dt.date(2026, 12, 2), "time": dt.time(17, 0)},
    {"money": Decimal("999.00")},
    {"lazy": gettext_lazy("This field is required.")},
    {"big": 2**70},
    {1: "integer key"},
    {"id": uuid.UUID("12345678-1234-5678-1234-567812345678")},
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
@pytest.mark.parametrize("media_type", [None, "application/json", "application/json; indent=4"])
def test_the_bytes_are_drfs(value, media_type):
    expected = JSONRenderer().render(value, media_type, {})
    assert ShopJSONRenderer().render(value, media_type, {}) == expected


def test_nothing_renders_as_nothing():
    assert ShopJSONRenderer().render(None) == b""


def test_the_browsable_api_indents_as_before():
    assert ShopJSONRenderer().render({"a": 1}, None, {"indent": 4}) == b'{\n    "a": 1\n}'


EMBEDDED = {"number": "1001", "note": "Zoë, line\u2028separator", "items": [{"quantity": 2}]}


@pytest.mark.parametrize("media_type", [None, "application/json", "application/json; indent=4"])
def test_embedded_json_gives_the_bytes_of_its_values(media_type):
    """Text rendered ahead of time (the customer's order list) is written out as its values would be."""
    page = {"next": None, "results": [EmbeddedJSON(orjson.dumps(EMBEDDED)), {"plain": 1}]}
    expected = JSONRenderer().render({"next": None, "results": [EMBEDDED, {"plain": 1}]}, media_type, {})
    assert ShopJSONRenderer().render(page, media_type, {}) == expected


def test_embedded_json_beside_a_value_only_drf_encodes_is_decoded():
    page = {"money": Decimal("1.50"), "results": [EmbeddedJSON(orjson.dumps(EMBEDDED))]}
    expected = JSONRenderer().render({"money": Decimal("1.50"), "results": [EMBEDDED]}, None, {})
    assert ShopJSONRenderer().render(page, None, {}) == expected
