"""OpenAPI description of the v1 API (drf-spectacular): error shapes, security, strict bodies.

``ShopAutoSchema`` (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``) adds to every v1
operation the error responses its view can give by construction, so no view has to
repeat them:

- 400 when the operation reads a body or query parameters (validation errors);
- 401 when the view authenticates (a missing, bad, expired or revoked token);
- 403 when a customer's permission check fails (staff-only operations) or when an
  unsafe request authenticated by session fails its CSRF check;
- 404 when the path names an object, or the list is paginated (an invalid page or
  cursor is a 404 in DRF);
- 413 and 415 when the operation reads a JSON body;
- 503 on every operation: the database is unavailable or busy, or concurrent
  transactions kept conflicting beyond the retry budget (``shop.transactions``).

Errors that come from business rules (409, 422, 429 and the 401 of the token
endpoints) are declared on the views with ``error_responses(...)``. Every 401
carries ``WWW-Authenticate`` and every 429 ``Retry-After``; both are described as
required response headers. The error bodies are the components ``Error``
(``{detail, code}``) and ``ValidationError`` (``{field: [messages]}``).
"""

from __future__ import annotations

import base64
import copy
import re
from types import SimpleNamespace
from urllib.parse import quote, urlencode

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse
from rest_framework.authentication import SessionAuthentication
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.permissions import SAFE_METHODS

BODY_METHODS = ("POST", "PUT", "PATCH")
# The implied errors follow the v1 conventions; the legacy routes describe their own.
V1_PATH = re.compile(r"^/api/v\d+/")

ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "A request-level error: a human `detail` and a machine `code`. Some codes carry "
        "extra keys (`insufficient_stock`: `products`; `stock_changed`: `stock`)."
    ),
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
    },
    "required": ["detail", "code"],
}

VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "Invalid input: each key names an input field (or `non_field_errors`) and holds its "
        "messages. Nested inputs such as `items` hold a list or an object of the same shape."
    ),
    "minProperties": 1,
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"oneOf": [{"type": "string"}, {"type": "object"}]}},
            {"type": "object"},
        ]
    },
}

INSUFFICIENT_STOCK_SCHEMA = {
    "type": "object",
    "description": "`code: insufficient_stock`: nothing was reserved; `products` lists every short product.",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string", "enum": ["insufficient_stock"]},
        "products": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["detail", "code", "products"],
}

COMPONENTS = {
    "Error": ERROR_SCHEMA,
    "ValidationError": VALIDATION_ERROR_SCHEMA,
    "InsufficientStockError": INSUFFICIENT_STOCK_SCHEMA,
}

ERROR_DESCRIPTIONS = {
    400: "Invalid input: `{field: [messages]}`, or `{detail, code}` for a malformed request "
    "(`parse_error`) or a rule on a query parameter.",
    401: "Missing, invalid, expired or revoked credentials (`WWW-Authenticate: Bearer`).",
    403: "Authenticated but not allowed (for example not staff), or a session request "
    "without its CSRF token.",
    404: "Not found: absent, someone else's, a malformed id, or an invalid page or cursor.",
    405: "Method not allowed.",
    409: "The request conflicts with the current state of the data.",
    413: "The request body is larger than the server accepts.",
    415: "Unsupported media type: send `application/json`.",
    422: "The request is well-formed but cannot be processed as sent.",
    429: "Too many attempts; retry after `Retry-After` seconds.",
    503: "The database is unavailable (`database_unavailable`, `database_misconfigured`) or busy "
    "(`database_busy`), or concurrent changes kept conflicting (`transaction_conflict`): nothing was "
    "changed; retry after `Retry-After` seconds. `commit_outcome_unknown`: the change may have been "
    "saved; check, or repeat it with the same `Idempotency-Key`.",
}

RETRY_AFTER_HEADER = {
    "schema": {"type": "string", "pattern": "^[0-9]+$"},
    "required": True,
    "description": "Seconds to wait before the next attempt.",
}

RESPONSE_HEADERS = {
    "401": {
        "WWW-Authenticate": {
            "schema": {"type": "string"},
            "required": True,
            "description": "The accepted scheme: `Bearer`.",
        }
    },
    "429": {"Retry-After": RETRY_AFTER_HEADER},
    "503": {"Retry-After": RETRY_AFTER_HEADER},
}


def component_ref(name: str) -> dict:
    """Return a ``$ref`` to one of the shared error components of ``COMPONENTS``."""
    return {"$ref": f"#/components/schemas/{name}"}


def error_schema(status_code: int) -> dict:
    """Return the body schema of an error response with ``status_code``."""
    if status_code == 400:
        return {"anyOf": [component_ref("ValidationError"), component_ref("Error")]}
    return component_ref("Error")


def error_responses(*status_codes: int, **descriptions: str) -> dict[int, OpenApiResponse]:
    """Return ``{status: OpenApiResponse}`` for ``@extend_schema(responses=...)``.

    Use it for errors that come from business rules (409, 422, 429, the 401 of the
    token endpoints); pass ``s409="..."`` to say which codes a status carries.
    """
    return {
        status_code: OpenApiResponse(
            response=error_schema(status_code),
            description=descriptions.get(f"s{status_code}", ERROR_DESCRIPTIONS[status_code]),
        )
        for status_code in status_codes
    }


def insufficient_stock_response(description: str) -> OpenApiResponse:
    """Return the 409 of order creation: ``insufficient_stock`` (with ``products``) or another code."""
    return OpenApiResponse(
        response={"anyOf": [component_ref("InsufficientStockError"), component_ref("Error")]},
        description=description,
    )


# Where the examples' links point: the server ``make run`` starts.
EXAMPLE_ORIGIN = "http://127.0.0.1:8000"
# A real cursor of an order list: the position (created_at) of the last order of a page.
EXAMPLE_CURSOR = quote(
    base64.b64encode(urlencode({"p": "2026-11-29 14:05:00.123000+00:00"}).encode()).decode(), safe=""
)
EXAMPLE_REVERSE_CURSOR = quote(
    base64.b64encode(urlencode({"r": "1", "p": "2026-12-01 09:30:12.054000+00:00"}).encode()).decode(),
    safe="",
)


class DocumentedPaginator:
    """A view's paginator as the schema sees it: ``next``/``previous`` examples link to the view's own path.

    DRF's paginators give example links to ``http://api.example.org/accounts/``;
    these are the links the operation really answers: the second page of products
    (``?page=3`` next, the first page previous) or a page of orders after a cursor.
    Everything else is the paginator's own.
    """

    def __init__(self, paginator, *, path: str):
        self._paginator = paginator
        self._path = path

    def __getattr__(self, name):
        return getattr(self._paginator, name)

    def get_paginated_response_schema(self, schema):
        """Return the paginator's page schema with this path's example links."""
        page = self._paginator.get_paginated_response_schema(schema)
        base = f"{EXAMPLE_ORIGIN}{self._path}"
        if isinstance(self._paginator, CursorPagination):
            links = {
                "next": f"{base}?cursor={EXAMPLE_CURSOR}",
                "previous": f"{base}?cursor={EXAMPLE_REVERSE_CURSOR}",
            }
        elif isinstance(self._paginator, PageNumberPagination):
            links = {"next": f"{base}?page=3", "previous": f"{base}?page=1"}
        else:
            return page
        properties = page.get("properties", {})
        for name, link in links.items():
            if name in properties:
                properties[name] = {**properties[name], "example": link}
        return page


# Stand-ins for ``request.user`` when asking a view's permissions who may call it.
ANONYMOUS = AnonymousUser()
CUSTOMER = SimpleNamespace(is_authenticated=True, is_active=True, is_staff=False, is_superuser=False, pk=None)


class ShopAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus the error responses and security every view implies."""

    def get_auth(self):
        """Return the security requirements; ``{}`` (optional) when anonymous callers pass.

        drf-spectacular only recognises DRF's own read-only permissions; asking the
        view's permission objects themselves also covers ours (``IsStaffOrReadOnly``).
        """
        auths = super().get_auth()
        if {} not in auths and self._permits(ANONYMOUS):
            auths.append({})
        return auths

    def _permits(self, user) -> bool:
        """Return whether every permission of the view lets ``user`` make this request."""
        request = SimpleNamespace(method=self.method, user=user, auth=None)
        try:
            return all(
                permission.has_permission(request, self.view) for permission in self.view.get_permissions()
            )
        except (AttributeError, TypeError):
            # A permission that needs more of the request than the stand-in has: assume it can refuse.
            return False

    def _get_paginator(self):
        """Return the view's paginator, its example links pointing at this operation's path."""
        paginator = super()._get_paginator()
        return DocumentedPaginator(paginator, path=self.path) if paginator is not None else None

    def implied_error_statuses(self) -> list[int]:
        """Return the error statuses the view gives by construction (see the module docstring)."""
        statuses = set()
        if not V1_PATH.match(self.path):
            return []
        authenticators = self.view.get_authenticators()
        reads_body = self.method in BODY_METHODS
        has_query = any(param.get("in") == "query" for param in self._get_parameters())
        if reads_body or has_query:
            statuses.add(400)
        if authenticators:
            statuses.add(401)
        session = any(isinstance(auth, SessionAuthentication) for auth in authenticators)
        if not self._permits(CUSTOMER) or (session and self.method not in SAFE_METHODS):
            statuses.add(403)
        if re.search(r"{\w+}", self.path) or (
            self.method == "GET" and self._is_list_view() and self._get_paginator()
        ):
            statuses.add(404)
        if reads_body:
            statuses.update((413, 415))
        statuses.add(503)
        return sorted(statuses)

    def _get_response_bodies(self, direction="response"):
        """Return the declared responses plus the implied errors, ordered by status."""
        self._register_error_components()
        responses = super()._get_response_bodies(direction)
        for status_code in self.implied_error_statuses():
            responses.setdefault(
                str(status_code),
                self._get_response_for_code(
                    OpenApiResponse(error_schema(status_code), ERROR_DESCRIPTIONS[status_code]),
                    str(status_code),
                    direction=direction,
                ),
            )
        return dict(sorted(responses.items()))

    def _get_response_headers_for_code(self, status_code, direction="response"):
        """Return the response headers, with ``WWW-Authenticate`` on 401 and ``Retry-After`` on 429."""
        headers = super()._get_response_headers_for_code(status_code, direction)
        if not V1_PATH.match(self.path):
            return headers
        for name, header in RESPONSE_HEADERS.get(str(status_code), {}).items():
            headers.setdefault(name, header)
        return headers

    def _register_error_components(self) -> None:
        """Add the shared error schemas to ``components`` (once per generation)."""
        for name, schema in COMPONENTS.items():
            # A copy: drf-spectacular's enum postprocessing rewrites component schemas in
            # place, and a mutated constant would leave the next generation's $refs dangling.
            self.registry.register_on_missing(
                ResolvedComponent(
                    name=name, type=ResolvedComponent.SCHEMA, object=name, schema=copy.deepcopy(schema)
                )
            )


class StrictInputSerializerExtension(OpenApiSerializerExtension):
    """Describe strict input bodies with ``additionalProperties: false``.

    ``StrictInputSerializer`` refuses unknown keys with a 400, so the schema says so:
    generated clients and fuzzers then know an extra key is invalid input.
    """

    target_class = "shop.api.serializers.StrictInputSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        """Map the serializer as usual and close it to unknown keys."""
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        schema["additionalProperties"] = False
        return schema
