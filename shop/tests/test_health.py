"""Liveness and readiness probes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

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
