"""A small HTTP(S) client for the stack tests: any loopback source address, TLS, raw bytes."""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path

from deploy.healthcheck import UnixHTTPConnection


@dataclass
class Answer:
    """A response: status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        """Return the body parsed as JSON (decompressed first if gzipped)."""
        body = gzip.decompress(self.body) if self.headers.get("content-encoding") == "gzip" else self.body
        return json.loads(body)


@dataclass
class Endpoint:
    """Where requests go: ``127.0.0.1:port`` over HTTP or HTTPS, or a unix socket."""

    host: str = "127.0.0.1"
    port: int = 0
    tls: ssl.SSLContext | None = None
    unix_socket: Path | None = None

    @property
    def origin(self) -> str:
        """Return the origin the server sees (scheme, host and port)."""
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def connection(self, *, source: str | None, timeout: float) -> http.client.HTTPConnection:
        """Return a new connection, from ``source`` (a loopback address) when given."""
        if self.unix_socket is not None:
            return UnixHTTPConnection(str(self.unix_socket), timeout=timeout)
        source_address = (source, 0) if source else None
        if self.tls:
            return http.client.HTTPSConnection(
                self.host, self.port, timeout=timeout, context=self.tls, source_address=source_address
            )
        return http.client.HTTPConnection(
            self.host, self.port, timeout=timeout, source_address=source_address
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body=None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        token: str | None = None,
        source: str | None = None,
        timeout: float = 15.0,
    ) -> Answer:
        """Send one request on a new connection and return the answer."""
        headers = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers.setdefault("Content-Type", "application/json")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        connection = self.connection(source=source, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return Answer(
                status=response.status,
                headers={name.lower(): value for name, value in response.getheaders()},
                body=response.read(),
            )
        finally:
            connection.close()

    def get(self, path: str, **kwargs) -> Answer:
        """Send a GET."""
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json_body=None, **kwargs) -> Answer:
        """Send a POST with a JSON body."""
        return self.request("POST", path, json_body=json_body, **kwargs)


class SlowClient:
    """A client that sends a request's headers, then its body one byte at a time, never finishing."""

    def __init__(self, *, address: tuple[str, int] | None = None, unix_socket: Path | None = None):
        if unix_socket is not None:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect(str(unix_socket))
        else:
            self.sock = socket.create_connection(address, timeout=5)
        self.sock.sendall(
            b"POST /api/v1/auth/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
        )

    def trickle(self) -> None:
        """Send one more byte of the body (ignoring a server that gave up on us)."""
        with contextlib.suppress(OSError):
            self.sock.sendall(b" ")

    def close(self) -> None:
        """Hang up."""
        self.sock.close()
