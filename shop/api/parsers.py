"""Request parsers of the v1 API."""

from __future__ import annotations

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser

# The deepest nesting a request body may have: the deepest real body (an order's
# items with a shipping address) is 3; beyond a few hundred, Python's parser fails.
MAX_JSON_DEPTH = 20


class RequestTooLarge(exceptions.APIException):
    """The request body is larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE``."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with Django's request-size limit and a nesting limit applied.

    DRF streams the body straight from the WSGI input, bypassing the
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` check that ``request.body`` makes, so without
    this a client could make the server buffer any amount of JSON. A body nested
    deeper than :data:`MAX_JSON_DEPTH` is a 400 (``parse_error``), whether Python's
    parser gives up on it (a RecursionError, which DRF would let through as a 500)
    or not.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        """Refuse bodies over the limit with 413, then parse as DRF does."""
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and stream is not None:
            request = (parser_context or {}).get("request")
            meta = getattr(request, "META", {})
            try:
                declared = int(meta.get("CONTENT_LENGTH") or 0)
            except (TypeError, ValueError):
                declared = 0
            if declared > limit:
                raise RequestTooLarge()
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise too_deep() from None
        if json_depth(data) > MAX_JSON_DEPTH:
            raise too_deep()
        return data


def too_deep() -> exceptions.ParseError:
    """Return the 400 of a body nested too deep."""
    return exceptions.ParseError(
        f"JSON parse error - the body is nested deeper than {MAX_JSON_DEPTH} levels."
    )


def json_depth(value) -> int:
    """Return how deeply ``value`` (parsed JSON) nests arrays and objects; a scalar is 0.

    Iterative, so that no body can exhaust the stack here either.
    """
    deepest = 0
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, depth)
        if depth > MAX_JSON_DEPTH:
            return depth
        pending.extend((child, depth + 1) for child in children)
    return deepest
