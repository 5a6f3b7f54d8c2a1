"""The API documentation renders in a real browser from this server alone (no CDN, no fonts)."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.usefixtures("transactional_db")


def collect_page_errors(page):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def assert_only_local_requests(request_log, live_server):
    assert request_log, "the page made no request at all"
    assert request_log.foreign(live_server.url) == []


def test_swagger_ui_lists_the_operations_without_leaving_the_machine(page, live_server, request_log):
    errors = collect_page_errors(page)
    with page.expect_response(re.compile(r"/api/v1/schema/")) as schema:
        page.goto("/api/v1/docs/")
    assert schema.value.status == 200

    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Shop API")
    operations = page.locator(".opblock-summary")
    expect(operations.filter(has_text="/api/v1/orders/").first).to_be_visible()
    expect(operations.filter(has_text="/api/v1/products/").first).to_be_visible()
    expect(page.locator(".opblock-summary-method").filter(has_text="POST").first).to_be_visible()
    # A schema Swagger UI cannot resolve (a dangling $ref, say) shows an "Errors" panel.
    expect(page.locator(".swagger-ui .errors-wrapper")).to_have_count(0)
    # Everything the page asked for (scripts, styles, favicon, schema) is in by now.
    page.wait_for_load_state("networkidle")

    assert_only_local_requests(request_log, live_server)
    assert any("/static/drf_spectacular_sidecar/swagger-ui-dist/" in url for url in request_log.urls)
    assert errors == []


def test_redoc_renders_without_leaving_the_machine(page, live_server, request_log, api_client):
    # ReDoc reads the process's second schema, not its first: generation once mutated
    # shared state and left a dangling $ref that only ReDoc reported.
    assert api_client.get("/api/v1/schema/").status_code == 200
    errors = collect_page_errors(page)
    page.goto("/api/v1/redoc/")

    # ReDoc fills the page once the schema is parsed: the title, then an operation per endpoint.
    expect(page.locator(".api-info h1")).to_contain_text("Shop API")
    expect(page.locator(".api-content h2").filter(has_text=re.compile(r"order", re.I)).first).to_be_visible()
    expect(page.locator(".menu-content")).to_contain_text("orders")
    # Headings are the operations' summaries, not their internal ids.
    placing = page.locator(".api-content h2").filter(has_text="Place an order")
    expect(placing.filter(has_not_text="original service")).to_have_count(1)
    expect(page.locator(".api-content h2").filter(has_text="orders_create")).to_have_count(0)
    page.wait_for_load_state("networkidle")

    assert_only_local_requests(request_log, live_server)
    # ReDoc's bundle, served by the shop with its logo inline (shop.api.docs).
    assert any(url.endswith("/api/v1/redoc/redoc.standalone.js") for url in request_log.urls)
    assert errors == []
