"""Input and output serializers of the accounts endpoints (API.md "Accounts and tokens").

Input serializers only check shape (types, lengths, required keys, unknown keys);
the rules (unique email, password validators, credentials) live in
``accounts.services``. Legacy routes reuse these input serializers.
"""

from __future__ import annotations

from rest_framework import serializers

from accounts import services
from accounts.models import Address, User, normalize_email_address
from shop.api.serializers import (
    StrictBooleanField,
    StrictCharField,
    StrictEmailField,
    StrictInputSerializer,
    id_field,
)
from shop.errors import InvalidInput

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


class PasswordResetInputSerializer(StrictInputSerializer):
    """Body of ``POST auth/password-reset/``: the account's email."""

    email = CanonicalEmailField(max_length=EMAIL_MAX_LENGTH)


class PasswordResetConfirmInputSerializer(StrictInputSerializer):
    """Body of ``POST auth/password-reset/confirm/``: the link's uid and token, and the new password."""

    uid = StrictCharField(max_length=64, trim_whitespace=False, help_text="The uid of the reset link.")
    token = StrictCharField(max_length=128, trim_whitespace=False, help_text="The token of the reset link.")
    new_password = password_field()


class DetailSerializer(serializers.Serializer):
    """A plain answer: ``{"detail": "..."}``."""

    detail = serializers.CharField(read_only=True)


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


def _address_text(name: str, *, required: bool) -> StrictCharField:
    """Return the input field of address column ``name`` (its length; optional ones may be blank)."""
    field = Address._meta.get_field(name)
    return StrictCharField(
        max_length=field.max_length,
        required=required,
        allow_blank=not required,
        help_text=field.help_text or None,
    )


class AddressFieldsInputSerializer(StrictInputSerializer):
    """The fields of an address as sent: a saved address's body, and an order's inline ``shipping_address``.

    Types and lengths are checked field by field; the rest (ISO country code, the
    phone read in that country and stored as E.164) by ``accounts.services.address_clean``,
    whose verdict is reported on the field at fault.
    """

    full_name = _address_text("full_name", required=True)
    line1 = _address_text("line1", required=True)
    line2 = _address_text("line2", required=False)
    city = _address_text("city", required=True)
    postal_code = _address_text("postal_code", required=True)
    region = _address_text("region", required=False)
    country = StrictCharField(max_length=2, help_text="ISO 3166-1 alpha-2 code, for example US or DE.")
    phone = StrictCharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text="Optional; stored in E.164 form (+14155552671). A national number is read in the country.",
    )

    def validate(self, attrs):
        """Return the address as stored (``address_clean``); a partial update is checked by the service."""
        if self.partial:
            return attrs
        try:
            return services.address_clean(fields=attrs)
        except InvalidInput as exc:
            raise serializers.ValidationError({exc.field: [exc.message]}) from None


class AddressInputSerializer(AddressFieldsInputSerializer):
    """Body of ``POST`` and ``PATCH accounts/me/addresses/``: the address and whether it is the default."""

    is_default = StrictBooleanField(
        required=False, help_text="Make this your default address (the previous default stops being it)."
    )

    def validate(self, attrs):
        """Validate the address fields; ``is_default`` passes through."""
        is_default = attrs.pop("is_default", None)
        attrs = super().validate(attrs)
        if is_default is not None:
            attrs["is_default"] = is_default
        return attrs


class AddressSerializer(serializers.ModelSerializer):
    """A saved address: its id, the address fields (``services.ADDRESS_FIELDS``) and ``is_default``."""

    id = id_field()
    country = serializers.CharField(read_only=True, help_text="ISO 3166-1 alpha-2 code.")

    class Meta:
        model = Address
        fields = ("id", *services.ADDRESS_FIELDS, "is_default")
        read_only_fields = fields
