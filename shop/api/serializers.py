"""Serializer pieces shared by the v1 API."""

from __future__ import annotations

from datetime import UTC

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# What an amount of money looks like in a response: never negative, always two places.
MONEY_OUTPUT_SCHEMA = {
    "type": "string",
    "format": "decimal",
    "pattern": r"^\d{1,10}\.\d{2}$",
    "example": "699.00",
}


class StrictInputSerializer(serializers.Serializer):
    """An input serializer that rejects unknown keys with 400 naming each of them.

    "Unknown" means not a writable input of the endpoint (API.md "Conventions"):
    read-only or server-owned fields such as ``is_staff`` or ``total`` count too.
    """

    unknown_field_message = "Unknown field: this endpoint does not accept it."

    def to_internal_value(self, data):
        """Validate as usual after refusing keys the serializer does not write."""
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(str(key) for key in data if key not in writable)
            if unknown:
                raise serializers.ValidationError({key: [self.unknown_field_message] for key in unknown})
        return super().to_internal_value(data)


class StrictInputModelSerializer(StrictInputSerializer, serializers.ModelSerializer):
    """A ModelSerializer for input that rejects unknown keys (see StrictInputSerializer)."""


class StringOnlyMixin:
    """Refuse numbers and booleans where a string is expected (DRF would coerce numbers)."""

    default_error_messages = {"not_a_string": "Must be a string."}

    def to_internal_value(self, data):
        """Return the validated value; anything that is not a JSON string is a 400."""
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class StrictCharField(StringOnlyMixin, serializers.CharField):
    """A CharField that accepts JSON strings only."""


class StrictEmailField(StringOnlyMixin, serializers.EmailField):
    """An EmailField that accepts JSON strings only."""


class StrictDecimalField(StringOnlyMixin, serializers.DecimalField):
    """A money input: a decimal string such as ``"999.00"``, never a JSON number (API.md)."""


class StrictIntegerField(serializers.IntegerField):
    """An IntegerField that accepts JSON integers only: not ``"5"``, ``5.5`` or ``true``.

    ``5.0`` is the same JSON number as ``5`` (and a JSON Schema integer), so it passes.
    """

    default_error_messages = {"not_an_integer": "Must be a whole number."}

    def to_internal_value(self, data):
        """Return the integer; strings, fractions and booleans are a 400."""
        if isinstance(data, float) and data.is_integer():
            data = int(data)
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("not_an_integer")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """A BooleanField that accepts JSON ``true``/``false`` only (not ``"yes"`` or ``1``)."""

    default_error_messages = {"not_a_boolean": "Must be true or false."}

    def to_internal_value(self, data):
        """Return the boolean; anything else is a 400."""
        if not isinstance(data, bool):
            self.fail("not_a_boolean")
        return data


@extend_schema_field(MONEY_OUTPUT_SCHEMA)
class MoneyField(serializers.DecimalField):
    """A read-only amount of money: a decimal string with two places, never negative (``"699.00"``)."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=12, decimal_places=2, coerce_to_string=True, read_only=True, **kwargs)


def money(value) -> str:
    """Return a Decimal amount as DRF renders a 2-place DecimalField: ``"999.00"``."""
    return f"{value:.2f}"


def timestamp(value) -> str:
    """Return an aware datetime in UTC as DRF renders it: ISO 8601 with a ``Z``."""
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def id_field(**kwargs) -> serializers.CharField:
    """Return the read-only string ``id`` field: ObjectIds and integers both render as strings."""
    return serializers.CharField(read_only=True, **kwargs)


class EmptyInputSerializer(StrictInputSerializer):
    """A body that takes no fields: absent or ``{}``; any key is unknown (400)."""


def validated_input(serializer_class, data, *, partial: bool = False) -> dict:
    """Return ``data`` validated by ``serializer_class``; raise ValidationError (400) otherwise.

    ``partial=True`` validates a partial update (absent required fields are allowed).
    """
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
