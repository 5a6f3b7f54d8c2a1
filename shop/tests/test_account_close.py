"""Closing an account, the shop's cross-app operation, and the import rule that puts it above the apps.

``shop.services.account_close`` calls the accounts and orders services inside one
``shop.transactions.run``; the HTTP behaviour (``DELETE /api/v1/accounts/me/``,
``DELETE /users/<id>``) is tested in ``orders/tests/test_account_deletion.py`` and
the legacy tests, the failure at every write in ``test_fault_injection.py``.
"""

import ast
from pathlib import Path

import pytest

from accounts.models import User
from accounts.tests.factories import UserFactory
from accounts.tokens import issue_token_pair
from catalog.models import Product
from catalog.tests.factories import ProductFactory
from orders.models import Actor, IdempotencyRecord, Order, OrderStatus
from orders.services import order_create
from orders.tests.factories import OrderFactory
from shop.services import account_close

ROOT = Path(__file__).resolve().parents[2]

# Each app's code may import only the apps listed for it (models, services, selectors):
# cross-app operations live in shop/services.py instead (STYLE.md "Where cross-app work lives").
ALLOWED_APP_IMPORTS = {
    # The outbox imports no app: its callers hand it what the templates read.
    "notifications": set(),
    "accounts": {"notifications"},
    "catalog": set(),
    "orders": {"accounts", "catalog", "notifications"},
    "legacy": {"accounts", "catalog", "orders"},
    "bench": {"accounts", "catalog", "orders"},
}
APPS = set(ALLOWED_APP_IMPORTS)


def imported_apps(path: Path) -> set[str]:
    """Return the apps a module imports, at the top or inside functions."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {name.split(".")[0] for name in names} & APPS


@pytest.mark.parametrize("app", sorted(ALLOWED_APP_IMPORTS))
def test_an_app_imports_only_the_apps_below_it(app):
    offending = {}
    for path in (ROOT / app).rglob("*.py"):
        if "tests" in path.relative_to(ROOT).parts or "migrations" in path.parts:
            continue
        others = imported_apps(path) - {app} - ALLOWED_APP_IMPORTS[app]
        if others:
            offending[str(path.relative_to(ROOT))] = sorted(others)
    assert offending == {}


@pytest.mark.django_db
def test_closing_cancels_open_orders_with_restock_and_keeps_every_order_detached():
    customer = UserFactory()
    product = ProductFactory(stock=10)
    open_order = order_create(customer=customer, items=[{"product": str(product.pk), "quantity": 3}])
    shipped = OrderFactory(customer=customer, items=[(product, 1)], status=OrderStatus.SHIPPED)
    order_create(
        customer=customer,
        items=[{"product": str(product.pk), "quantity": 1}],
        idempotency_key="k-1",
        request_fingerprint="f" * 64,
    )
    assert Product.objects.get(pk=product.pk).stock == 5

    account_close(user=customer)

    assert not User.objects.filter(pk=customer.pk).exists()
    assert Product.objects.get(pk=product.pk).stock == 9  # both open orders gave their units back
    open_order = Order.objects.get(pk=open_order.pk)
    assert (open_order.status, open_order.customer_id) == (OrderStatus.CANCELLED, None)
    assert open_order.history.filter(to_status=OrderStatus.CANCELLED, changed_by=Actor.SYSTEM).count() == 1
    assert Order.objects.get(pk=shipped.pk).status == OrderStatus.SHIPPED
    assert Order.objects.filter(customer__isnull=True).count() == 3
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_closing_kills_the_tokens_and_frees_the_email(api_client):
    customer = UserFactory(email="leaving@example.com")
    access = issue_token_pair(customer)["access"]

    account_close(user=customer)

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    assert api_client.get("/api/v1/accounts/me/").status_code == 401
    assert UserFactory(email="leaving@example.com").pk != customer.pk
