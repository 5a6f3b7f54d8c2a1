"""Accounts services: registration, login, token rotation and revocation, profile, deletion.

Every write to users, revoked tokens and failed-login counters goes through here
(STYLE.md). The functions know nothing of HTTP: they raise the domain errors of
``shop.errors``, which the v1 API and the legacy routes map to their own shapes.
The legacy ``/login`` calls :func:`token_obtain` exactly as the v1 token endpoint
does, so both share one failure count and one way of issuing tokens.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.utils import datetime_from_epoch

from accounts.models import (
    LoginFailureCounter,
    LoginFailureScope,
    RevokedToken,
    User,
    normalize_email_address,
)
from accounts.selectors import login_failure_buckets
from accounts.tokens import TOKEN_VERSION_CLAIM, ShopRefreshToken, issue_token_pair
from shop import errors
from shop.db import atomic
from shop.ops.metrics import login_outcomes_counted

INVALID_CREDENTIALS_MESSAGE = "No active account found with the given email and password."
# The failure window is counted in this many buckets: a failure is forgotten between
# window * (1 - 1/BUCKETS) and window after it happened, and a lookup reads at most
# BUCKETS rows per scope.
LOGIN_FAILURE_BUCKETS = 15
UNKNOWN_CLIENT_ADDRESS = "unknown"


# --- Registration and profile ----------------------------------------------------


def user_register(*, email: str, password: str, first_name: str = "", last_name: str = "") -> User:
    """Create a customer; the email is stored lower-cased and must be unused in any case.

    Raises InvalidInput on ``email`` (taken) or ``password`` (refused by the validators).
    """
    email = normalize_email_address(email)
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
    """Replace the user's password and kill every token the user holds.

    A wrong ``current_password`` counts as a failed login (a stolen access token must
    not become a password-guessing oracle) and is refused on ``current_password``.
    """
    keys = login_failure_keys(email=user.email, client_address=client_address)
    now = timezone.now()
    login_failure_check(keys=keys, now=now)
    if not user.check_password(current_password):
        login_failure_record(keys=keys, now=now)
        raise errors.InvalidInput("The current password is not correct.", field="current_password")
    password_check(password=new_password, user=user, field="new_password")
    with atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        user_tokens_revoke_all(user=user)


def user_delete(*, user: User) -> None:
    """Delete the account: every token dies, the personal data goes, the email is free again.

    Orders keep their rows for the shop's books with ``customer`` set to null
    (``on_delete=SET_NULL``); failed-login counters and revoked tokens hold no
    personal data.
    """
    with atomic():
        # First, so that the user's tokens die even if a later step fails.
        user_tokens_revoke_all(user=user)

        # --- Seam for the orders app: cancel the user's open orders -------------------
        # Cancels the user's IN_PROGRESS orders and returns their stock (API.md:
        # "Deleting the account cancels the user's open orders (restocking them)"), then
        # detaches every order. It must run before the row is deleted, while the
        # orders still point at the user.
        from orders.services import orders_close_for_deleted_customer

        orders_close_for_deleted_customer(customer=user)
        # --------------------------------------------------------------------------------

        user.delete()


# --- Tokens -----------------------------------------------------------------------


@login_outcomes_counted
def token_obtain(*, email: str, password: str, client_address: str) -> dict[str, str]:
    """Check email and password and return ``{"access": ..., "refresh": ...}``.

    Failed attempts are counted per client address and per email in the database,
    so the limit holds across server processes. After ``LOGIN_FAILURE_LIMIT``
    failures within ``LOGIN_FAILURE_WINDOW`` the attempt is refused with Throttled
    before the password is even checked, right password or not, and a success does
    not reset the count. A wrong email and a wrong password raise the same
    NotAuthenticated, after the same hashing work.
    """
    email = normalize_email_address(email)
    keys = login_failure_keys(email=email, client_address=client_address)
    now = timezone.now()
    login_failure_check(keys=keys, now=now)
    user = User.objects.filter(email=email).first()
    if user is None:
        # Hash anyway so that response times do not tell unknown addresses apart.
        User().set_password(password)
        authenticated = False
    else:
        authenticated = user.check_password(password) and user.is_active
    if not authenticated:
        login_failure_record(keys=keys, now=now)
        raise errors.NotAuthenticated(INVALID_CREDENTIALS_MESSAGE, code="invalid_credentials")
    return issue_token_pair(user)


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
    if str(token.get(jwt_settings.USER_ID_CLAIM)) != str(user.pk):
        raise errors.NotAllowed("This refresh token belongs to another user.", code="token_not_owned")
    refresh_token_revoke(token=token)


def logout_all(*, user: User) -> None:
    """Kill every access and refresh token of ``user`` at once."""
    user_tokens_revoke_all(user=user)


def user_tokens_revoke_all(*, user: User) -> None:
    """Bump the user's token version: every token issued before is refused from now on.

    The caller's ``user`` object is refreshed so it can go on issuing current tokens.
    """
    user_token_version_bump(user_id=user.pk, now=timezone.now())
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
    return token


def token_user(*, token) -> User:
    """Return the active user a token was issued to, if the token is still current.

    simplejwt 5.5's refresh serializer looks the user up unguarded (a deleted user is
    a 500) and ignores ``ver``; this refuses both cases with NotAuthenticated.
    """
    user_id = token.get(jwt_settings.USER_ID_CLAIM)
    try:
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


# --- Failed-login counting ---------------------------------------------------------


def login_failure_keys(*, email: str, client_address: str) -> list[tuple[str, str]]:
    """Return the ``(scope, key)`` pairs a login attempt is counted under.

    Keys are keyed hashes (HMAC with the secret key): the counters hold neither
    addresses nor emails, and any input length fits the column.
    """
    address = (client_address or UNKNOWN_CLIENT_ADDRESS).strip() or UNKNOWN_CLIENT_ADDRESS
    return [
        (LoginFailureScope.ADDRESS, _counter_key(LoginFailureScope.ADDRESS, address)),
        (LoginFailureScope.EMAIL, _counter_key(LoginFailureScope.EMAIL, normalize_email_address(email))),
    ]


def _counter_key(scope: str, value: str) -> str:
    return salted_hmac(f"accounts.login-failure.{scope}", value, algorithm="sha256").hexdigest()


def _bucket_size() -> timedelta:
    window = int(settings.LOGIN_FAILURE_WINDOW.total_seconds())
    return timedelta(seconds=max(1, window // LOGIN_FAILURE_BUCKETS))


def _counted_span() -> timedelta:
    """Return how long a bucket counts: the window, rounded down to whole buckets."""
    size = _bucket_size()
    return size * max(1, settings.LOGIN_FAILURE_WINDOW // size)


def _bucket_start(now: datetime) -> datetime:
    size = int(_bucket_size().total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % size, tz=UTC)


def _counted_since(now: datetime) -> datetime:
    """Return the start of the oldest bucket still inside the window at ``now``."""
    return _bucket_start(now) + _bucket_size() - _counted_span()


def login_failure_check(*, keys: list[tuple[str, str]], now: datetime) -> None:
    """Raise Throttled if any key has reached the failure limit within the window.

    ``retry_after`` is the number of seconds until enough of the oldest failures
    leave the window for one more attempt.
    """
    rows = login_failure_buckets(keys=keys, since=_counted_since(now))
    buckets: dict[tuple[str, str], list[tuple[datetime, int]]] = {}
    for scope, key, start, count in rows:
        buckets.setdefault((scope, key), []).append((start, count))
    limit = settings.LOGIN_FAILURE_LIMIT
    span = _counted_span()
    retry_after = 0
    for counts in buckets.values():
        total = sum(count for _, count in counts)
        if total < limit:
            continue
        # Drop the oldest buckets until one more attempt fits: the last one dropped
        # stops counting once the current bucket starts at its start + span.
        for start, count in sorted(counts):
            total -= count
            if total < limit:
                wait = (start + span - now).total_seconds()
                retry_after = max(retry_after, math.ceil(wait), 1)
                break
    if retry_after:
        raise errors.Throttled(
            "Too many failed login attempts. Try again later.",
            code="login_throttled",
            retry_after=retry_after,
        )


def login_failure_record(*, keys: list[tuple[str, str]], now: datetime) -> None:
    """Count one failed login for each key in the current bucket.

    The bump is a conditional ``F()`` update; if the row does not exist yet it is
    created, and if a concurrent request created it first (unique index), bumped.
    """
    start = _bucket_start(now)
    for scope, key in keys:
        rows = LoginFailureCounter.objects.filter(scope=scope, key=key, window_start=start)
        if rows.update(count=F("count") + 1):
            continue
        try:
            with transaction.atomic():
                LoginFailureCounter.objects.create(scope=scope, key=key, window_start=start, count=1)
        except IntegrityError:
            rows.update(count=F("count") + 1)


def login_failures_purge(*, now: datetime | None = None) -> int:
    """Delete counter rows that have left the failure window; return how many."""
    now = now or timezone.now()
    deleted, _ = LoginFailureCounter.objects.filter(window_start__lt=_counted_since(now)).delete()
    return deleted
