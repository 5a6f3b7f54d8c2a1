"""Request parsers of the v1 API."""

from __future__ import annotations

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser


class RequestTooLarge(exceptions.APIException):
    """The request body is larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE``."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with Django's request-size limit applied.

    DRF streams the body straight from the WSGI input, bypassing the
    ``DATA_UPLOAD_MAX_MEMORY_SIZE`` check that ``request.body`` makes, so without
    this a client could make the server buffer any amount of JSON.
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
        return super().parse(stream, media_type, parser_context)
