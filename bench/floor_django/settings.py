"""Settings of the bare Django floor: production-like (DEBUG off), minimal.

``MIDDLEWARE`` is empty on purpose: the floor is the framework's own cost. The shop
runs eight middleware classes (security, whitenoise, sessions, common, CSRF, auth,
messages, clickjacking); their cost belongs to the shop's side of the ratio.
"""

import os

DEBUG = False
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "bench-floor-only-secret-key-" + "f" * 40)
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.floor_django.urls"
DATABASES: dict = {}
USE_TZ = True
USE_I18N = False
