"""The query-site guard: every place in the shop's code that queries on SQLite is also compiled for MongoDB.

A *query site* is where a query comes from, read off the Python stack when the
query is sent:

* the innermost frame in the shop's own non-test code (``orders/services.py:212
  (order_set_status)``); frames of Django, DRF and other libraries are passed over;
* or, for a query that Django or DRF make on their own while serving a request, the
  innermost library function outside the ORM that made it, with the view that served
  the request (``view admin:orders_order_changelist via
  django/contrib/admin/views/main.py (get_results)``); sessions and authentication
  are the same whatever the view, so theirs carry no view
  (``django/contrib/sessions/backends/db.py (_get_session_from_db)``);
* a query made by test code itself (factories, assertions) is no site.

``make test`` runs the MongoDB contract pass first with ``SHOP_QUERY_SITES=record``:
every command ``shop.testing.mongo.MongoRecorder`` sees compiled and answered is
noted with its site. The SQLite pass then runs with ``SHOP_QUERY_SITES=check``: every
SQL statement that reads or writes rows is noted the same way (through Django's
``execute_wrapper`` on every connection), and at the end of the run each SQLite
site must be among the MongoDB pass's sites, or the run fails and lists the
missing ones. :data:`SQL_ONLY_SITES` would name functions whose SQL branch has
no MongoDB twin by design.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SITES_FILE = ROOT / ".pytest_cache" / "shop-mongodb-query-sites.json"
ENVIRONMENT_VARIABLE = "SHOP_QUERY_SITES"
EXCLUDED_PARTS = ("/tests/", "/testing/", "/migrations/", "/mongo_migrations/", "/.venv/")
EXCLUDED_NAMES = ("conftest.py",)
# The shop's query helpers and middleware: a query under them belongs to whoever called them.
INFRASTRUCTURE = (
    "shop/db.py",
    "shop/transactions.py",
    # Middleware only passes requests on: a query under it belongs to what it called.
    "shop/middleware.py",
    "shop/ops/middleware.py",
)
ROW_STATEMENT = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)
HANDLER_FILE = "django/core/handlers/base.py"
# Library code that only carries queries (the ORM, the MongoDB backend, the driver).
ORM_PARTS = ("/django/db/", "/django_mongodb_backend/", "/pymongo/", "/bson/")
# Library code whose queries are the same whatever view serves the request.
VIEW_INDEPENDENT_PARTS = ("/django/contrib/sessions/", "/django/contrib/auth/")

# Functions whose SQL queries have no MongoDB twin on the same line, by design.
SQL_ONLY_SITES: dict[str, str] = {}

_sites: set[str] = set()
_examples: dict[str, str] = {}
_lock = threading.Lock()


def mode() -> str:
    """Return ``record``, ``check`` or ``""`` (off), from ``SHOP_QUERY_SITES``."""
    return os.environ.get(ENVIRONMENT_VARIABLE, "").strip().lower()


HARNESS, INFRA, TEST, PROJECT, ORM, LIBRARY, OTHER = range(7)


@functools.cache
def _kind(path: str) -> tuple[int, str]:
    """Return what a source file is to the guard, and its name to show (cached per file)."""
    if "site-packages/" in path:
        relative = path.split("site-packages/", 1)[1]
        if any(part in path for part in ORM_PARTS):
            return ORM, relative
        return LIBRARY, relative
    if not path.startswith(str(ROOT)):
        return OTHER, path
    relative = path[len(str(ROOT)) + 1 :]
    if relative.startswith("shop/testing/"):
        return HARNESS, relative
    if relative in INFRASTRUCTURE:
        return INFRA, relative
    if any(part in f"/{relative}" for part in EXCLUDED_PARTS) or relative.endswith(EXCLUDED_NAMES):
        return TEST, relative
    return PROJECT, relative


def current_site() -> str | None:
    """Return the query site of the query being sent, from the stack, or None.

    The harness's own frames at the top of the stack (the recorder, the SQL
    wrapper) are passed over.
    """
    frame = sys._getframe(1)
    view = None
    library = None
    in_harness = True
    while frame is not None:
        code = frame.f_code
        kind, name = _kind(code.co_filename)
        if kind == HARNESS and in_harness:
            frame = frame.f_back
            continue
        in_harness = False
        if kind == PROJECT:
            return f"{name}:{frame.f_lineno} ({code.co_name})"
        if kind in (TEST, HARNESS):
            return _library_site(library, view)
        if kind == LIBRARY:
            if library is None:
                library = name, code.co_name
            if view is None and code.co_name == "_get_response" and name == HANDLER_FILE:
                match = getattr(frame.f_locals.get("request"), "resolver_match", None)
                if match is not None:
                    view = f"view {match.view_name or match._func_path}"
        frame = frame.f_back
    return _library_site(library, view)


def _library_site(library: tuple[str, str] | None, view: str | None) -> str | None:
    """Return the site of a query a library made while serving a request (None outside requests)."""
    if view is None or library is None:
        return None
    file, function = library
    if any(part in f"/{file}" for part in VIEW_INDEPENDENT_PARTS):
        return f"{file} ({function})"
    return f"{view} via {file} ({function})"


def note(site: str | None, example: str = "") -> None:
    """Remember a query site (None is ignored), with an example of what it sent."""
    if site is not None:
        with _lock:
            _sites.add(site)
            _examples.setdefault(site, example)


def note_current() -> None:
    """Remember the site of the query being sent, when the guard is on."""
    if mode():
        note(current_site())


def sql_execute_wrapper(execute, sql, params, many, context):
    """Django ``execute_wrapper``: note the site of every statement that reads or writes rows."""
    if ROW_STATEMENT.match(sql):
        note(current_site(), sql)
    return execute(sql, params, many, context)


def install_sql_wrapper(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: put :func:`sql_execute_wrapper` on every new connection."""
    if connection.vendor != "mongodb" and sql_execute_wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(sql_execute_wrapper)


def save() -> None:
    """Write the sites noted in this run (the MongoDB pass) to :data:`SITES_FILE`."""
    SITES_FILE.parent.mkdir(parents=True, exist_ok=True)
    SITES_FILE.write_text(json.dumps(sorted(_sites), indent=1))


def _function_of(site: str) -> str:
    file, _, rest = site.partition(":")
    return f"{file} ({rest.partition('(')[2].rstrip(')')})"


def missing() -> list[str]:
    """Return the SQLite sites of this run that the MongoDB pass never compiled."""
    if not SITES_FILE.exists():
        raise FileNotFoundError(
            f"{SITES_FILE} is missing: run the MongoDB contract pass first "
            "(make test-mongo-contract, with SHOP_QUERY_SITES=record)"
        )
    compiled = set(json.loads(SITES_FILE.read_text()))
    return sorted(site for site in _sites - compiled if _function_of(site) not in SQL_ONLY_SITES)


def report(sites: list[str]) -> str:
    """Return the failure message listing the sites that no MongoDB test compiles."""
    lines = "\n".join(f"  {site}\n      {_examples.get(site, '')[:150]}" for site in sites)
    return (
        f"{len(sites)} query sites run on SQLite but are never compiled for MongoDB by a test "
        f"marked mongo (shop/testing/query_sites.py):\n{lines}"
    )


def counts() -> tuple[int, int]:
    """Return (sites noted in this run, sites the MongoDB pass compiled)."""
    compiled = set(json.loads(SITES_FILE.read_text())) if SITES_FILE.exists() else set()
    return len(_sites), len(_sites & compiled)
