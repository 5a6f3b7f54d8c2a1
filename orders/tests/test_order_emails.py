"""The customer hears about an order through the outbox: placed, shipped, cancelled (API.md "Emails")."""

from __future__ import annotations

import pytest
from django.core import mail

from accounts.tests.factories import UserFactory
from accounts.tokens import issue_token_pair
from catalog.tests.factories import ProductFactory
from notifications.models import EmailKind, EmailStatus, OutboxEmail
from orders import services
from orders.models import Actor, OrderStatus
from orders.tests.factories import SHIPPING_ADDRESS, OrderFactory
from shop import transactions
from shop.services import account_close

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def body_for(product, quantity=1) -> dict:
    return {
        "items": [{"product": str(product.pk), "quantity": quantity}],
        "shipping_address": SHIPPING_ADDRESS,
    }


def test_placing_an_order_mails_its_number_lines_total_and_address(
    customer_client, user, django_capture_on_commit_callbacks
):
    phone = ProductFactory(name="Phone", price="699.00", stock=5)
    with django_capture_on_commit_callbacks(execute=True):
        response = customer_client.post(ORDERS, {**body_for(phone, 2), "note": "Ring twice"}, format="json")
    assert response.status_code == 201
    number = response.json()["number"]
    (row,) = OutboxEmail.objects.all()
    assert (row.kind, row.to_email, row.status) == (EmailKind.ORDER_PLACED, user.email, EmailStatus.SENT)
    (message,) = mail.outbox
    assert message.to == [user.email]
    assert f"#{number}" in message.subject
    assert "2 x Phone" in message.body and "1398.00 USD" in message.body
    assert "1 Market Street" in message.body and "Ring twice" in message.body
    html = message.alternatives[0][0]
    assert "1 Market Street" in html


def test_an_order_that_fails_mails_nothing(customer_client):
    short = ProductFactory(stock=1)
    assert customer_client.post(ORDERS, body_for(short, 2), format="json").status_code == 409
    assert not OutboxEmail.objects.exists()
    assert mail.outbox == []


def test_an_idempotent_replay_mails_nothing_more(customer_client):
    product = ProductFactory(stock=5)
    for _ in range(2):
        assert (
            customer_client.post(
                ORDERS, body_for(product), format="json", HTTP_IDEMPOTENCY_KEY="k"
            ).status_code
            == 201
        )
    assert OutboxEmail.objects.filter(kind=EmailKind.ORDER_PLACED).count() == 1


def test_shipping_and_cancelling_mail_the_customer(staff_client, user, customer_client):
    shipped = OrderFactory(customer=user)
    cancelled = OrderFactory(customer=user)
    OutboxEmail.objects.all().delete()

    assert (
        staff_client.post(f"{ORDERS}{shipped.pk}/status/", {"status": "SHIPPED"}, format="json").status_code
        == 200
    )
    assert customer_client.post(f"{ORDERS}{cancelled.pk}/cancel/").status_code == 200

    kinds = dict(OutboxEmail.objects.values_list("kind", "subject"))
    assert set(kinds) == {EmailKind.ORDER_SHIPPED, EmailKind.ORDER_CANCELLED}
    assert f"#{shipped.number}" in kinds[EmailKind.ORDER_SHIPPED]
    assert f"#{cancelled.number}" in kinds[EmailKind.ORDER_CANCELLED]
    assert "(Shipped)" in OutboxEmail.objects.get(kind=EmailKind.ORDER_SHIPPED).body_text
    # Delivered: no email for that move.
    staff_client.post(f"{ORDERS}{shipped.pk}/status/", {"status": "DELIVERED"}, format="json")
    assert OutboxEmail.objects.count() == 2


def test_a_refused_move_mails_nothing(staff_client, user):
    order = OrderFactory(customer=user, status=OrderStatus.DELIVERED)
    OutboxEmail.objects.all().delete()
    assert (
        staff_client.post(f"{ORDERS}{order.pk}/status/", {"status": "SHIPPED"}, format="json").status_code
        == 409
    )
    assert not OutboxEmail.objects.exists()


def test_closing_an_account_cancels_its_orders_without_mailing_the_person_who_left():
    customer = UserFactory()
    OrderFactory(customer=customer)
    OutboxEmail.objects.all().delete()
    account_close(user=customer)
    assert not OutboxEmail.objects.exists()


def test_without_a_transaction_a_failed_order_leaves_no_email(user, monkeypatch):
    product = ProductFactory(stock=5)

    def vanished(*, customer_id):
        return 0  # the account was deleted while the order was placed

    monkeypatch.setattr(services, "customer_orders_version_bump", vanished)
    with transactions.transactions_disabled(), pytest.raises(Exception, match="no longer exists"):
        services.order_create(
            customer=user, items=body_for(product)["items"], shipping_address=SHIPPING_ADDRESS
        )
    assert not OutboxEmail.objects.exists()
    assert mail.outbox == []


def test_the_order_is_placed_even_if_the_address_cannot_be_mailed(user, caplog):
    from accounts.models import User

    User.objects.filter(pk=user.pk).update(email="not-an-address")
    user.refresh_from_db()
    product = ProductFactory(stock=5)
    order = services.order_create(
        customer=user, items=body_for(product)["items"], shipping_address=SHIPPING_ADDRESS
    )
    assert order.pk is not None
    assert not OutboxEmail.objects.exists()
    assert "is refused" in caplog.text


def test_staff_cancelling_through_the_service_mails_too(user):
    order = OrderFactory(customer=user)
    OutboxEmail.objects.all().delete()
    services.order_cancel(order=order, by=Actor.STAFF)
    assert OutboxEmail.objects.get().kind == EmailKind.ORDER_CANCELLED


def test_token_only_clients_get_the_same_emails(api_client):
    customer = UserFactory()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {issue_token_pair(customer)['access']}")
    api_client.post(ORDERS, body_for(ProductFactory(stock=3)), format="json")
    assert OutboxEmail.objects.get().to_email == customer.email


def test_the_email_lists_the_lines_from_the_order_without_reading_them(user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    product = ProductFactory(stock=5)
    with CaptureQueriesContext(connection) as queries:
        services.order_create(
            customer=user, items=body_for(product)["items"], shipping_address=SHIPPING_ADDRESS
        )
    assert not [query for query in queries if query["sql"].startswith('SELECT "orders_orderline"')]
    email = OutboxEmail.objects.get()
    assert f"1 x {product.name}" in email.body_text and f"<td>{product.name}</td>" in email.body_html
