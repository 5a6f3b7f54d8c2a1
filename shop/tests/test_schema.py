"""The OpenAPI document (``/api/v1/schema/``) and its viewers (``/api/v1/docs/``, ``/api/v1/redoc/``).

The document must describe every v1 operation of API.md with its request body, its
success response and every error status it can return, in the one error shape;
the viewers must load nothing from outside this server.
"""

import os
import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command

SCHEMA = "/api/v1/schema/"

# Every v1 operation of API.md, with the error statuses it can return.
V1_OPERATIONS = {
    ("post", "/api/v1/auth/register/"): {400, 413, 415},
    ("post", "/api/v1/auth/token/"): {400, 401, 413, 415, 429},
    ("post", "/api/v1/auth/token/refresh/"): {400, 401, 413, 415},
    ("post", "/api/v1/auth/logout/"): {400, 401, 403, 413, 415},
    ("post", "/api/v1/auth/logout-all/"): {400, 401, 403, 413, 415},
    ("get", "/api/v1/accounts/me/"): {401},
    ("patch", "/api/v1/accounts/me/"): {400, 401, 403, 413, 415},
    ("delete", "/api/v1/accounts/me/"): {401, 403},
    ("post", "/api/v1/accounts/me/password/"): {400, 401, 403, 413, 415, 429},
    ("get", "/api/v1/accounts/me/addresses/"): {401},
    ("post", "/api/v1/accounts/me/addresses/"): {400, 401, 403, 409, 413, 415},
    ("get", "/api/v1/accounts/me/addresses/{address_id}/"): {401, 404},
    ("patch", "/api/v1/accounts/me/addresses/{address_id}/"): {400, 401, 403, 404, 413, 415},
    ("delete", "/api/v1/accounts/me/addresses/{address_id}/"): {401, 403, 404},
    ("post", "/api/v1/auth/password-reset/"): {400, 413, 415, 429},
    ("post", "/api/v1/auth/password-reset/confirm/"): {400, 413, 415, 429},
    ("get", "/api/v1/categories/"): {401},
    ("get", "/api/v1/products/"): {400, 401, 404},
    ("post", "/api/v1/products/"): {400, 401, 403, 413, 415},
    ("get", "/api/v1/products/{id}/"): {401, 404},
    ("patch", "/api/v1/products/{id}/"): {400, 401, 403, 404, 409, 413, 415},
    ("delete", "/api/v1/products/{id}/"): {401, 403, 404},
    ("get", "/api/v1/orders/"): {400, 401, 404},
    ("post", "/api/v1/orders/"): {400, 401, 403, 409, 413, 415, 422},
    ("get", "/api/v1/orders/{order_id}/"): {401, 404},
    ("post", "/api/v1/orders/{order_id}/cancel/"): {400, 401, 403, 404, 409, 413, 415},
    ("post", "/api/v1/orders/{order_id}/status/"): {400, 401, 403, 404, 409, 413, 415},
}
# Every operation may find the database unavailable or busy (shop.transactions): 503.
V1_OPERATIONS = {operation: codes | {503} for operation, codes in V1_OPERATIONS.items()}
PUBLIC = {
    ("post", "/api/v1/auth/register/"),
    ("post", "/api/v1/auth/token/"),
    ("post", "/api/v1/auth/token/refresh/"),
    ("post", "/api/v1/auth/password-reset/"),
    ("post", "/api/v1/auth/password-reset/confirm/"),
    ("get", "/api/v1/categories/"),
    ("get", "/api/v1/products/"),
    ("get", "/api/v1/products/{id}/"),
}
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def document(django_db_blocker):
    """Return the served OpenAPI document (JSON), fetched once for the module."""
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get(SCHEMA, {"format": "json"})
    assert response.status_code == 200
    return response.json()


def operations(document, prefix="/api/v1/"):
    """Yield ``(method, path, operation)`` of the document's operations under ``prefix``."""
    for path, item in document["paths"].items():
        if path.startswith(prefix):
            for method, operation in item.items():
                if method in METHODS:
                    yield method, path, operation


def resolve(document, schema):
    """Return ``schema`` with a top-level ``$ref`` followed."""
    ref = schema.get("$ref")
    if ref is None:
        return schema
    return document["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def test_the_schema_is_public_and_ignores_a_stale_token(api_client, db):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    response = api_client.get(SCHEMA, {"format": "json"})
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")


def test_the_schema_is_yaml_by_default_and_json_on_request(api_client, db):
    assert api_client.get(SCHEMA)["Content-Type"].startswith("application/vnd.oai.openapi")
    assert api_client.get(SCHEMA, HTTP_ACCEPT="application/json")["Content-Type"].startswith(
        "application/json"
    )


def test_every_v1_operation_is_described_and_nothing_else(document):
    assert {(method, path) for method, path, _ in operations(document)} == set(V1_OPERATIONS)


def test_each_operation_declares_exactly_the_errors_it_can_return(document):
    for method, path, operation in operations(document):
        errors = {int(code) for code in operation["responses"] if int(code) >= 400}
        assert errors == V1_OPERATIONS[(method, path)], (method, path)


def test_each_operation_has_one_success_response(document):
    for method, path, operation in operations(document):
        successes = [code for code in operation["responses"] if code.startswith("2")]
        assert len(successes) == 1, (method, path, successes)


def test_errors_use_the_detail_and_code_component_and_400_also_the_validation_shape(document):
    components = document["components"]["schemas"]
    assert components["Error"]["required"] == ["detail", "code"]
    assert components["ValidationError"]["additionalProperties"]
    for method, path, operation in operations(document):
        for code, response in operation["responses"].items():
            if int(code) < 400:
                continue
            schema = response["content"]["application/json"]["schema"]
            refs = {option["$ref"] for option in schema.get("anyOf", [schema])}
            assert "#/components/schemas/Error" in refs, (method, path, code)
            if code == "400":
                assert "#/components/schemas/ValidationError" in refs, (method, path)


def test_401_names_www_authenticate_and_429_and_503_retry_after_as_required_headers(document):
    for method, path, operation in operations(document):
        responses = operation["responses"]
        if "401" in responses:
            assert responses["401"]["headers"]["WWW-Authenticate"]["required"] is True, (method, path)
        for code in ("429", "503"):
            if code in responses:
                assert responses[code]["headers"]["Retry-After"]["required"] is True, (method, path)


def test_the_insufficient_stock_conflict_lists_the_short_products(document):
    conflict = document["paths"]["/api/v1/orders/"]["post"]["responses"]["409"]
    refs = [option["$ref"] for option in conflict["content"]["application/json"]["schema"]["anyOf"]]
    assert "#/components/schemas/InsufficientStockError" in refs
    assert "products" in document["components"]["schemas"]["InsufficientStockError"]["required"]


def test_security_schemes_are_a_pasteable_bearer_jwt_and_the_session_cookie(document):
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerAuth"] == {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert schemes["cookieAuth"] == {"type": "apiKey", "in": "cookie", "name": "sessionid"}


def test_public_operations_allow_anonymous_callers_and_the_others_require_credentials(document):
    for method, path, operation in operations(document):
        security = operation["security"]
        if (method, path) in PUBLIC:
            assert {} in security, (method, path)
        else:
            assert {} not in security, (method, path)
            assert {"bearerAuth": []} in security, (method, path)


def test_path_ids_are_strings(document):
    for method, path, operation in operations(document):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path":
                assert parameter["schema"] == {"type": "string"}, (method, path)


def test_order_creation_documents_the_idempotency_key_header(document):
    parameters = document["paths"]["/api/v1/orders/"]["post"]["parameters"]
    (key,) = [parameter for parameter in parameters if parameter["name"] == "Idempotency-Key"]
    assert key["in"] == "header"
    assert key["schema"]["minLength"] == 1
    assert key["schema"]["maxLength"] == 255


def test_order_creation_documents_the_limits_the_service_enforces(document):
    body = document["paths"]["/api/v1/orders/"]["post"]["requestBody"]["content"]["application/json"]
    schemas = document["components"]["schemas"]
    create = schemas[body["schema"]["$ref"].rsplit("/", 1)[-1]]
    items = create["properties"]["items"]
    assert (items["minItems"], items["maxItems"]) == (1, 50)
    item = schemas[items["items"]["$ref"].rsplit("/", 1)[-1]]
    quantity = item["properties"]["quantity"]
    assert (quantity["type"], quantity["minimum"], quantity["maximum"]) == ("integer", 1, 1000)


def query_parameters(document, path):
    """Return ``{name: parameter}`` of the GET query parameters of ``path``."""
    return {
        parameter["name"]: parameter
        for parameter in document["paths"][path]["get"].get("parameters", [])
        if parameter["in"] == "query"
    }


def test_products_page_by_number_with_the_filters(document):
    parameters = query_parameters(document, "/api/v1/products/")
    assert set(parameters) == {"page", "page_size", "category", "search", "ordering", "in_stock"}
    assert sorted(parameters["ordering"]["schema"]["enum"]) == ["-name", "-price", "name", "price"]
    assert sorted(parameters["in_stock"]["schema"]["enum"]) == ["false", "true"]
    assert parameters["page_size"]["schema"] == {"type": "integer", "minimum": 1}
    page = resolve(
        document,
        document["paths"]["/api/v1/products/"]["get"]["responses"]["200"]["content"]["application/json"][
            "schema"
        ],
    )
    assert {"count", "next", "previous", "results"} <= set(page["properties"])


def test_orders_page_by_cursor_and_filter_by_status_and_customer(document):
    parameters = query_parameters(document, "/api/v1/orders/")
    assert set(parameters) == {"cursor", "page_size", "status", "customer"}
    assert sorted(parameters["status"]["schema"]["enum"]) == [
        "CANCELLED",
        "DELIVERED",
        "IN_PROGRESS",
        "SHIPPED",
    ]
    page = resolve(
        document,
        document["paths"]["/api/v1/orders/"]["get"]["responses"]["200"]["content"]["application/json"][
            "schema"
        ],
    )
    assert set(page["properties"]) == {"next", "previous", "results"}


def test_categories_are_a_plain_list(document):
    schema = document["paths"]["/api/v1/categories/"]["get"]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]
    assert schema["type"] == "array"


def test_request_bodies_refuse_unknown_keys(document):
    for method, path, operation in operations(document):
        body = operation.get("requestBody")
        if body is None:
            continue
        schema = resolve(document, body["content"]["application/json"]["schema"])
        assert schema["additionalProperties"] is False, (method, path)


def test_order_and_product_representations_render_ids_and_money_as_strings(document):
    components = document["components"]["schemas"]
    assert components["Order"]["properties"]["id"]["type"] == "string"
    assert components["Order"]["properties"]["total"]["type"] == "string"
    assert components["ProductOutput"]["properties"]["price"]["type"] == "string"
    assert components["OrderLine"]["properties"]["product"]["type"] == "string"


def test_legacy_routes_are_documented_under_their_own_tag(document):
    legacy = [
        (method, path, operation)
        for path, item in document["paths"].items()
        if not path.startswith("/api/")
        for method, operation in item.items()
        if method in METHODS
    ]
    for method, path, operation in legacy:
        assert operation["tags"] == ["legacy"], (method, path)


def test_the_schema_validates_without_warnings(tmp_path):
    # The same check as `make test`'s `manage.py spectacular --validate --fail-on-warn`.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", os.devnull)


class AssetCollector(HTMLParser):
    """Collect every ``src`` and ``href`` of a page."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        self.urls.extend(value for name, value in attrs if name in {"src", "href"} and value)


@pytest.mark.parametrize("page", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_the_docs_load_only_files_of_this_server(api_client, db, page):
    response = api_client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    collector = AssetCollector()
    collector.feed(html)
    assert collector.urls, "the page loads no script"
    # Static files, Swagger UI's start-up script and ReDoc's bundle (shop.api.docs): all local.
    own = ("/static/", "/api/v1/docs/?script=", "/api/v1/redoc/redoc.standalone.js")
    for url in collector.urls:
        assert url.startswith(own), url
        assert api_client.get(url).status_code == 200, url
    assert not re.search(r"https?://|//fonts\.", html.replace("http://www.w3.org", "")), "an external URL"
    # The schema's URL is in the page, or in Swagger UI's start-up script.
    script = api_client.get(page, {"script": ""}).content.decode() if "?script=" in html else ""
    assert SCHEMA in html + script


def test_swagger_ui_keeps_the_pasted_token(api_client, db):
    script = api_client.get("/api/v1/docs/", {"script": ""}).content.decode()
    assert '"persistAuthorization": true' in script
