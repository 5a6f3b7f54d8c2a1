"""Staff see customers' saved addresses in the admin, and cannot change them."""

import pytest
from django.urls import reverse

from accounts.tests.factories import AddressFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_address_list_and_page_show_them(admin_client):
    address = AddressFactory(full_name="Bea Kim", city="Lyon", country="FR")
    listing = admin_client.get(reverse("admin:accounts_address_changelist"), {"q": "Lyon"})
    assert listing.status_code == 200
    assert "Bea Kim" in listing.content.decode()
    page = admin_client.get(reverse("admin:accounts_address_change", args=[address.pk]))
    assert page.status_code == 200
    assert "Lyon" in page.content.decode()


def test_the_users_page_lists_their_addresses(admin_client):
    address = AddressFactory(line1="77 Harbour Road")
    page = admin_client.get(reverse("admin:accounts_user_change", args=[address.customer.pk]))
    assert "77 Harbour Road" in page.content.decode()


def test_staff_cannot_add_change_or_delete_addresses(admin_client):
    address = AddressFactory()
    assert admin_client.get(reverse("admin:accounts_address_add")).status_code == 403
    change = admin_client.post(reverse("admin:accounts_address_change", args=[address.pk]), {"city": "Oslo"})
    assert change.status_code == 403
    delete = admin_client.post(reverse("admin:accounts_address_delete", args=[address.pk]), {"post": "yes"})
    assert delete.status_code == 403
    address.refresh_from_db()
    assert address.city == "San Francisco"
