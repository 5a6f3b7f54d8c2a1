"""The documentation in docs/ says what the code does: checked against the OpenAPI document and the settings.

``docs/api.md`` documents each v1 operation under a heading ``### `METHOD /path```
with its body fields (a table, or "none"), query parameters, headers, success status
with the representation it answers, and every error status; each representation
(``#### Name``) has a table of its fields. This test reads those parts and compares
them with the OpenAPI document the code generates, so the two cannot drift apart.
``docs/legacy.md`` lists every legacy route, ``docs/configuration.md`` every
environment variable the settings read, and the README links to every page.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
METHODS = {"get", "post", "put", "patch", "delete"}
# The headings of docs/api.md's representations and the schema components they describe.
REPRESENTATIONS = {
    "Account": "Profile",
    "Registered account": "RegisteredUser",
    "Token pair": "TokenPair",
    "Category": "CategoryOutput",
    "Product": "ProductOutput",
    "Order": "Order",
    "Order line": "OrderLine",
    "History entry": "OrderStatusChange",
    "Order links": "OrderLinks",
    "Shipping address": "ShippingAddress",
    "Address": "Address",
    "Detail": "Detail",
}
OPERATION_HEADING = re.compile(r"^### `(GET|POST|PUT|PATCH|DELETE) (/\S*)`\s*$", re.M)
REPRESENTATION_HEADING = re.compile(r"^#### (.+?)\s*$", re.M)


@pytest.fixture(scope="module")
def document():
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated, renderer_context={}))


def resolve(document, schema: dict) -> dict:
    ref = schema.get("$ref")
    return document["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema


def component_name(schema: dict | None) -> str | None:
    ref = (schema or {}).get("$ref")
    return ref.rsplit("/", 1)[-1] if ref else None


def sections(text: str, heading: re.Pattern) -> dict:
    """Return ``{heading groups: text up to the next heading of any level}``."""
    found = {}
    matches = list(heading.finditer(text))
    for match in matches:
        end = re.compile(r"^#{2,4} ", re.M).search(text, match.end())
        found[match.groups() if len(match.groups()) > 1 else match.group(1)] = text[
            match.end() : end.start() if end else len(text)
        ]
    return found


def paragraph(section: str, label: str) -> str | None:
    """Return the paragraph that starts with ``**label:**`` (up to a blank line), or None."""
    match = re.search(rf"^\*\*{re.escape(label)}:\*\*(.*?)(?:\n\s*\n|\Z)", section, re.M | re.S)
    return match.group(1) if match else None


def table_after(section: str, label: str) -> list[str]:
    """Return the backticked names in the first column of the table after ``**label:**``."""
    rest = section[section.index(f"**{label}:**") :]
    start = rest.find("\n|")
    if start == -1:
        return []
    return re.findall(r"^\| `([^`]+)` \|", rest[start + 1 :].split("\n\n")[0], re.M)


def statuses(text: str) -> set[int]:
    return {int(code) for code in re.findall(r"`(\d{3})`", text)}


def v1_operations(document):
    for path, item in document["paths"].items():
        if path.startswith("/api/v1/"):
            for method, operation in item.items():
                if method in METHODS:
                    yield method, path, operation


API = (DOCS / "api.md").read_text()
API_SECTIONS = sections(API, OPERATION_HEADING)
REPRESENTATION_SECTIONS = sections(API, REPRESENTATION_HEADING)


def test_every_v1_operation_is_documented_once_and_nothing_else(document):
    documented = [(method.lower(), path) for method, path in OPERATION_HEADING.findall(API)]
    assert len(documented) == len(set(documented))
    assert set(documented) == {(method, path) for method, path, _ in v1_operations(document)}


def test_each_operation_documents_its_body_fields(document):
    for method, path, operation in v1_operations(document):
        section = API_SECTIONS[(method.upper(), path)]
        body = operation.get("requestBody")
        if body is None:
            assert paragraph(section, "Body") is None, (method, path)
            continue
        fields = list(resolve(document, body["content"]["application/json"]["schema"]).get("properties", {}))
        if not fields:
            assert paragraph(section, "Body").strip().startswith("none"), (method, path)
            continue
        assert table_after(section, "Body") == fields, (method, path)


def test_each_operation_documents_its_query_parameters_and_headers(document):
    for method, path, operation in v1_operations(document):
        section = API_SECTIONS[(method.upper(), path)]
        parameters = operation.get("parameters", [])
        query = sorted(parameter["name"] for parameter in parameters if parameter["in"] == "query")
        documented = sorted(table_after(section, "Query")) if paragraph(section, "Query") is not None else []
        assert documented == query, (method, path)
        for header in (parameter["name"] for parameter in parameters if parameter["in"] == "header"):
            assert f"`{header}`" in (paragraph(section, "Headers") or ""), (method, path, header)


def test_each_operation_documents_its_success_status_and_representation(document):
    names = {component: heading for heading, component in REPRESENTATIONS.items()}
    for method, path, operation in v1_operations(document):
        response = paragraph(API_SECTIONS[(method.upper(), path)], "Response")
        assert response is not None, (method, path)
        (success,) = [code for code in operation["responses"] if code.startswith("2")]
        assert statuses(response.split(" ", 2)[1]) == {int(success)}, (method, path)
        content = operation["responses"][success].get("content")
        if content is None:
            assert "no body" in response, (method, path)
            continue
        schema = resolve(document, content["application/json"]["schema"])
        item = schema.get("items") or schema.get("properties", {}).get("results", {}).get("items") or None
        component = component_name(item) or component_name(content["application/json"]["schema"])
        links = re.findall(r"\[[^\]]+\]\(#([a-z-]+)\)", response)
        expected = names[component].lower().replace(" ", "-")
        assert links == [expected], (method, path, links, expected)


def test_each_operation_documents_every_error_it_can_return(document):
    for method, path, operation in v1_operations(document):
        errors = paragraph(API_SECTIONS[(method.upper(), path)], "Errors")
        assert errors is not None, (method, path)
        expected = {int(code) for code in operation["responses"] if int(code) >= 400}
        assert statuses(errors) == expected, (method, path)


def test_each_representation_documents_exactly_the_fields_of_its_component(document):
    assert set(REPRESENTATION_SECTIONS) == set(REPRESENTATIONS)
    for heading, component in REPRESENTATIONS.items():
        fields = re.findall(r"^\| `([^`]+)` \|", REPRESENTATION_SECTIONS[heading], re.M)
        assert fields == list(document["components"]["schemas"][component]["properties"]), heading


def test_the_documented_examples_are_json():
    for block in re.findall(r"```json\n(.*?)```", API, re.S):
        json.loads(block)


def test_every_legacy_route_is_documented(document):
    legacy = (DOCS / "legacy.md").read_text()
    documented = {
        (method.lower(), path)
        for method, path in re.findall(r"^\| (GET|POST|PUT|DELETE) `(/[^`?]*)[^`]*` \|", legacy, re.M)
    }
    routes = {
        (method, path.replace("{user_id}", "<user_id>"))
        for path, item in document["paths"].items()
        if not path.startswith("/api/")
        for method in item
        if method in METHODS
    }
    assert documented == routes


def test_every_environment_variable_the_settings_read_is_documented():
    read = set()
    for source in ("shop/settings.py", "shop/config.py"):
        text = (ROOT / source).read_text()
        read |= set(re.findall(r"env_(?:str|bool|int|list|origins)\(\s*\"([A-Z0-9_]+)\"", text))
        read |= set(re.findall(r"os\.environ\.get\(\"([A-Z0-9_]+)\"", text))
    configuration = (DOCS / "configuration.md").read_text()
    documented = set(re.findall(r"^\| `([A-Z0-9_]+)`", configuration, re.M))
    documented |= set(re.findall(r"`([A-Z0-9_]+)`", configuration))
    assert read, "no variable found: the pattern no longer matches the settings"
    assert read - documented == set()


def test_the_readme_links_every_page_of_the_docs():
    readme = (ROOT / "README.md").read_text()
    for page in sorted(DOCS.glob("*.md")):
        assert f"docs/{page.name}" in readme, page.name


def test_links_between_the_pages_lead_to_pages_that_exist():
    for page in [ROOT / "README.md", *DOCS.glob("*.md")]:
        for target in re.findall(r"\]\(((?:docs/)?[a-z-]+\.md)(?:#[^)]*)?\)", page.read_text()):
            base = ROOT if page == ROOT / "README.md" else DOCS
            assert (base / target).exists(), (page.name, target)
