"""The container's health check: ``GET /healthz`` on this machine's gunicorn answers 200.

    python deploy/healthcheck.py        # exit 0 when healthy, 1 otherwise

Standard library only (the image has no curl). It asks the address gunicorn binds
(``GUNICORN_BIND``: ``host:port`` or ``unix:/path``; ``0.0.0.0`` means this machine)
with a ``Host`` Django accepts: the first entry of ``DJANGO_ALLOWED_HOSTS``.
``/healthz`` is exempt from the redirect to HTTPS (``SECURE_REDIRECT_EXEMPT``).
"""

from __future__ import annotations

import http.client
import os
import socket
import sys

DEFAULT_BIND = "127.0.0.1:8000"
# A wildcard bind is reached through loopback.
WILDCARD_HOSTS = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}  # noqa: S104 - names, not binds
TIMEOUT_SECONDS = 4.0


class UnixHTTPConnection(http.client.HTTPConnection):
    """An HTTP connection over a unix socket (gunicorn bound to ``unix:/path``)."""

    def __init__(self, path: str, *, timeout: float):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self) -> None:
        """Connect to the socket file."""
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


def connection_to(address: str, *, timeout: float = TIMEOUT_SECONDS) -> http.client.HTTPConnection:
    """Return an HTTP connection to ``address`` (``host:port``, ``[::1]:port`` or ``unix:/path``)."""
    if address.startswith("unix:"):
        return UnixHTTPConnection(address.removeprefix("unix:"), timeout=timeout)
    host, _, port = address.rpartition(":")
    host = host.strip("[]")
    return http.client.HTTPConnection(WILDCARD_HOSTS.get(host, host), int(port), timeout=timeout)


def probe_host(allowed_hosts: str) -> str:
    """Return a ``Host`` header value that ``DJANGO_ALLOWED_HOSTS`` accepts (``localhost`` for ``*``)."""
    for entry in (item.strip() for item in allowed_hosts.split(",")):
        if entry and entry != "*":
            return entry.lstrip(".")
    return "localhost"


def healthy(address: str, host: str, *, timeout: float = TIMEOUT_SECONDS) -> bool:
    """Return whether ``GET /healthz`` at ``address`` answers 200 (connection errors: False)."""
    connection = connection_to(address, timeout=timeout)
    try:
        connection.request("GET", "/healthz", headers={"Host": host})
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def main() -> int:
    """Check this machine's gunicorn; return the exit status (0 healthy)."""
    bind = os.environ.get("GUNICORN_BIND", "").strip() or DEFAULT_BIND
    host = probe_host(os.environ.get("DJANGO_ALLOWED_HOSTS", ""))
    return 0 if healthy(bind.split(",")[0], host) else 1


if __name__ == "__main__":
    sys.exit(main())
