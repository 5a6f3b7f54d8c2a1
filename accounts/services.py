"""Accounts services: registration, login, token rotation and revocation, profile, addresses, password reset.

Every write to users, revoked tokens and failed-login counters goes through here
(STYLE.md). The functions know nothing of HTTP: they raise the domain errors of
``shop.errors``, which the v1 API and the legacy routes map to their own shapes.
The legacy ``/login`` calls :func:`token_obtain` exactly as the v1 token endpoint
does, so both share one failure count and one way of issuing tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import make_password
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django_countries import countries
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts import throttles
from accounts.models import (
    Address,
    LoginFailureScope,
    RevokedToken,
    User,
    UserSession,
    normalize_email_address,
    phone_normalize,
)
from accounts.tokens import TOKEN_VERSION_CLAIM, ShopRefreshToken, issue_token_pair
from notifications.models import EmailKind
from notifications.services import email_enqueue
from shop import errors, transactions
from shop.db import primary_key_parse, unique_row
from shop.http import UNKNOWN_CLIENT_ADDRESS
from shop.ops.metrics import login_outcomes_counted

INVALID_CREDENTIALS_MESSAGE = "No active account found with the given email and password."


# --- Registration and profile ----------------------------------------------------


def user_register(
    *, email: str, password: str, first_name: str = "", last_name: str = "", client_address: str = ""
) -> User:
    """Create a customer; the email is stored in its canonical form and must be unused.

    Raises Throttled past ``REGISTRATION_LIMIT`` registrations from ``client_address``
    (:func:`registration_check`), and InvalidInput on ``email`` (taken) or ``password``
    (refused by the validators).
    """
    email = normalize_email_address(email)
    registration_check(client_address=client_address, now=timezone.now())
    candidate = User(email=email, first_name=first_name, last_name=last_name)
    password_check(password=password, user=candidate, field="password")
    if User.objects.filter(email=email).exists():
        raise errors.InvalidInput("A user with this email address already exists.", field="email")
    try:
        with transaction.atomic():
            # The savepoint keeps an outer SQL transaction usable if the insert loses a race.
            return User.objects.create_user(
                email=email, password=password, first_name=first_name, last_name=last_name
            )
    except IntegrityError:
        # Another registration of the same address won between the check and the insert.
        raise errors.InvalidInput("A user with this email address already exists.", field="email") from None


def password_check(*, password: str, user: User, field: str) -> None:
    """Run Django's password validators; raise InvalidInput on ``field`` with every message."""
    try:
        password_validation.validate_password(password, user=user)
    except ValidationError as exc:
        raise errors.InvalidInput(" ".join(exc.messages), field=field) from None


def user_update(*, user: User, first_name: str | None = None, last_name: str | None = None) -> User:
    """Change the user's names (only those given) and return the user."""
    changed = {}
    if first_name is not None:
        changed["first_name"] = first_name
    if last_name is not None:
        changed["last_name"] = last_name
    if changed:
        User.objects.filter(pk=user.pk).update(**changed)
        for name, value in changed.items():
            setattr(user, name, value)
    return user


def user_password_change(
    *, user: User, current_password: str, new_password: str, client_address: str
) -> None:
    """Replace the user's password; every token and every session of the user dies.

    The current password is checked like a login (:func:`password_verify`, refused on
    ``current_password``); the new one goes through the password validators.
    """
    password_verify(
        user=user, password=current_password, client_address=client_address, field="current_password"
    )
    password_check(password=new_password, user=user, field="new_password")
    user_password_set(user=user, password=new_password)


def user_password_set(*, user: User, password: str) -> None:
    """Store a new password for ``user`` and end every token and session the user has.

    One operation: the new hash and the token version in one write, then the
    user's sessions. The password is not validated here; callers do that.
    """
    password_hash = make_password(password)
    now = timezone.now()

    def write() -> None:
        User.objects.filter(pk=user.pk).update(
            password=password_hash, token_version=F("token_version") + 1, tokens_valid_after=now
        )
        _sessions_end_after_version_bump(user_id=user.pk)

    transactions.run(write)
    user.password = password_hash
    user.refresh_from_db(fields=["token_version", "tokens_valid_after"])
    if password is not None:
        password_validation.password_changed(password, user=user)


def _sessions_end_after_version_bump(*, user_id) -> None:
    """Delete the sessions of a user whose token version just moved (a finishing write).

    The version bump already ended them (a session's auth hash includes it), so
    without a transaction the delete is finished, not undone, if it fails once.
    """
    transactions.complete(
        lambda: user_sessions_end(user_id=user_id), description=f"sessions of user {user_id}"
    )


def user_sessions_end(*, user_id) -> int:
    """End every browser session (admin, browsable API) of user ``user_id``; return how many."""
    deleted, _ = UserSession.objects.filter(user_id=user_id).delete()
    return deleted


def user_row_delete(*, user: User) -> None:
    """Delete the user's row and what Django keeps with it: the personal data goes, the email is free.

    The last step of closing an account, which is ``shop.services.account_close``:
    it first kills every token and lets the orders app cancel and detach the user's
    orders. Orders left pointing at the user would be detached by
    ``on_delete=SET_NULL``, but open ones would keep their reserved stock, so nothing
    but ``account_close`` calls this. Failed-login counters and revoked tokens hold no
    personal data and stay.
    """
    User.objects.filter(pk=user.pk).delete()


# --- Tokens -----------------------------------------------------------------------


@login_outcomes_counted
def password_login(*, email: str, password: str, client_address: str) -> User:
    """Return the active user whose email and password these are: the one check of every password login.

    The v1 token endpoint, the legacy ``/login``, the admin login and the
    browsable-API login (``accounts.backends``) all come here, so they share one
    failure count and one lockout policy (:func:`login_failure_rules`), across
    server processes. A refused attempt raises Throttled before the password is
    even checked, right password or not, and a success does not reset the count.
    A wrong email and a wrong password raise the same NotAuthenticated, after the
    same hashing work.
    """
    email = normalize_email_address(email)
    keys = login_failure_keys(email=email, client_address=client_address)
    now = timezone.now()
    login_failure_check(keys=keys, now=now)
    user = unique_row(User.objects.filter(email=email))
    if user is None:
        # Hash anyway so that response times do not tell unknown addresses apart.
        User().set_password(password)
        authenticated = False
    else:
        authenticated = user.check_password(password) and user.is_active
    if not authenticated:
        login_failure_record(keys=keys, now=now)
        raise errors.NotAuthenticated(INVALID_CREDENTIALS_MESSAGE, code="invalid_credentials")
    return user


def password_verify(*, user: User, password: str, client_address: str, field: str) -> None:
    """Check the password of a user who is already known, counted like a login.

    A wrong password counts as a failed login of the user's email (a stolen access
    token or session must not become a password-guessing oracle) and is refused on
    ``field``; past the lockout policy the attempt is Throttled.
    """
    keys = login_failure_keys(email=user.email, client_address=client_address)
    now = timezone.now()
    login_failure_check(keys=keys, now=now)
    if not user.check_password(password):
        login_failure_record(keys=keys, now=now)
        raise errors.InvalidInput("The current password is not correct.", field=field)


def token_obtain(*, email: str, password: str, client_address: str) -> dict[str, str]:
    """Check email and password (:func:`password_login`) and return ``{"access": ..., "refresh": ...}``."""
    return issue_token_pair(password_login(email=email, password=password, client_address=client_address))


def token_refresh(*, refresh: str) -> dict[str, str]:
    """Rotate a refresh token: return a new pair and make the used refresh token dead.

    The used token's ``jti`` is inserted into the revocation table before the new
    pair is issued; the unique index makes two concurrent uses of one token yield
    one new pair and one NotAuthenticated.
    """
    token = refresh_token_parse(refresh=refresh)
    if RevokedToken.objects.filter(jti=token[jwt_settings.JTI_CLAIM]).exists():
        raise errors.NotAuthenticated("Token has been revoked.", code="token_revoked")
    user = token_user(token=token)
    if not refresh_token_revoke(token=token):
        # A concurrent request used the same token a moment ago.
        raise errors.NotAuthenticated("Token has been revoked.", code="token_revoked")
    return issue_token_pair(user)


def logout(*, user: User, refresh: str) -> None:
    """Kill one refresh token of ``user`` (logging out one session); repeating is harmless.

    Raises NotAuthenticated for an invalid or expired token and NotAllowed for a
    token of another user.
    """
    token = refresh_token_parse(refresh=refresh)
    if primary_key_parse(model=User, value=token.get(jwt_settings.USER_ID_CLAIM)) != user.pk:
        raise errors.NotAllowed("This refresh token belongs to another user.", code="token_not_owned")
    refresh_token_revoke(token=token)


def logout_all(*, user: User) -> None:
    """Kill every access and refresh token of ``user`` at once."""
    user_tokens_revoke_all(user=user)


def user_tokens_revoke_all(*, user: User) -> None:
    """End every token and session of ``user``: bump the token version, delete the sessions.

    Tokens issued before carry the old version and are refused from now on; sessions
    are deleted, and their auth hash includes the version too (``User``). The caller's
    ``user`` object is refreshed so it can go on issuing current tokens.
    """
    now = timezone.now()

    def revoke() -> None:
        user_token_version_bump(user_id=user.pk, now=now)
        _sessions_end_after_version_bump(user_id=user.pk)

    transactions.run(revoke)
    user.refresh_from_db(fields=["token_version", "tokens_valid_after"])


def user_token_version_bump(*, user_id, now: datetime) -> int:
    """Add one to the user's token version; return the number of rows changed (0 or 1).

    One single-row update with ``F()``, so concurrent bumps never get lost.
    """
    return User.objects.filter(pk=user_id).update(
        token_version=F("token_version") + 1, tokens_valid_after=now
    )


def refresh_token_parse(*, refresh: str) -> ShopRefreshToken:
    """Return the verified refresh token (signature, expiry, type) or raise NotAuthenticated."""
    try:
        token = ShopRefreshToken(refresh)
    except TokenError as exc:
        raise errors.NotAuthenticated(str(exc), code="token_not_valid") from None
    except (OverflowError, ValueError, TypeError):
        # A claim of the wrong type or out of range (an exp past the year 9999).
        raise errors.NotAuthenticated("Token has a claim out of range.", code="token_not_valid") from None
    return token


def token_user(*, token) -> User:
    """Return the active user a token was issued to, if the token is still current.

    simplejwt 5.5's refresh serializer looks the user up unguarded (a deleted user is
    a 500) and ignores ``ver``; this refuses both cases with NotAuthenticated.
    """
    user_id = primary_key_parse(model=User, value=token.get(jwt_settings.USER_ID_CLAIM))
    try:
        if user_id is None:
            raise User.DoesNotExist
        user = User.objects.get(pk=user_id)
    except (User.DoesNotExist, ValidationError, ValueError, TypeError):
        raise errors.NotAuthenticated("User not found.", code="user_not_found") from None
    if not user.is_active:
        raise errors.NotAuthenticated("User is inactive.", code="user_inactive")
    if token.get(TOKEN_VERSION_CLAIM) != user.token_version:
        raise errors.NotAuthenticated("Token has been revoked.", code="token_revoked")
    return user


def refresh_token_revoke(*, token: ShopRefreshToken) -> bool:
    """Record the token's ``jti`` as revoked; return False if it already was."""
    try:
        with transaction.atomic():
            RevokedToken.objects.create(
                jti=token[jwt_settings.JTI_CLAIM], expires_at=datetime_from_epoch(token["exp"])
            )
    except IntegrityError:
        return False
    return True


def revoked_tokens_purge(*, now: datetime | None = None) -> int:
    """Delete revocation rows of tokens that have expired anyway; return how many."""
    now = now or timezone.now()
    deleted, _ = RevokedToken.objects.filter(expires_at__lt=now).delete()
    return deleted


# --- Failed logins and registrations: who is refused, and when -----------------------


def login_failure_keys(*, email: str, client_address: str) -> dict[str, tuple[str, str]]:
    """Return ``{scope: (scope, key)}``: what a password attempt for ``email`` from an address counts under.

    Three counters: the (email, address) pair, the address, and the email. The keys
    are keyed hashes (``accounts.throttles.counter_key``): no address or email is stored.
    """
    address = (client_address or UNKNOWN_CLIENT_ADDRESS).strip() or UNKNOWN_CLIENT_ADDRESS
    email = normalize_email_address(email)
    values = {
        LoginFailureScope.PAIR: f"{email}\n{address}",
        LoginFailureScope.ADDRESS: address,
        LoginFailureScope.EMAIL: email,
    }
    return {scope: (scope, throttles.counter_key(scope, value)) for scope, value in values.items()}


def login_failure_rules() -> list[list[tuple[str, int]]]:
    """Return the lockout policy: a rule refuses while every one of its (scope, limit) is reached.

    * the (email, address) pair: ``LOGIN_FAILURE_LIMIT`` failures (the guesser at one address);
    * the address, whatever the email: ``LOGIN_FAILURE_ADDRESS_LIMIT`` (one address trying many accounts);
    * an email under attack from many addresses (``LOGIN_FAILURE_EMAIL_LIMIT`` failures in all)
      refuses each address after ``LOGIN_FAILURE_UNDER_ATTACK_LIMIT`` of its own failures.

    So failures elsewhere never lock the owner out at an address that has not failed
    for the account, while each attacking address gets a handful of guesses.
    """
    return [
        [(LoginFailureScope.PAIR, settings.LOGIN_FAILURE_LIMIT)],
        [(LoginFailureScope.ADDRESS, settings.LOGIN_FAILURE_ADDRESS_LIMIT)],
        [
            (LoginFailureScope.EMAIL, settings.LOGIN_FAILURE_EMAIL_LIMIT),
            (LoginFailureScope.PAIR, settings.LOGIN_FAILURE_UNDER_ATTACK_LIMIT),
        ],
    ]


def login_failure_check(*, keys: dict[str, tuple[str, str]], now: datetime) -> None:
    """Raise Throttled if the lockout policy refuses an attempt under ``keys`` now.

    ``retry_after`` is the number of seconds until enough of the oldest failures leave
    the window for every rule to let one more attempt through.
    """
    window = settings.LOGIN_FAILURE_WINDOW
    counts = throttles.counts_read(keys=keys.values(), now=now, window=window)
    retry_after = 0
    for rule in login_failure_rules():
        waits = [counts[keys[scope]].seconds_below(limit, now=now, window=window) for scope, limit in rule]
        if all(waits):
            retry_after = max(retry_after, min(waits))
    if retry_after:
        raise errors.Throttled(
            "Too many failed login attempts. Try again later.",
            code="login_throttled",
            retry_after=retry_after,
        )


def login_failure_record(*, keys: dict[str, tuple[str, str]], now: datetime) -> None:
    """Count one failed password attempt under each of ``keys``."""
    throttles.attempt_record(keys=keys.values(), now=now, window=settings.LOGIN_FAILURE_WINDOW)


def registration_check(*, client_address: str, now: datetime) -> None:
    """Count a registration from ``client_address``, or raise Throttled past ``REGISTRATION_LIMIT``.

    Every registration costs an Argon2id hash, so an address may register at most
    ``REGISTRATION_LIMIT`` accounts within ``REGISTRATION_WINDOW``.
    """
    attempt_allow(
        scope=LoginFailureScope.REGISTRATION,
        value=_address_or_unknown(client_address),
        limit=settings.REGISTRATION_LIMIT,
        window=settings.REGISTRATION_WINDOW,
        now=now,
        message="Too many registrations from this address. Try again later.",
        code="registration_throttled",
    )


def attempt_allow(
    *, scope: str, value: str, limit: int, window, now: datetime, message: str, code: str
) -> None:
    """Count one attempt of ``value`` in ``scope``, or raise Throttled once ``limit`` are in the window."""
    key = (scope, throttles.counter_key(scope, value))
    wait = throttles.counts_read(keys=[key], now=now, window=window)[key].seconds_below(
        limit, now=now, window=window
    )
    if wait:
        raise errors.Throttled(message, code=code, retry_after=wait)
    throttles.attempt_record(keys=[key], now=now, window=window)


def _address_or_unknown(client_address: str) -> str:
    return (client_address or UNKNOWN_CLIENT_ADDRESS).strip() or UNKNOWN_CLIENT_ADDRESS


def login_failures_purge(*, now: datetime | None = None) -> int:
    """Delete counter rows that every policy's window has left; return how many."""
    window = max(settings.LOGIN_FAILURE_WINDOW, settings.REGISTRATION_WINDOW, settings.PASSWORD_RESET_WINDOW)
    return throttles.counters_purge(now=now or timezone.now(), window=window)


# --- Password reset -------------------------------------------------------------------

RESET_LINK_INVALID_MESSAGE = "This password reset link is not valid: it is wrong, used or expired."
# A client address may ask for this many times PASSWORD_RESET_LIMIT resets (many customers behind one NAT).
PASSWORD_RESET_ADDRESS_FACTOR = 10


def password_reset_link(*, user: User) -> str:
    """Return the link that lets ``user`` choose a new password: ``PASSWORD_RESET_URL`` with uid and token.

    The token is Django's ``default_token_generator``: it signs the user's id, password
    hash and last login with the secret key and a timestamp, so it is single-use (the
    new password changes the hash) and expires after ``PASSWORD_RESET_TIMEOUT`` seconds.
    """
    uid = urlsafe_base64_encode(force_bytes(str(user.pk)))
    token = default_token_generator.make_token(user)
    return settings.PASSWORD_RESET_URL.replace("{uid}", uid).replace("{token}", token)


RESET_LINK_SENT_MESSAGE = (
    "If an account has this email address, we have sent it a link to choose a new password."
)


def password_reset_start(*, email: str, client_address: str) -> None:
    """Mail a password reset link to the account of ``email``, if there is one (throttled).

    The email goes through the outbox (``notifications``): written, then sent after
    commit and retried by the worker. Unknown addresses get nothing, after the same
    checks, and the caller answers the same.
    """
    user = password_reset_request(email=email, client_address=client_address)
    if user is None:
        return
    password_reset_mail(user=user)


def password_reset_mail(*, user: User) -> None:
    """Write the password reset email of ``user``, with a fresh link, to the outbox (sent after commit)."""
    context = {
        "user": user,
        "reset_url": password_reset_link(user=user),
        "expires_in_minutes": max(1, settings.PASSWORD_RESET_TIMEOUT // 60),
    }
    transactions.run(
        lambda: email_enqueue(kind=EmailKind.PASSWORD_RESET, to_email=user.email, context=context)
    )


def password_reset_request(*, email: str, client_address: str) -> User | None:
    """Count a reset request for ``email`` and return the active user it names, if any.

    At most ``PASSWORD_RESET_LIMIT`` requests per email and ten times as many per client
    address within ``PASSWORD_RESET_WINDOW`` (Throttled beyond), whether or not the
    address is known, so the answer never tells.
    """
    email = normalize_email_address(email)
    now = timezone.now()
    limit, window = settings.PASSWORD_RESET_LIMIT, settings.PASSWORD_RESET_WINDOW
    message = "Too many password reset requests. Try again later."
    attempt_allow(
        scope=LoginFailureScope.RESET_ADDRESS,
        value=_address_or_unknown(client_address),
        limit=limit * PASSWORD_RESET_ADDRESS_FACTOR,
        window=window,
        now=now,
        message=message,
        code="password_reset_throttled",
    )
    attempt_allow(
        scope=LoginFailureScope.RESET_EMAIL,
        value=email,
        limit=limit,
        window=window,
        now=now,
        message=message,
        code="password_reset_throttled",
    )
    user = unique_row(User.objects.filter(email=email))  # the email index; is_active is checked here
    return user if user is not None and user.is_active else None


def password_reset_confirm(*, uid: str, token: str, new_password: str, client_address: str) -> User:
    """Set ``new_password`` for the user of a valid reset link; every token and session of theirs dies.

    A wrong, used or expired token (or an unknown ``uid``) is InvalidInput on ``token``
    and counts as a failed login of that account from ``client_address``: the same
    lockout as every other way of proving a password applies (Throttled past it).
    The password validators apply (InvalidInput on ``new_password``).
    """
    user = _password_reset_user(uid)
    keys = login_failure_keys(email=user.email if user else "", client_address=client_address)
    now = timezone.now()
    login_failure_check(keys=keys, now=now)
    if user is None or not default_token_generator.check_token(user, token):
        login_failure_record(keys=keys, now=now)
        raise errors.InvalidInput(RESET_LINK_INVALID_MESSAGE, field="token")
    password_check(password=new_password, user=user, field="new_password")
    user_password_set(user=user, password=new_password)
    return user


def _password_reset_user(uid: str) -> User | None:
    """Return the active user a reset link's ``uid`` names, or None."""
    try:
        raw = urlsafe_base64_decode(uid).decode()
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    pk = primary_key_parse(model=User, value=raw)
    user = unique_row(User.objects.filter(pk=pk)) if pk is not None else None
    return user if user is not None and user.is_active else None


# --- Addresses ------------------------------------------------------------------------

# The fields of an address as customers send them and orders snapshot them.
ADDRESS_FIELDS = ("full_name", "line1", "line2", "city", "postal_code", "region", "country", "phone")
ADDRESS_OPTIONAL_FIELDS = frozenset({"line2", "region", "phone"})


def address_clean(*, fields: Mapping[str, Any]) -> dict[str, str]:
    """Return the address in ``fields`` validated and in its stored form, or raise InvalidInput.

    Every name of :data:`ADDRESS_FIELDS` is read (a missing optional one is ""):
    text is stripped and must fit its column; ``full_name``, ``line1``, ``city``,
    ``postal_code`` and ``country`` are required; ``country`` is an ISO 3166-1
    alpha-2 code (any case; stored upper-case); ``phone`` becomes E.164 (a national
    number is read in ``country``). InvalidInput names the first field at fault.
    """
    cleaned: dict[str, str] = {}
    for name in ADDRESS_FIELDS:
        value = fields.get(name, "")
        if not isinstance(value, str):
            raise errors.InvalidInput("Must be a string.", field=name)
        value = value.strip()
        max_length = Address._meta.get_field(name).max_length
        if len(value) > max_length:
            raise errors.InvalidInput(
                f"Ensure this field has no more than {max_length} characters.", field=name
            )
        if not value and name not in ADDRESS_OPTIONAL_FIELDS:
            raise errors.InvalidInput("This field may not be blank.", field=name)
        cleaned[name] = value
    country = cleaned["country"].upper()
    if len(country) != 2 or country not in countries:
        raise errors.InvalidInput(
            f"{cleaned['country']!r} is not an ISO 3166-1 alpha-2 country code (such as US or DE).",
            field="country",
        )
    cleaned["country"] = country
    try:
        cleaned["phone"] = phone_normalize(cleaned["phone"], country=country)
    except ValidationError as exc:
        raise errors.InvalidInput(exc.messages[0], field="phone") from None
    return cleaned


def address_create(*, user: User, fields: Mapping[str, Any], is_default: bool = False) -> Address:
    """Save a new address for ``user`` (validated by :func:`address_clean`) and return it.

    A customer keeps at most ``ADDRESSES_PER_CUSTOMER`` addresses (Conflict
    ``address_limit_reached`` beyond). The first address becomes the default;
    ``is_default`` makes a later one the default, in the same operation.
    """
    cleaned = address_clean(fields=fields)

    def create() -> Address:
        count = Address.objects.filter(customer_id=user.pk).count()
        if count >= settings.ADDRESSES_PER_CUSTOMER:
            raise errors.Conflict(
                f"You have {count} saved addresses, the most a customer may keep; delete one first.",
                code="address_limit_reached",
            )
        address = Address.objects.create(customer=user, is_default=False, **cleaned)
        transactions.on_failure(f"address {address.pk}", Address.objects.filter(pk=address.pk).delete)
        if is_default or count == 0:
            _address_default_set(address=address)
            address.is_default = True
        return address

    return transactions.run(create)


def address_update(*, address: Address, fields: Mapping[str, Any], is_default: bool | None = None) -> Address:
    """Change the given fields of ``address`` (the rest stay) and return it.

    The result is validated as a whole (:func:`address_clean`: the phone is read in
    the new country). ``is_default=True`` makes it the default (the previous one
    stops being it); ``False`` only clears its own flag.
    """
    current = address_snapshot(address=address)
    cleaned = address_clean(fields={**current, **fields})

    changes = {**cleaned, "is_default": False} if is_default is False else cleaned

    def update() -> None:
        Address.objects.filter(pk=address.pk).update(**changes)
        if is_default:
            _address_default_set(address=address)

    transactions.run(update)
    for name, value in cleaned.items():
        setattr(address, name, value)
    if is_default is not None:
        address.is_default = is_default
    return address


def _address_default_set(*, address: Address) -> None:
    """Make ``address`` its customer's only default: clear the others, then set it.

    The partial unique index (one default per customer) decides between two
    concurrent switches: the loser's write fails, and is rerun inside a MongoDB
    transaction or tried again here.
    """
    for _attempt in range(3):
        Address.objects.filter(customer_id=address.customer_id, is_default=True).exclude(
            pk=address.pk
        ).update(is_default=False)
        try:
            with transaction.atomic():
                Address.objects.filter(pk=address.pk).update(is_default=True)
        except IntegrityError as exc:
            transactions.rerun_if_in_transaction(exc)
            continue
        return
    raise errors.Conflict(
        "The default address changed meanwhile; try again.", code="address_default_conflict"
    )


def address_delete(*, address: Address) -> None:
    """Delete a saved address; orders placed with it keep their copy."""
    Address.objects.filter(pk=address.pk).delete()


def address_snapshot(*, address: Address) -> dict[str, str]:
    """Return the copy of ``address`` an order keeps (the address fields, without id and default flag)."""
    # str(): django-countries gives the country as a Country object; its str() is the code.
    return {name: str(getattr(address, name)) for name in ADDRESS_FIELDS}


# --- Import from the original service ----------------------------------------------


def user_import(
    *,
    email: str,
    first_name: str,
    last_name: str,
    password_hash: str,
    date_joined: datetime,
    user_id=None,
) -> User:
    """Create a customer brought over from the original service, with the password hash it had.

    ``password_hash`` is stored as given: a value Django's configured hashers can
    check (the original service's werkzeug and bcrypt hashes in the forms
    ``accounts.hashers`` reads, or a fresh Argon2id hash of a plain-text password), or
    an unusable password (``make_password(None)``), whose owner must reset it.
    Password validators do not apply: the customer chose that password long ago.
    ``user_id`` is the primary key to give the user (the original ObjectId on MongoDB),
    or None for a new one. The email is normalised as registration does and must be
    unused in any case: InvalidInput on ``email`` otherwise, race included.
    """
    email = normalize_email_address(email)
    if User.objects.filter(email=email).exists():
        raise errors.InvalidInput("A user with this email address already exists.", field="email")
    try:
        with transaction.atomic():
            # The savepoint keeps an outer SQL transaction usable if the insert loses a race.
            return User.objects.create(
                pk=user_id,
                email=email,
                first_name=first_name,
                last_name=last_name,
                password=password_hash,
                date_joined=date_joined,
            )
    except IntegrityError as exc:
        transactions.rerun_if_in_transaction(exc)
        raise errors.InvalidInput(
            "A user with this email address or id already exists.", field="email"
        ) from None
