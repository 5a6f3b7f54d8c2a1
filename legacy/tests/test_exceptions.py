"""The legacy error shape: one readable message naming each field, status and headers from v1."""

from __future__ import annotations

from rest_framework import exceptions

from legacy.exceptions import legacy_exception_handler, validation_message
from orders.errors import InsufficientStock
from shop import errors


def test_validation_message_names_nested_fields_and_joins_their_messages():
    detail = {
        "items": [{"quantity": ["Too big.", "Not even."]}, {}],
        "non_field_errors": ["The body is odd."],
        "email": ["Enter a valid email address."],
    }
    assert validation_message(detail) == (
        "items[0].quantity: Too big. Not even.; The body is odd.; email: Enter a valid email address."
    )


def test_validation_message_of_nothing_still_says_something():
    assert validation_message({}) == "Invalid input."


def test_handler_keeps_v1_status_and_retry_after_but_only_a_message():
    response = legacy_exception_handler(errors.Throttled("Slow down.", retry_after=42), {})
    assert (response.status_code, response.data, response["Retry-After"]) == (
        429,
        {"message": "Slow down."},
        "42",
    )


def test_handler_drops_the_v1_extras_of_domain_errors():
    response = legacy_exception_handler(InsufficientStock("Short on Phone.", products=["7"]), {})
    assert (response.status_code, response.data) == (409, {"message": "Short on Phone."})


def test_handler_names_the_field_of_invalid_input():
    response = legacy_exception_handler(errors.InvalidInput("Unknown status 'x'.", field="status"), {})
    assert (response.status_code, response.data) == (400, {"message": "status: Unknown status 'x'."})


def test_handler_renders_drf_errors_by_their_detail():
    response = legacy_exception_handler(exceptions.NotAuthenticated(), {})
    assert response.status_code == 401
    assert response.data == {"message": "Authentication credentials were not provided."}


def test_handler_leaves_bugs_to_drf():
    assert legacy_exception_handler(ZeroDivisionError(), {}) is None
