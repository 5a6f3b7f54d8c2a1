"""Fixtures shared by every app's tests: API clients, users, and the profile split.

Tests marked ``mongo`` compile queries for django-mongodb-backend and need the
MongoDB settings profile; in the SQLite profile they are skipped here and run by
``make test``'s second pass (``MONGODB_URI`` pointing at an unreachable host).
"""

from pathlib import Path

import pytest
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.backends.signals import connection_created
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory
from accounts.tokens import issue_token_pair
from shop.cache import memos_clear
from shop.testing import query_sites


def pytest_configure(config):
    """Start the query-site guard's SQL side when ``SHOP_QUERY_SITES=check`` (shop/testing/query_sites.py)."""
    if query_sites.mode() == "check":
        connection_created.connect(query_sites.install_sql_wrapper)


def pytest_sessionfinish(session, exitstatus):
    """Save the MongoDB pass's query sites, or fail the SQLite pass if it ran a site never compiled."""
    guard = query_sites.mode()
    if guard == "record":
        query_sites.save()
    elif guard == "check" and exitstatus == 0:
        missing = query_sites.missing()
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        noted, compiled = query_sites.counts()
        reporter.write_line(f"query sites: {compiled} of {noted} compiled for MongoDB")
        if missing:
            reporter.write_line(query_sites.report(missing), red=True)
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_collection_modifyitems(config, items):
    """Skip ``mongo`` tests outside the MongoDB profile, ``mongo_server`` ones without a server."""
    server_tests = [item for item in items if "mongo_server" in item.keywords]
    if server_tests and not mongodb_server_answers():
        skip_server = pytest.mark.skip(reason="needs a MongoDB server: MONGODB_URI=mongodb://... make test")
        for item in server_tests:
            item.add_marker(skip_server)
    if connection.vendor == "mongodb":
        return
    skip = pytest.mark.skip(reason="MongoDB profile only: run by make test's MongoDB contract pass")
    for item in items:
        if "mongo" in item.keywords:
            item.add_marker(skip)


def mongodb_server_answers() -> bool:
    """Return whether the MongoDB profile is active and its server answers a ping."""
    if connection.vendor != "mongodb":
        return False
    from pymongo import MongoClient
    from pymongo.errors import PyMongoError

    client = MongoClient(connection.settings_dict["HOST"], serverSelectionTimeoutMS=1000)
    try:
        client.admin.command("ping")
    except PyMongoError:
        return False
    finally:
        client.close()
    return True


@pytest.fixture(autouse=True)
def empty_caches():
    """Start every test with empty caches.

    Test databases roll back, so primary keys and ``orders_version`` values come
    back in the next test, for another user: a page cached by one test must not
    answer in the next.
    """
    for cache in caches.all():
        cache.clear()
    memos_clear()


@pytest.fixture
def other_worker_connection():
    """Return a second connection to the test database, as another worker process holds one.

    What it writes is committed at once (autocommit): for tests with ``transaction=True``.
    """
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    yield other
    other.close()


@pytest.fixture
def api_client():
    """Return an anonymous DRF test client."""
    return APIClient()


@pytest.fixture
def user(db):
    """Return a customer."""
    return UserFactory()


@pytest.fixture
def staff_user(db):
    """Return a staff member (not a superuser)."""
    return UserFactory(is_staff=True)


def bearer_client(user) -> APIClient:
    """Return a client that sends a fresh access token of ``user``."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token_pair(user)['access']}")
    return client


@pytest.fixture
def customer_client(user):
    """Return a client authenticated as the ``user`` fixture with a bearer token."""
    return bearer_client(user)


@pytest.fixture
def staff_client(staff_user):
    """Return a client authenticated as the ``staff_user`` fixture with a bearer token."""
    return bearer_client(staff_user)


@pytest.fixture(scope="session")
def collected_static_root(tmp_path_factory) -> Path:
    """Return a STATIC_ROOT filled by ``collectstatic`` as in production (once per test session)."""
    from deploy.stack import manage, production_environment

    static_root = tmp_path_factory.mktemp("static")
    env = production_environment(
        {
            "DJANGO_SECRET_KEY": "collectstatic-" + "k" * 40,
            "DJANGO_STATIC_ROOT": str(static_root),
            "SQLITE_PATH": str(tmp_path_factory.mktemp("collectstatic") / "db.sqlite3"),
        }
    )
    env.pop("MONGODB_URI", None)
    manage(env, "collectstatic", "--noinput")
    return static_root
