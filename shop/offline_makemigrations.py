"""Run ``makemigrations`` without a database server (for the MongoDB migration set).

``makemigrations`` checks the applied-migration history on every database; with no
MongoDB server reachable, pymongo's ServerSelectionTimeoutError escapes Django's
check (which only expects OperationalError). The models, not the database, decide
what a migration contains, so skipping that history check changes nothing in the
generated files. Usage (the Makefile's ``migrations`` target)::

    MONGODB_URI=mongodb://127.0.0.1:1/shop python -m shop.offline_makemigrations
"""

import os
import sys

import django


def main(argv: list[str]) -> None:
    """Generate migrations for the active settings profile without touching a database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
    django.setup()
    from django.core.management import call_command
    from django.db.migrations.loader import MigrationLoader

    MigrationLoader.check_consistent_history = lambda self, connection: None
    call_command("makemigrations", *argv)


if __name__ == "__main__":
    main(sys.argv[1:])
