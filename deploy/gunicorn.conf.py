"""gunicorn's configuration of the shop in production (``make serve``, the container image).

    gunicorn --config deploy/gunicorn.conf.py shop.wsgi:application

Always behind nginx (``deploy/nginx/shop.conf.template``): ``sync`` workers handle one
request at a time, and nginx reads every request whole and buffers every response,
so slow clients never hold a worker.

Environment (README "Configuration"):

- ``GUNICORN_BIND``: ``127.0.0.1:8000`` (default), ``0.0.0.0:8000`` in the container, or
  ``unix:/path/gunicorn.sock``;
- ``GUNICORN_WORKERS`` (else ``WEB_CONCURRENCY``): default 2 x CPUs + 1, gunicorn's
  advice for sync workers whose requests wait on the database;
- ``GUNICORN_TIMEOUT``: seconds a worker may spend on one request before the master
  kills and replaces it (default 30, under nginx's 35 s proxy timeouts);
- ``GUNICORN_MAX_REQUESTS``: a worker is replaced, gracefully, after about this many
  requests (default 5000, with jitter), which bounds any slow memory growth.

Graceful restarts: ``kill -HUP <master>`` starts new workers with the new code and
configuration and lets the old ones finish their requests (up to ``graceful_timeout``);
``kill -TERM`` stops the same way. The app is loaded in each worker, not in the
master, so a HUP really loads new code.

Logs: gunicorn's own lines use the shop's format (``LOG_FORMAT``, ``shop.ops.logs``);
there is no gunicorn access log, since the app logs every request with its request id
and nginx keeps its own. Metrics: every worker writes to ``PROMETHEUS_MULTIPROC_DIR``
(a fresh temporary directory unless set), emptied when the master starts.
"""

import glob
import os
import shutil
import sys
import tempfile
from pathlib import Path

# The project root, for the imports below (the ``gunicorn`` script does not add the
# working directory to the import path before it reads this file).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shop.config import env_bool, env_int, env_str
from shop.ops.logs import logging_config, process_log_settings


def cpu_count() -> int:
    """Return the CPUs this process may run on (a container's CPU set, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


bind = [env_str("GUNICORN_BIND") or "127.0.0.1:8000"]
workers = env_int("GUNICORN_WORKERS", env_int("WEB_CONCURRENCY", 2 * cpu_count() + 1), minimum=1)
worker_class = "sync"
timeout = env_int("GUNICORN_TIMEOUT", 30, minimum=1)
graceful_timeout = 30
keepalive = 2
max_requests = env_int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = max_requests // 10
preload_app = False
# No control socket (gunicornc): several gunicorns on one machine would share its one
# default path; signals (HUP, TERM, TTIN, TTOU) do the same work.
control_socket_disable = True
proc_name = "shop"
# The workers' heartbeat files in memory, not on a container's overlay disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - the standard location
# HTTPS detection is Django's alone (DJANGO_SECURE_PROXY_SSL_HEADER): gunicorn must not
# turn X-Forwarded-Proto into wsgi.url_scheme on its own.
secure_scheme_headers = {}

accesslog = None
_log_format, _log_level = process_log_settings(debug=env_bool("DJANGO_DEBUG", False))
loglevel = _log_level.lower()
logconfig_dict = logging_config(
    log_format=_log_format,
    level=_log_level,
    extra_loggers={
        "gunicorn.error": {"handlers": ["stderr"], "level": _log_level, "propagate": False},
        "gunicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
    },
)

# prometheus-client's multiprocess mode: set before any worker imports the metrics. A
# directory made here is this master's own and is removed when it exits.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="shop-metrics-")
    os.environ["SHOP_METRICS_DIR_IS_TEMPORARY"] = "1"
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)


def on_starting(server):
    """Empty the metrics directory: values of a previous run must not be added to this one's."""
    for path in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(path)


def child_exit(server, worker):
    """Tell prometheus-client a worker is gone (its live gauges stop counting)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Remove the metrics directory made for this master (not one the environment named)."""
    if os.environ.get("SHOP_METRICS_DIR_IS_TEMPORARY"):
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
