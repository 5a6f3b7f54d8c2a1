"""Accounts models: users (email is the login name), revoked tokens, login counters, sessions, addresses."""

from __future__ import annotations

import unicodedata

import phonenumbers
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_countries.fields import CountryField


def normalize_email_address(email: str) -> str:
    """Return the canonical form of an email address: the form stored, compared and shown.

    Spellings of one address that differ only by case or by Unicode compatibility
    characters (fullwidth letters, ligatures) are one account: the whole address is
    NFKC-normalised and case-folded, and the domain is written in its IDNA ASCII form
    (``bücher.example`` becomes ``xn--bcher-kva.example``, as mail servers see it).
    MongoDB has no expression indexes, so storing the canonical form is how the
    unique index stays case- and form-insensitive on both backends. A domain that
    IDNA refuses is left as it is, for the email validator to reject.
    """
    address = unicodedata.normalize("NFKC", (email or "").strip()).casefold()
    local, at, domain = address.rpartition("@")
    if not at or not domain:
        return address
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return address
    return f"{local}@{domain}"


class UserManager(BaseUserManager):
    """Create users with a normalised email; look them up case-insensitively."""

    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email):
        """Return the address in its canonical form (``normalize_email_address``)."""
        return normalize_email_address(email)

    def get_by_natural_key(self, email):
        """Return the user with this address, in any case."""
        return self.get(email=normalize_email_address(email))

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=normalize_email_address(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        """Create and return a customer."""
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        """Create and return a staff superuser."""
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser must have is_staff=True and is_superuser=True.")
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A customer or a staff member of the shop."""

    email = models.EmailField("email address", max_length=254, unique=True)
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(
        default=False, help_text="Designates whether the user can log into the admin site."
    )
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)
    # Token revocation (DESIGN.md "Tokens"): every token carries the version it was
    # issued under; bumping it kills all of the user's tokens at once. The timestamp
    # beside it says when, for the admin.
    token_version = models.PositiveIntegerField(default=0, editable=False)
    tokens_valid_after = models.DateTimeField(null=True, blank=True, editable=False)
    # Bumped by the order services with every change to this customer's orders
    # (placed, moved, cancelled): cached pages of the customer's order list are
    # keyed by it, and this row is loaded for every authenticated request anyway.
    orders_version = models.PositiveBigIntegerField(default=0, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]
        indexes = [
            # unique=True makes a unique index that MongoDB creates as partial
            # ({email: {$type: "string"}}, django-mongodb-backend 5.2.x), which an equality
            # match does not use; this plain index serves the login lookup by email.
            models.Index(fields=["email"], name="accounts_user_email_lookup"),
        ]

    def __str__(self) -> str:
        return self.email

    def clean(self):
        """Store the email normalised, whatever form it came in."""
        super().clean()
        self.email = normalize_email_address(self.email)

    def get_session_auth_hash(self) -> str:
        """Return the hash a session keeps to stay valid: of the password *and* the token version.

        Django ends a session whose hash no longer matches, so bumping
        ``token_version`` (logout-all, password change or reset, account deletion)
        ends every session too, whichever session engine stores them.
        """
        return self._session_auth_hash(secret=None)

    def get_session_auth_fallback_hash(self):
        """Yield the session hash under each of ``SECRET_KEY_FALLBACKS`` (key rotation)."""
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_auth_hash(secret=secret)

    def _session_auth_hash(self, *, secret) -> str:
        return salted_hmac(
            "accounts.User.get_session_auth_hash",
            f"{self.password}\n{self.token_version}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()

    def get_full_name(self) -> str:
        """Return first and last name separated by a space."""
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        """Return the first name."""
        return self.first_name


class RevokedToken(models.Model):
    """A refresh token that may no longer be used: rotated away or logged out.

    Only the token's ``jti`` and expiry are kept (no user, no token text). A row is
    useless once the token would have expired anyway, so ``purge_revoked_tokens``
    deletes rows past ``expires_at``.
    """

    jti = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)
    revoked_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["expires_at"]
        # The revocation check by jti (see User.Meta for why unique=True is not enough on MongoDB).
        indexes = [models.Index(fields=["jti"], name="accounts_revoked_jti_lookup")]

    def __str__(self) -> str:
        return self.jti


class LoginFailureScope(models.TextChoices):
    """What an attempt counter counts (``accounts.throttles``)."""

    PAIR = "pair", "Failed logins of one email from one address"
    ADDRESS = "address", "Failed logins from one client address"
    EMAIL = "email", "Failed logins of one email"
    REGISTRATION = "registration", "Registrations from one client address"
    RESET_EMAIL = "reset_email", "Password reset requests for one email"
    RESET_ADDRESS = "reset_address", "Password reset requests from one client address"


class LoginFailureCounter(models.Model):
    """Failed logins of one scope and key within one time bucket.

    The failure window (``LOGIN_FAILURE_WINDOW``) is split into short buckets; a
    failure bumps its bucket's row with an atomic ``F()`` update, so concurrent
    failures in several server processes never lose counts (DESIGN.md "Backends").
    ``key`` is a keyed hash of the address or email, so no personal data is stored.
    """

    scope = models.CharField(max_length=16, choices=LoginFailureScope.choices)
    key = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["scope", "key", "window_start"]
        constraints = [
            # One row per scope, key and bucket: creation is race-safe.
            models.UniqueConstraint(
                fields=["scope", "key", "window_start"], name="accounts_login_failure_bucket_unique"
            ),
        ]
        indexes = [
            # The bump (scope, key, window_start) and the read of the window
            # (scope, key, window_start >= cutoff); on MongoDB the unique index is
            # partial and serves neither (see User.Meta).
            models.Index(fields=["scope", "key", "window_start"], name="accounts_login_failure_lookup"),
            models.Index(fields=["window_start"], name="accounts_login_failure_start"),
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key[:8]} @ {self.window_start:%Y-%m-%d %H:%M:%S} = {self.count}"


class UserSession(AbstractBaseSession):
    """A browser session (the admin, the browsable API), stored with the user it belongs to.

    Django's own session model keeps only the key, so the sessions of one user cannot
    be found without decoding every row; ``user`` makes "end every session of this
    user" one indexed delete. ``accounts.sessions.SessionStore`` fills it in.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        verbose_name = "session"
        indexes = [
            # The lookup by key (and expiry) on every request with a session cookie; the
            # primary key's unique index is partial on MongoDB and serves no equality
            # there (see User.Meta).
            models.Index(fields=["session_key", "expire_date"], name="accounts_session_key_lookup"),
        ]

    @classmethod
    def get_session_store_class(cls):
        """Return the session store that reads and writes this model."""
        from accounts.sessions import SessionStore

        return SessionStore


def phone_normalize(value: str, *, country: str = "") -> str:
    """Return ``value`` as an E.164 number (``+14155552671``), or "" for an empty one.

    Spaces, dashes and brackets are allowed; a number without ``+`` is read as a
    national number of ``country``. ValidationError if phonenumbers finds it invalid.
    """
    value = (value or "").strip()
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, (country or "").upper() or None)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            "Enter a phone number in international form, for example +14155552671.", code="invalid_phone"
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError("This phone number does not exist.", code="invalid_phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_e164_phone(value: str) -> None:
    """Refuse a stored phone number that is not empty or E.164 (the model's validator)."""
    if value and phone_normalize(value) != value:
        raise ValidationError(
            "Store phone numbers in E.164 form, for example +14155552671.", code="invalid_phone"
        )


class Address(models.Model):
    """A customer's saved address (API.md "Addresses"); orders copy one when they are placed.

    ``country`` is an ISO 3166-1 alpha-2 code (django-countries' list), ``phone`` is
    empty or E.164. At most one address of a customer is the default: a partial unique
    index makes that hold under concurrent writes too. ``accounts.services`` validates
    and writes these; an order keeps its own snapshot (``orders.Order.shipping_address``),
    so editing or deleting a saved address never changes an order.
    """

    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="addresses")
    full_name = models.CharField(max_length=200)
    line1 = models.CharField("address line 1", max_length=200)
    line2 = models.CharField("address line 2", max_length=200, blank=True, default="")
    city = models.CharField(max_length=100)
    postal_code = models.CharField(max_length=20)
    region = models.CharField("region or state", max_length=100, blank=True, default="")
    country = CountryField()
    phone = models.CharField(
        max_length=16,
        blank=True,
        default="",
        validators=[validate_e164_phone],
        help_text="E.164, for example +14155552671.",
    )
    is_default = models.BooleanField("default address", default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "addresses"
        ordering = ["customer_id", "created_at", "id"]  # "customer_id": no join (see orders.OrderLine)
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=models.Q(is_default=True), name="accounts_address_one_default"
            ),
        ]
        # A customer's addresses, oldest first (the list and the default switch).
        indexes = [models.Index(fields=["customer", "created_at", "id"], name="accounts_address_customer")]

    def __str__(self) -> str:
        return f"{self.full_name}, {self.line1}, {self.city} ({self.country})"
