"""Serializer pieces shared by the v1 API."""

from __future__ import annotations

from rest_framework import serializers


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


def id_field(**kwargs) -> serializers.CharField:
    """Return the read-only string ``id`` field: ObjectIds and integers both render as strings."""
    return serializers.CharField(read_only=True, **kwargs)


class EmptyInputSerializer(StrictInputSerializer):
    """A body that takes no fields: absent or ``{}``; any key is unknown (400)."""


def validated_input(serializer_class, data) -> dict:
    """Return ``data`` validated by ``serializer_class``; raise ValidationError (400) otherwise."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
