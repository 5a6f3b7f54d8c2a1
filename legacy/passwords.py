"""What the original service's ``password`` field holds, and what the shop stores for it.

How the original service stored passwords is not known (LEGACY.md), so each value is
recognised by its shape:

* a werkzeug hash (``pbkdf2:<digest>:<iterations>$...``, ``scrypt:<n>:<r>:<p>$...``) or
  a bcrypt hash (``$2a$``/``$2b$``/``$2y$``, also stored as BSON binary by
  flask-bcrypt) is kept, in the stored form ``accounts.hashers`` verifies, and
  replaced by Argon2id at the customer's first login;
* plain text (early versions; also werkzeug's old ``plain$$<password>``) is hashed at
  import with the shop's hasher;
* anything else that looks like a hash of some other scheme, damaged hashes, and
  values that are not text get an unusable password: the import lists those
  customers, who reset their password.

Erring towards "unknown" is deliberate: a hash taken for plain text would become a
password that anyone holding the old database could use. Nothing here ever puts a
password, or a part of one, into a message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password

from accounts.hashers import bcrypt_hash_wrap, werkzeug_hash_wrap
from accounts.serializers import PASSWORD_MAX_LENGTH


class PasswordKind:
    """How an imported password was stored by the original service."""

    WERKZEUG = "werkzeug"
    BCRYPT = "bcrypt"
    PLAIN_TEXT = "plain_text"
    UNKNOWN_FORMAT = "unknown_format"
    MISSING = "missing"


NEEDS_RESET = frozenset({PasswordKind.UNKNOWN_FORMAT, PasswordKind.MISSING})
WERKZEUG_PLAIN_PREFIX = "plain$$"
# Shapes of password hashes of other schemes (never taken for plain text).
OTHER_HASH_SHAPES = (
    (re.compile(r"^\$[0-9a-z-]+\$"), "a modular-crypt hash of another scheme"),
    (
        re.compile(r"^[a-z0-9_-]+(:[^$]*)?\$[^$]*\$", re.IGNORECASE),
        "a method$salt$hash value of another scheme",
    ),
    (re.compile(r"^\{[a-z0-9.-]+\}", re.IGNORECASE), "an LDAP-style hash"),
    (
        re.compile(
            r"^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{56}|[0-9a-f]{64}|[0-9a-f]{96}|[0-9a-f]{128})$", re.I
        ),
        "an unsalted hex digest",
    ),
)


@dataclass(frozen=True)
class ImportedPassword:
    """An imported password: its kind and what to store (computed by :meth:`stored_value`)."""

    kind: str
    kept_hash: str | None = None
    plain_text: str | None = None
    detail: str = ""

    @property
    def needs_reset(self) -> bool:
        """Return whether the customer must reset the password (nothing the shop can check)."""
        return self.kind in NEEDS_RESET

    def stored_value(self) -> str:
        """Return the value for ``User.password``: the kept hash, a new hash, or an unusable password.

        Hashing plain text costs one Argon2id hash, so it happens only when writing.
        """
        if self.kept_hash is not None:
            return self.kept_hash
        if self.plain_text is not None:
            return make_password(self.plain_text)
        return make_password(None)


def imported_password(value) -> ImportedPassword:
    """Return what the original service's ``password`` value is (see the module docstring)."""
    if value is None or value == "" or value == b"":
        return ImportedPassword(PasswordKind.MISSING, detail="no password")
    if isinstance(value, bytes):
        try:
            value = value.decode("ascii")
        except UnicodeDecodeError:
            return _unknown("binary data that is not a hash")
        if not value.startswith("$2"):
            # flask-bcrypt returns bytes; other binary data is no password we know.
            return _unknown("binary data that is not a bcrypt hash")
    if not isinstance(value, str):
        return _unknown(f"a {type(value).__name__}, not text")
    if value.startswith(("pbkdf2:", "scrypt:")):
        kept = werkzeug_hash_wrap(value)
        if kept is None:
            return _unknown(
                "a werkzeug hash that werkzeug 3 cannot check (no parameters, unknown digest, damaged)"
            )
        return ImportedPassword(PasswordKind.WERKZEUG, kept_hash=kept)
    if value.startswith("$2"):
        kept = bcrypt_hash_wrap(value)
        if kept is None:
            return _unknown("a bcrypt hash of an unsupported version, or damaged")
        return ImportedPassword(PasswordKind.BCRYPT, kept_hash=kept)
    if value.startswith(WERKZEUG_PLAIN_PREFIX):
        value = value[len(WERKZEUG_PLAIN_PREFIX) :]
        if not value:
            return ImportedPassword(PasswordKind.MISSING, detail="no password")
        return _plain_text(value)
    for shape, description in OTHER_HASH_SHAPES:
        if shape.match(value):
            return _unknown(description)
    return _plain_text(value)


def _plain_text(value: str) -> ImportedPassword:
    if len(value) > PASSWORD_MAX_LENGTH:
        return _unknown(f"plain text longer than the {PASSWORD_MAX_LENGTH} characters a login accepts")
    return ImportedPassword(PasswordKind.PLAIN_TEXT, plain_text=value)


def _unknown(detail: str) -> ImportedPassword:
    return ImportedPassword(PasswordKind.UNKNOWN_FORMAT, detail=detail)
