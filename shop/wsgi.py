"""WSGI entry point (``gunicorn --config deploy/gunicorn.conf.py shop.wsgi:application``).

Django's application, wrapped so that work a request leaves for after its response
(``shop.after_response``: the in-process delivery of its emails) runs once the server
has sent that response.

A process that cannot serve correctly does not start: bad configuration
(``shop.config``) and failed start-up checks (``shop.ops.checks``: static files not
collected) print one line each and exit with gunicorn's "worker failed to boot" code,
on which gunicorn's master stops instead of starting the worker again and again.
"""

import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")

# gunicorn.arbiter.Arbiter.WORKER_BOOT_ERROR: the master halts instead of respawning.
WORKER_BOOT_ERROR = 3

try:
    application = get_wsgi_application()
except ImproperlyConfigured as exc:
    # One line naming the variable, not a traceback (see shop.config).
    sys.stderr.write(f"shop: configuration error: {exc}\n")
    raise SystemExit(WORKER_BOOT_ERROR) from None

from shop.ops.checks import startup_errors  # noqa: E402 - needs the apps loaded above

_errors = startup_errors()
if _errors:
    for error in _errors:
        sys.stderr.write(f"shop: cannot start: {error.id}: {error.msg} {error.hint or ''}\n")
    raise SystemExit(WORKER_BOOT_ERROR)

from shop.after_response import AfterResponse  # noqa: E402 - after the checks, as the app's own code

application = AfterResponse(application)
