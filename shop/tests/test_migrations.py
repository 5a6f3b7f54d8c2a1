"""Both migration sets match the models (built with the autodetector, no database needed)."""

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.migrations.autodetector import MigrationAutodetector
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.questioner import NonInteractiveMigrationQuestioner
from django.db.migrations.state import ProjectState

MONGODB_MIGRATED_APPS = {
    "admin",
    "auth",
    "contenttypes",
    "accounts",
    "catalog",
    "orders",
    "legacy",
    "notifications",
}


def pending_changes() -> dict:
    """Return the migrations ``makemigrations`` would write for the active profile."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    autodetector = MigrationAutodetector(
        loader.project_state(),
        ProjectState.from_apps(apps),
        NonInteractiveMigrationQuestioner(specified_apps=None, dry_run=True),
    )
    return autodetector.changes(graph=loader.graph)


def test_sql_migrations_are_current():
    if connection.vendor == "mongodb":
        pytest.skip("the SQL migration set is checked in the SQL profile")
    changes = pending_changes()
    assert changes == {}, f"run `make migrations`: {sorted(changes)}"


@pytest.mark.mongo
def test_mongodb_migrations_are_current_and_selected_by_migration_modules():
    assert set(settings.MIGRATION_MODULES) == MONGODB_MIGRATED_APPS
    assert all(module.startswith("shop.mongo_migrations.") for module in settings.MIGRATION_MODULES.values())
    changes = pending_changes()
    assert changes == {}, f"run `make migrations`: {sorted(changes)}"
