"""Count the database queries of each benchmarked request, in-process.

``python -m bench.querycount`` (the runner calls it with the shop's production
settings and ``SQLITE_PATH`` on a copy of the large bench database) sends each
request through Django's test client inside ``CaptureQueriesContext`` and prints
one JSON line: the count per request, and whether the list endpoints make as many
queries for ``page_size=5`` as for ``page_size=50``.
"""

from __future__ import annotations

import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
django.setup()

from django.db import connection  # noqa: E402 - after django.setup()
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.constants import (  # noqa: E402
    BENCH_CATEGORY_SLUG,
    BENCH_CUSTOMER_EMAIL,
    BENCH_PASSWORD,
    BENCH_SHIPPING_ADDRESS,
    BENCH_WRITER_EMAIL,
)


def counted(client: Client, method: str, path: str, *, token: str | None = None, body: dict | None = None):
    """Send one request; return (number of queries, parsed JSON); fail on a non-2xx answer."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    with CaptureQueriesContext(connection) as queries:
        if method == "GET":
            response = client.get(path, **headers)
        else:
            response = client.post(path, data=json.dumps(body), content_type="application/json", **headers)
    if not 200 <= response.status_code < 300:
        raise SystemExit(f"{method} {path} answered {response.status_code}: {response.content[:500]!r}")
    return len(queries.captured_queries), response.json()


def main() -> None:
    """Count the queries of every benchmarked request and print them as JSON."""
    client = Client()
    counts: dict[str, int] = {}
    login = {"email": BENCH_CUSTOMER_EMAIL, "password": BENCH_PASSWORD}
    counts["POST /api/v1/auth/token/"], tokens = counted(client, "POST", "/api/v1/auth/token/", body=login)
    reader = tokens["access"]
    for size in (5, 50):
        path = f"/api/v1/products/?page_size={size}"
        counts[f"GET {path}"], products = counted(client, "GET", path)
        if len(products["results"]) != size:
            raise SystemExit(f"{path} returned {len(products['results'])} products, not {size}")
    # The same page again: nothing in the catalog changed, so catalog.page_cache answers.
    counts["GET /api/v1/products/?page_size=50 (again: cached page)"], _ = counted(
        client, "GET", "/api/v1/products/?page_size=50"
    )
    for size in (5, 50):
        path = f"/api/v1/orders/?page_size={size}"
        counts[f"GET {path}"], orders = counted(client, "GET", path, token=reader)
        if len(orders["results"]) != size:
            raise SystemExit(f"{path} returned {len(orders['results'])} orders, not {size}")
    # The same page again: the customer's orders did not change, so orders.page_cache answers.
    counts["GET /api/v1/orders/?page_size=50 (again: cached page)"], _ = counted(
        client, "GET", "/api/v1/orders/?page_size=50", token=reader
    )
    order_id = orders["results"][0]["id"]
    counts["GET /api/v1/orders/{id}/"], _ = counted(
        client, "GET", f"/api/v1/orders/{order_id}/", token=reader
    )
    writer_login = {"email": BENCH_WRITER_EMAIL, "password": BENCH_PASSWORD}
    _, writer_tokens = counted(client, "POST", "/api/v1/auth/token/", body=writer_login)
    _, bench = counted(client, "GET", f"/api/v1/products/?category={BENCH_CATEGORY_SLUG}&page_size=3")
    for lines in (1, 3):
        items = [{"product": product["id"], "quantity": 1} for product in bench["results"][:lines]]
        counts[f"POST /api/v1/orders/ ({lines} line{'s' if lines > 1 else ''})"], _ = counted(
            client,
            "POST",
            "/api/v1/orders/",
            token=writer_tokens["access"],
            body={"items": items, "shipping_address": BENCH_SHIPPING_ADDRESS},
        )
    constant = (
        counts["GET /api/v1/products/?page_size=5"] == counts["GET /api/v1/products/?page_size=50"]
        and counts["GET /api/v1/orders/?page_size=5"] == counts["GET /api/v1/orders/?page_size=50"]
    )
    print(json.dumps({"counts": counts, "constant_in_page_size": constant}))


if __name__ == "__main__":
    main()
