"""Liveness and readiness probes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import DatabaseError, connection

BASE_DIR = Path(__file__).resolve().parents[2]


def test_healthz_answers_ok_without_authentication(api_client):
    response = api_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_pings_the_database_and_names_it(api_client):
    response = api_client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": f"{connection.vendor} (transactions)"}


def test_readyz_is_503_with_json_when_the_database_does_not_answer(tmp_path):
    """A real failure: SQLITE_PATH names a file that is not a SQLite database."""
    broken = tmp_path / "broken.sqlite3"
    broken.write_bytes(b"this is not a database" * 100)
    script = (
        "import django, json; django.setup(); from django.test import Client; "
        "r = Client(HTTP_HOST='localhost').get('/readyz'); "
        "print(r.status_code, r['Content-Type'], r.content.decode())"
    )
    env = {
        **os.environ,
        "DJANGO_DEBUG": "1",
        "SQLITE_PATH": str(broken),
        "DJANGO_SETTINGS_MODULE": "shop.settings",
    }
    env.pop("MONGODB_URI", None)
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", script], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    status, content_type, body = result.stdout.strip().split(" ", 2)
    assert status == "503"
    assert content_type == "application/json"
    assert json.loads(body)["status"] == "unavailable"
    assert json.loads(body)["database"] == "sqlite"


def test_probes_refuse_unsafe_methods(api_client):
    assert api_client.post("/healthz").status_code == 405


def make_unwritable(path: Path):
    """Make ``path`` unwritable even for root (chattr +i), or by its mode for anyone else; return the undo."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        return lambda: path.chmod(0o644)
    subprocess.run(["chattr", "+i", str(path)], check=True)  # noqa: S603, S607 - fixed argv
    return lambda: subprocess.run(["chattr", "-i", str(path)], check=True)  # noqa: S603, S607


@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_when_the_sqlite_file_can_no_longer_be_written(api_client, tmp_path, monkeypatch):
    """The server runs; then its database file becomes unwritable (even for root: chattr +i)."""
    import sqlite3

    path = tmp_path / "read-only.sqlite3"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    monkeypatch.setitem(connection.settings_dict, "NAME", str(path))  # what the probe opens
    assert api_client.get("/readyz").status_code == 200
    undo = make_unwritable(path)
    try:
        response = api_client.get("/readyz")
    finally:
        undo()
    assert response.status_code == 503
    assert response.json()["code"] == "database_unavailable"


@pytest.mark.django_db(transaction=True)
def test_readyz_reads_and_takes_the_write_lock_on_a_connection_of_its_own(api_client, tmp_path):
    from shop.health import sqlite_read_write_check

    assert api_client.get("/readyz").status_code == 200
    # A file deleted under the server (whose workers still hold it open) is not ready.
    with pytest.raises(DatabaseError):
        sqlite_read_write_check(str(tmp_path / "deleted.sqlite3"))
