"""Saved addresses (API.md "Addresses"): through HTTP, and the services directly."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import services
from accounts.models import Address
from accounts.tests.factories import AddressFactory, UserFactory
from shop import errors, transactions

ADDRESSES = "/api/v1/accounts/me/addresses/"

OFFICE = {
    "full_name": "Ann Lee",
    "line1": "1 Market Street",
    "line2": "Suite 200",
    "city": "San Francisco",
    "postal_code": "94105",
    "region": "CA",
    "country": "US",
    "phone": "+14155552671",
}


def detail(address_id) -> str:
    return f"{ADDRESSES}{address_id}/"


@pytest.mark.django_db
def test_create_list_retrieve_update_delete(customer_client, user):
    created = customer_client.post(ADDRESSES, OFFICE, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body == {"id": body["id"], **OFFICE, "is_default": True}  # the first one is the default
    assert isinstance(body["id"], str)

    assert customer_client.get(ADDRESSES).json() == [body]
    assert customer_client.get(detail(body["id"])).json() == body

    changed = customer_client.patch(detail(body["id"]), {"line2": "Suite 300"}, format="json")
    assert changed.status_code == 200
    assert changed.json() == {**body, "line2": "Suite 300"}
    assert Address.objects.get(pk=body["id"]).line2 == "Suite 300"

    assert customer_client.delete(detail(body["id"])).status_code == 204
    assert customer_client.get(ADDRESSES).json() == []
    assert customer_client.get(detail(body["id"])).status_code == 404


@pytest.mark.django_db
def test_optional_fields_may_be_left_out(customer_client):
    body = {key: value for key, value in OFFICE.items() if key not in ("line2", "region", "phone")}
    response = customer_client.post(ADDRESSES, body, format="json")
    assert response.status_code == 201
    assert (response.json()["line2"], response.json()["region"], response.json()["phone"]) == ("", "", "")


@pytest.mark.django_db
def test_anonymous_is_401(api_client):
    assert api_client.get(ADDRESSES).status_code == 401
    assert api_client.post(ADDRESSES, OFFICE, format="json").status_code == 401


@pytest.mark.django_db
def test_someone_elses_address_is_404_everywhere(customer_client):
    other = AddressFactory()
    assert customer_client.get(detail(other.pk)).status_code == 404
    assert customer_client.patch(detail(other.pk), {"city": "Oslo"}, format="json").status_code == 404
    assert customer_client.delete(detail(other.pk)).status_code == 404
    assert customer_client.get(ADDRESSES).json() == []
    other.refresh_from_db()
    assert other.city == "San Francisco"


@pytest.mark.django_db
@pytest.mark.parametrize("address_id", ["nope", "0", "-1", "65277a812b73bb530ad77307", "1.5"])
def test_malformed_or_unknown_ids_are_404(customer_client, address_id):
    assert customer_client.get(detail(address_id)).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"country": "XX"}, "country"),
        ({"country": "USA"}, "country"),
        ({"country": ""}, "country"),
        ({"phone": "12"}, "phone"),
        ({"phone": "+1 555 000 0000 0000"}, "phone"),
        ({"phone": "call me"}, "phone"),
        ({"full_name": ""}, "full_name"),
        ({"full_name": "x" * 201}, "full_name"),
        ({"line1": "   "}, "line1"),
        ({"postal_code": "9" * 21}, "postal_code"),
        ({"city": 7}, "city"),
        ({"is_default": "yes"}, "is_default"),
        ({"id": "17"}, "id"),
        ({"customer": "17"}, "customer"),
    ],
)
def test_bad_fields_are_400_naming_the_field_and_nothing_is_saved(customer_client, change, field):
    response = customer_client.post(ADDRESSES, {**OFFICE, **change}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Address.objects.exists()


@pytest.mark.django_db
def test_country_case_and_national_phone_numbers_are_normalised(customer_client):
    response = customer_client.post(
        ADDRESSES, {**OFFICE, "country": "de", "phone": "030 901820"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["country"], response.json()["phone"]) == ("DE", "+4930901820")


@pytest.mark.django_db
def test_a_bad_patch_is_400_and_changes_nothing(customer_client, user):
    address = AddressFactory(customer=user)
    response = customer_client.patch(detail(address.pk), {"country": "ZZ", "city": "Oslo"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["country"]
    address.refresh_from_db()
    assert (address.country, address.city) == ("US", "San Francisco")


@pytest.mark.django_db
def test_a_patch_reads_the_phone_in_the_new_country(customer_client, user):
    address = AddressFactory(customer=user, phone="")
    response = customer_client.patch(
        detail(address.pk), {"country": "GB", "phone": "020 7946 0958"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["phone"] == "+442079460958"


@pytest.mark.django_db
def test_one_default_per_customer(customer_client, user):
    first = customer_client.post(ADDRESSES, OFFICE, format="json").json()
    second = customer_client.post(ADDRESSES, {**OFFICE, "line1": "2 Pine Street"}, format="json").json()
    assert (first["is_default"], second["is_default"]) == (True, False)

    third = customer_client.post(
        ADDRESSES, {**OFFICE, "line1": "3 Oak Street", "is_default": True}, format="json"
    )
    assert third.json()["is_default"] is True
    assert list(Address.objects.filter(customer=user, is_default=True).values_list("pk", flat=True)) == [
        int(third.json()["id"])
    ]

    customer_client.patch(detail(first["id"]), {"is_default": True}, format="json")
    defaults = {
        str(pk) for pk in Address.objects.filter(customer=user, is_default=True).values_list("pk", flat=True)
    }
    assert defaults == {first["id"]}
    # Another customer's default is untouched.
    other = AddressFactory(is_default=True)
    customer_client.patch(detail(second["id"]), {"is_default": True}, format="json")
    assert Address.objects.get(pk=other.pk).is_default is True


@pytest.mark.django_db
def test_the_database_refuses_a_second_default():
    from django.db import IntegrityError, transaction

    address = AddressFactory(is_default=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        AddressFactory(customer=address.customer, is_default=True)


@pytest.mark.django_db
def test_the_limit_per_customer_is_409(customer_client, user, settings):
    settings.ADDRESSES_PER_CUSTOMER = 2
    AddressFactory.create_batch(2, customer=user)
    response = customer_client.post(ADDRESSES, OFFICE, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "address_limit_reached"
    assert Address.objects.filter(customer=user).count() == 2


@pytest.mark.django_db
def test_the_list_takes_one_query_whatever_its_length(customer_client, user):
    AddressFactory.create_batch(5, customer=user)
    customer_client.get(ADDRESSES)  # warm up: the authentication's own queries are constant
    with CaptureQueriesContext(connection) as few:
        customer_client.get(ADDRESSES)
    AddressFactory.create_batch(10, customer=user)
    with CaptureQueriesContext(connection) as many:
        assert len(customer_client.get(ADDRESSES).json()) == 15
    assert len(many) == len(few)


@pytest.mark.django_db
def test_closing_the_account_deletes_its_addresses(customer_client, user):
    AddressFactory.create_batch(2, customer=user)
    assert customer_client.delete("/api/v1/accounts/me/").status_code == 204
    assert not Address.objects.exists()


# --- services ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_address_clean_returns_the_stored_form():
    cleaned = services.address_clean(
        fields={**OFFICE, "country": " us ", "phone": "(415) 555-2671", "city": " SF "}
    )
    assert cleaned == {**OFFICE, "city": "SF"}


@pytest.mark.django_db
def test_a_failed_default_switch_without_a_transaction_leaves_no_address(monkeypatch):
    user = UserFactory()
    AddressFactory(customer=user, is_default=True)

    def broken(*, address):
        raise errors.Conflict("boom")

    monkeypatch.setattr(services, "_address_default_set", broken)
    with transactions.transactions_disabled(), pytest.raises(errors.Conflict):
        services.address_create(user=user, fields=OFFICE, is_default=True)
    assert Address.objects.filter(customer=user).count() == 1
