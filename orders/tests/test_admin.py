"""The orders admin: list, search, filters, read-only details, and status moves only via the service."""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.models import Product
from catalog.tests.factories import ProductFactory
from orders.models import Actor, Order, OrderStatus, OrderStatusChange
from orders.tests.factories import SHIPPING_ADDRESS, OrderFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:orders_order_changelist")


@pytest.fixture
def admin_user():
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def change_url(order):
    return reverse("admin:orders_order_change", args=[order.pk])


def listed_ids(response):
    return {str(order.pk) for order in response.context["cl"].result_list}


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def stock_of(product) -> int:
    return Product.objects.get(pk=product.pk).stock


def test_changelist_shows_id_customer_email_status_total_and_created(admin_client):
    order = OrderFactory(customer=UserFactory(email="ann@example.com"))
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    text = response.content.decode()
    assert "ann@example.com" in text
    assert str(order.total) in text
    for header in ("customer", "status", "total", "created at"):
        assert header in text.lower()


def test_changelist_shows_detached_orders(admin_client):
    order = OrderFactory()
    Order.objects.filter(pk=order.pk).update(customer=None)
    assert "account deleted" in admin_client.get(CHANGELIST).content.decode()


def test_changelist_filters_by_status_and_date(admin_client):
    shipped = OrderFactory(status=OrderStatus.SHIPPED)
    OrderFactory()
    assert listed_ids(admin_client.get(CHANGELIST, {"status__exact": "SHIPPED"})) == {str(shipped.pk)}
    week_ago = (timezone.now() - timedelta(days=7)).isoformat()
    assert len(listed_ids(admin_client.get(CHANGELIST, {"created_at__gte": week_ago}))) == 2
    future = (timezone.now() + timedelta(days=1)).isoformat()
    assert listed_ids(admin_client.get(CHANGELIST, {"created_at__gte": future})) == set()


def test_search_by_order_id_customer_email_and_sku(admin_client):
    ann = OrderFactory(customer=UserFactory(email="ann@example.com"))
    product = ProductFactory(sku="PHONE-1")
    phone = OrderFactory(items=[(product, 1)])
    assert listed_ids(admin_client.get(CHANGELIST, {"q": str(ann.pk)})) >= {str(ann.pk)}
    assert listed_ids(admin_client.get(CHANGELIST, {"q": "ann@"})) == {str(ann.pk)}
    assert listed_ids(admin_client.get(CHANGELIST, {"q": "phone-1"})) == {str(phone.pk)}


@pytest.mark.parametrize("term", ["not-an-id", "99999999999999999999999", "65277a812b73bb530ad77307"])
def test_search_with_a_malformed_id_finds_nothing_and_does_not_fail(admin_client, term):
    OrderFactory()
    response = admin_client.get(CHANGELIST, {"q": term})
    assert response.status_code == 200
    assert listed_ids(response) == set()


def test_change_form_shows_lines_and_history_read_only(admin_client):
    product = ProductFactory(sku="CASE-9")
    order = OrderFactory(items=[(product, 3)], status=OrderStatus.SHIPPED)
    text = admin_client.get(change_url(order)).content.decode()
    assert "CASE-9" in text
    assert "status history" in text.lower()
    # No editable inputs for lines/history (only the management forms of the read-only inlines).
    assert 'name="lines-0-quantity"' not in text
    assert 'name="status"' not in text


@pytest.mark.parametrize(
    ("status", "offered"),
    [
        (OrderStatus.IN_PROGRESS, {"SHIPPED", "CANCELLED"}),
        (OrderStatus.SHIPPED, {"DELIVERED"}),
        (OrderStatus.DELIVERED, set()),
        (OrderStatus.CANCELLED, set()),
    ],
)
def test_change_form_offers_only_the_legal_next_statuses(admin_client, status, offered):
    order = OrderFactory(status=status)
    text = admin_client.get(change_url(order)).content.decode()
    select = re.search(r'<select name="next_status".*?</select>', text, re.S).group(0)
    values = set(re.findall(r'<option value="([^"]*)"', select)) - {""}
    assert values == offered


def test_saving_the_change_form_moves_through_the_service_and_restocks(admin_client, admin_user):
    product = ProductFactory(stock=10)
    order = OrderFactory(items=[(product, 4)])
    response = admin_client.post(
        change_url(order), change_form_data(admin_client, order, next_status="CANCELLED")
    )
    assert response.status_code == 302
    assert Order.objects.get(pk=order.pk).status == OrderStatus.CANCELLED
    assert stock_of(product) == 10
    last = OrderStatusChange.objects.filter(order=order).order_by("changed_at", "id").last()
    assert (last.to_status, last.changed_by, last.changed_by_user) == ("CANCELLED", Actor.STAFF, admin_user)


def test_change_form_refuses_an_illegal_status_it_did_not_offer(admin_client):
    order = OrderFactory(status=OrderStatus.SHIPPED)
    response = admin_client.post(
        change_url(order), change_form_data(admin_client, order, next_status="CANCELLED")
    )
    assert response.status_code == 200  # the form comes back with an error
    assert "next_status" in response.context["adminform"].form.errors
    assert Order.objects.get(pk=order.pk).status == OrderStatus.SHIPPED


def test_saving_without_a_next_status_changes_nothing(admin_client):
    order = OrderFactory()
    before = Order.objects.get(pk=order.pk)
    admin_client.post(change_url(order), change_form_data(admin_client, order, next_status=""))
    after = Order.objects.get(pk=order.pk)
    assert (after.status, after.updated_at) == (before.status, before.updated_at)
    assert OrderStatusChange.objects.filter(order=order).count() == 1


def change_form_data(client, order, **fields):
    """Return the POST data a browser sends from the change page (inline management forms included)."""
    response = client.get(change_url(order))
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for form in formset.forms:
            for field in form.hidden_fields():
                data[form.add_prefix(field.name)] = field.value() or ""
    data.update(fields)
    return data


def run_action(client, action, orders):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [str(order.pk) for order in orders]},
        follow=True,
    )


def test_mark_shipped_moves_open_orders_and_reports_refused_ids(admin_client):
    open_order = OrderFactory()
    delivered = OrderFactory(status=OrderStatus.DELIVERED)
    response = run_action(admin_client, "mark_shipped", [open_order, delivered])
    assert Order.objects.get(pk=open_order.pk).status == OrderStatus.SHIPPED
    assert Order.objects.get(pk=delivered.pk).status == OrderStatus.DELIVERED
    text = " ".join(messages_of(response))
    assert "1 order marked shipped" in text
    assert f"Refused (status does not allow it): {delivered.number}." in text


def test_mark_delivered_moves_shipped_orders_only(admin_client):
    shipped = OrderFactory(status=OrderStatus.SHIPPED)
    open_order = OrderFactory()
    response = run_action(admin_client, "mark_delivered", [shipped, open_order])
    assert Order.objects.get(pk=shipped.pk).status == OrderStatus.DELIVERED
    assert Order.objects.get(pk=open_order.pk).status == OrderStatus.IN_PROGRESS
    assert str(open_order.pk) in " ".join(messages_of(response))


def test_cancel_and_restock_returns_stock_and_refuses_shipped(admin_client):
    product = ProductFactory(stock=20)
    open_order = OrderFactory(items=[(product, 5)])
    shipped = OrderFactory(items=[(product, 3)], status=OrderStatus.SHIPPED)
    response = run_action(admin_client, "cancel_and_restock", [open_order, shipped])
    assert Order.objects.get(pk=open_order.pk).status == OrderStatus.CANCELLED
    assert Order.objects.get(pk=shipped.pk).status == OrderStatus.SHIPPED
    assert stock_of(product) == 17
    assert f"Refused (status does not allow it): {shipped.number}." in " ".join(messages_of(response))
    last = OrderStatusChange.objects.filter(order=open_order).order_by("changed_at", "id").last()
    assert last.changed_by == Actor.STAFF


def test_orders_cannot_be_added_or_deleted_in_the_admin(admin_client):
    order = OrderFactory()
    assert admin_client.get(reverse("admin:orders_order_add")).status_code == 403
    assert admin_client.get(reverse("admin:orders_order_delete", args=[order.pk])).status_code == 403
    actions = admin_client.get(CHANGELIST).context["action_form"].fields["action"].choices
    assert "delete_selected" not in {name for name, _ in actions}


def test_customers_cannot_reach_the_admin(client):
    client.force_login(UserFactory())
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# --- number, shipping address, note ---------------------------------------------------------


def test_the_changelist_shows_numbers_and_finds_an_order_by_its_number(admin_client):
    first = OrderFactory()
    second = OrderFactory()
    text = admin_client.get(CHANGELIST).content.decode()
    assert f">{first.number}<" in text and f">{second.number}<" in text
    assert listed_ids(admin_client.get(CHANGELIST, {"q": str(second.number)})) == {str(second.pk)}
    assert listed_ids(admin_client.get(CHANGELIST, {"q": "999999999999999999999"})) == set()


def test_the_filter_finds_orders_without_a_shipping_address(admin_client):
    shipped_somewhere = OrderFactory(shipping_address=SHIPPING_ADDRESS)
    legacy = OrderFactory()
    assert listed_ids(admin_client.get(CHANGELIST, {"shipping_address": "no"})) == {str(legacy.pk)}
    assert listed_ids(admin_client.get(CHANGELIST, {"shipping_address": "yes"})) == {
        str(shipped_somewhere.pk)
    }


def test_the_change_page_shows_the_address_escaped_and_the_note(admin_client):
    order = OrderFactory(
        shipping_address={**SHIPPING_ADDRESS, "full_name": "<script>alert(1)</script>"}, note="Gift: wrap it"
    )
    text = admin_client.get(change_url(order)).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>" in text
    assert "1 Market Street<br>" in text and "94105 San Francisco<br>" in text
    assert "Gift: wrap it" in text
    assert str(order.number) in text
    legacy = OrderFactory()
    assert "placed through the legacy routes" in admin_client.get(change_url(legacy)).content.decode()
