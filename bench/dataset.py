"""Seed a large, realistic data set for the benchmark (``make bench``): ``python -m bench.seed``.

``python -m bench.seed --customers 2000 --orders 200000`` fills a *fresh* database
with customers, the demo catalog plus bench products, and orders with 1-4 lines, a
consistent total and a full status history, spread over two years. It is bench
tooling, so it lives with the bench rather than in an app: the :class:`Command` below
is a Django management command that ``bench/seed.py`` runs after setting Django up,
and tests run it with ``call_command(Command(), ...)``.

Why not ``orders.services.order_create``: the service places one order at a time,
reserving stock line by line inside a transaction, which is what the API must do and
far too slow for 200,000 historical orders. This command writes with ``bulk_create``
in batches (no raw SQL, so it runs on SQLite and MongoDB alike) and reproduces the
invariants the service guarantees, so the API reads seeded orders exactly like placed
ones: lines snapshot ``sku``, ``name``, ``category_slug`` and ``unit_price``;
``line_total = unit_price * quantity``; ``total`` is the sum of the lines; the first
history entry is the creation (``from_status`` null, ``IN_PROGRESS``, by the customer)
and every later entry is a legal move; ``updated_at`` is the last move's time.
Historical orders reserve no stock (their units shipped long ago); the bench products
get a huge stock so that benchmark orders placed through the API never run out.

Known accounts (``bench/constants.py``; all share one password hash, computed once:
hashing 2,000 passwords with Argon2id would cost a minute and measure nothing):
- ``BENCH_CUSTOMER_EMAIL`` owns exactly ``BENCH_CUSTOMER_ORDERS`` orders (enough for
  full pages at every page size the benchmark asks for), spread among the others';
- ``BENCH_WRITER_EMAIL`` places the benchmark's POST orders (so the reader's list
  does not change under the benchmark);
- ``BENCH_STAFF_EMAIL`` is the staff member who shipped and delivered orders.

The command refuses to run on a database that already has users or orders: it
creates accounts with a published password, so it must never touch a real database.
"""

from __future__ import annotations

import random
import time
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from bench.constants import (
    BENCH_CATALOG_CATEGORY_SLUG,
    BENCH_CATEGORY_SLUG,
    BENCH_CUSTOMER_EMAIL,
    BENCH_CUSTOMER_ORDERS,
    BENCH_PASSWORD,
    BENCH_PRODUCT_COUNT,
    BENCH_PRODUCT_STOCK,
    BENCH_SEARCH_EVERY,
    BENCH_SEARCH_TERM,
    BENCH_SHIPPING_ADDRESS,
    BENCH_STAFF_EMAIL,
    BENCH_WRITER_EMAIL,
)
from catalog.models import Category, Product
from catalog.services import catalog_version_bump_now
from orders.models import Actor, Order, OrderLine, OrderStatus, OrderStatusChange
from orders.representation import HISTORY_COLUMNS, LINE_COLUMNS, details_render, order_rendered
from orders.services import FIRST_ORDER_NUMBER
from shop.progress import ProgressBar

# Line positions as orders.services numbers them (the first line is 1).
FIRST_LINE_POSITION = 1
CENT = Decimal("0.01")
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)

LINE_COUNT_WEIGHTS = {1: 40, 2: 30, 3: 20, 4: 10}
QUANTITY_WEIGHTS = {1: 70, 2: 20, 3: 7, 5: 3}
CANCELLED_SHARE = 0.08
# Words of the search-growth catalog's product names (``--catalog-products``).
CATALOG_ADJECTIVES = ("Oak", "Brass", "Linen", "Copper", "Walnut", "Slate", "Cedar", "Wool")
CATALOG_NOUNS = ("chair", "kettle", "blanket", "mirror", "shelf", "basket", "clock", "vase")


def weighted(rng: random.Random, weights: dict[int, int]) -> int:
    """Return one key of ``weights`` drawn with the given relative weights."""
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class Command(BaseCommand):
    """Fill a fresh database with the benchmark's customers, products and orders."""

    help = "Seed a fresh database with a large, realistic data set for make bench (python -m bench.seed)."

    def add_arguments(self, parser):
        """Declare the data-set size and the random seed."""
        parser.add_argument(
            "--customers", type=int, default=2000, help="customers besides the bench accounts"
        )
        parser.add_argument("--orders", type=int, default=200_000, help="orders in total")
        parser.add_argument("--batch-size", type=int, default=2000, help="orders written per transaction")
        parser.add_argument(
            "--span-days", type=int, default=730, help="orders are spread over this many days"
        )
        parser.add_argument("--seed", type=int, default=20260101, help="random seed (same seed, same data)")
        parser.add_argument(
            "--catalog-products",
            type=int,
            default=0,
            help=(
                f"more products, in category {BENCH_CATALOG_CATEGORY_SLUG!r}, for the product-search "
                f"growth rows: one in {BENCH_SEARCH_EVERY} is named with {BENCH_SEARCH_TERM!r}"
            ),
        )

    def handle(self, *args, **options):
        """Check the database is fresh, then write users, products and orders in batches."""
        customers, orders = options["customers"], options["orders"]
        batch_size, span_days = options["batch_size"], options["span_days"]
        if customers < 1 or orders < 0 or batch_size < 1 or span_days < 1 or options["catalog_products"] < 0:
            raise CommandError(
                "--customers and --batch-size and --span-days must be >= 1, --orders and "
                "--catalog-products >= 0."
            )
        if User.objects.exists() or Order.objects.exists():
            raise CommandError(
                "The database already has users or orders. The bench data set has accounts with a "
                "published password: run it on a fresh, migrated benchmark database only."
            )
        rng = random.Random(options["seed"])  # noqa: S311 - reproducible data, not secrets
        started = time.perf_counter()
        rows = 0
        self.products, product_rows = self.seed_products()
        rows += product_rows
        self.customer_ids, self.bench_ids, user_rows = self.seed_users(customers)
        rows += user_rows
        rows += self.seed_orders(rng=rng, total=orders, batch_size=batch_size, span=timedelta(days=span_days))
        # After the orders, which draw their lines from the demo and bench products only.
        rows += self.seed_catalog(rng=rng, count=options["catalog_products"], batch_size=batch_size)
        # Bulk writes bypass the order services: say that every customer's orders
        # changed, so no order-list page cached meanwhile is served (orders.page_cache).
        User.objects.update(orders_version=F("orders_version") + 1)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Seeded {rows:,} rows ({customers:,} customers, {orders:,} orders with lines and history) "
            f"in {elapsed:.1f} s: {rows / max(elapsed, 1e-9):,.0f} rows/s."
        )
        self.stdout.write(
            f"Bench customer {BENCH_CUSTOMER_EMAIL} owns {min(BENCH_CUSTOMER_ORDERS, orders)} orders; "
            f"bench products are in category {BENCH_CATEGORY_SLUG!r} with {BENCH_PRODUCT_STOCK:,} units each."
        )

    def seed_products(self) -> tuple[list[tuple], int]:
        """Load the demo catalog when the catalog app provides it, then add the bench products.

        Return the active products as tuples (pk, sku, name, category slug, price) and
        the number of rows written here.
        """
        if "load_demo_catalog" in get_commands():
            call_command("load_demo_catalog", stdout=self.stdout, stderr=self.stderr)
        # Direct ORM writes, as in the catalog factories: this arranges data, and the
        # bench products need a stock that the public API would never be asked for.
        category, _ = Category.objects.get_or_create(
            slug=BENCH_CATEGORY_SLUG, defaults={"name": "Benchmark products"}
        )
        Product.objects.bulk_create(
            Product(
                sku=f"BENCH-{number:04d}",
                name=f"Bench product {number:04d}",
                category=category,
                description="A product of the benchmark data set, stocked for millions of orders.",
                price=(Decimal(number * 37 % 9900 + 100) / 100).quantize(CENT),
                stock=BENCH_PRODUCT_STOCK,
            )
            for number in range(1, BENCH_PRODUCT_COUNT + 1)
        )
        # Written around the services: bump the catalog version as they would, so that no
        # page cached before (a shared Redis) is served for the new products.
        catalog_version_bump_now()
        products = list(
            Product.objects.filter(is_active=True)
            .order_by("sku")
            .values_list("pk", "sku", "name", "category_id", "price")
        )
        return products, BENCH_PRODUCT_COUNT + 1

    def seed_catalog(self, *, rng: random.Random, count: int, batch_size: int) -> int:
        """Add ``count`` products for the search-growth rows; return the number of rows written.

        Names join a random word of ``CATALOG_ADJECTIVES`` and of ``CATALOG_NOUNS``;
        every ``BENCH_SEARCH_EVERY``-th product is a ``BENCH_SEARCH_TERM`` instead, so that
        ``?search=`` of that word matches one product in ``BENCH_SEARCH_EVERY`` at any size,
        spread over the name order as in a real catalog. (Cycling the words put every
        match under one adjective: a page in name order then walked past half the table.)
        """
        if count == 0:
            return 0
        category, _ = Category.objects.get_or_create(
            slug=BENCH_CATALOG_CATEGORY_SLUG, defaults={"name": "Benchmark catalog"}
        )

        def product(number: int) -> Product:
            adjective, noun = rng.choice(CATALOG_ADJECTIVES), rng.choice(CATALOG_NOUNS)
            if number % BENCH_SEARCH_EVERY == 0:
                noun = BENCH_SEARCH_TERM
            return Product(
                sku=f"CAT-{number:07d}",
                name=f"{adjective} {noun} {number:07d}",
                category=category,
                description=f"A {adjective.lower()} {noun} of the benchmark catalog, made to order.",
                price=(Decimal(number * 53 % 49900 + 100) / 100).quantize(CENT),
                stock=100,
            )

        bar = ProgressBar(label="seeding catalog", total=count, stream=self.stderr)
        for first in range(1, count + 1, batch_size):
            numbers = range(first, min(first + batch_size, count + 1))
            with transaction.atomic():
                Product.objects.bulk_create(product(number) for number in numbers)
            bar.update(done=numbers[-1], rows=numbers[-1])
        bar.finish()
        catalog_version_bump_now()
        return count + 1

    def seed_users(self, customers: int) -> tuple[list, dict[str, object], int]:
        """Create the customers and the bench accounts; return customer ids, bench ids, rows."""
        # One Argon2id hash (the production hasher) shared by every account.
        password = make_password(BENCH_PASSWORD)
        joined = timezone.now() - timedelta(days=800)
        users = [
            User(email=f"customer-{number:06d}@bench.example.com", password=password, date_joined=joined)
            for number in range(1, customers + 1)
        ]
        users += [
            User(email=BENCH_CUSTOMER_EMAIL, password=password, first_name="Bench", last_name="Reader"),
            User(email=BENCH_WRITER_EMAIL, password=password, first_name="Bench", last_name="Writer"),
            User(email=BENCH_STAFF_EMAIL, password=password, is_staff=True, first_name="Bench"),
        ]
        with transaction.atomic():
            User.objects.bulk_create(users, batch_size=1000)
        # bulk_create sets primary keys on both backends, but read them back by email so
        # the command does not depend on it.
        ids = dict(User.objects.values_list("email", "pk"))
        customer_ids = [ids[user.email] for user in users[:customers]]
        bench_ids = {
            email: ids[email] for email in (BENCH_CUSTOMER_EMAIL, BENCH_WRITER_EMAIL, BENCH_STAFF_EMAIL)
        }
        return customer_ids, bench_ids, len(users)

    def seed_orders(self, *, rng: random.Random, total: int, batch_size: int, span: timedelta) -> int:
        """Write ``total`` orders in batches; return the number of rows written."""
        now = timezone.now()
        start = now - span
        bench_positions = set(rng.sample(range(total), min(BENCH_CUSTOMER_ORDERS, total)))
        bar = ProgressBar(label="seeding orders", total=total, stream=self.stderr)
        rows = 0
        for first in range(0, total, batch_size):
            numbers = range(first, min(first + batch_size, total))
            orders, lines, history = [], [], []
            for number in numbers:
                # Increasing with the number (plus jitter), as orders arrive over time.
                created = start + span * ((number + rng.random()) / total) if total else now
                customer = (
                    self.bench_ids[BENCH_CUSTOMER_EMAIL]
                    if number in bench_positions
                    else rng.choice(self.customer_ids)
                )
                order, order_lines, moves = self.build_order(
                    rng=rng,
                    customer_id=customer,
                    created=created,
                    now=now,
                    number=FIRST_ORDER_NUMBER + number,
                )
                orders.append(order)
                lines.append(order_lines)
                history.append(moves)
            with transaction.atomic():
                Order.objects.bulk_create(orders)
                for order, order_lines, moves in zip(orders, lines, history, strict=True):
                    for item in order_lines:
                        item.order_id = order.pk
                    for move in moves:
                        move.order_id = order.pk
                flat_lines = [item for order_lines in lines for item in order_lines]
                flat_history = [move for moves in history for move in moves]
                OrderLine.objects.bulk_create(flat_lines)
                OrderStatusChange.objects.bulk_create(flat_history)
            rows += len(orders) + len(flat_lines) + len(flat_history)
            bar.update(done=numbers.stop, rows=rows)
        bar.finish()
        return rows

    def build_order(self, *, rng: random.Random, customer_id, created, now, number: int):
        """Return an unsaved order numbered ``number``, its lines and its status history, all consistent."""
        picked = rng.sample(self.products, weighted(rng, LINE_COUNT_WEIGHTS))
        lines = []
        total = Decimal("0.00")
        for position, (product_id, sku, name, category_slug, price) in enumerate(picked, FIRST_LINE_POSITION):
            quantity = weighted(rng, QUANTITY_WEIGHTS)
            line_total = (price * quantity).quantize(CENT)
            total += line_total
            lines.append(
                OrderLine(
                    product_id=product_id,
                    position=position,
                    sku=sku,
                    name=name,
                    category_slug=category_slug,
                    unit_price=price,
                    quantity=quantity,
                    line_total=line_total,
                )
            )
        moves = [
            OrderStatusChange(
                from_status=None,
                to_status=OrderStatus.IN_PROGRESS,
                changed_at=created,
                changed_by=Actor.CUSTOMER,
            )
        ]
        staff_id = self.bench_ids[BENCH_STAFF_EMAIL]
        if rng.random() < CANCELLED_SHARE:
            cancelled = created + rng.uniform(0.1, 24) * HOUR
            if cancelled <= now:
                moves.append(
                    self.move(OrderStatus.IN_PROGRESS, OrderStatus.CANCELLED, cancelled, Actor.CUSTOMER)
                )
        else:
            shipped = created + rng.uniform(6, 48) * HOUR
            delivered = shipped + rng.uniform(1, 5) * DAY
            if shipped <= now:
                moves.append(
                    self.move(OrderStatus.IN_PROGRESS, OrderStatus.SHIPPED, shipped, Actor.STAFF, staff_id)
                )
            if delivered <= now:
                moves.append(
                    self.move(OrderStatus.SHIPPED, OrderStatus.DELIVERED, delivered, Actor.STAFF, staff_id)
                )
        order = Order(
            customer_id=customer_id,
            number=number,
            status=moves[-1].to_status,
            shipping_address=BENCH_SHIPPING_ADDRESS,
            total=total,
            currency=settings.SHOP_CURRENCY,
            created_at=created,
            updated_at=moves[-1].changed_at,
            details=details_render(
                lines=[row_values(line, LINE_COLUMNS) for line in lines],
                history=[row_values(move, HISTORY_COLUMNS) for move in moves],
            ),
        )
        order.rendered = order_rendered(order)
        return order, lines, moves

    @staticmethod
    def move(from_status, to_status, when, actor, staff_id=None) -> OrderStatusChange:
        """Return an unsaved history entry for a legal move."""
        return OrderStatusChange(
            from_status=from_status,
            to_status=to_status,
            changed_at=when,
            changed_by=actor,
            changed_by_user_id=staff_id,
        )


def row_values(instance, columns) -> dict:
    """Return the ``columns`` of an unsaved model ``instance`` (those it has) as a dict."""
    return {column: getattr(instance, column) for column in columns if column != "order_id"}
