"""The legacy routes' one error shape: ``{"message": "..."}`` with the proper status (LEGACY.md).

The status code and headers (``WWW-Authenticate`` on 401, ``Retry-After`` on 429)
come from the v1 handler, ``shop.api.exceptions.exception_handler``, so both route
sets map domain errors, DRF errors and Django's 404/403 to HTTP in one place; this
module only rewrites the body.
"""

from __future__ import annotations

from collections.abc import Iterator

from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings

from shop import errors
from shop.api.exceptions import exception_handler as v1_exception_handler


def validation_messages(detail, path: str = "") -> Iterator[tuple[str, str]]:
    """Yield ``(field path, message)`` for every message of a DRF validation error detail.

    Nested fields read ``items[0].quantity``; errors about the body as a whole have no path.
    """
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key == api_settings.NON_FIELD_ERRORS_KEY:
                yield from validation_messages(value, path)
            else:
                yield from validation_messages(value, f"{path}.{key}" if path else str(key))
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            for item in detail:
                yield path, str(item)
        else:
            for index, item in enumerate(detail):
                yield from validation_messages(item, f"{path}[{index}]")
    else:
        yield path, str(detail)


def validation_message(detail) -> str:
    """Return one readable sentence for a validation error, naming each field at fault.

    ``{"Quantity": ["A valid integer is required."]}`` reads
    ``"Quantity: A valid integer is required."``.
    """
    grouped: dict[str, list[str]] = {}
    for path, message in validation_messages(detail):
        grouped.setdefault(path, []).append(message)
    parts = [
        f"{path}: {' '.join(messages)}" if path else " ".join(messages) for path, messages in grouped.items()
    ]
    return "; ".join(parts) or "Invalid input."


def error_message(exc, response: Response) -> str:
    """Return the ``message`` of an error the v1 handler has mapped to ``response``."""
    if isinstance(exc, errors.InvalidInput) and exc.field:
        return f"{exc.field}: {exc.message}"
    if isinstance(exc, errors.ShopError):
        return exc.message
    if isinstance(exc, exceptions.ValidationError):
        return validation_message(exc.detail)
    data = response.data
    if isinstance(data, dict) and "detail" in data:
        return str(data["detail"])
    return validation_message(data)


def legacy_exception_handler(exc, context):
    """Map any handled error to ``{"message": "..."}``, keeping the v1 status code and headers.

    Errors the v1 handler does not know (bugs) are left to DRF, which re-raises them.
    """
    response = v1_exception_handler(exc, context)
    if response is None:
        return None
    response.data = {"message": error_message(exc, response)}
    return response
