"""Profile one request in-process: ``python -m bench.profile PATH [--token T] [--requests N]``.

Calls the shop's WSGI application directly (middleware, DRF, the database: all of
it, without a server or a socket) ``--requests`` times after a warm-up, prints the
CPU time per request (``time.process_time()``) and, with ``--top``, the functions
with the most cumulative time under ``cProfile``. Run it with the bench's
environment (``bench.run.shop_environment``: production settings, ``SQLITE_PATH`` at
a copy of a bench data set) so the figures are those of a served request. The
findings are in BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from wsgiref.util import setup_testing_defaults


def call(application, path: str, token: str | None) -> tuple[str, bytes]:
    """Send one GET to ``application``; return its status line and body."""
    route, _, query = path.partition("?")
    environ: dict = {"PATH_INFO": route, "QUERY_STRING": query, "HTTP_HOST": "127.0.0.1"}
    setup_testing_defaults(environ)
    environ["wsgi.input"] = io.BytesIO(b"")
    if token:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    answer: dict = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = status

    body = b"".join(application(environ, start_response))
    return answer["status"], body


def main(argv: list[str] | None = None) -> None:
    """Profile the request the command line names."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--token", help="an access token to send as a bearer token")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--top", type=int, default=0, help="print the N functions with most cumulative time")
    parser.add_argument(
        "--peer", action="store_true", help="profile the textbook DRF peer (bench.peer) instead of the shop"
    )
    args = parser.parse_args(argv)
    if args.peer:
        os.environ["DJANGO_SETTINGS_MODULE"] = "bench.peer.settings"
        from bench.peer.wsgi import application
    else:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
        from shop.wsgi import application

    for _ in range(50):
        status, body = call(application, args.path, args.token)
    if not status.startswith("200"):
        raise SystemExit(f"{args.path}: {status}: {body[:300]!r}")
    started = time.process_time()
    for _ in range(args.requests):
        call(application, args.path, args.token)
    per_request = (time.process_time() - started) / args.requests * 1000
    print(f"{args.path}: {per_request:.3f} ms CPU per request ({args.requests} requests, {len(body)} bytes)")
    if args.top:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            call(application, args.path, args.token)
        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
