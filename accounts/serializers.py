"""Input and output serializers of the accounts endpoints (API.md "Accounts and tokens").

Input serializers only check shape (types, lengths, required keys, unknown keys);
the rules (unique email, password validators, credentials) live in
``accounts.services``. Legacy routes reuse these input serializers.
"""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import User, normalize_email_address
from shop.api.serializers import StrictCharField, StrictEmailField, StrictInputSerializer, id_field

# Long enough for any passphrase; short enough that nobody makes the server hash megabytes.
PASSWORD_MAX_LENGTH = 128
# A signed JWT of this app is about 300 characters; anything far longer is not one of ours.
TOKEN_MAX_LENGTH = 2048
NAME_MAX_LENGTH = User._meta.get_field("first_name").max_length
EMAIL_MAX_LENGTH = User._meta.get_field("email").max_length


def password_field(**kwargs) -> StrictCharField:
    """Return a write-only password input (not trimmed: spaces are part of a password)."""
    return StrictCharField(
        write_only=True,
        trim_whitespace=False,
        max_length=PASSWORD_MAX_LENGTH,
        style={"input_type": "password"},
        **kwargs,
    )


class CanonicalEmailField(StrictEmailField):
    """An email address input, validated in the canonical form it is stored and compared in.

    An address typed in fullwidth letters (U+FF21 and on) is the ASCII one
    (``accounts.models.normalize_email_address``).
    """

    def to_internal_value(self, data):
        """Return the address in its canonical form; the email validators then check that form."""
        return normalize_email_address(super().to_internal_value(data))


class RegisterInputSerializer(StrictInputSerializer):
    """Body of ``POST auth/register/``."""

    email = CanonicalEmailField(max_length=EMAIL_MAX_LENGTH)
    password = password_field()
    first_name = StrictCharField(max_length=NAME_MAX_LENGTH, allow_blank=True, required=False, default="")
    last_name = StrictCharField(max_length=NAME_MAX_LENGTH, allow_blank=True, required=False, default="")


class TokenObtainInputSerializer(StrictInputSerializer):
    """Body of ``POST auth/token/`` (and of the legacy ``/login``)."""

    email = CanonicalEmailField(max_length=EMAIL_MAX_LENGTH)
    password = password_field()


class RefreshInputSerializer(StrictInputSerializer):
    """Body of ``POST auth/token/refresh/`` and ``POST auth/logout/``."""

    refresh = StrictCharField(max_length=TOKEN_MAX_LENGTH, trim_whitespace=False)


class ProfileUpdateInputSerializer(StrictInputSerializer):
    """Body of ``PATCH accounts/me/``: the names, each optional."""

    first_name = StrictCharField(max_length=NAME_MAX_LENGTH, allow_blank=True, required=False)
    last_name = StrictCharField(max_length=NAME_MAX_LENGTH, allow_blank=True, required=False)


class PasswordChangeInputSerializer(StrictInputSerializer):
    """Body of ``POST accounts/me/password/``."""

    current_password = password_field()
    new_password = password_field()


class TokenPairSerializer(serializers.Serializer):
    """A pair of tokens: ``{access, refresh}``."""

    access = serializers.CharField(read_only=True)
    refresh = serializers.CharField(read_only=True)


class RegisteredUserSerializer(serializers.ModelSerializer):
    """The answer to a registration: ``{id, email, first_name, last_name}``."""

    id = id_field()

    class Meta:
        model = User
        fields = ("id", "email", "first_name", "last_name")
        read_only_fields = fields


class ProfileSerializer(serializers.ModelSerializer):
    """The caller's account: ``{id, email, first_name, last_name, date_joined, is_staff}``."""

    id = id_field()

    class Meta:
        model = User
        fields = ("id", "email", "first_name", "last_name", "date_joined", "is_staff")
        read_only_fields = fields
