"""CORS: a storefront on an allowed origin may call the API and the original routes from a browser.

django-cors-headers answers the browser's preflight (``OPTIONS`` with
``Access-Control-Request-Method``) and adds ``Access-Control-Allow-Origin`` to the
answers, for the origins in ``CORS_ALLOWED_ORIGINS`` only (none by default), on
``/api/`` and the legacy routes only, with the request headers clients send
(``Authorization``, ``Content-Type``, ``Idempotency-Key``) and no cookies.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django.urls import reverse

from shop.config import ConfigurationError, env_origins

STOREFRONT = "https://storefront.example.com"
PREFLIGHT = {
    "HTTP_ORIGIN": STOREFRONT,
    "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST",
    "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "authorization, content-type, idempotency-key",
}
LEGACY_PATHS = [
    "/register",
    "/login",
    "/order",
    "/orders/status",
    "/orders/update",
    "/orders/cancel",
    "/users/17",
]


@pytest.fixture
def storefront_allowed(settings):
    settings.CORS_ALLOWED_ORIGINS = [STOREFRONT]


def allowed_headers(response) -> set[str]:
    return {name.strip().lower() for name in response["Access-Control-Allow-Headers"].split(",")}


def test_nothing_is_allowed_by_default(client, settings):
    assert settings.CORS_ALLOWED_ORIGINS == []
    response = client.options("/api/v1/orders/", **PREFLIGHT)
    assert "Access-Control-Allow-Origin" not in response


@pytest.mark.parametrize("path", ["/api/v1/orders/", "/api/v1/auth/token/", *LEGACY_PATHS])
def test_an_allowed_origins_preflight_is_answered_with_the_headers_clients_send(
    client, storefront_allowed, path
):
    response = client.options(path, **PREFLIGHT)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == STOREFRONT
    assert {"authorization", "content-type", "idempotency-key"} <= allowed_headers(response)
    assert "POST" in response["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in response  # bearer tokens, never cookies
    assert int(response["Access-Control-Max-Age"]) > 0


@pytest.mark.django_db
def test_an_allowed_origin_reads_the_answer_and_its_retry_after(client, storefront_allowed):
    response = client.get("/api/v1/products/", HTTP_ORIGIN=STOREFRONT)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == STOREFRONT
    assert "retry-after" in response["Access-Control-Expose-Headers"].lower()


@pytest.mark.django_db
def test_a_refused_origin_gets_no_cors_headers(client, storefront_allowed):
    preflight = client.options("/api/v1/orders/", **{**PREFLIGHT, "HTTP_ORIGIN": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in preflight
    answer = client.get("/api/v1/products/", HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in answer


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/login/", "/api-auth/login/", "/"])
def test_the_admin_the_login_pages_and_the_front_page_never_allow_other_origins(
    client, storefront_allowed, path
):
    response = client.options(path, **PREFLIGHT)
    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Origin" not in client.get(path, HTTP_ORIGIN=STOREFRONT)


def test_every_legacy_route_is_under_cors(settings):
    for name in ("legacy-register", "legacy-login", "legacy-order", "legacy-order-status"):
        assert re.match(settings.CORS_URLS_REGEX, reverse(name)), name
    for path in LEGACY_PATHS:
        assert re.match(settings.CORS_URLS_REGEX, path), path


@pytest.mark.parametrize(
    "value",
    [
        "https://shop.example.com/",
        "shop.example.com",
        "https://shop.example.com/app",
        "ftp://shop.example.com",
    ],
)
def test_an_origin_that_could_never_match_stops_start_up(monkeypatch, value):
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", f"https://ok.example.com,{value}")
    with pytest.raises(ConfigurationError, match="CORS_ALLOWED_ORIGINS"):
        env_origins("CORS_ALLOWED_ORIGINS")


def test_origins_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("CORS_ALLOWED_ORIGINS", " https://a.example.com , http://localhost:3000 ")
    assert env_origins("CORS_ALLOWED_ORIGINS") == ["https://a.example.com", "http://localhost:3000"]


def test_the_settings_take_the_origins_from_the_environment():
    code = "from django.conf import settings; print(settings.CORS_ALLOWED_ORIGINS)"
    env = {
        **os.environ,
        "CORS_ALLOWED_ORIGINS": "https://a.example.com",
        "DJANGO_SETTINGS_MODULE": "shop.settings_test",
    }
    env.pop("MONGODB_URI", None)
    output = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert output.stdout.strip() == "['https://a.example.com']", output.stderr
