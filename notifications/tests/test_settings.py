"""The email settings read from the environment: defaults, what is refused, and start-up errors."""

from __future__ import annotations

import pytest
from django.core import mail

from notifications import services
from notifications.tests.helpers import password_reset_email
from shop.config import (
    ConfigurationError,
    email_address,
    email_backend,
    env_directory,
    env_port,
    shop_name,
)
from shop.tests.test_config import run_manage


def test_the_backend_is_the_console_in_debug_and_smtp_otherwise(monkeypatch):
    monkeypatch.delenv("DJANGO_EMAIL_BACKEND", raising=False)
    assert (
        email_backend("DJANGO_EMAIL_BACKEND", debug=True) == "django.core.mail.backends.console.EmailBackend"
    )
    assert email_backend("DJANGO_EMAIL_BACKEND", debug=False) == "django.core.mail.backends.smtp.EmailBackend"
    monkeypatch.setenv("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    assert email_backend("DJANGO_EMAIL_BACKEND", debug=False).endswith("filebased.EmailBackend")


@pytest.mark.parametrize("path", ["smtp", "django.core.mail.backends.smtp.Nope", "no.such.module.Backend"])
def test_a_backend_that_does_not_import_is_refused(monkeypatch, path):
    monkeypatch.setenv("DJANGO_EMAIL_BACKEND", path)
    with pytest.raises(ConfigurationError, match="DJANGO_EMAIL_BACKEND must be the dotted path"):
        email_backend("DJANGO_EMAIL_BACKEND", debug=False)


@pytest.mark.parametrize(
    "value", ["shop@example.com", "Shop <shop@example.com>", '"Ann\'s Shop" <a@b.example>']
)
def test_sender_addresses_with_or_without_a_name_are_accepted(monkeypatch, value):
    monkeypatch.setenv("DEFAULT_FROM_EMAIL", value)
    assert email_address("DEFAULT_FROM_EMAIL", "x@localhost") == value


@pytest.mark.parametrize("value", ["shop", "Shop <>", "a@b.example\nBcc: c@d.example", "<@example.com>"])
def test_bad_sender_addresses_are_refused(monkeypatch, value):
    monkeypatch.setenv("DEFAULT_FROM_EMAIL", value)
    with pytest.raises(ConfigurationError, match="DEFAULT_FROM_EMAIL must be an email address"):
        email_address("DEFAULT_FROM_EMAIL", "x@localhost")


def test_ports_are_1_to_65535(monkeypatch):
    monkeypatch.setenv("EMAIL_PORT", "587")
    assert env_port("EMAIL_PORT", 25) == 587
    for bad, message in [("0", "at least 1"), ("65536", "port number"), ("smtp", "integer")]:
        monkeypatch.setenv("EMAIL_PORT", bad)
        with pytest.raises(ConfigurationError, match=message):
            env_port("EMAIL_PORT", 25)


def test_the_file_path_must_be_a_directory_and_is_required_when_asked(monkeypatch, tmp_path):
    monkeypatch.delenv("EMAIL_FILE_PATH", raising=False)
    assert env_directory("EMAIL_FILE_PATH", required=False, why="") == ""
    with pytest.raises(ConfigurationError, match="EMAIL_FILE_PATH must be set with the file backend"):
        env_directory("EMAIL_FILE_PATH", required=True, why="with the file backend")
    monkeypatch.setenv("EMAIL_FILE_PATH", str(tmp_path / "new"))
    assert env_directory("EMAIL_FILE_PATH", required=True, why="") == str(tmp_path / "new")
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("EMAIL_FILE_PATH", str(tmp_path / "file"))
    with pytest.raises(ConfigurationError, match="not a directory"):
        env_directory("EMAIL_FILE_PATH", required=False, why="")


def test_the_shop_name_is_one_short_line(monkeypatch):
    monkeypatch.delenv("SHOP_NAME", raising=False)
    assert shop_name("SHOP_NAME", "Shop") == "Shop"
    monkeypatch.setenv("SHOP_NAME", "Ann's Books")
    assert shop_name("SHOP_NAME", "Shop") == "Ann's Books"
    for bad in ["x" * 101, "Two\nlines"]:
        monkeypatch.setenv("SHOP_NAME", bad)
        with pytest.raises(ConfigurationError, match="SHOP_NAME must be one line"):
            shop_name("SHOP_NAME", "Shop")


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"DJANGO_EMAIL_BACKEND": "django.core.mail.backends.nope.EmailBackend"}, "DJANGO_EMAIL_BACKEND"),
        ({"EMAIL_PORT": "70000"}, "EMAIL_PORT"),
        ({"EMAIL_USE_TLS": "maybe"}, "EMAIL_USE_TLS"),
        ({"DEFAULT_FROM_EMAIL": "nobody"}, "DEFAULT_FROM_EMAIL"),
        ({"DJANGO_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend"}, "EMAIL_FILE_PATH"),
        ({"OUTBOX_MAX_ATTEMPTS": "0"}, "OUTBOX_MAX_ATTEMPTS"),
        ({"OUTBOX_LEASE_SECONDS": "soon"}, "OUTBOX_LEASE_SECONDS"),
        ({"OUTBOX_DELIVER_ON_COMMIT": "sometimes"}, "OUTBOX_DELIVER_ON_COMMIT"),
    ],
)
def test_a_bad_email_setting_stops_start_up_with_one_line_naming_it(overrides, variable):
    result = run_manage("check", env_overrides={"DJANGO_DEBUG": "1", **overrides})
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert variable in result.stderr


@pytest.mark.django_db
def test_the_file_backend_writes_each_email_to_a_file(settings, tmp_path):
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    settings.OUTBOX_DELIVER_ON_COMMIT = False
    email = password_reset_email()
    assert services.outbox_deliver().sent == 1
    (written,) = (tmp_path / "mail").iterdir()
    text = written.read_text()
    assert f"Message-ID: {email.message_id}" in text
    assert "Subject: Shop: reset your password" in text
    assert "text/html" in text
    assert mail.outbox == []
