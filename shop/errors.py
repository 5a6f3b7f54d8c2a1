"""Domain exceptions shared by every app's services.

Services raise these; they know nothing about HTTP. ``shop.api.exceptions`` maps
each family to a status code once, for the v1 API, and the legacy adapters map
them to their ``{"message": ...}`` shape.
"""

from __future__ import annotations


class ShopError(Exception):
    """Base of the business errors; carries a machine ``code`` and extra payload."""

    code = "error"
    default_message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, code: str | None = None, **extra):
        self.message = message or self.default_message
        if code:
            self.code = code
        self.extra = extra
        super().__init__(self.message)


class InvalidInput(ShopError):
    """The input breaks a business rule; ``field`` names the input at fault (HTTP 400)."""

    code = "invalid"
    default_message = "Invalid input."

    def __init__(self, message: str | None = None, *, field: str | None = None, **kwargs):
        self.field = field
        super().__init__(message, **kwargs)


class NotAuthenticated(ShopError):
    """Credentials are missing, wrong, expired or revoked (HTTP 401)."""

    code = "not_authenticated"
    default_message = "Authentication credentials were not provided or are not valid."


class NotFound(ShopError):
    """The object does not exist or is not the caller's to see (HTTP 404)."""

    code = "not_found"
    default_message = "Not found."


class NotAllowed(ShopError):
    """The caller is known but may not do this (HTTP 403)."""

    code = "permission_denied"
    default_message = "You do not have permission to perform this action."


class Conflict(ShopError):
    """The request conflicts with the current state of the data (HTTP 409)."""

    code = "conflict"
    default_message = "The request conflicts with the current state."


class Unprocessable(ShopError):
    """The request is well-formed but cannot be processed as sent (HTTP 422)."""

    code = "unprocessable"
    default_message = "The request cannot be processed."


class Throttled(ShopError):
    """Too many attempts; ``retry_after`` says how many seconds to wait (HTTP 429)."""

    code = "throttled"
    default_message = "Too many attempts. Try again later."

    def __init__(self, message: str | None = None, *, retry_after: int, **kwargs):
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class Unavailable(ShopError):
    """The database cannot serve the request now; nothing was changed unless the code says so (HTTP 503).

    ``retry_after`` is the number of seconds after which a retry is sensible.
    """

    code = "database_unavailable"
    default_message = "The database is not available right now; nothing was changed. Try again shortly."
    retry_after = 1

    def __init__(self, message: str | None = None, *, retry_after: int | None = None, **kwargs):
        if retry_after is not None:
            self.retry_after = retry_after
        super().__init__(message, **kwargs)


class DatabaseBusy(Unavailable):
    """SQLite stayed locked by other writers beyond its busy timeout."""

    code = "database_busy"
    default_message = "The database is busy with other writes; nothing was changed. Try again shortly."


class TransactionConflict(Unavailable):
    """Concurrent changes kept aborting the transaction until its retry budget ran out."""

    code = "transaction_conflict"
    default_message = (
        "Concurrent changes to the same data kept conflicting with this request; nothing was "
        "changed. Try again shortly."
    )


class CommitOutcomeUnknown(Unavailable):
    """The commit was sent but its outcome could not be learned: the change may or may not be saved."""

    code = "commit_outcome_unknown"
    default_message = (
        "The database did not confirm whether this change was saved. Check before repeating it, "
        "or repeat it with the same Idempotency-Key."
    )


class StandaloneRefused(Unavailable):
    """A standalone MongoDB server in production without MONGODB_ALLOW_STANDALONE."""

    code = "database_misconfigured"
    retry_after = 60
    default_message = (
        "MongoDB is a standalone server, which has no transactions; production needs a replica set "
        "(or set MONGODB_ALLOW_STANDALONE=1 to accept the crash windows listed in the README)."
    )
