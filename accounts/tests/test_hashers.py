"""The original service's password hashers: werkzeug's own check and the bcrypt package, verify-only.

Hashes are made here with werkzeug's ``generate_password_hash`` and ``bcrypt.hashpw``,
exactly as the Flask service (and flask-bcrypt) made them.
"""

from __future__ import annotations

import bcrypt
import pytest
from django.contrib.auth.hashers import check_password, identify_hasher
from werkzeug.security import generate_password_hash

from accounts.hashers import (
    LegacyBCryptPasswordHasher,
    WerkzeugPasswordHasher,
    bcrypt_hash_wrap,
    werkzeug_hash_wrap,
)

PASSWORD = "Old-Flask-Secret-7"


@pytest.mark.parametrize("method", ["pbkdf2:sha256:1000", "pbkdf2:sha512:1000", "scrypt:1024:8:1"])
def test_werkzeug_hashes_check_the_password_they_were_made_from(method):
    stored = werkzeug_hash_wrap(generate_password_hash(PASSWORD, method=method))
    assert stored.startswith("werkzeug$" + method.split(":")[0])
    assert identify_hasher(stored).algorithm == "werkzeug"
    assert check_password(PASSWORD, stored)
    assert not check_password(PASSWORD + "x", stored)
    assert not check_password("", stored)


@pytest.mark.parametrize(
    "stored",
    [
        "werkzeug$scrypt:1000:8:1$salt$" + "0" * 128,  # n not a power of two: hashlib refuses
        "werkzeug$bogus:1$salt$00",
        "werkzeug$pbkdf2:sha256:1000$salt",
        "werkzeug$pbkdf2:nodigest:1000$salt$00",
    ],
)
def test_a_damaged_werkzeug_hash_is_a_wrong_password_not_an_error(stored):
    assert WerkzeugPasswordHasher().verify(PASSWORD, stored) is False


@pytest.mark.parametrize("hasher", [WerkzeugPasswordHasher(), LegacyBCryptPasswordHasher()])
def test_the_legacy_hashers_never_write_hashes_and_always_ask_for_an_upgrade(hasher):
    with pytest.raises(NotImplementedError, match="only verifies"):
        hasher.encode(PASSWORD, "salt")
    assert hasher.must_update(f"{hasher.algorithm}$anything") is True


def test_the_werkzeug_summary_masks_salt_and_hash_even_of_a_damaged_value():
    hasher = WerkzeugPasswordHasher()
    stored = werkzeug_hash_wrap(generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"))
    summary = hasher.safe_summary(stored)
    assert summary["algorithm"] == "werkzeug pbkdf2:sha256:1000"
    assert stored.split("$")[2] not in str(summary) and stored.split("$")[3] not in str(summary)
    assert hasher.safe_summary("werkzeug$damaged")["algorithm"] == "werkzeug damaged"


@pytest.mark.parametrize("version", ["2a", "2b", "2y"])
def test_bcrypt_hashes_of_every_prefix_check_the_password(version):
    made = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode("ascii")
    stored = bcrypt_hash_wrap(f"${version}$" + made[4:])
    assert stored.startswith(f"bcrypt$${version}$")  # Django's own bcrypt format
    assert identify_hasher(stored).algorithm == "bcrypt"
    assert check_password(PASSWORD, stored)
    assert not check_password(PASSWORD.lower(), stored)


def test_a_password_over_72_bytes_checks_as_bcrypt_always_read_it():
    """bcrypt 5 refuses such passwords; the old service's bcrypt read their first 72 bytes only."""
    long_password = "long-passphrase-" * 6  # 96 bytes
    stored = bcrypt_hash_wrap(bcrypt.hashpw(long_password.encode()[:72], bcrypt.gensalt(4)).decode("ascii"))
    assert LegacyBCryptPasswordHasher().verify(long_password, stored) is True
    assert LegacyBCryptPasswordHasher().verify(long_password[:71], stored) is False


@pytest.mark.parametrize("stored", ["bcrypt$$2b$04$tooshort", "bcrypt$$2b$04$" + "!" * 53, "bcrypt$garbage"])
def test_a_damaged_bcrypt_hash_is_a_wrong_password_not_an_error(stored):
    assert LegacyBCryptPasswordHasher().verify(PASSWORD, stored) is False


@pytest.mark.parametrize(
    "value",
    [
        "pbkdf2:sha256$salt$" + "0" * 64,  # werkzeug < 0.15: the iteration count is unknown
        "pbkdf2:sha256:1000$salt$" + "0" * 10,  # checksum shorter than a sha256
        "pbkdf2:nodigest:1000$salt$00",
        "scrypt:1000:8:1$salt$" + "0" * 128,
        "scrypt:1073741824:8:1$salt$" + "0" * 128,  # 1 TiB per check
        "scrypt$salt$" + "0" * 128,
        "sha1$salt$" + "0" * 40,
    ],
)
def test_werkzeug_hashes_werkzeug_3_cannot_check_are_not_kept(value):
    assert werkzeug_hash_wrap(value) is None


@pytest.mark.parametrize(
    "value", ["$2x$04$" + "a" * 53, "$2b$04$" + "a" * 52, "$2b$4$" + "a" * 53, "$2b$04$" + "~" * 53]
)
def test_malformed_bcrypt_hashes_are_not_kept(value):
    assert bcrypt_hash_wrap(value) is None
