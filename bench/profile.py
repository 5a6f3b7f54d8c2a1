"""Profile one request in-process: ``python -m bench.profile PATH [--as EMAIL] [--post JSON] [--requests N]``.

Calls the shop's WSGI application directly (middleware, DRF, the database: all of
it, without a server or a socket) ``--requests`` times after a warm-up, prints the
CPU time per request (``time.process_time()``) and, with ``--top``, the functions
with the most cumulative time under ``cProfile``. ``--as`` authenticates as a bench
account (a fresh access token), ``--post`` sends that JSON body as a POST instead
of a GET (``POST /api/v1/orders/`` places one order per call). Run it with the bench's
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


def call(application, path: str, token: str | None, body: bytes | None = None) -> tuple[str, bytes]:
    """Send one GET (or a POST of the JSON ``body``) to ``application``; return its status line and body."""
    route, _, query = path.partition("?")
    environ: dict = {"PATH_INFO": route, "QUERY_STRING": query, "HTTP_HOST": "127.0.0.1"}
    setup_testing_defaults(environ)
    environ["wsgi.input"] = io.BytesIO(body or b"")
    if body is not None:
        environ.update(REQUEST_METHOD="POST", CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(body)))
    if token:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    answer: dict = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = status

    response = application(environ, start_response)
    body = b"".join(response)
    if hasattr(response, "close"):
        response.close()  # as a server does once it has sent the body (shop.after_response's work)
    return answer["status"], body


def access_token(email: str) -> str:
    """Return a fresh access token of the account ``email`` (the application must be loaded)."""
    from accounts.models import User
    from accounts.tokens import issue_token_pair

    return issue_token_pair(User.objects.get(email=email))["access"]


def main(argv: list[str] | None = None) -> None:
    """Profile the request the command line names."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--token", help="an access token to send as a bearer token")
    parser.add_argument("--as", dest="email", help="send a fresh access token of this (bench) account")
    parser.add_argument("--post", help="a JSON body to POST instead of sending a GET")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--top", type=int, default=0, help="print the N functions with most cumulative time")
    parser.add_argument(
        "--sort",
        default="cumulative",
        choices=["cumulative", "tottime"],
        help="order of --top: time under the function (default) or in the function itself",
    )
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
    token = args.token or (access_token(args.email) if args.email else None)
    sent = args.post.encode() if args.post is not None else None

    for _ in range(50):
        status, body = call(application, args.path, token, sent)
    if not status.startswith("20"):
        raise SystemExit(f"{args.path}: {status}: {body[:300]!r}")
    started = time.process_time()
    for _ in range(args.requests):
        call(application, args.path, token, sent)
    per_request = (time.process_time() - started) / args.requests * 1000
    print(f"{args.path}: {per_request:.3f} ms CPU per request ({args.requests} requests, {len(body)} bytes)")
    if args.top:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.requests):
            call(application, args.path, token, sent)
        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stdout)
        stats.sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
