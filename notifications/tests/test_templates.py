"""The four kinds' templates, rendered from real orders (placed through order_create) and users."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from catalog.tests.factories import ProductFactory
from notifications.models import EmailKind
from notifications.services import email_render
from notifications.tests.helpers import ADDRESS
from orders.models import OrderStatus
from orders.services import order_email_context
from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

ORDER_KINDS = [EmailKind.ORDER_PLACED, EmailKind.ORDER_SHIPPED, EmailKind.ORDER_CANCELLED]


def order_with_shipping(**kwargs):
    """A real order (number 1001) shipped to ``ADDRESS`` with a note that needs escaping."""
    phone = ProductFactory(name="Phone <Pro>", sku="EL-1", price=Decimal("199.00"))
    case = ProductFactory(name="Case & Strap", sku="AC-7", price=Decimal("10.50"))
    return OrderFactory(
        customer=UserFactory(email="ann@example.com"),
        items=[(phone, 1), (case, 2)],
        shipping_address=dict(ADDRESS),
        note="Leave it at the <door>",
        **kwargs,
    )


@pytest.mark.parametrize("kind", ORDER_KINDS)
def test_order_emails_show_number_lines_total_address_and_note(kind, settings):
    settings.SHOP_NAME = "Ann's & Bob's"
    order = order_with_shipping()
    email = email_render(kind=kind, context=order_email_context(order=order, customer_name="Ann <Example>"))

    assert "#1001" in email.subject and email.subject.startswith("Ann's & Bob's: ")
    assert "\n" not in email.subject
    text, html = email.body_text, email.body_html
    # Plain text is not escaped; HTML is.
    assert "Hello Ann <Example>," in text and "Hello Ann &lt;Example&gt;," in html
    assert "1 x Phone <Pro> (EL-1) at 199.00 USD: 199.00 USD" in text
    assert "2 x Case & Strap (AC-7) at 10.50 USD: 21.00 USD" in text
    assert "Phone &lt;Pro&gt;" in html and "Case &amp; Strap" in html and "<Pro>" not in html
    assert "Total: 220.00 USD" in text and "220.00 USD" in html
    for value in ADDRESS.values():
        assert value in text
        assert value in html
    assert "Your note: Leave it at the <door>" in text and "Leave it at the &lt;door&gt;" in html
    assert "Ann's & Bob's" in text and "Ann&#x27;s &amp; Bob&#x27;s" in html


def test_the_order_status_is_shown_by_its_label(settings):
    order = order_with_shipping(status=OrderStatus.SHIPPED)
    email = email_render(
        kind=EmailKind.ORDER_SHIPPED, context=order_email_context(order=order, customer_name="Ann")
    )
    assert "(Shipped)" in email.body_text and "on its way" in email.subject


@pytest.mark.parametrize("kind", ORDER_KINDS)
def test_legacy_orders_without_address_or_note_render_without_them(kind):
    order = OrderFactory()  # as the legacy routes place them: no shipping address, no note
    email = email_render(kind=kind, context=order_email_context(order=order, customer_name="Ann"))
    assert f"#{order.number}" in email.subject
    assert f"Order #{order.number}" in email.body_text
    assert "Shipping to" not in email.body_text and "Shipping to" not in email.body_html
    assert "Your note" not in email.body_text


def test_password_reset_carries_the_link_and_its_lifetime():
    user = UserFactory(email="ann@example.com")
    url = "https://shop.example.com/reset/?uid=MQ&token=abc-123"
    email = email_render(
        kind=EmailKind.PASSWORD_RESET, context={"user": user, "reset_url": url, "expires_in_minutes": 30}
    )
    assert email.subject == "Shop: reset your password"
    assert url in email.body_text and "within 30 minutes" in email.body_text
    assert "ann@example.com" in email.body_text
    assert f'href="{url.replace("&", "&amp;")}"' in email.body_html
