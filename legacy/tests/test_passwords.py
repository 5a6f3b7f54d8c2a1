"""What the original service's ``password`` values are taken for (``legacy.passwords``)."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password, is_password_usable

from legacy.passwords import PasswordKind, imported_password
from legacy.tests.legacy_data import OLD_PASSWORD, bcrypt_hash, werkzeug_pbkdf2, werkzeug_scrypt


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (werkzeug_pbkdf2(), PasswordKind.WERKZEUG),
        (werkzeug_scrypt(), PasswordKind.WERKZEUG),
        (bcrypt_hash(), PasswordKind.BCRYPT),
        (bcrypt_hash().encode("ascii"), PasswordKind.BCRYPT),
        (OLD_PASSWORD, PasswordKind.PLAIN_TEXT),
        ("plain$$" + OLD_PASSWORD, PasswordKind.PLAIN_TEXT),
    ],
    ids=["pbkdf2", "scrypt", "bcrypt", "bcrypt-bytes", "plain", "werkzeug-plain"],
)
def test_usable_passwords_check_the_old_password(value, kind):
    password = imported_password(value)
    assert password.kind == kind and not password.needs_reset
    assert check_password(OLD_PASSWORD, password.stored_value())


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (None, PasswordKind.MISSING),
        ("", PasswordKind.MISSING),
        ("plain$$", PasswordKind.MISSING),
        ("a" * 32, PasswordKind.UNKNOWN_FORMAT),
        ("A1" * 20, PasswordKind.UNKNOWN_FORMAT),
        ("$1$salt$hash", PasswordKind.UNKNOWN_FORMAT),
        ("$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", PasswordKind.UNKNOWN_FORMAT),
        ("md5$salt$" + "0" * 32, PasswordKind.UNKNOWN_FORMAT),
        ("{SHA}abc=", PasswordKind.UNKNOWN_FORMAT),
        (b"\xff\x00binary", PasswordKind.UNKNOWN_FORMAT),
        (b"not-a-bcrypt-hash", PasswordKind.UNKNOWN_FORMAT),
        (3.5, PasswordKind.UNKNOWN_FORMAT),
        (["a"], PasswordKind.UNKNOWN_FORMAT),
        ("x" * 129, PasswordKind.UNKNOWN_FORMAT),  # longer than any login accepts
    ],
)
def test_anything_else_needs_a_reset_and_stores_an_unusable_password(value, kind):
    password = imported_password(value)
    assert password.kind == kind and password.needs_reset
    assert password.detail
    stored = password.stored_value()
    assert not is_password_usable(stored)
    if isinstance(value, str) and len(value) > 8:
        assert value not in password.detail


def test_plain_text_that_merely_contains_a_dollar_is_still_plain_text():
    assert imported_password("pay$me").kind == PasswordKind.PLAIN_TEXT
