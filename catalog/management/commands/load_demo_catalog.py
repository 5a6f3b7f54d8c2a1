"""Load the demo catalog (``make run`` calls this): 6 categories and 30 products.

Idempotent: categories are matched by slug and products by SKU, and whatever
already exists is left exactly as it is (stock that orders have taken included),
so a second run changes nothing. Everything is created through catalog.services.
"""

from decimal import Decimal

from django.core.management.base import BaseCommand

from catalog import services
from catalog.models import Category, Product
from shop.errors import InvalidInput

# (slug, name)
DEMO_CATEGORIES = [
    ("electronics", "Electronics"),
    ("books", "Books"),
    ("home-kitchen", "Home & Kitchen"),
    ("sports", "Sports & Outdoors"),
    ("toys", "Toys & Games"),
    ("clothing", "Clothing"),
]

# (sku, category slug, name, price, stock, description)
DEMO_PRODUCTS = [
    # "Phone" in "electronics" is what the original service's walkthrough orders (LEGACY.md).
    ("EL-PHONE-001", "electronics", "Phone", "699.00", 500, "6.1-inch smartphone, 128 GB, dual camera."),
    (
        "EL-LAPTOP-014",
        "electronics",
        "Laptop 14-inch",
        "1149.00",
        40,
        "14-inch laptop, 16 GB RAM, 512 GB SSD.",
    ),
    (
        "EL-HEADPH-BT",
        "electronics",
        "Wireless Headphones",
        "149.99",
        120,
        "Over-ear, noise cancelling, 30 h battery.",
    ),
    (
        "EL-CHARGER-65W",
        "electronics",
        "USB-C Charger 65W",
        "39.90",
        300,
        "Compact GaN charger for laptops and phones.",
    ),
    ("EL-TABLET-10", "electronics", "Tablet 10-inch", "329.00", 60, "10-inch tablet, 64 GB, Wi-Fi."),
    (
        "EL-WATCH-S2",
        "electronics",
        "Smartwatch",
        "229.00",
        0,
        "Fitness tracking and notifications. Back soon.",
    ),
    ("BK-PRAGPROG", "books", "The Pragmatic Programmer", "49.95", 35, "20th anniversary edition, hardcover."),
    (
        "BK-DDIA",
        "books",
        "Designing Data-Intensive Applications",
        "54.99",
        25,
        "Reliable, scalable, maintainable systems.",
    ),
    ("BK-CLEANCODE", "books", "Clean Code", "42.50", 18, "A handbook of agile software craftsmanship."),
    ("BK-DUNE", "books", "Dune", "12.99", 80, "Frank Herbert's science-fiction classic, paperback."),
    ("BK-COOKBOOK", "books", "Salt, Fat, Acid, Heat", "35.00", 22, "Mastering the elements of good cooking."),
    ("HK-KETTLE-17", "home-kitchen", "Electric Kettle 1.7 L", "34.99", 70, "Stainless steel, auto shut-off."),
    ("HK-CHEF-KNIFE", "home-kitchen", "Chef's Knife 20 cm", "59.00", 45, "Forged German steel."),
    ("HK-FRENCH-PRESS", "home-kitchen", "French Press 1 L", "27.50", 55, "Borosilicate glass, steel frame."),
    ("HK-PAN-28", "home-kitchen", "Cast Iron Skillet 28 cm", "44.90", 30, "Pre-seasoned, oven safe."),
    (
        "HK-TOWELS-4",
        "home-kitchen",
        "Cotton Tea Towels (4 pack)",
        "14.99",
        150,
        "100% cotton, machine washable.",
    ),
    ("SP-YOGA-MAT", "sports", "Yoga Mat", "29.99", 90, "6 mm, non-slip, with carry strap."),
    (
        "SP-BOTTLE-750",
        "sports",
        "Insulated Water Bottle 750 ml",
        "24.00",
        200,
        "Keeps drinks cold for 24 hours.",
    ),
    ("SP-TENT-2P", "sports", "Two-Person Tent", "189.00", 12, "Lightweight, 3-season, 2.1 kg."),
    ("SP-DUMBBELL-10", "sports", "Adjustable Dumbbell 10 kg", "79.00", 25, "Quick-change weight plates."),
    ("SP-RUN-SOCKS", "sports", "Running Socks (3 pack)", "16.50", 0, "Cushioned, breathable. Sold out."),
    ("TG-LEGO-CITY", "toys", "Building Blocks City Set", "59.99", 40, "780 pieces, ages 6+."),
    ("TG-CHESS-WOOD", "toys", "Wooden Chess Set", "45.00", 20, "Folding board, weighted pieces."),
    ("TG-PUZZLE-1000", "toys", "Jigsaw Puzzle 1000 pieces", "19.99", 65, "Alpine lake landscape."),
    ("TG-CATAN", "toys", "Settlers Board Game", "49.00", 30, "Strategy game for 3-4 players."),
    ("CL-TSHIRT-M", "clothing", "Organic Cotton T-Shirt", "19.00", 250, "Unisex, crew neck, size M."),
    ("CL-HOODIE-L", "clothing", "Zip Hoodie", "54.00", 60, "Brushed fleece, size L."),
    ("CL-RAINJACKET", "clothing", "Rain Jacket", "119.00", 28, "Waterproof, breathable, packable."),
    ("CL-BEANIE", "clothing", "Wool Beanie", "22.00", 100, "Merino wool, one size."),
    ("CL-SNEAKERS-42", "clothing", "Canvas Sneakers", "65.00", 45, "Size EU 42."),
]


class Command(BaseCommand):
    """Create the demo categories and products that are missing; touch nothing else."""

    help = "Load the demo catalog (idempotent: existing categories and products are left as they are)."

    def handle(self, *args, **options):
        """Create what is missing and report the counts."""
        existing_slugs = set(Category.objects.values_list("slug", flat=True))
        created_categories = 0
        for slug, name in DEMO_CATEGORIES:
            if slug in existing_slugs:
                continue
            try:
                services.category_create(slug=slug, name=name)
            except InvalidInput as exc:
                self.stderr.write(f"Skipped category {slug!r}: {exc.field}: {exc.message}")
                continue
            existing_slugs.add(slug)
            created_categories += 1

        existing_skus = set(Product.objects.values_list("sku", flat=True))
        created_products = 0
        for sku, category, name, price, stock, description in DEMO_PRODUCTS:
            if sku in existing_skus or category not in existing_slugs:
                continue
            try:
                services.product_create(
                    sku=sku,
                    name=name,
                    category=category,
                    price=Decimal(price),
                    stock=stock,
                    description=description,
                )
            except InvalidInput as exc:
                # For example a product of that name that staff created under another SKU.
                self.stderr.write(f"Skipped product {sku!r}: {exc.field}: {exc.message}")
                continue
            created_products += 1

        self.stdout.write(
            self.style.SUCCESS(
                f"Demo catalog: {created_categories} categories and {created_products} products created "
                f"({len(DEMO_CATEGORIES)} categories and {len(DEMO_PRODUCTS)} products in the demo set)."
            )
        )
