"""The one gunicorn configuration every server of a bench run uses (shop and floors).

Two ``gthread`` workers with four threads each, on a 2-core machine:
- two processes, one per core, because Python code holds the GIL: more processes
  than cores only add context switches and memory, and the load generator needs
  CPU on the same machine;
- threads, because a sync worker serves one connection at a time and closes it after
  every response (no keep-alive), so 16 clients would measure TCP set-up and queueing
  in the listen backlog; gthread keeps connections alive and overlaps the time a
  request spends outside the GIL (SQLite I/O and lock waits, Argon2 hashing);
- four threads per worker: enough to overlap those waits, few enough that a busy
  worker does not hold many requests half done.
``BENCH_WORKERS`` and ``BENCH_THREADS`` override the figures for experiments; the
report records the values used.
"""

import os

workers = int(os.environ.get("BENCH_WORKERS", "2"))
worker_class = "gthread"
threads = int(os.environ.get("BENCH_THREADS", "4"))
keepalive = 5
backlog = 2048
timeout = 60
graceful_timeout = 5
# No access log: writing a line per request would be part of every measurement.
accesslog = None
loglevel = "warning"
# Load the app in each worker (not the master): a worker's peak memory then includes
# everything it imported, which is what a deployment pays per worker.
preload_app = False
