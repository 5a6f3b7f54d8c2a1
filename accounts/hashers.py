"""Password hashing: Argon2id at OWASP's recommended minimum cost, and the original service's hashes.

OWASP's Password Storage Cheat Sheet recommends Argon2id with at least 19 MiB of
memory, 2 iterations and 1 degree of parallelism. Django's own defaults (100 MiB,
p=8) cost several times more CPU per login on a small server without being a
stronger choice per OWASP, so the shop uses exactly the recommended minimum.

Customers imported from the original Flask service (``import_legacy``) keep the
hash that service stored until their first login, when Django's hasher upgrade
(``check_password``'s setter: the stored hasher is not the preferred one) re-hashes
the password they typed with Argon2id. Django picks a hasher by the text before the
first ``$`` of the stored value, so the import stores the old hashes in a form that
names their hasher:

* werkzeug's ``pbkdf2:<digest>:<iterations>$<salt>$<hex>`` and
  ``scrypt:<n>:<r>:<p>$<salt>$<hex>`` become ``werkzeug$<the werkzeug hash>``,
  checked by werkzeug's own ``check_password_hash``;
* bcrypt's ``$2a$``, ``$2b$`` and ``$2y$`` hashes (flask-bcrypt) become
  ``bcrypt$<the bcrypt hash>``, Django's own bcrypt format, checked by the ``bcrypt``
  package.

These two hashers only verify: the shop never writes new hashes with them.
"""

from __future__ import annotations

import hashlib
import re

from django.contrib.auth.hashers import (
    Argon2PasswordHasher,
    BasePasswordHasher,
    BCryptPasswordHasher,
    mask_hash,
)
from django.utils.translation import gettext_noop as _
from werkzeug.security import check_password_hash


class ShopArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id with m=19 MiB, t=2, p=1."""

    algorithm = "argon2"
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1


# --- The original service's hashes -------------------------------------------------------

WERKZEUG_PREFIX = "werkzeug$"
BCRYPT_PREFIX = "bcrypt$"
# Werkzeug writes every parameter into the hash (``actual_method``) since 0.15; a hash
# without them was made with an older default that werkzeug 3 no longer knows.
WERKZEUG_PBKDF2_RE = re.compile(
    r"^pbkdf2:(?P<digest>[a-z0-9_]+):(?P<iterations>[1-9][0-9]{0,8})\$[^$]+\$[0-9a-f]+$"
)
WERKZEUG_SCRYPT_RE = re.compile(
    r"^scrypt:(?P<n>[1-9][0-9]{0,9}):(?P<r>[1-9][0-9]{0,3}):(?P<p>[1-9][0-9]{0,3})\$[^$]+\$[0-9a-f]{128}$"
)
# Modular crypt format of bcrypt: version, two-digit cost, 22 salt and 31 checksum characters.
BCRYPT_RE = re.compile(r"^\$2[aby]\$(?P<cost>0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$")
# bcrypt reads at most this many bytes of a password; bcrypt 5 refuses longer ones
# instead of ignoring the rest as earlier versions (and the original service) did.
BCRYPT_MAX_PASSWORD_BYTES = 72
# Refuse scrypt parameters that would make one login use more memory than this.
SCRYPT_MAX_MEMORY = 1024 * 1024 * 1024


class VerifyOnlyHasherMixin:
    """A hasher for imported hashes: it checks them and has them replaced, and never writes one."""

    def encode(self, password, salt):
        """Refuse: this hasher only checks imported hashes; new passwords get Argon2id."""
        raise NotImplementedError(
            f"{type(self).__name__} only verifies hashes imported from the original service; "
            "put an Argon2 hasher first in PASSWORD_HASHERS."
        )

    def must_update(self, encoded):
        """Return True: an imported hash is replaced at the first successful login."""
        return True

    def harden_runtime(self, password, encoded):
        """Do nothing: the shop writes no such hashes, so there is no work factor to match."""


class WerkzeugPasswordHasher(VerifyOnlyHasherMixin, BasePasswordHasher):
    """Verify werkzeug's pbkdf2 and scrypt hashes, stored as ``werkzeug$<werkzeug hash>``."""

    algorithm = "werkzeug"

    def decode(self, encoded):
        """Return the parts of ``werkzeug$<method>$<salt>$<hex>`` (empty where a damaged value has none)."""
        algorithm, method, salt, checksum = [*encoded.split("$", 3), "", "", ""][:4]
        return {"algorithm": algorithm, "method": method, "salt": salt, "checksum": checksum}

    def verify(self, password, encoded):
        """Return whether ``password`` matches, as werkzeug's ``check_password_hash`` decides.

        A stored value werkzeug cannot process (damaged, or parameters it refuses)
        is a wrong password, never an error at login.
        """
        _algorithm, werkzeug_hash = encoded.split("$", 1)
        try:
            return check_password_hash(werkzeug_hash, password)
        except (ValueError, TypeError, MemoryError):
            return False

    def safe_summary(self, encoded):
        """Describe the hash for the admin without revealing it."""
        decoded = self.decode(encoded)
        return {
            _("algorithm"): f"{decoded['algorithm']} {decoded['method']}",
            _("salt"): mask_hash(decoded["salt"]),
            _("hash"): mask_hash(decoded["checksum"]),
        }


class LegacyBCryptPasswordHasher(VerifyOnlyHasherMixin, BCryptPasswordHasher):
    """Django's bcrypt hasher (``bcrypt$<bcrypt hash>``), made safe for the original service's hashes.

    Django's own ``verify`` re-hashes the password with ``bcrypt.hashpw``, which bcrypt 5
    refuses for passwords longer than 72 bytes (a ValueError, so a 500 at login). bcrypt
    always ignored everything after the 72nd byte, so the hash the original service
    stored for such a password is the hash of its first 72 bytes: this checks exactly
    that, with ``bcrypt.checkpw``.
    """

    algorithm = "bcrypt"

    def verify(self, password, encoded):
        """Return whether ``password`` matches the stored bcrypt hash (damaged hashes never match)."""
        _algorithm, bcrypt_hash = encoded.split("$", 1)
        bcrypt = self._load_library()
        secret = password.encode()[:BCRYPT_MAX_PASSWORD_BYTES]
        try:
            return bcrypt.checkpw(secret, bcrypt_hash.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            return False


def werkzeug_hash_wrap(value: str) -> str | None:
    """Return werkzeug hash ``value`` in the stored form ``werkzeug$...``, or None if it cannot be checked.

    Accepted: ``pbkdf2:<digest>:<iterations>`` with a digest this Python's hashlib has
    and a checksum of that digest's length, and ``scrypt:<n>:<r>:<p>`` with a
    power-of-two ``n`` and at most 1 GiB of memory per check.
    """
    pbkdf2 = WERKZEUG_PBKDF2_RE.match(value)
    if pbkdf2:
        try:
            size = hashlib.new(pbkdf2["digest"]).digest_size
            hashlib.pbkdf2_hmac(pbkdf2["digest"], b"", b"", 1)
        except ValueError:
            return None
        checksum = value.rsplit("$", 1)[1]
        return WERKZEUG_PREFIX + value if len(checksum) == 2 * size else None
    scrypt = WERKZEUG_SCRYPT_RE.match(value)
    if scrypt:
        n, r, p = int(scrypt["n"]), int(scrypt["r"]), int(scrypt["p"])
        if n < 2 or n & (n - 1) or 128 * n * r * p > SCRYPT_MAX_MEMORY:
            return None
        return WERKZEUG_PREFIX + value
    return None


def bcrypt_hash_wrap(value: str) -> str | None:
    """Return bcrypt hash ``value`` (``$2a$``/``$2b$``/``$2y$``) as ``bcrypt$...``, or None if malformed."""
    return BCRYPT_PREFIX + value if BCRYPT_RE.match(value) else None
