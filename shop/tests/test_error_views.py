"""Django's own errors come back as JSON with a ``code`` on API routes, HTML in the admin."""

import pytest


def test_unknown_url_is_json_404(api_client):
    response = api_client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_unknown_top_level_url_is_json_404(api_client):
    response = api_client.get("/nothing-here")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_admin_keeps_html_404_for_humans(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/admin/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_probe_with_wrong_method_is_json_405_with_allow_header(api_client):
    response = api_client.post("/healthz")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert response["Allow"] == "GET, HEAD"


def test_disallowed_host_is_json_400(api_client):
    response = api_client.get("/healthz", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response.json() == {"detail": "Bad request.", "code": "bad_request"}


@pytest.mark.django_db
def test_oversize_json_body_is_413_with_code(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = '{"email": "' + "a" * 2000 + '@example.com", "password": "x"}'
    response = api_client.post("/api/v1/auth/register/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


@pytest.mark.django_db
def test_malformed_json_is_400_parse_error_with_code(api_client):
    response = api_client.post("/api/v1/auth/register/", '{"email": ', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
