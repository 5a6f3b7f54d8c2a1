"""The one gunicorn configuration every server of a bench run uses (shop and floors).

Two ``sync`` workers on a 2-core machine:
- two processes, one per core, because Python code holds the GIL: more processes
  than cores only add context switches and memory, and the load generator needs CPU
  on the same machine;
- ``sync``, not ``gthread``, because measured on this machine (order list, 16
  connections) two gthread workers served 55-75 req/s against 115-170 for two sync
  workers. With keep-alive, gthread keeps each client connection on the worker that
  accepted it, and wrk's 16 long-lived connections piled onto one worker (10.7 s of
  CPU against 2.1 s for the other in an 8 s row): one core idled. Threads also fight
  over the GIL on CPU-bound requests (20 ms of CPU per order list with 4 threads, 14 ms
  with 1). A sync worker closes the connection after each response, so every request
  goes to whichever worker is free; behind a buffering proxy (nginx) that is how
  gunicorn's documentation recommends running sync workers.
``BENCH_WORKERS``, ``BENCH_WORKER_CLASS`` and ``BENCH_THREADS`` override the figures
for experiments; the report records the values used.
"""

import os

workers = int(os.environ.get("BENCH_WORKERS", "2"))
worker_class = os.environ.get("BENCH_WORKER_CLASS", "sync")
# Only used by the gthread class (experiments).
threads = int(os.environ.get("BENCH_THREADS", "1"))
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
