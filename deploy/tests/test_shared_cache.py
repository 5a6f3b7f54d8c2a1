"""``REDIS_URL``: one page cache shared by every server process, with a real Debian redis-server.

Two gunicorn servers (standing for two machines behind a load balancer, which sends
them the same ``Host``) share one SQLite file and one Redis: a page one of them cached
is served by the other, and a change made through either is never hidden by a page
cached before it. With Redis gone, both keep answering from the database.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families

from accounts.tests.factories import UserFactory
from conftest import bearer_client
from deploy.stack import Gunicorn, manage
from deploy.tests.client import Endpoint
from deploy.tests.conftest import base_environment, free_port, fresh_database
from orders.tests.factories import SHIPPING_ADDRESS, OrderFactory
from shop.config import redis_cache

pytestmark = pytest.mark.redis

ORDERS = "/api/v1/orders/"
PUBLIC_HOST = {"Host": "localhost"}  # what the load balancer sends both machines
PASSWORD = "shared-Cache-2026!"


# --- in this process, against the real server ------------------------------------------


@pytest.fixture
def customer_on_redis(redis_server, settings, db):
    """Return a customer with one order, the cache being the test's Redis."""
    settings.CACHES = {"default": redis_cache(redis_server.url)}
    customer = UserFactory()
    OrderFactory(customer=customer)
    return customer


def test_pages_are_cached_in_redis_and_served_from_it(
    customer_on_redis, redis_server, django_assert_num_queries
):
    client = bearer_client(customer_on_redis)

    with django_assert_num_queries(2):  # user + the page of orders (with their details)
        first = client.get(ORDERS)
    with django_assert_num_queries(1):  # user
        second = client.get(ORDERS)

    assert second.content == first.content
    keys = redis.Redis.from_url(redis_server.url).keys("*orders:list:1:*")
    assert len(keys) == 1
    assert f":orders:list:1:{customer_on_redis.pk}:".encode() in keys[0]


def test_when_redis_stops_the_pages_come_from_the_database(customer_on_redis, redis_server, caplog):
    client = bearer_client(customer_on_redis)
    assert client.get(ORDERS).status_code == 200

    redis_server.stop()
    response = client.get(ORDERS)

    assert response.status_code == 200
    assert len(response.json()["results"]) == 1
    assert any(record.name == "shop.cache" and record.levelname == "WARNING" for record in caplog.records)


# --- two server processes ------------------------------------------------------------------


@dataclass
class Machine:
    """One gunicorn server of the pair."""

    server: Gunicorn
    endpoint: Endpoint

    def get(self, path: str, token: str):
        return self.endpoint.get(path, token=token, headers=PUBLIC_HOST)

    def post(self, path: str, body, token: str | None = None):
        return self.endpoint.post(path, body, token=token, headers=PUBLIC_HOST)

    def cache_lookups(self, result: str) -> float:
        text = self.endpoint.get("/metrics").body.decode()
        return sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == "shop_cache_lookups_total"
            and sample.labels == {"cache": "order_list", "result": result}
        )

    def log(self) -> list[dict]:
        return [json.loads(line) for line in self.server.log_text().splitlines() if line.startswith("{")]


@pytest.fixture
def machines(redis_server, tmp_path, collected_static_root, migrated_sqlite):
    """Two gunicorn servers on free loopback ports, one database, one Redis."""
    with fresh_database(migrated_sqlite, tmp_path) as database:
        env = base_environment(
            **database,
            REDIS_URL=redis_server.url,
            DJANGO_STATIC_ROOT=str(collected_static_root),
            DJANGO_SECURE_SSL_REDIRECT="0",  # plain HTTP, no proxy in front here
        )
        started: list[Machine] = []
        try:
            for name in ("a", "b"):
                port = free_port()
                server = Gunicorn(
                    env=env, bind=f"127.0.0.1:{port}", workers=1, log_path=tmp_path / f"{name}.log"
                )
                server.start()
                started.append(Machine(server=server, endpoint=Endpoint(port=port)))
            for machine in started:
                machine.server.wait_ready()
            yield started
        finally:
            for machine in started:
                machine.server.stop()


def customer_token(machine: Machine) -> str:
    body = {"email": "shared@example.com", "password": PASSWORD, "first_name": "Sam", "last_name": "Shared"}
    assert machine.post("/api/v1/auth/register/", body).status == 201
    return machine.post("/api/v1/auth/token/", {"email": body["email"], "password": PASSWORD}).json()[
        "access"
    ]


def place_order(machine: Machine, token: str, product: str) -> str:
    answer = machine.post(
        ORDERS,
        {"shipping_address": SHIPPING_ADDRESS, "items": [{"product": product, "quantity": 1}]},
        token=token,
    )
    assert answer.status == 201, answer.body
    return answer.json()["id"]


def statuses(machine: Machine, token: str) -> dict[str, str]:
    answer = machine.get(ORDERS, token)
    assert answer.status == 200
    return {order["id"]: order["status"] for order in answer.json()["results"]}


def test_two_servers_share_pages_and_never_serve_one_made_stale_by_the_other(machines):
    a, b = machines
    product = demo_product(a)
    token = customer_token(a)
    first = place_order(a, token, product)

    assert statuses(a, token) == {first: "IN_PROGRESS"}  # built by a, cached in Redis
    hits_before = b.cache_lookups("hit")
    assert statuses(b, token) == {first: "IN_PROGRESS"}
    assert b.cache_lookups("hit") == hits_before + 1  # b served a's page

    second = place_order(b, token, product)
    assert statuses(a, token) == {first: "IN_PROGRESS", second: "IN_PROGRESS"}

    assert a.post(f"{ORDERS}{first}/cancel/", {}, token=token).status == 200
    assert statuses(b, token) == {first: "CANCELLED", second: "IN_PROGRESS"}


def test_with_redis_down_both_servers_answer_from_the_database(machines, redis_server):
    a, b = machines
    product = demo_product(a)
    token = customer_token(a)
    order = place_order(a, token, product)
    assert statuses(b, token) == {order: "IN_PROGRESS"}

    redis_server.stop()

    assert statuses(a, token) == {order: "IN_PROGRESS"}
    assert statuses(b, token) == {order: "IN_PROGRESS"}
    another = place_order(b, token, product)
    assert statuses(a, token) == {order: "IN_PROGRESS", another: "IN_PROGRESS"}
    for machine in (a, b):
        warnings = [entry for entry in machine.log() if entry["logger"] == "shop.cache"]
        assert warnings, machine.server.log_text()[-2000:]
        assert all(entry["level"] == "WARNING" for entry in warnings)
        assert not [entry for entry in machine.log() if entry.get("status", 0) >= 500]


def demo_product(machine: Machine) -> str:
    """Load the demo catalog into the machines' database and return the id of its Phone."""
    manage(machine.server.env, "load_demo_catalog")
    answer = machine.endpoint.get("/api/v1/products/?search=Phone", headers=PUBLIC_HOST)
    return next(product["id"] for product in answer.json()["results"] if product["name"] == "Phone")
