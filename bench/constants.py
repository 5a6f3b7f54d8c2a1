"""What the benchmark's data set and its runner share: the bench accounts and products.

Plain constants, free of Django, so the runner (``bench/run.py``, which only starts
processes) and the Django-side tools (``bench/dataset.py``, ``bench/querycount.py``)
import the same values.
"""

BENCH_CUSTOMER_EMAIL = "bench-customer@example.com"
BENCH_WRITER_EMAIL = "bench-writer@example.com"
BENCH_STAFF_EMAIL = "bench-staff@example.com"
# Published on purpose: the seeding refuses any database that already has users or orders.
BENCH_PASSWORD = "bench-only-Passw0rd-never-in-production"  # noqa: S105
BENCH_CUSTOMER_ORDERS = 100
BENCH_CATEGORY_SLUG = "bench"
BENCH_PRODUCT_COUNT = 50
BENCH_PRODUCT_STOCK = 1_000_000_000
# The search-growth data sets (``bench.seed --catalog-products N``): N more products in
# their own category, one in BENCH_SEARCH_EVERY of them named with BENCH_SEARCH_TERM
# (a word no demo or bench product has), so a search page is full at every size.
BENCH_CATALOG_CATEGORY_SLUG = "bench-catalog"
BENCH_SEARCH_TERM = "lantern"
BENCH_SEARCH_EVERY = 20
# Where every seeded order ships to: an address snapshot as v1 orders carry one.
BENCH_SHIPPING_ADDRESS = {
    "full_name": "Bench Customer",
    "line1": "1 Market Street",
    "line2": "Suite 200",
    "city": "San Francisco",
    "postal_code": "94105",
    "region": "CA",
    "country": "US",
    "phone": "+14155552671",
}
