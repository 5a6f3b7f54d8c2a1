"""Start-up checks: a production server refuses to start without its collected static files.

With ``DJANGO_DEBUG`` off the static files are served from ``STATIC_ROOT`` under the
hashed names of the manifest ``collectstatic`` writes (whitenoise's
``CompressedManifestStaticFilesStorage``). Without that manifest every HTML page
(the admin, the browsable API, the API docs) is a 500; with a manifest from an older
release, the pages that use a newer file are. So:

- ``shop.E001``: no manifest in ``STATIC_ROOT``;
- ``shop.E002``: files the apps ship that the manifest does not name.

And a warning of ``manage.py check --deploy``:

- ``shop.W001``: ``PASSWORD_RESET_URL`` still points at this machine (its default), so
  the reset links mailed to customers would lead nowhere.

The two errors are deployment checks (``manage.py check --deploy``) tagged ``staticfiles``, so
``collectstatic`` and ``migrate`` never trip over them before the files exist.
``shop.wsgi`` runs them when a server process starts (:func:`startup_errors`), and
gunicorn stops with their message instead of serving 500s.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

MISSING_MANIFEST = "shop.E001"
STALE_MANIFEST = "shop.E002"
LOOPBACK_RESET_URL = "shop.W001"
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
COLLECT_HINT = (
    "Run `python manage.py collectstatic --noinput` (make serve and the Dockerfile do) before starting."
)
STARTUP_TAGS = (checks.Tags.staticfiles,)


def static_files_collected(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Report a missing or outdated static-files manifest (manifest storages only)."""
    from django.apps import apps
    from django.contrib.staticfiles import finders
    from django.contrib.staticfiles.storage import ManifestFilesMixin
    from django.core.files.storage import storages

    try:
        storage = storages["staticfiles"]
    except ValueError:  # a manifest storage reads its manifest when made: this one is unreadable
        manifest = {}
    else:
        if not isinstance(storage, ManifestFilesMixin):
            return []
        manifest = storage.hashed_files
    if not manifest:
        return [
            checks.Error(
                f"The static files are not collected: there is no readable manifest "
                f"(staticfiles.json) in STATIC_ROOT ({settings.STATIC_ROOT}), so every HTML page "
                "(admin, browsable API, API docs) would be a 500.",
                hint=COLLECT_HINT,
                id=MISSING_MANIFEST,
            )
        ]
    ignore_patterns = apps.get_app_config("staticfiles").ignore_patterns
    missing = sorted(
        path
        for finder in finders.get_finders()
        for path, _storage in finder.list(ignore_patterns)
        if path not in manifest
    )
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        return [
            checks.Error(
                f"The static files in STATIC_ROOT ({settings.STATIC_ROOT}) are from another release: "
                f"{len(missing)} file(s) are missing from the manifest ({shown}).",
                hint=COLLECT_HINT,
                id=STALE_MANIFEST,
            )
        ]
    return []


def password_reset_url_public(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Warn when the mailed password reset links would point at this machine (``PASSWORD_RESET_URL``)."""
    host = (urlsplit(settings.PASSWORD_RESET_URL).hostname or "").lower()
    if host in LOOPBACK_HOSTS or host.endswith(".localhost"):
        return [
            checks.Warning(
                f"PASSWORD_RESET_URL points at {host} ({settings.PASSWORD_RESET_URL}): the password "
                "reset links mailed to customers would not open anywhere but on this machine.",
                hint="Set PASSWORD_RESET_URL to your storefront's reset page, with {uid} and {token}.",
                id=LOOPBACK_RESET_URL,
            )
        ]
    return []


def register() -> None:
    """Register the start-up checks with Django (called from ``OpsConfig.ready``)."""
    checks.register(static_files_collected, *STARTUP_TAGS, deploy=True)
    checks.register(password_reset_url_public, deploy=True)


def startup_errors() -> list[checks.CheckMessage]:
    """Return the start-up checks' errors (what ``shop.wsgi`` refuses to start with)."""
    messages = checks.run_checks(tags=list(STARTUP_TAGS), include_deployment_checks=True)
    return [message for message in messages if message.is_serious()]
