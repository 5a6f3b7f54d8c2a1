"""Seed a fresh database with the benchmark's data set: ``python -m bench.seed --customers N --orders M``.

The seeding is a Django management command (``bench.dataset.Command``) kept with the
bench instead of in an app, so no deployment of the shop carries it. This entry point
sets Django up with the settings of the environment (``shop.settings`` unless
``DJANGO_SETTINGS_MODULE`` says otherwise) and runs it with the arguments given;
``--help`` lists them.
"""

from __future__ import annotations

import os
import sys

import django


def main(argv: list[str] | None = None) -> None:
    """Set Django up, then run the seeding command with ``argv`` (default: the command line)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
    django.setup()
    # Imported after django.setup(): the command's module imports the models.
    from django.core.management import call_command

    from bench.dataset import Command

    call_command(Command(), *(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    main()
