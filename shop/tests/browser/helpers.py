"""Steps a person takes in the browser, shared by the browser tests."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from accounts.tests.factories import DEFAULT_PASSWORD


def admin_log_in(page: Page, email: str, password: str = DEFAULT_PASSWORD) -> None:
    """Log in on the admin's own login page, as staff do, and wait for the index."""
    page.goto("/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()
    expect(page.locator("#content h1")).to_have_text("Run the shop")


def api_log_in(page: Page, email: str, next_path: str, password: str = DEFAULT_PASSWORD) -> None:
    """Log in at the browsable API's login page and land on ``next_path``, its scripts run.

    Until DRF's ``ajax-form.js`` has run, a form button submits the plain HTML form
    (urlencoded: 415 from the API), so the page must have loaded, not just navigated.
    """
    page.goto(f"/api-auth/login/?next={next_path}")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("[type=submit]")
    expect(page).to_have_url(re.compile(re.escape(next_path) + "$"))
    page.wait_for_load_state("load")
