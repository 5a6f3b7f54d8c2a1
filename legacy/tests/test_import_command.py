"""``import_legacy`` as a command: safe re-runs, dry runs, the report, the progress bar, clear errors."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import IntegrityError, OperationalError

from accounts.models import User
from catalog.models import Category, Product
from catalog.tests.factories import CategoryFactory, ProductFactory
from legacy.models import LegacyOrderImport, LegacyUserImport
from legacy.tests.legacy_data import (
    bcrypt_hash,
    import_files,
    order_doc,
    user_doc,
    werkzeug_pbkdf2,
    write_export,
)
from orders.models import Order, OrderLine, OrderStatusChange
from shop.services import account_close

pytestmark = pytest.mark.django_db

ANN = user_doc("ann@example.com", werkzeug_pbkdf2())
BOB = user_doc("bob@example.com", bcrypt_hash())
CY = user_doc("cy@example.com", "5f4dcc3b5aa765d61d8327deb882cf99")
USERS = [ANN, BOB, CY, user_doc("ANN@example.com"), {"_id": "bad", "email": "x@example.com"}]
ORDERS = [
    order_doc(ANN, quantity=2),
    order_doc(ANN, type="gadgets", products="Widget", status="Shipped"),
    order_doc(BOB, products="Old Pager", status="cancelled"),
    order_doc(BOB, status="In InProgress"),
    order_doc(USERS[3]),
]


@pytest.fixture(autouse=True)
def catalog(db):
    ProductFactory(category=CategoryFactory(slug="electronics", name="Electronics"), name="Phone", stock=5)


def snapshot() -> dict:
    """Return every row the import may write, as plain values."""
    return {
        "users": list(User.objects.order_by("email").values()),
        "orders": list(Order.objects.order_by("created_at", "id").values()),
        "lines": list(OrderLine.objects.order_by("id").values()),
        "history": list(OrderStatusChange.objects.order_by("id").values()),
        "products": list(Product.objects.order_by("id").values()),
        "categories": list(Category.objects.order_by("id").values()),
        "user_imports": list(LegacyUserImport.objects.order_by("id").values()),
        "order_imports": list(LegacyOrderImport.objects.order_by("id").values()),
    }


def run(tmp_path, **options) -> dict:
    report = tmp_path / "report.json"
    import_files(tmp_path, users=USERS, orders=ORDERS, report=str(report), **options)
    return json.loads(report.read_text())


def test_the_report_counts_users_and_orders_by_reason(tmp_path):
    report = run(tmp_path)
    assert report["users"] == {
        "read": 5,
        "imported": 3,
        "skipped": 2,
        "skipped_by_reason": {"duplicate_email": 1, "invalid_document": 1},
        "needing_password_reset": 1,
        "passwords": {"bcrypt": 1, "unknown_format": 1, "werkzeug": 1},
    }
    assert report["orders"] == {
        "read": 5,
        "imported": 3,
        "skipped": 2,
        "skipped_by_reason": {"customer_not_imported": 1, "unknown_status": 1},
        "statuses_not_recognised": {"In InProgress": 1},
    }
    assert report["users_needing_password_reset"][0]["email"] == "cy@example.com"
    assert [product["name"] for product in report["products_created"]] == ["Widget", "Old Pager"]
    assert report["dry_run"] is False and report["aborted"] is None
    assert report["source"]["kind"] == "files"
    assert len(report["problems"]) == 4


def test_importing_the_same_data_twice_adds_and_changes_nothing(tmp_path):
    run(tmp_path)
    before = snapshot()
    report = run(tmp_path)
    assert snapshot() == before
    assert report["users"]["imported"] == report["orders"]["imported"] == 0
    assert report["users"]["skipped_by_reason"]["already_imported"] == 3
    assert report["orders"]["skipped_by_reason"]["already_imported"] == 3
    assert report["products_created"] == [] and report["categories_created"] == []


def test_a_second_run_imports_only_what_is_new(tmp_path):
    run(tmp_path)
    report = run(tmp_path, unknown_status="IN_PROGRESS")
    assert report["orders"]["imported"] == 1  # the one skipped for its status
    assert Order.objects.count() == 4


def test_a_dry_run_writes_nothing_and_reports_what_an_import_would_do(tmp_path):
    before = snapshot()
    dry = run(tmp_path, dry_run=True)
    assert snapshot() == before
    real = run(tmp_path)
    assert dry["dry_run"] is True
    for key in ("users", "orders", "products_created", "categories_created", "users_needing_password_reset"):
        assert dry[key] == real[key], key
    assert dry["problems"] == real["problems"]


def test_a_customer_who_deleted_their_account_is_not_brought_back(tmp_path):
    run(tmp_path)
    account_close(user=User.objects.get(email="ann@example.com"))
    report = run(tmp_path)
    assert not User.objects.filter(email="ann@example.com").exists()
    assert report["users"]["skipped_by_reason"]["deleted_since_import"] == 1
    assert report["users"]["imported"] == 0


def test_the_printed_report_names_the_figures_and_the_problems(tmp_path):
    output = import_files(tmp_path, users=USERS, orders=ORDERS)
    assert "Users: 5 read, 3 imported (1 need a password reset), 2 skipped" in output
    assert "Orders: 5 read, 3 imported, 2 skipped: customer_not_imported 1, unknown_status 1" in output
    assert "cy@example.com" in output
    assert "users #5 (line 5) 'bad': invalid_document: _id: not an ObjectId: 'bad'." in output
    assert "Products created (inactive, price 0.00): 2" in output


def test_the_progress_bar_goes_to_stderr(tmp_path):
    users = write_export(tmp_path / "users.json", USERS)
    stdout, stderr = StringIO(), StringIO()
    call_command("import_legacy", users_file=str(users), stdout=stdout, stderr=stderr)
    assert "users  [##############################] 100% 5/5" in stderr.getvalue()
    assert "[#" not in stdout.getvalue()


def test_a_broken_array_file_is_refused_before_anything_is_imported(tmp_path):
    users = write_export(tmp_path / "users.json", USERS)
    orders = tmp_path / "orders.json"
    orders.write_text('[{"_id": {"$oid": "65277a812b73bb530ad77307"}} {"x": 1}]')
    report = tmp_path / "report.json"
    with pytest.raises(CommandError, match=r"The import stopped: .*expected ',' or '\]'"):
        call_command(
            "import_legacy",
            users_file=str(users),
            orders_file=str(orders),
            report=str(report),
            no_progress=True,
            stdout=StringIO(),
        )
    assert not User.objects.exists()
    assert json.loads(report.read_text())["aborted"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "Nothing to import"),
        ({"users_file": "/nonexistent/users.json"}, "No such file"),
        ({"mongodb_uri": "mongodb://127.0.0.1:1/old", "users_file": "x"}, "not both"),
        ({"mongodb_uri": "http://nowhere"}, "--mongodb-uri"),
        ({"mongodb_uri": "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=100"}, "Name the database"),
        (
            {"mongodb_uri": "mongodb://127.0.0.1:1/old?serverSelectionTimeoutMS=100"},
            "Cannot read the original",
        ),
        ({"users_file": "x", "unknown_status": "LOST"}, "--unknown-status: Unknown status 'LOST'"),
        ({"users_file": "x", "map_status": ["nothing"]}, "--map-status takes TEXT=STATUS"),
        ({"users_file": "x", "map_status": ["a=LOST"]}, "--map-status: Unknown status 'LOST'"),
    ],
)
def test_bad_options_are_clear_errors(options, message):
    with pytest.raises(CommandError, match=message):
        call_command("import_legacy", stdout=StringIO(), **options)


def test_a_database_failure_stops_the_import_with_a_report_of_what_was_done(tmp_path, monkeypatch):
    def database_down(**kwargs):
        raise OperationalError("disk I/O error")

    monkeypatch.setattr("legacy.importer.order_import", database_down)
    report = tmp_path / "report.json"
    with pytest.raises(CommandError, match="The import stopped: disk I/O error"):
        import_files(tmp_path, users=USERS, orders=ORDERS, report=str(report))
    written = json.loads(report.read_text())
    assert written["aborted"] == "disk I/O error"
    assert written["users"]["imported"] == 3
    assert User.objects.count() == 3 and not Order.objects.exists()


@pytest.mark.parametrize("model", [LegacyUserImport, LegacyOrderImport])
def test_a_failure_after_the_first_write_leaves_no_half_imported_user_or_order(tmp_path, monkeypatch, model):
    """The source-id row is the last write of each user and order; when it fails, nothing stays."""

    def lost_race(**kwargs):
        raise IntegrityError("UNIQUE constraint failed: source_id")

    monkeypatch.setattr(model.objects, "create", lost_race)
    report = run(tmp_path)
    if model is LegacyUserImport:
        assert not User.objects.exists()
        # Ann's twin in another case is tried too, since Ann was not imported.
        assert report["users"]["skipped_by_reason"]["already_imported"] == 4
    else:
        assert User.objects.count() == 3
        assert report["orders"]["skipped_by_reason"]["already_imported"] == 3
    assert (
        not Order.objects.exists()
        and not OrderLine.objects.exists()
        and not OrderStatusChange.objects.exists()
    )


def test_a_database_locked_beyond_its_busy_timeout_stops_the_import_and_says_so(tmp_path, monkeypatch):
    def database_locked(**kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr("legacy.importer.order_import", database_locked)
    report = tmp_path / "report.json"
    with pytest.raises(CommandError, match="The import stopped: The database is busy"):
        import_files(tmp_path, users=USERS, orders=ORDERS, report=str(report))
    assert json.loads(report.read_text())["aborted"].startswith("The database is busy")
