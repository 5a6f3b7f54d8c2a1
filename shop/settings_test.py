"""Settings for the test suite: the normal settings plus fast, isolated test defaults.

The database profile still follows ``MONGODB_URI``, so ``MONGODB_URI=... make test``
runs the same suite on MongoDB.
"""

import os
import tempfile

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-" + "k" * 48)

from shop.settings import *  # noqa: F403
from shop.settings import DATABASE_PROFILE, DATABASES, STORAGES

# Tests talk plain HTTP to the test client and the live server.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0

# No collectstatic run before tests: serve static files without a manifest.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}

# Hashing cost is tested explicitly in accounts; elsewhere a cheap hasher keeps the suite fast.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "accounts.hashers.ShopArgon2PasswordHasher",
    # The original service's hashes, as in production (import_legacy).
    "accounts.hashers.WerkzeugPasswordHasher",
    "accounts.hashers.LegacyBCryptPasswordHasher",
]

if not DATABASE_PROFILE.is_mongodb:
    # A file (not the shared in-memory database) so that concurrency tests can open
    # several connections from several threads; one file per pytest process.
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(tempfile.gettempdir(), f"shop-test-{os.getpid()}.sqlite3"),
    }

# Serve static files from the apps' folders (no collectstatic before tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
