"""Import the original service's users and orders into the shop (the work behind ``import_legacy``).

The contract is LEGACY.md "Data of the original service" and the README's "Moving from
the original service". In short:

* **Users** are validated as registration validates them (email and names; the email
  normalised by ``accounts.models.normalize_email_address``) and created by
  ``accounts.services.user_import`` with the password the old service stored
  (``legacy.passwords``): werkzeug and bcrypt hashes kept, plain text hashed, anything
  else unusable and listed for a reset.
* **Orders** are validated with the body rules of the legacy ``POST /order`` (the same
  serializer) and matched to a category and product exactly as that route matches
  them (``legacy.selectors``, inactive products included); a product the catalog lacks
  is created inactive and unpriced by ``catalog.services.product_create_imported``. The
  status text goes through the legacy ``/orders/update`` rules (``--map-status`` and
  ``--unknown-status`` decide the rest) and ``orders.services.order_import`` writes the
  one-line order with its history entry, taking no stock.
* **Ids.** On MongoDB users and orders keep the original ObjectId as their primary
  key; on SQLite they get new ids. Either way ``legacy.models`` records every source id
  handled, in the same transaction as the user or order (on MongoDB with
  transactions; without them the kept id itself shows a document was imported, and
  the next run records it). Re-runs are keyed by those source ids and change nothing
  that was imported before.
* **Bad documents** (unreadable, missing or malformed ids, wrong types, duplicate or
  taken emails, unknown customers, unmappable statuses) are counted and listed in the
  report with their source id and position; each user and each order is written all
  or nothing, so there is never a half-imported one.

Documents are handled in batches: one query finds which source ids of a batch are
known, another which emails are taken, another the customers of a batch of orders.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from itertools import islice
from typing import Any

from bson import ObjectId
from django.db import IntegrityError

from accounts.models import User, normalize_email_address
from accounts.services import user_import
from catalog.models import Category
from catalog.services import category_create, imported_product_sku, product_create_imported
from legacy.exceptions import validation_message
from legacy.models import LegacyOrderImport, LegacyUserImport
from legacy.passwords import ImportedPassword, imported_password
from legacy.selectors import legacy_category_find, legacy_product_find
from legacy.serializers import LegacyOrderCreateInputSerializer, LegacyUserDocumentSerializer
from legacy.services import legacy_status_key, legacy_status_parse
from legacy.sources import SourceDocument
from orders.models import Order
from orders.services import order_import
from shop import transactions
from shop.errors import InvalidInput

BATCH_SIZE = 500
IMPORTED_CATEGORY_SLUG = "imported"
IMPORTED_CATEGORY_NAME = "Imported products"
USERS = "users"
ORDERS = "orders"
NAME_FIELDS = ("first_name", "last_name")
QUANTITY_FIELDS = ("quantity", "Quantity")
ORDER_FIELDS = ("type", "products", *QUANTITY_FIELDS)
SHOWN_VALUE_LENGTH = 60


class Reason:
    """Why a document was not imported (the report's ``skipped`` keys)."""

    ALREADY_IMPORTED = "already_imported"
    DELETED_SINCE_IMPORT = "deleted_since_import"
    INVALID_DOCUMENT = "invalid_document"
    DUPLICATE_ID = "duplicate_id"
    DUPLICATE_EMAIL = "duplicate_email"
    EMAIL_TAKEN = "email_taken"
    UNKNOWN_CUSTOMER = "unknown_customer"
    CUSTOMER_NOT_IMPORTED = "customer_not_imported"
    UNKNOWN_STATUS = "unknown_status"
    NO_CATEGORY = "no_category"


# Skips that are no problem: the document was handled by an earlier run.
QUIET_REASONS = frozenset({Reason.ALREADY_IMPORTED, Reason.DELETED_SINCE_IMPORT})


class DocumentRejected(Exception):
    """A document cannot be imported: ``reason`` (a :class:`Reason`) and a message naming the field."""

    def __init__(self, reason: str, message: str, *, source_id: str | None = None):
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.source_id = source_id


# --- The report ------------------------------------------------------------------------------------


@dataclass
class Problem:
    """One document the import reports: where it is, its source id, why and what is wrong."""

    collection: str
    position: int
    line: int | None
    source_id: str | None
    reason: str
    message: str


@dataclass
class CollectionCounts:
    """Documents of one collection: read, imported, and skipped by reason."""

    read: int = 0
    imported: int = 0
    skipped: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        """Return the counts as plain JSON values."""
        return {
            "read": self.read,
            "imported": self.imported,
            "skipped": sum(self.skipped.values()),
            "skipped_by_reason": dict(sorted(self.skipped.items())),
        }


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do); ``as_dict()`` is the JSON report."""

    dry_run: bool
    source: dict[str, Any]
    users: CollectionCounts = field(default_factory=CollectionCounts)
    orders: CollectionCounts = field(default_factory=CollectionCounts)
    password_kinds: Counter = field(default_factory=Counter)
    users_needing_reset: list[dict[str, Any]] = field(default_factory=list)
    statuses_not_recognised: Counter = field(default_factory=Counter)
    categories_created: list[str] = field(default_factory=list)
    products_created: list[dict[str, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    aborted: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the whole report as plain JSON values."""
        return {
            "dry_run": self.dry_run,
            "source": self.source,
            "aborted": self.aborted,
            "users": {
                **self.users.as_dict(),
                "needing_password_reset": len(self.users_needing_reset),
                "passwords": dict(sorted(self.password_kinds.items())),
            },
            "orders": {
                **self.orders.as_dict(),
                "statuses_not_recognised": dict(self.statuses_not_recognised.most_common()),
            },
            "categories_created": self.categories_created,
            "products_created": self.products_created,
            "users_needing_password_reset": self.users_needing_reset,
            "problems": [asdict(problem) for problem in self.problems],
        }


# --- Reading documents ------------------------------------------------------------------------------


def source_id_parse(value, *, field_name: str) -> ObjectId:
    """Return ``value`` (an ObjectId, or its 24-hex text) as an ObjectId; DocumentRejected otherwise."""
    if isinstance(value, ObjectId):
        return value
    if isinstance(value, str) and ObjectId.is_valid(value):
        return ObjectId(value)
    if value is None:
        message = f"{field_name}: missing."
    else:
        message = f"{field_name}: not an ObjectId: {shown(value)}."
    raise DocumentRejected(Reason.INVALID_DOCUMENT, message)


def shown(value) -> str:
    """Return a short ``repr`` of a value from the data, for messages."""
    text = repr(value)
    return text if len(text) <= SHOWN_VALUE_LENGTH else text[: SHOWN_VALUE_LENGTH - 3] + "..."


def raw_source_id(document: dict[str, Any] | None) -> str | None:
    """Return the document's ``_id`` for the report, valid or not (None if it has none)."""
    if not document or document.get("_id") is None:
        return None
    value = document["_id"]
    return str(value) if isinstance(value, ObjectId) else shown(value)


@dataclass(frozen=True)
class SourceRecord:
    """A validated document: where it was read and its ``_id``."""

    source: SourceDocument
    object_id: ObjectId

    @property
    def source_id(self) -> str:
        """Return the document's ``_id`` as hex text."""
        return str(self.object_id)


@dataclass(frozen=True)
class UserRecord(SourceRecord):
    """A validated user document."""

    email: str
    first_name: str
    last_name: str
    password: ImportedPassword


@dataclass(frozen=True)
class OrderRecord(SourceRecord):
    """A validated order document."""

    customer_source_id: str
    type_text: str
    product_text: str
    quantity: int
    status_text: Any


def user_record(source: SourceDocument) -> UserRecord:
    """Validate a user document as registration validates its fields; DocumentRejected otherwise."""
    document = readable(source)
    object_id = source_id_parse(document.get("_id"), field_name="_id")
    data = {name: document[name] for name in ("email", *NAME_FIELDS) if document.get(name) is not None}
    serializer = LegacyUserDocumentSerializer(data=data)
    if not serializer.is_valid():
        raise DocumentRejected(Reason.INVALID_DOCUMENT, validation_message(serializer.errors))
    values = serializer.validated_data
    return UserRecord(
        source=source,
        object_id=object_id,
        email=normalize_email_address(values["email"]),
        first_name=values.get("first_name", ""),
        last_name=values.get("last_name", ""),
        password=imported_password(document.get("password")),
    )


def order_record(source: SourceDocument) -> OrderRecord:
    """Validate an order document with the rules of the legacy ``POST /order``; DocumentRejected otherwise."""
    document = readable(source)
    object_id = source_id_parse(document.get("_id"), field_name="_id")
    customer_id = source_id_parse(document.get("customer_id"), field_name="customer_id")
    data = {name: whole_number(document[name]) for name in ORDER_FIELDS if name in document}
    serializer = LegacyOrderCreateInputSerializer(data=data)
    if not serializer.is_valid():
        raise DocumentRejected(Reason.INVALID_DOCUMENT, validation_message(serializer.errors))
    values = serializer.validated_data
    return OrderRecord(
        source=source,
        object_id=object_id,
        customer_source_id=str(customer_id),
        type_text=values["type"],
        product_text=values["products"],
        quantity=values["count"],
        status_text=document.get("status"),
    )


def readable(source: SourceDocument) -> dict[str, Any]:
    """Return the document, or raise DocumentRejected with why it could not be read."""
    if source.document is None:
        raise DocumentRejected(Reason.INVALID_DOCUMENT, source.error or "unreadable document")
    return source.document


def whole_number(value):
    """Return an integral BSON double (the mongo shell stores every number as one) as an int."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def batches(documents: Iterable[SourceDocument], size: int = BATCH_SIZE) -> Iterator[list[SourceDocument]]:
    """Yield lists of up to ``size`` documents."""
    iterator = iter(documents)
    while batch := list(islice(iterator, size)):
        yield batch


def pairs(queryset, value: str, *, key: str = "source_id") -> dict:
    """Return ``{key: value}`` of the rows of ``queryset`` (unsorted: a batch lookup needs no order)."""
    return dict(queryset.order_by().values_list(key, value))


def keeps_source_ids() -> bool:
    """Return whether users and orders keep the original ObjectIds as primary keys (MongoDB)."""
    return all(model._meta.pk.get_internal_type() == "ObjectIdAutoField" for model in (User, Order))


def status_describe(text) -> str:
    """Return status text as the report shows it (text as it is; other values as their repr)."""
    if text is None:
        return "(no status)"
    return text if isinstance(text, str) else shown(text)


# --- The import ----------------------------------------------------------------------------------------

_DRY_RUN = object()  # stands for a row a dry run would have written


class LegacyImport:
    """One run of the import: users first, then orders, with the state both need.

    ``status_map`` maps status text (compared as the legacy routes compare it:
    ignoring case, spaces and underscores) to a status, before the legacy rules;
    ``unknown_status`` is the status for text nothing recognises (None: skip those
    orders). With ``dry_run`` nothing is written and the report says what would be.
    """

    def __init__(
        self,
        *,
        report: ImportReport,
        dry_run: bool = False,
        status_map: dict[str, str] | None = None,
        unknown_status: str | None = None,
    ):
        self.report = report
        self.dry_run = dry_run
        self.status_map = {legacy_status_key(text): status for text, status in (status_map or {}).items()}
        self.unknown_status = unknown_status
        self.keeps_ids = keeps_source_ids()
        # Source id -> primary key of the user imported (or found imported) in this run.
        self.user_pks: dict[str, Any] = {}
        self.user_emails: dict[str, str] = {}  # normalised email -> source id, this run
        self.users_not_imported: set[str] = set()
        self.order_ids_seen: set[str] = set()
        self.products: dict[tuple[str, str], Any] = {}
        self.imported_category: Category | None = None

    # --- users ---------------------------------------------------------------------------

    def users_import(self, documents: Iterable[SourceDocument]) -> None:
        """Import every user document, in batches."""
        for batch in batches(documents):
            records = [record for record in map(self._user_parse, batch) if record is not None]
            known = pairs(
                LegacyUserImport.objects.filter(source_id__in=[r.source_id for r in records]), "user_id"
            )
            taken = pairs(User.objects.filter(email__in={r.email for r in records}), "pk", key="email")
            taken_by_source = pairs(
                LegacyUserImport.objects.filter(user_id__in=list(taken.values())), "source_id", key="user_id"
            )
            existing_pks = self._existing_pks(User, records, known)
            for record in records:
                try:
                    self._user_import(record, known, taken, taken_by_source, existing_pks)
                except DocumentRejected as rejected:
                    self._skip(USERS, record.source, rejected, source_id=record.source_id)
                    self.users_not_imported.add(record.source_id)

    def _user_parse(self, source: SourceDocument) -> UserRecord | None:
        self.report.users.read += 1
        try:
            return user_record(source)
        except DocumentRejected as rejected:
            self._skip(USERS, source, rejected)
            if source.document and isinstance(source.document.get("_id"), ObjectId):
                self.users_not_imported.add(str(source.document["_id"]))
            return None

    def _user_import(self, record: UserRecord, known, taken, taken_by_source, existing_pks) -> None:
        source_id = record.source_id
        if source_id in self.user_pks or source_id in self.users_not_imported:
            raise DocumentRejected(
                Reason.DUPLICATE_ID, f"_id: {source_id} appears more than once in the users."
            )
        if source_id in known:
            self._already_imported(USERS, known[source_id])
            # Even if the account was deleted since: a twin in another case stays a duplicate.
            self.user_emails[record.email] = source_id
            if known[source_id] is not None:
                self.user_pks[source_id] = known[source_id]
            return
        if record.object_id in existing_pks:
            # Imported by a run that stopped before recording it (MongoDB without transactions).
            self._record(LegacyUserImport, source_id=source_id, user_id=record.object_id)
            self._already_imported(USERS, record.object_id)
            self.user_pks[source_id] = record.object_id
            self.user_emails[record.email] = source_id
            return
        other = self.user_emails.get(record.email) or taken_by_source.get(taken.get(record.email))
        if other is not None:
            raise DocumentRejected(
                Reason.DUPLICATE_EMAIL,
                f"email: {record.email} is also the email of user {other} (emails ignore case).",
            )
        if record.email in taken:
            raise DocumentRejected(
                Reason.EMAIL_TAKEN, f"email: {record.email} belongs to an account created in the shop."
            )
        user_pk = self._user_write(record)
        self.user_pks[source_id] = user_pk
        self.user_emails[record.email] = source_id
        self.report.users.imported += 1
        self.report.password_kinds[record.password.kind] += 1
        if record.password.needs_reset:
            self.report.users_needing_reset.append(
                {
                    "source_id": source_id,
                    "email": record.email,
                    "position": record.source.position,
                    "reason": record.password.detail,
                }
            )

    def _user_write(self, record: UserRecord):
        """Create the user and its source-id row together; return its primary key."""
        if self.dry_run:
            return _DRY_RUN

        def write() -> User:
            user = user_import(
                email=record.email,
                first_name=record.first_name,
                last_name=record.last_name,
                password_hash=record.password.stored_value(),
                date_joined=record.object_id.generation_time,
                user_id=record.object_id if self.keeps_ids else None,
            )
            transactions.on_failure(f"imported user {user.pk}", User.objects.filter(pk=user.pk).delete)
            LegacyUserImport.objects.create(source_id=record.source_id, user=user)
            return user

        try:
            user = transactions.run(write)
        except InvalidInput as exc:
            raise DocumentRejected(Reason.EMAIL_TAKEN, f"email: {exc.message}") from None
        except IntegrityError:
            raise DocumentRejected(Reason.ALREADY_IMPORTED, "imported by another run meanwhile.") from None
        return user.pk

    # --- orders --------------------------------------------------------------------------------

    def orders_import(self, documents: Iterable[SourceDocument]) -> None:
        """Import every order document, in batches."""
        for batch in batches(documents):
            records = [record for record in map(self._order_parse, batch) if record is not None]
            known = pairs(
                LegacyOrderImport.objects.filter(source_id__in=[r.source_id for r in records]), "order_id"
            )
            existing_pks = self._existing_pks(Order, records, known)
            customers = self._customers(records)
            for record in records:
                try:
                    self._order_import(record, known, existing_pks, customers)
                except DocumentRejected as rejected:
                    self._skip(ORDERS, record.source, rejected, source_id=record.source_id)

    def _order_parse(self, source: SourceDocument) -> OrderRecord | None:
        self.report.orders.read += 1
        try:
            return order_record(source)
        except DocumentRejected as rejected:
            self._skip(ORDERS, source, rejected)
            return None

    def _customers(self, records: list[OrderRecord]) -> dict[str, Any]:
        """Return ``{customer source id: User, None (deleted) or _DRY_RUN}`` for a batch's known customers."""
        wanted = {record.customer_source_id for record in records}
        pks = {source_id: self.user_pks[source_id] for source_id in wanted if source_id in self.user_pks}
        missing = wanted - pks.keys()
        if missing:
            pks.update(pairs(LegacyUserImport.objects.filter(source_id__in=sorted(missing)), "user_id"))
        users = User.objects.in_bulk([pk for pk in pks.values() if pk is not None and pk is not _DRY_RUN])
        return {
            source_id: pk if pk is None or pk is _DRY_RUN else users.get(pk) for source_id, pk in pks.items()
        }

    def _order_import(self, record: OrderRecord, known, existing_pks, customers) -> None:
        source_id = record.source_id
        if source_id in self.order_ids_seen:
            raise DocumentRejected(
                Reason.DUPLICATE_ID, f"_id: {source_id} appears more than once in the orders."
            )
        self.order_ids_seen.add(source_id)
        if source_id in known:
            self._already_imported(ORDERS, known[source_id])
            return
        if record.object_id in existing_pks:
            self._record(LegacyOrderImport, source_id=source_id, order_id=record.object_id)
            self._already_imported(ORDERS, record.object_id)
            return
        customer = self._customer(record, customers)
        status = self._status(record)
        product = self._product(type_text=record.type_text, product_text=record.product_text)
        self._order_write(record, customer=customer, product=product, status=status)
        self.report.orders.imported += 1

    def _customer(self, record: OrderRecord, customers):
        customer_id = record.customer_source_id
        if customer_id in customers and customers[customer_id] is not None:
            return customers[customer_id]
        if customer_id in customers or customer_id in self.users_not_imported:
            reason = (
                "was deleted since its import" if customer_id in customers else "was not imported (see users)"
            )
            raise DocumentRejected(Reason.CUSTOMER_NOT_IMPORTED, f"customer_id: user {customer_id} {reason}.")
        raise DocumentRejected(
            Reason.UNKNOWN_CUSTOMER, f"customer_id: no user {customer_id} in the users imported."
        )

    def _status(self, record: OrderRecord) -> str:
        """Return the status for the order's status text (legacy rules, then the map, then the fallback)."""
        text = record.status_text
        if isinstance(text, str):
            key = legacy_status_key(text)
            if key in self.status_map:
                return self.status_map[key]
            try:
                return legacy_status_parse(text=text)
            except InvalidInput:
                pass
        self.report.statuses_not_recognised[status_describe(text)] += 1
        if self.unknown_status is None:
            raise DocumentRejected(
                Reason.UNKNOWN_STATUS,
                f"status: {status_describe(text)!r} names no status (use --map-status or --unknown-status).",
            )
        return self.unknown_status

    def _product(self, *, type_text: str, product_text: str):
        """Return the product an order names, as ``POST /order`` finds it; create a stand-in if missing."""
        key = (type_text, product_text)
        if key not in self.products:
            category = legacy_category_find(text=type_text) or self._imported_category()
            product = legacy_product_find(category=category, name=product_text, include_inactive=True)
            if product is None:
                product = self._product_create(category=category, name=product_text)
            self.products[key] = product
        return self.products[key]

    def _imported_category(self) -> Category:
        """Return the category for products of unknown categories (created on first use)."""
        if self.imported_category is None:
            category = Category.objects.filter(slug=IMPORTED_CATEGORY_SLUG).first()
            if category is None:
                category = Category(slug=IMPORTED_CATEGORY_SLUG, name=IMPORTED_CATEGORY_NAME)
                if not self.dry_run:
                    try:
                        category = category_create(slug=IMPORTED_CATEGORY_SLUG, name=IMPORTED_CATEGORY_NAME)
                    except InvalidInput as exc:
                        raise DocumentRejected(
                            Reason.NO_CATEGORY,
                            f"type: no such category, and the category {IMPORTED_CATEGORY_SLUG!r} for "
                            f"products of unknown categories cannot be created: {exc.message}",
                        ) from None
                self.report.categories_created.append(IMPORTED_CATEGORY_SLUG)
            self.imported_category = category
        return self.imported_category

    def _product_create(self, *, category: Category, name: str):
        if self.dry_run:
            product = _DRY_RUN
            sku = imported_product_sku(category_slug=category.slug, name=name)
        else:
            try:
                product = product_create_imported(category=category, name=name)
            except InvalidInput as exc:
                raise DocumentRejected(Reason.INVALID_DOCUMENT, f"products: {exc.message}") from None
            sku = product.sku
        self.report.products_created.append({"category": category.slug, "name": name, "sku": sku})
        return product

    def _order_write(self, record: OrderRecord, *, customer, product, status: str) -> None:
        """Write the order, its line, its history entry and its source-id row together."""
        if self.dry_run:
            return
        note = (
            f"Imported from the original service: order {record.source_id}, "
            f"type {record.type_text!r}, products {record.product_text!r}, "
            f"status {status_describe(record.status_text)!r}."
        )

        def write() -> None:
            order = order_import(
                customer=customer,
                product=product,
                quantity=record.quantity,
                status=status,
                created_at=record.object_id.generation_time,
                note=note,
                order_id=record.object_id if self.keeps_ids else None,
            )
            # Without a transaction a failed record write leaves the order: the next run
            # finds its kept id (MongoDB) and records it; see the README.
            LegacyOrderImport.objects.create(source_id=record.source_id, order=order)

        try:
            transactions.run(write)
        except InvalidInput as exc:
            raise DocumentRejected(Reason.INVALID_DOCUMENT, f"{exc.field}: {exc.message}") from None
        except IntegrityError:
            raise DocumentRejected(Reason.ALREADY_IMPORTED, "imported by another run meanwhile.") from None

    # --- shared ----------------------------------------------------------------------------------

    def _existing_pks(self, model, records, known) -> set:
        """Return which unrecorded source ids already are primary keys of ``model`` (kept ids only)."""
        if not self.keeps_ids:
            return set()
        candidates = [record.object_id for record in records if record.source_id not in known]
        if not candidates:
            return set()
        return set(model.objects.filter(pk__in=candidates).order_by().values_list("pk", flat=True))

    def _record(self, model, **values) -> None:
        """Write a source-id row for a document an interrupted run imported (not in a dry run)."""
        if not self.dry_run:
            model.objects.create(**values)

    def _already_imported(self, collection: str, target) -> None:
        """Count a document an earlier run handled (``target`` None: what it imported was deleted since)."""
        counts = self.report.users if collection == USERS else self.report.orders
        counts.skipped[Reason.ALREADY_IMPORTED if target is not None else Reason.DELETED_SINCE_IMPORT] += 1

    def _skip(
        self, collection: str, source: SourceDocument, rejected: DocumentRejected, *, source_id=None
    ) -> None:
        counts = self.report.users if collection == USERS else self.report.orders
        counts.skipped[rejected.reason] += 1
        if rejected.reason not in QUIET_REASONS:
            self.report.problems.append(
                Problem(
                    collection=collection,
                    position=source.position,
                    line=source.line,
                    source_id=source_id or rejected.source_id or raw_source_id(source.document),
                    reason=rejected.reason,
                    message=rejected.message,
                )
            )
