"""WSGI entry point (``gunicorn shop.wsgi``)."""

import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")

try:
    application = get_wsgi_application()
except ImproperlyConfigured as exc:
    # One line naming the variable, not a traceback (see shop.config).
    sys.stderr.write(f"shop: configuration error: {exc}\n")
    raise SystemExit(1) from None
