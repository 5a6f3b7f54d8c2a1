"""Fixtures of the deployment tests: real gunicorn, nginx and redis-server processes on loopback.

Every server binds a free loopback port chosen at run time (or a unix socket in its
own temporary directory) and is stopped when its fixture ends, failed test or not.
The database of each stack is its own: a copy of one migrated SQLite file, or, when
``MONGODB_URI`` names a real server, a database of its own on it, dropped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from deploy.stack import ROOT, manage, production_environment
from shop.testing.components import component_required

SECRET_KEY = "deploy-tests-" + "s" * 48
ALLOWED_HOSTS = "127.0.0.1,localhost"


def free_port() -> int:
    """Return a TCP port on loopback that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def base_environment(**overrides: str) -> dict[str, str]:
    """Return a production environment for the test servers (DEBUG off, every secure default)."""
    env = production_environment({"DJANGO_SECRET_KEY": SECRET_KEY, "DJANGO_ALLOWED_HOSTS": ALLOWED_HOSTS})
    env.pop("REDIS_URL", None)
    env.update(overrides)
    return env


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path | None:
    """Return a migrated SQLite file to copy for each server (None when on MongoDB)."""
    if os.environ.get("MONGODB_URI"):
        return None
    path = tmp_path_factory.mktemp("migrated") / "db.sqlite3"
    manage(base_environment(SQLITE_PATH=str(path)), "migrate", "--noinput")
    return path


@contextlib.contextmanager
def fresh_database(migrated: Path | None, directory: Path) -> Iterator[dict[str, str]]:
    """Yield the environment of a database of its own: a SQLite copy, or a new MongoDB database."""
    uri = os.environ.get("MONGODB_URI")
    if not uri:
        path = directory / "db.sqlite3"
        shutil.copyfile(migrated, path)
        yield {"SQLITE_PATH": str(path)}
        return
    name = f"shop_deploy_test_{secrets.token_hex(4)}"
    overrides = {"MONGODB_URI": urlsplit(uri)._replace(path=f"/{name}").geturl()}
    try:
        manage(base_environment(**overrides), "migrate", "--noinput")
        yield overrides
    finally:
        import pymongo

        with pymongo.MongoClient(uri) as client:
            client.drop_database(name)


@dataclass
class RedisServer:
    """A redis-server of the test's own."""

    port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        """Return the server's URL (database 0)."""
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        """Stop the server (a no-op when it is stopped already)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    """Start Debian's redis-server on a free loopback port, with nothing persisted; stop it after."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    component_required(
        Path(binary).exists(),
        "redis-server is missing: the shared-cache tests need Debian's redis-server "
        "(apt-get install redis-server; .ci/run does it).",
    )
    import redis

    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - fixed command
        [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
            "--logfile",
            str(tmp_path / "redis.log"),
        ],
        cwd=ROOT,
        start_new_session=True,
    )
    server = RedisServer(port=port, process=process)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                if redis.Redis(port=port, socket_timeout=1).ping():
                    break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"redis-server did not start: {(tmp_path / 'redis.log').read_text()}"
                    ) from None
                time.sleep(0.05)
        yield server
    finally:
        server.stop()
