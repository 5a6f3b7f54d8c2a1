"""Settings from the environment: backend selection, validation, production guards."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shop.config import ConfigurationError, database_profile, mongodb_profile, redact_uri, sqlite_profile

BASE_DIR = Path(__file__).resolve().parents[2]
# A secret key that passes Django's deploy checks (50+ characters, varied).
PRODUCTION_SECRET = "x9!Qv2#Lr8@Zt5^Wm1&Kp7*Hb3(Nd6)Fs4_Gc0+Jy-Ue=Ai|Ro~Ye;Tw"


def run_manage(*args: str, env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    """Run ``manage.py`` in a fresh process with a clean shop environment."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "MONGODB_", "SQLITE_"))
    }
    env.update(env_overrides)
    return subprocess.run(  # noqa: S603 - fixed argv, our own script
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_mongodb_uri_selects_mongodb_backend_with_name_from_path():
    profile = mongodb_profile("mongodb://db.example:27017/storefront")
    assert profile.is_mongodb
    assert profile.databases["default"]["ENGINE"] == "shop.mongodb"
    assert profile.databases["default"]["NAME"] == "storefront"
    assert profile.default_auto_field == "django_mongodb_backend.fields.ObjectIdAutoField"


def test_mongodb_uri_without_path_uses_database_shop():
    assert mongodb_profile("mongodb://localhost:27017").databases["default"]["NAME"] == "shop"
    assert mongodb_profile("mongodb://localhost:27017/").databases["default"]["NAME"] == "shop"


def test_server_selection_timeout_defaults_but_uri_wins():
    assert mongodb_profile("mongodb://h/shop").databases["default"]["OPTIONS"] == {
        "serverSelectionTimeoutMS": 5000
    }
    uri = "mongodb://h/shop?serverSelectionTimeoutMS=100"
    assert mongodb_profile(uri).databases["default"]["OPTIONS"] == {}


@pytest.mark.parametrize(
    "uri",
    [
        "postgres://localhost/shop",
        "mongodb://",
        "mongodb://host:notaport/shop",
        "mongodb://h/shop?w=bogus&bad=1x",
    ],
)
def test_invalid_mongodb_uri_is_a_configuration_error_naming_the_variable(uri):
    with pytest.raises(ConfigurationError, match="MONGODB_URI"):
        mongodb_profile(uri)


def test_password_in_uri_is_redacted_from_messages():
    assert redact_uri("mongodb://app:s3cret@h:27017/shop") == "mongodb://app:***@h:27017/shop"
    with pytest.raises(ConfigurationError) as excinfo:
        mongodb_profile("http://app:s3cret@h/shop")
    assert "s3cret" not in str(excinfo.value)


def test_sqlite_profile_uses_wal_busy_timeout_and_immediate_transactions(tmp_path):
    profile = sqlite_profile(tmp_path / "shop.sqlite3")
    options = profile.databases["default"]["OPTIONS"]
    assert not profile.is_mongodb
    assert profile.default_auto_field == "django.db.models.BigAutoField"
    assert "journal_mode=WAL" in options["init_command"]
    assert options["timeout"] >= 5
    assert options["transaction_mode"] == "IMMEDIATE"


def test_sqlite_connections_are_kept_between_requests_with_a_health_check(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_CONN_MAX_AGE", raising=False)
    default = sqlite_profile(tmp_path / "shop.sqlite3").databases["default"]
    assert default["CONN_MAX_AGE"] == 600
    assert default["CONN_HEALTH_CHECKS"] is True

    monkeypatch.setenv("DATABASE_CONN_MAX_AGE", "0")
    assert sqlite_profile(tmp_path / "shop.sqlite3").databases["default"]["CONN_MAX_AGE"] == 0
    monkeypatch.setenv("DATABASE_CONN_MAX_AGE", "-1")
    with pytest.raises(ConfigurationError, match="DATABASE_CONN_MAX_AGE"):
        sqlite_profile(tmp_path / "shop.sqlite3")


def test_unset_mongodb_uri_selects_sqlite_at_sqlite_path(tmp_path, monkeypatch):
    monkeypatch.delenv("MONGODB_URI", raising=False)
    monkeypatch.setenv("SQLITE_PATH", str(tmp_path / "custom.sqlite3"))
    profile = database_profile(tmp_path)
    assert profile.databases["default"]["NAME"] == str(tmp_path / "custom.sqlite3")


def test_unwritable_sqlite_path_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigurationError, match="SQLITE_PATH"):
        sqlite_profile(tmp_path / "missing-dir" / "db.sqlite3")
    with pytest.raises(ConfigurationError, match="SQLITE_PATH"):
        sqlite_profile(tmp_path)


def test_production_refuses_to_start_without_secret_key():
    result = run_manage("check", env_overrides={})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_mongodb_uri_stops_start_up_with_one_line():
    result = run_manage(
        "check", env_overrides={"DJANGO_DEBUG": "1", "MONGODB_URI": "mongodb://host:notaport/x"}
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert "MONGODB_URI" in result.stderr


def test_unwritable_sqlite_path_stops_start_up_with_one_line(tmp_path):
    result = run_manage(
        "check", env_overrides={"DJANGO_DEBUG": "1", "SQLITE_PATH": str(tmp_path / "nope" / "db.sqlite3")}
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "SQLITE_PATH" in result.stderr


def test_check_deploy_is_clean_with_production_variables(tmp_path, collected_static_root):
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_overrides={
            "DJANGO_SECRET_KEY": PRODUCTION_SECRET,
            "DJANGO_ALLOWED_HOSTS": "shop.example.com",
            "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
            "DJANGO_STATIC_ROOT": str(collected_static_root),
            "PASSWORD_RESET_URL": "https://shop.example.com/reset?uid={uid}&token={token}",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_manage_check_passes_in_mongodb_profile_without_a_server():
    result = run_manage(
        "check",
        "--fail-level",
        "WARNING",
        env_overrides={
            "DJANGO_DEBUG": "1",
            "MONGODB_URI": "mongodb://127.0.0.1:1/shop?serverSelectionTimeoutMS=200",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
