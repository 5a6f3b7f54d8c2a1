"""The OpenAPI document is the same on every request of a process (found by the ReDoc browser test)."""

import re

import pytest


@pytest.fixture
def fetch_schema(api_client, db):
    def fetch():
        response = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
        assert response.status_code == 200
        return response.json()

    return fetch


def dangling_refs(document):
    names = set(document["components"]["schemas"])
    refs = set(re.findall(r"#/components/schemas/(\w+)", str(document)))
    return refs - names


def test_the_second_schema_of_a_process_equals_the_first_and_every_ref_resolves(fetch_schema):
    first = fetch_schema()
    second = fetch_schema()
    assert dangling_refs(first) == set()
    assert dangling_refs(second) == set()
    assert second == first
