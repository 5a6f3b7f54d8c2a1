"""A path with its trailing slash missing (or one too many) is a JSON 404 naming the right path.

Never a 500 (Django's APPEND_SLASH refuses to redirect a POST in debug), never a
redirect that drops the body, never an HTML page on an API path: in debug and in
production alike, for every method of every documented operation. The admin keeps
its slash redirect for people.
"""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from orders.tests.factories import SHIPPING_ADDRESS

METHODS = ("get", "post", "put", "patch", "delete")


def documented_paths() -> list[tuple[str, str]]:
    """Return ``(method, path)`` of every documented operation, with sample ids in the path."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    found = []
    for path, item in document["paths"].items():
        concrete = path.replace("{id}", "17").replace("{order_id}", "17").replace("{user_id}", "17")
        found += [(method, concrete) for method in item if method in METHODS]
    return sorted(found)


OPERATIONS = documented_paths()


def toggled(path: str) -> str:
    return path[:-1] if path.endswith("/") else f"{path}/"


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_the_path_without_or_with_one_more_slash_is_a_json_404_naming_the_right_one(
    staff_client, debug, method, path
):
    response = getattr(staff_client, method)(
        toggled(path), {"shipping_address": SHIPPING_ADDRESS, "items": []}, format="json"
    )
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": response.json()["detail"],
        "code": "not_found",
        "path": path,
    }
    assert path in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/orders", "/api/v1/orders/17/cancel", "/api/v1"])
def test_a_post_without_its_slash_is_never_a_500_and_never_a_redirect(client, debug, path):
    response = client.post(path, "{}", content_type="application/json")
    assert response.status_code == 404
    assert response.json()["path"] == f"{path}/"


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing/", "/api/v1/no-such-thing", "/no/such/page"])
def test_an_unknown_path_is_a_plain_json_404_in_debug_too(api_client, debug, path):
    response = api_client.get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


@pytest.mark.django_db
def test_the_admin_keeps_its_slash_redirect_for_people(client, debug):
    response = client.get("/admin")
    assert response.status_code == 301
    assert response["Location"] == "/admin/"
