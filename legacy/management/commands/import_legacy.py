"""``python manage.py import_legacy``: bring the original service's users and orders into the shop.

Reads the old MongoDB (``--mongodb-uri``) or mongoexport files (``--users-file``,
``--orders-file``), imports users and then orders (``legacy.importer``), shows a
progress bar on stderr, prints a report and writes it as JSON with ``--report``.
Safe to run again: what was imported before is recognised by its source id.
The README's "Moving from the original service" is the step-by-step guide.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from pymongo import MongoClient
from pymongo.errors import ConfigurationError as PymongoConfigurationError
from pymongo.errors import InvalidURI, PyMongoError

from legacy.importer import ImportReport, LegacyImport
from legacy.services import legacy_status_parse
from legacy.sources import ExportFileSource, MongoCollectionSource, SourceError
from shop.config import redact_uri
from shop.errors import InvalidInput, Unavailable
from shop.progress import ProgressBar

PROGRESS_EVERY = 250
SHOWN_PROBLEMS = 50


class Command(BaseCommand):
    """Import users and orders of the original service from its MongoDB or from mongoexport files."""

    help = (
        "Import the original service's users (keeping their passwords) and orders, from its MongoDB "
        "(--mongodb-uri) or from mongoexport files (--users-file/--orders-file). Safe to run again."
    )

    client: MongoClient | None = None

    def add_arguments(self, parser):
        """Declare the sources, the status rules and the report options."""
        database = parser.add_argument_group("source: the original service's MongoDB")
        database.add_argument(
            "--mongodb-uri", metavar="URI", help="URI of the original database (read only)."
        )
        database.add_argument("--database", metavar="NAME", help="Database name (default: the URI's path).")
        database.add_argument("--users-collection", default="users", metavar="NAME", help="Default: users.")
        database.add_argument(
            "--orders-collection", default="orders", metavar="NAME", help="Default: orders."
        )
        files = parser.add_argument_group("source: mongoexport files (Extended JSON, per line or one array)")
        files.add_argument("--users-file", metavar="FILE", help="mongoexport output of the users collection.")
        files.add_argument(
            "--orders-file", metavar="FILE", help="mongoexport output of the orders collection."
        )
        parser.add_argument(
            "--map-status",
            action="append",
            default=[],
            metavar="TEXT=STATUS",
            help='Read status TEXT as STATUS, e.g. "In InProgress=IN_PROGRESS" (repeatable).',
        )
        parser.add_argument(
            "--unknown-status",
            metavar="STATUS",
            help="Import orders whose status nothing recognises with STATUS (default: skip and report them).",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check and report; write nothing.")
        parser.add_argument("--report", metavar="FILE", help="Also write the report to FILE as JSON.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar on stderr.")

    def handle(self, *args, **options):
        """Import, print the report, write it with --report; CommandError if the import could not run."""
        status_map = {
            text: self._status(value, option="--map-status") for text, value in self._pairs(options)
        }
        unknown_status = options["unknown_status"] and self._status(
            options["unknown_status"], "--unknown-status"
        )
        users, orders, description = self._sources(options)
        report = ImportReport(dry_run=options["dry_run"], source=description)
        run = LegacyImport(
            report=report, dry_run=options["dry_run"], status_map=status_map, unknown_status=unknown_status
        )
        try:
            # Count first: a broken file is refused before anything is imported.
            totals = [
                (label, source, source.count())
                for label, source in (("users", users), ("orders", orders))
                if source is not None
            ]
            for label, source, total in totals:
                documents = self._with_progress(source, label=label, total=total, options=options)
                (run.users_import if label == "users" else run.orders_import)(documents)
        except (SourceError, PyMongoError, DatabaseError, Unavailable) as exc:
            # Unavailable: a database that stayed busy or conflicting (shop.transactions).
            report.aborted = str(exc).rstrip(".")
            self._finish(report, options)
            raise CommandError(
                f"The import stopped: {report.aborted}. What was imported is kept; run it again."
            ) from None
        finally:
            if self.client is not None:
                self.client.close()
        self._finish(report, options)

    # --- options -----------------------------------------------------------------------------

    @staticmethod
    def _pairs(options) -> list[tuple[str, str]]:
        pairs = []
        for item in options["map_status"]:
            text, sep, status = item.rpartition("=")
            if not sep or not text.strip():
                raise CommandError(f"--map-status takes TEXT=STATUS, got {item!r}.")
            pairs.append((text, status))
        return pairs

    @staticmethod
    def _status(text: str, option: str) -> str:
        """Return the status ``text`` names, read as the legacy routes read it."""
        try:
            return legacy_status_parse(text=text)
        except InvalidInput as exc:
            raise CommandError(f"{option}: {exc.message}") from None

    def _sources(self, options):
        """Return ``(users source, orders source, description)`` from the options."""
        uri = options["mongodb_uri"]
        files = options["users_file"], options["orders_file"]
        if uri and any(files):
            raise CommandError("Give either --mongodb-uri or --users-file/--orders-file, not both.")
        if uri:
            return self._mongodb_sources(uri, options)
        if not any(files):
            raise CommandError("Nothing to import: give --mongodb-uri, or --users-file and/or --orders-file.")
        sources = []
        for path in files:
            if path and not Path(path).is_file():
                raise CommandError(f"No such file: {path}")
            sources.append(ExportFileSource(path) if path else None)
        description = {"kind": "files", "users": files[0], "orders": files[1]}
        return sources[0], sources[1], description

    def _mongodb_sources(self, uri: str, options):
        shown_uri = redact_uri(uri)
        try:
            timeout = (
                {} if "serverselectiontimeoutms" in uri.lower() else {"serverSelectionTimeoutMS": 10_000}
            )
            self.client = MongoClient(uri, **timeout)
        except (InvalidURI, PymongoConfigurationError, ValueError) as exc:
            raise CommandError(f"--mongodb-uri {shown_uri}: {exc}") from None
        try:
            name = options["database"] or self.client.get_default_database().name
        except PymongoConfigurationError:
            raise CommandError("Name the database with --database or in the URI's path.") from None
        database = self.client[name]
        try:
            present = set(database.list_collection_names())
        except PyMongoError as exc:
            raise CommandError(f"Cannot read the original database at {shown_uri}: {exc}") from None
        names = options["users_collection"], options["orders_collection"]
        missing = [collection for collection in names if collection not in present]
        if missing:
            raise CommandError(f"Database {name!r} has no collection {', '.join(map(repr, missing))}.")
        description = {
            "kind": "mongodb",
            "uri": shown_uri,
            "database": name,
            "users": names[0],
            "orders": names[1],
        }
        return (
            MongoCollectionSource(database[names[0]]),
            MongoCollectionSource(database[names[1]]),
            description,
        )

    # --- progress and report -------------------------------------------------------------------

    def _with_progress(self, documents, *, label: str, total: int, options):
        """Yield ``documents``, drawing a progress bar on stderr as they are read."""
        if options["no_progress"] or options["verbosity"] < 1:
            yield from documents
            return
        bar = ProgressBar(label=f"{label:<6}", total=total, stream=self.stderr, unit="documents")
        done = 0
        for done, document in enumerate(documents, start=1):
            yield document
            if done % PROGRESS_EVERY == 0:
                bar.update(done=done, rows=done)
        bar.update(done=max(done, total), rows=done)
        bar.finish()

    def _finish(self, report: ImportReport, options) -> None:
        """Print the report and write it as JSON if asked."""
        data = report.as_dict()
        if options["report"]:
            try:
                Path(options["report"]).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
            except OSError as exc:
                raise CommandError(
                    f"Cannot write the report to {options['report']}: {exc.strerror}"
                ) from None
        if options["verbosity"] >= 1:
            self.stdout.write(report_text(data, report_file=options["report"]))


def report_text(data: dict, *, report_file: str | None) -> str:
    """Return the report as the command prints it."""
    lines = [
        "Dry run: nothing was written; the figures say what an import would do." if data["dry_run"] else ""
    ]
    source = data["source"]
    lines.append(f"Source: {json.dumps(source)}")
    if data["aborted"]:
        lines.append(f"STOPPED EARLY: {data['aborted']}")
    users, orders = data["users"], data["orders"]
    lines.append(
        f"Users: {users['read']:,} read, {users['imported']:,} imported "
        f"({users['needing_password_reset']:,} need a password reset), {users['skipped']:,} skipped"
        + _reasons(users["skipped_by_reason"])
    )
    if users["passwords"]:
        lines.append(
            "  passwords of the users imported: "
            + ", ".join(f"{k} {v:,}" for k, v in users["passwords"].items())
        )
    lines.append(
        f"Orders: {orders['read']:,} read, {orders['imported']:,} imported, {orders['skipped']:,} skipped"
        + _reasons(orders["skipped_by_reason"])
    )
    if orders["statuses_not_recognised"]:
        shown = ", ".join(
            f"{text!r} x {count:,}" for text, count in orders["statuses_not_recognised"].items()
        )
        lines.append(f"  status text not recognised: {shown}")
    if data["categories_created"]:
        lines.append(f"Categories created: {', '.join(data['categories_created'])}")
    lines.extend(
        _listing(
            "Products created (inactive, price 0.00)",
            data["products_created"],
            report_file,
            lambda p: f"  {p['category']} / {p['name']} ({p['sku']})",
        )
    )
    lines.extend(
        _listing(
            "Users needing a password reset",
            data["users_needing_password_reset"],
            report_file,
            lambda u: f"  {u['email']} (user {u['source_id']}): {u['reason']}",
        )
    )
    lines.extend(_listing("Problems", data["problems"], report_file, _problem_line))
    if report_file:
        lines.append(f"Report written to {report_file}")
    return "\n".join(line for line in lines if line)


def _reasons(counts: dict[str, int]) -> str:
    """Return ``": reason n, ..."`` for non-empty counts."""
    return (": " + ", ".join(f"{reason} {count:,}" for reason, count in counts.items())) if counts else ""


def _listing(title: str, items: list, report_file: str | None, line) -> list[str]:
    """Return a titled listing of at most SHOWN_PROBLEMS items (the report file has them all)."""
    if not items:
        return []
    header = f"{title}: {len(items):,}"
    if len(items) > SHOWN_PROBLEMS:
        where = f"all in {report_file}" if report_file else "use --report FILE for all"
        header += f" (the first {SHOWN_PROBLEMS} below; {where})"
    return [header, *(line(item) for item in items[:SHOWN_PROBLEMS])]


def _problem_line(problem: dict) -> str:
    """Return one problem as a line: where, which source id, why."""
    where = f"{problem['collection']} #{problem['position']}"
    if problem["line"] is not None:
        where += f" (line {problem['line']})"
    return f"  {where} {problem['source_id'] or '(no _id)'}: {problem['reason']}: {problem['message']}"
