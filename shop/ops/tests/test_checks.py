"""The start-up check of the static files (``shop.ops.checks``), and what a server does with it."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from shop.ops import checks
from shop.ops.tests.helpers import run_shop_process

MANIFEST_STORAGE = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}


@pytest.fixture
def production_storage(settings, tmp_path):
    settings.STORAGES = MANIFEST_STORAGE
    settings.STATIC_ROOT = tmp_path
    return tmp_path


def error_ids() -> list[str]:
    return [message.id for message in checks.startup_errors()]


def test_no_manifest_is_a_clear_error(production_storage):
    [error] = checks.startup_errors()

    assert error.id == checks.MISSING_MANIFEST
    assert "not collected" in error.msg
    assert str(production_storage) in error.msg
    assert "collectstatic" in error.hint


def test_an_unreadable_manifest_is_the_same_error(production_storage):
    (production_storage / "staticfiles.json").write_text("{not json")
    assert error_ids() == [checks.MISSING_MANIFEST]


def test_a_manifest_from_another_release_is_an_error_naming_missing_files(production_storage):
    manifest = {
        "version": "1.1",
        "hash": "x",
        "paths": {"admin/css/base.css": "admin/css/base.0123456789ab.css"},
    }
    (production_storage / "staticfiles.json").write_text(json.dumps(manifest))

    [error] = checks.startup_errors()
    assert error.id == checks.STALE_MANIFEST
    assert "missing from the manifest" in error.msg


def test_collected_static_files_pass(settings, collected_static_root):
    settings.STORAGES = MANIFEST_STORAGE
    settings.STATIC_ROOT = collected_static_root
    assert error_ids() == []


def test_development_storage_needs_no_collection():
    # The test settings serve from the apps' folders, as DEBUG does.
    assert error_ids() == []


def test_check_deploy_reports_it_and_collectstatic_does_not_trip_over_it(production_storage):
    with pytest.raises(SystemCheckError, match=r"shop\.E001"):
        call_command("check", "--deploy", "--tag", "staticfiles")
    # collectstatic runs the staticfiles checks but not the deployment ones.
    call_command("collectstatic", "--noinput", "--dry-run", verbosity=0)


def test_a_server_process_refuses_to_start_without_the_static_files(tmp_path):
    """Importing shop.wsgi (what every gunicorn worker does) stops with the message and code 3."""
    result = run_shop_process(tmp_path, "-c", "import shop.wsgi", DJANGO_STATIC_ROOT=str(tmp_path / "static"))

    assert result.returncode == 3
    assert "shop: cannot start: shop.E001: The static files are not collected" in result.stderr
    assert "collectstatic" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://127.0.0.1:8000/api/v1/auth/password-reset/confirm/?uid={uid}&token={token}", True),
        ("http://localhost/reset/{uid}/{token}", True),
        ("https://shop.localhost/reset/{uid}/{token}", True),
        ("https://shop.example.com/account/reset?uid={uid}&token={token}", False),
    ],
)
def test_a_reset_link_pointing_at_this_machine_is_a_deploy_warning(settings, url, warned):
    settings.PASSWORD_RESET_URL = url
    messages = checks.password_reset_url_public()
    assert [message.id for message in messages] == ([checks.LOOPBACK_RESET_URL] if warned else [])
    assert all(message.level == checks.checks.WARNING for message in messages)
