"""The transaction runner on SQLite: modes, nesting, and SQLite's lock beyond its busy timeout."""

from __future__ import annotations

import sqlite3

import pytest
from django.db import IntegrityError, connection

from accounts.models import User
from accounts.tests.factories import UserFactory
from catalog.tests.factories import ProductFactory
from conftest import bearer_client
from orders.tests.factories import SHIPPING_ADDRESS
from shop import transactions


def test_sql_databases_use_transactions_and_say_so():
    assert transactions.transaction_mode() is transactions.Mode.SQL
    assert transactions.describe_database() == "sqlite (transactions)"
    with transactions.transactions_disabled():
        assert transactions.transaction_mode() is transactions.Mode.NONE
    assert transactions.transaction_mode() is transactions.Mode.SQL


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's write lock")
@pytest.mark.django_db(transaction=True)
def test_only_an_sqlite_operations_transaction_holds_the_write_lock():
    assert transactions.run(transactions.operation_holds_write_lock) is True
    assert transactions.operation_holds_write_lock() is False  # autocommit: no transaction
    with transactions.transactions_disabled():
        assert transactions.run(transactions.operation_holds_write_lock) is False


@pytest.mark.django_db(transaction=True)
def test_an_operation_is_rolled_back_whole_and_nested_operations_join_it():
    user = UserFactory()

    def outer():
        transactions.run(lambda: User.objects.filter(pk=user.pk).update(first_name="Inner"))
        User.objects.filter(pk=user.pk).update(last_name="Outer")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        transactions.run(outer)
    user.refresh_from_db()
    assert user.first_name != "Inner"
    assert user.last_name != "Outer"


@pytest.mark.django_db(transaction=True)
def test_undo_actions_run_only_without_a_transaction_newest_first():
    done = []

    def operation():
        transactions.on_failure("first", lambda: done.append("undo first"))
        transactions.on_failure("second", lambda: done.append("undo second"))
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        transactions.run(operation)
    assert done == []  # the rollback is the compensation
    with transactions.transactions_disabled(), pytest.raises(RuntimeError):
        transactions.run(operation)
    assert done == ["undo second", "undo first"]


@pytest.mark.django_db(transaction=True)
def test_an_integrity_error_is_recovered_in_place_outside_mongodb_transactions():
    transactions.rerun_if_in_transaction(IntegrityError("duplicate"))  # returns: SQL keeps savepoints


@pytest.mark.django_db(transaction=True)
def test_sqlite_locked_beyond_its_busy_timeout_is_a_clean_503():
    """A real lock: another connection holds SQLite's write lock while an order is placed."""
    product = ProductFactory(stock=5)
    client = bearer_client(UserFactory())
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout = 50")  # instead of the production 20 s
    other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        response = client.post(
            "/api/v1/orders/",
            {"shipping_address": SHIPPING_ADDRESS, "items": [{"product": str(product.pk), "quantity": 1}]},
            format="json",
        )
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert response.status_code == 503, response.content
    assert response.json()["code"] == "database_busy"
    assert response["Retry-After"] == "1"
    product.refresh_from_db()
    assert product.stock == 5


# --- after_success: work that may only follow an operation that succeeded ----------------------


@pytest.mark.django_db(transaction=True)
def test_after_success_runs_after_the_commit_and_never_after_a_rollback():
    user = UserFactory()
    seen = []

    def operation(fail: bool):
        User.objects.filter(pk=user.pk).update(first_name="Changed")
        transactions.after_success(lambda: seen.append(User.objects.get(pk=user.pk).first_name))
        assert seen == []  # not while the transaction is open
        if fail:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        transactions.run(lambda: operation(True))
    assert seen == []
    transactions.run(lambda: operation(False))
    assert seen == ["Changed"]  # after the commit: the change is there to be read


@pytest.mark.django_db(transaction=True)
def test_after_success_without_a_transaction_waits_for_the_outermost_operation():
    seen = []

    def inner():
        transactions.after_success(lambda: seen.append("inner"))

    def outer(fail: bool):
        transactions.run(inner)
        assert seen == []  # the nested operation returned, the outer one may still fail
        transactions.after_success(lambda: seen.append("outer"))
        if fail:
            raise RuntimeError("boom")

    with transactions.transactions_disabled():
        assert transactions.transaction_mode() is transactions.Mode.NONE
        with pytest.raises(RuntimeError):
            transactions.run(lambda: outer(True))
        assert seen == []
        transactions.run(lambda: outer(False))
    assert seen == ["inner", "outer"]


@pytest.mark.django_db(transaction=True)
def test_a_failing_after_success_callback_is_logged_and_the_others_still_run(caplog):
    seen = []

    def broken():
        raise RuntimeError("callback broke")

    def operation():
        transactions.after_success(broken)
        transactions.after_success(lambda: seen.append("second"))
        return "result"

    assert transactions.run(operation) == "result"
    with transactions.transactions_disabled():
        assert transactions.run(operation) == "result"
    assert seen == ["second", "second"]
    assert "callback broke" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_after_success_outside_any_operation_runs_at_once():
    seen = []
    transactions.after_success(lambda: seen.append("now"))
    assert seen == ["now"]
    assert transactions.in_operation_without_transaction() is False
    with transactions.transactions_disabled():
        assert transactions.run(transactions.in_operation_without_transaction) is True
