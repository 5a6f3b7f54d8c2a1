"""First contact: the front page, the admin's way back to it, the browsable-API login.

``/`` leads to the API, its documentation and the admin; the admin is branded as the
shop's and its "View site" goes to ``/``; logging in to the browsable API without a
``?next=`` lands on the API root. The browser tests click the same links.
"""

from __future__ import annotations

import re

import pytest

from accounts.tests.factories import DEFAULT_PASSWORD, UserFactory

LINKS = {
    "api": "http://testserver/api/v1/",
    "docs": "http://testserver/api/v1/docs/",
    "redoc": "http://testserver/api/v1/redoc/",
    "schema": "http://testserver/api/v1/schema/",
    "login": "http://testserver/api-auth/login/",
    "admin": "http://testserver/admin/",
}


@pytest.mark.django_db
def test_the_front_page_links_to_the_api_the_docs_the_login_and_the_admin(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    for url in LINKS.values():
        assert f'href="{url}"' in page, url
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', page).group(1)
    assert client.get(stylesheet).status_code == 200


def test_a_program_gets_the_front_page_links_as_json(client):
    response = client.get("/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json() == LINKS


@pytest.mark.django_db
def test_every_front_page_link_is_served(client):
    for key, url in client.get("/", HTTP_ACCEPT="application/json").json().items():
        assert client.get(url).status_code in (200, 302), key


def test_the_front_page_only_reads(client):
    response = client.post("/")
    assert response.status_code == 405


@pytest.mark.django_db
def test_the_admin_is_the_shops_and_view_site_goes_to_the_front_page(admin_client):
    page = admin_client.get("/admin/").content.decode()
    assert "<title>Run the shop | Shop administration</title>" in page
    assert '<a href="/">View site</a>' in page
    assert "Django administration" not in page


@pytest.mark.django_db
def test_the_browsable_api_login_lands_on_the_api_root(client):
    user = UserFactory(email="ann@example.com")
    login = client.get("/api-auth/login/")
    assert "Shop API" in login.content.decode()
    response = client.post("/api-auth/login/", {"username": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/api/v1/"
    assert client.get(response["Location"], HTTP_ACCEPT="text/html").status_code == 200


@pytest.mark.django_db
def test_the_browsable_api_is_branded_as_the_shops(client):
    page = client.get("/api/v1/", HTTP_ACCEPT="text/html").content.decode()
    assert '<a class="navbar-brand" rel="nofollow" href="/api/v1/">Shop API</a>' in page
    assert "django-rest-framework.org" not in page
