"""The OpenAPI document reads well and its examples work.

Every operation has a summary and a plain description; every example in the
document (request bodies, responses, parameters) is valid against the schema it
illustrates; money in the examples is never negative; list examples link to their
own path; the operation ids generated clients rely on stay as they were; and the
document served over HTTP names a product the shop sells now, so "Try it out" in
Swagger UI orders a real one (the browser test does exactly that).
"""

from __future__ import annotations

import copy
import json

import jsonschema
import pytest
from django.core.management import call_command
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

from catalog.models import Product
from catalog.schema import EXAMPLE_PRODUCT_ID
from catalog.selectors import EXAMPLE_PRODUCT_SKU
from catalog.tests.factories import ProductFactory
from orders.schema import order_create_example

SCHEMA = "/api/v1/schema/"
METHODS = {"get", "post", "put", "patch", "delete"}
# Sphinx and reStructuredText markup, which Swagger UI and ReDoc would show as it is.
MARKUP = ("``", ":func:", ":class:", ":meth:", ":data:")

# The operation ids (generated clients name methods after them): those of the document before
# the viewsets, and those of the endpoints added since.
OPERATION_IDS = {
    ("get", "/api/v1/accounts/me/"): "accounts_me_retrieve",
    ("patch", "/api/v1/accounts/me/"): "accounts_me_partial_update",
    ("delete", "/api/v1/accounts/me/"): "accounts_me_destroy",
    ("post", "/api/v1/accounts/me/password/"): "accounts_me_password_create",
    ("get", "/api/v1/accounts/me/addresses/"): "accounts_me_addresses_list",
    ("post", "/api/v1/accounts/me/addresses/"): "accounts_me_addresses_create",
    ("get", "/api/v1/accounts/me/addresses/{address_id}/"): "accounts_me_addresses_retrieve",
    ("patch", "/api/v1/accounts/me/addresses/{address_id}/"): "accounts_me_addresses_partial_update",
    ("delete", "/api/v1/accounts/me/addresses/{address_id}/"): "accounts_me_addresses_destroy",
    ("post", "/api/v1/auth/password-reset/"): "auth_password_reset_create",
    ("post", "/api/v1/auth/password-reset/confirm/"): "auth_password_reset_confirm_create",
    ("post", "/api/v1/auth/logout/"): "auth_logout_create",
    ("post", "/api/v1/auth/logout-all/"): "auth_logout_all_create",
    ("post", "/api/v1/auth/register/"): "auth_register_create",
    ("post", "/api/v1/auth/token/"): "auth_token_create",
    ("post", "/api/v1/auth/token/refresh/"): "auth_token_refresh_create",
    ("get", "/api/v1/categories/"): "categories_list",
    ("get", "/api/v1/orders/"): "orders_list",
    ("post", "/api/v1/orders/"): "orders_create",
    ("get", "/api/v1/orders/{order_id}/"): "orders_retrieve",
    ("post", "/api/v1/orders/{order_id}/cancel/"): "orders_cancel_create",
    ("post", "/api/v1/orders/{order_id}/status/"): "orders_status_create",
    ("get", "/api/v1/products/"): "products_list",
    ("post", "/api/v1/products/"): "products_create",
    ("get", "/api/v1/products/{id}/"): "products_retrieve",
    ("patch", "/api/v1/products/{id}/"): "products_partial_update",
    ("delete", "/api/v1/products/{id}/"): "products_destroy",
    ("post", "/login"): "legacy_login",
    ("get", "/order"): "legacy_order_list",
    ("post", "/order"): "legacy_order_create",
    ("put", "/orders/cancel"): "legacy_order_cancel",
    ("get", "/orders/status"): "legacy_order_status",
    ("put", "/orders/update"): "legacy_order_update",
    ("post", "/register"): "legacy_register",
    ("delete", "/users/{user_id}"): "legacy_user_delete",
}


@pytest.fixture(scope="module")
def document():
    """Return the document as ``manage.py spectacular`` makes it (no request: placeholders kept)."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated, renderer_context={}))


def operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method, path, operation


def json_schema(document, schema: dict) -> dict:
    """Return an OpenAPI 3.0 schema as JSON Schema: ``$ref`` inlined, ``nullable`` as a null type."""

    def convert(node, depth=0):
        assert depth < 20, "a recursive schema"
        if isinstance(node, list):
            return [convert(item, depth) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            return convert(document["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]], depth + 1)
        converted = {key: convert(value, depth) for key, value in node.items() if key != "nullable"}
        if node.get("nullable"):
            return {"anyOf": [converted, {"type": "null"}]}
        return converted

    return convert(copy.deepcopy(schema))


def examples_of(document):
    """Yield ``(where, value, schema)`` for every example in the document."""
    for method, path, operation in operations(document):
        for parameter in operation.get("parameters", []):
            for name, example in parameter.get("examples", {}).items():
                yield (
                    f"{method} {path} parameter {parameter['name']} {name}",
                    example["value"],
                    parameter["schema"],
                )
        body = operation.get("requestBody", {}).get("content", {})
        for media_type, content in body.items():
            for name, example in content.get("examples", {}).items():
                yield f"{method} {path} request {media_type} {name}", example["value"], content["schema"]
        for status_code, response in operation["responses"].items():
            for media_type, content in response.get("content", {}).items():
                for name, example in content.get("examples", {}).items():
                    where = f"{method} {path} {status_code} {media_type} {name}"
                    yield where, example["value"], content["schema"]


def test_every_operation_has_a_summary_and_a_plain_description(document):
    for method, path, operation in operations(document):
        assert operation.get("summary"), (method, path)
        assert operation.get("description"), (method, path)
        for text in (operation["summary"], operation["description"]):
            assert not any(mark in text for mark in MARKUP), (method, path, text)


def test_operation_ids_are_those_clients_were_generated_from(document):
    assert {(method, path): op["operationId"] for method, path, op in operations(document)} == OPERATION_IDS


def test_every_v1_request_body_and_success_response_has_an_example(document):
    for method, path, operation in operations(document):
        if not path.startswith("/api/v1/"):
            continue
        for content in operation.get("requestBody", {}).get("content", {}).values():
            assert content.get("examples"), (method, path, "request")
        for status_code, response in operation["responses"].items():
            if status_code.startswith("2") and "content" in response:
                assert response["content"]["application/json"].get("examples"), (method, path, status_code)


def test_every_example_is_valid_against_its_schema(document):
    checked = 0
    for where, value, schema in examples_of(document):
        errors = list(jsonschema.Draft7Validator(json_schema(document, schema)).iter_errors(value))
        assert errors == [], (where, [error.message for error in errors])
        checked += 1
    assert checked >= 35  # every operation's, so this is a guard against finding none


def test_money_in_response_schemas_is_never_negative(document):
    for name in ("ProductOutput", "Order", "OrderLine"):
        for field, schema in document["components"]["schemas"][name]["properties"].items():
            if schema.get("format") == "decimal":
                assert not schema["pattern"].startswith("^-"), (name, field)


def test_list_examples_link_to_their_own_path(document):
    products = document["components"]["schemas"]["PaginatedProductOutputList"]["properties"]
    assert products["next"]["example"].endswith("/api/v1/products/?page=3")
    orders = document["components"]["schemas"]["PaginatedOrderList"]["properties"]
    assert "/api/v1/orders/?cursor=" in orders["next"]["example"]
    page = document["paths"]["/api/v1/orders/"]["get"]["responses"]["200"]["content"]["application/json"]
    (example,) = page["examples"].values()
    assert "/api/v1/orders/?cursor=" in example["value"]["next"]


def test_staff_only_fields_are_optional_in_the_order(document):
    order = document["components"]["schemas"]["Order"]
    assert {"customer_email", "links"} <= set(order["properties"])
    assert not {"customer_email", "links"} & set(order["required"])


def test_the_offline_document_keeps_the_placeholder_product(document):
    body = document["paths"]["/api/v1/orders/"]["post"]["requestBody"]["content"]["application/json"]
    assert body["examples"]["OnePhone"]["value"] == order_create_example()
    assert order_create_example()["items"] == [{"product": EXAMPLE_PRODUCT_ID, "quantity": 1}]


@pytest.mark.django_db
def test_the_served_document_orders_the_demo_phone(api_client):
    call_command("load_demo_catalog", stdout=open("/dev/null", "w"))  # noqa: SIM115
    phone = Product.objects.get(sku=EXAMPLE_PRODUCT_SKU)

    served = api_client.get(SCHEMA, {"format": "json"}).json()

    body = served["paths"]["/api/v1/orders/"]["post"]["requestBody"]["content"]["application/json"]
    assert body["examples"]["OnePhone"]["value"] == order_create_example(product_id=str(phone.pk))
    (parameter,) = served["paths"]["/api/v1/products/{id}/"]["get"]["parameters"]
    assert [example["value"] for example in parameter["examples"].values()] == [str(phone.pk)]
    assert EXAMPLE_PRODUCT_ID not in str(served["paths"])


@pytest.mark.django_db
def test_without_the_phone_the_served_examples_order_another_product_in_stock(api_client):
    ProductFactory(sku=EXAMPLE_PRODUCT_SKU, stock=0)
    ProductFactory(name="Zither", stock=3)
    kettle = ProductFactory(name="Kettle", stock=3)
    ProductFactory(name="Anvil", stock=3, is_active=False)

    served = api_client.get(SCHEMA, {"format": "json"}).json()

    body = served["paths"]["/api/v1/orders/"]["post"]["requestBody"]["content"]["application/json"]
    assert body["examples"]["OnePhone"]["value"]["items"][0]["product"] == str(kettle.pk)


@pytest.mark.django_db
def test_with_nothing_to_sell_the_served_document_keeps_the_placeholder(api_client):
    ProductFactory(stock=0)
    served = api_client.get(SCHEMA, {"format": "json"}).json()
    body = served["paths"]["/api/v1/orders/"]["post"]["requestBody"]["content"]["application/json"]
    assert body["examples"]["OnePhone"]["value"]["items"][0]["product"] == EXAMPLE_PRODUCT_ID
