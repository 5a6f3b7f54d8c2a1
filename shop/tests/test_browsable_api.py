"""The browsable API works for a person: titles, descriptions, forms that work as shown.

Each test reads the HTML page DRF's browsable API renders (``Accept: text/html``) and,
where the page offers a form, sends what the form holds as it is shown, as the page's
script would. The real-browser tests (shop/tests/browser/) click through the same pages.
"""

from __future__ import annotations

import html
import json
import re

import pytest
from django.core.management import call_command

from accounts.tests.factories import UserFactory
from catalog.models import Product
from catalog.tests.factories import CategoryFactory, ProductFactory
from conftest import bearer_client
from orders.models import Order
from orders.schema import order_create_example
from orders.tests.factories import SHIPPING_ADDRESS, OrderFactory
from shop.services import account_close

pytestmark = pytest.mark.django_db

HTML = {"HTTP_ACCEPT": "text/html"}


def page(client, path: str, *, status: int = 200, **params) -> str:
    response = client.get(path, params, **HTML)
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


def title(document: str) -> str:
    return html.unescape(re.search(r"<h1>(.*?)</h1>", document, re.S).group(1)).strip()


def description(document: str) -> str:
    block = re.search(r'<div class="pull-left">(.*?)</div>', document, re.S).group(1)
    return html.unescape(re.sub(r"<[^>]+>", " ", block))


def form_content(document: str, form_id: str):
    """Return the JSON the raw-data form ``form_id`` starts with."""
    start = document.index(f'id="{form_id}"')
    textarea = re.search(r"<textarea[^>]*>(.*?)</textarea>", document[start:], re.S).group(1)
    return json.loads(html.unescape(textarea))


@pytest.fixture
def phone():
    return ProductFactory(sku="EL-PHONE-001", name="Phone", price="699.00", stock=5)


@pytest.mark.parametrize(
    ("path", "expected", "status"),
    [
        ("/api/v1/", "API root", 200),
        ("/api/v1/orders/", "Orders", 200),
        ("/api/v1/products/", "Products", 200),
        ("/api/v1/categories/", "Categories", 200),
        ("/api/v1/accounts/me/", "Your account", 200),
        # POST-only: the page is a 405 that shows the form.
        ("/api/v1/accounts/me/password/", "Change password", 405),
        ("/api/v1/auth/register/", "Register", 405),
        ("/api/v1/auth/token/", "Log in (get a token)", 405),
    ],
)
def test_pages_have_plain_titles_and_descriptions(path, expected, status, user):
    document = page(bearer_client(user), path, status=status)
    assert title(document) == expected
    assert "``" not in document
    assert re.search(r"<title>\s*" + re.escape(expected) + r" \u2013 Shop API\s*</title>", document)


def test_an_object_and_its_actions_have_their_own_titles(staff_client, phone):
    order = OrderFactory(items=[(phone, 1)])
    assert title(page(staff_client, f"/api/v1/orders/{order.pk}/")) == "Order"
    assert title(page(staff_client, f"/api/v1/products/{phone.pk}/")) == "Product"
    # A POST-only action's page is a 405 with its form; its title names the action.
    response = staff_client.get(f"/api/v1/orders/{order.pk}/cancel/", **HTML)
    assert title(response.content.decode()) == "Cancel order"


def test_descriptions_speak_to_people(customer_client):
    text = description(page(customer_client, "/api/v1/orders/"))
    assert "Place an order by sending the lines you want" in text
    assert "selectors" not in text and "services" not in text


def test_the_root_lists_every_resource_and_each_link_is_served(api_client):
    root = api_client.get("/api/v1/").json()
    assert list(root) == [
        "auth/register",
        "auth/token",
        "auth/token/refresh",
        "auth/logout",
        "auth/logout-all",
        "auth/password-reset",
        "accounts/me",
        "accounts/me/password",
        "accounts/me/addresses",
        "categories",
        "products",
        "orders",
        "docs",
        "redoc",
        "schema",
    ]
    for name, url in root.items():
        assert url == f"http://testserver/api/v1/{name}/", name
        assert api_client.get(url).status_code in (200, 401, 405), name


def test_the_root_is_browsable_with_links(api_client):
    document = page(api_client, "/api/v1/")
    assert 'href="http://testserver/api/v1/orders/"' in document
    assert 'href="http://testserver/api/v1/docs/"' in document


def test_the_order_form_starts_from_an_order_that_succeeds(user, phone):
    client = bearer_client(user)
    body = form_content(page(client, "/api/v1/orders/"), "post-generic-content-form")
    assert body == order_create_example(product_id=str(phone.pk))
    assert body["items"] == [{"product": str(phone.pk), "quantity": 1}]

    response = client.post("/api/v1/orders/", body, format="json")

    assert response.status_code == 201
    assert Order.objects.get(customer=user).total == phone.price


def test_the_order_form_works_on_the_demo_catalog_too(user):
    call_command("load_demo_catalog", stdout=open("/dev/null", "w"))  # noqa: SIM115
    client = bearer_client(user)
    body = form_content(page(client, "/api/v1/orders/"), "post-generic-content-form")
    assert client.post("/api/v1/orders/", body, format="json").status_code == 201


def test_the_product_form_offers_the_writable_fields_and_works_unchanged(staff_client, phone):
    body = form_content(page(staff_client, f"/api/v1/products/{phone.pk}/"), "put-generic-content-form")
    assert set(body) == {
        "sku",
        "name",
        "category",
        "description",
        "price",
        "stock",
        "expected_stock",
        "is_active",
    }
    assert (body["stock"], body["expected_stock"], body["price"]) == (5, 5, "699.00")

    response = staff_client.patch(f"/api/v1/products/{phone.pk}/", body, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["stock"] == 5


def test_a_stock_typed_into_the_product_form_keeps_what_orders_took_meanwhile(staff_client, user, phone):
    body = form_content(page(staff_client, f"/api/v1/products/{phone.pk}/"), "put-generic-content-form")
    bearer_client(user).post(
        "/api/v1/orders/",
        {"shipping_address": SHIPPING_ADDRESS, "items": [{"product": str(phone.pk), "quantity": 2}]},
        format="json",
    )

    response = staff_client.patch(f"/api/v1/products/{phone.pk}/", {**body, "stock": 10}, format="json")

    assert response.status_code == 200
    assert Product.objects.get(pk=phone.pk).stock == 8  # 5 seen, 10 typed: +5 on the 3 left


def test_the_new_product_form_starts_from_an_example_that_can_be_created(staff_client):
    CategoryFactory(slug="home-kitchen")
    body = form_content(page(staff_client, "/api/v1/products/"), "post-generic-content-form")
    assert staff_client.post("/api/v1/products/", body, format="json").status_code == 201


def test_customers_get_no_product_forms(customer_client, phone):
    document = page(customer_client, f"/api/v1/products/{phone.pk}/")
    assert "put-generic-content-form" not in document


def test_the_filter_form_has_labels_and_a_category_choice(api_client):
    CategoryFactory(slug="books", name="Books")
    CategoryFactory(slug="toys", name="Toys & Games")
    document = page(api_client, "/api/v1/products/")
    form = document[document.index('<form class="form" action="/api/v1/products/" method="get">') :]
    form = form[: form.index("</form>")]
    labels = [html.unescape(label) for label in re.findall(r"<label[^>]*>(.*?):</label>", form)]
    assert labels == ["Category", "Search", "In stock", "Order by"]
    assert "[invalid name]" not in document
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', form)
    assert ("books", "Books") in options and ("toys", "Toys &amp; Games") in options
    # The in-stock choice starts on a placeholder the browser does not send.
    assert re.search(r'<option value="" selected disabled>in stock or not</option>', form)
    assert 'href="/api/v1/products/">Clear</a>' in form


def test_the_filter_form_as_a_browser_submits_it_untouched_answers(api_client):
    ProductFactory.create_batch(2)
    # Every field but the placeholder select: category "any", no search, the default ordering.
    response = api_client.get("/api/v1/products/", {"category": "", "search": "", "ordering": "name"}, **HTML)
    assert response.status_code == 200


def test_staff_see_each_orders_customer_email_and_links_to_its_actions(staff_client, phone):
    ann = UserFactory(email="ann@example.com")
    order = OrderFactory(customer=ann, items=[(phone, 1)])
    leaving = UserFactory()
    closed = OrderFactory(customer=leaving, items=[(phone, 1)])
    account_close(user=leaving)

    results = {item["id"]: item for item in staff_client.get("/api/v1/orders/").json()["results"]}

    assert results[str(order.pk)]["customer_email"] == "ann@example.com"
    assert results[str(closed.pk)]["customer_email"] is None
    base = f"http://testserver/api/v1/orders/{order.pk}/"
    assert results[str(order.pk)]["links"] == {
        "self": base,
        "cancel": f"{base}cancel/",
        "status": f"{base}status/",
    }
    detail = staff_client.get(f"/api/v1/orders/{order.pk}/").json()
    assert detail["customer_email"] == "ann@example.com"
    document = page(staff_client, f"/api/v1/orders/{order.pk}/")
    assert "Extra Actions" in document
    assert f'href="{base}cancel/"' in document and f'href="{base}status/"' in document


def test_customers_do_not_get_the_staff_fields(customer_client, user, phone):
    OrderFactory(customer=user, items=[(phone, 1)])
    (order,) = customer_client.get("/api/v1/orders/").json()["results"]
    assert "customer_email" not in order and "links" not in order


@pytest.mark.parametrize("page_size", [5, 50])
def test_the_staff_list_query_count_does_not_grow_with_the_page(
    staff_client, django_assert_num_queries, page_size
):
    for number in range(60):
        OrderFactory(customer=UserFactory(email=f"c{number}@example.com"))
    # user + page (lines and history in each order's details) + the customers' emails.
    with django_assert_num_queries(3):
        response = staff_client.get("/api/v1/orders/", {"page_size": page_size})
    assert len(response.json()["results"]) == page_size
