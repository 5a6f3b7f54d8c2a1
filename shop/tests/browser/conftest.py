"""Fixtures of the real-browser tests: Debian's Chromium driven by Playwright against ``live_server``.

Every test here is marked ``browser`` (``pytest -m "not browser"`` leaves them out).
Without ``/usr/bin/chromium`` they are skipped, except when the environment says
``CI``: there a missing browser is an install bug, so they fail with the reason.

Playwright's sync API keeps an asyncio loop running in this thread while the
browser is open, which makes Django refuse ORM calls from the test body
("SynchronousOnlyOperation"). ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set for this
package only, and Playwright is stopped when the package ends, so the rest of the
suite keeps Django's guard.

On a failure, each open page of the test is saved as a PNG under
``test-artifacts/screenshots/`` (git-ignored, outside the test paths).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from shop.testing.components import component_required

CHROMIUM = Path("/usr/bin/chromium")
# Headless, no sandbox (CI runs as root), and none of Chromium's own traffic to the
# outside (updates, sync, field trials): on a closed network it only stalls.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Generous for a 2-core CI machine, small enough that a broken page fails in seconds.
TIMEOUT_MS = 10_000


def screenshot_dir(config) -> Path:
    """Return the folder for screenshots (created on demand), ``test-artifacts/screenshots/``."""
    folder = Path(config.rootpath) / "test-artifacts" / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def screenshot_name(nodeid: str) -> str:
    """Return a file-name-safe stem for a test id."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1]).strip("_")


def pytest_collection_modifyitems(config, items):
    """Mark every test of this package ``browser``."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so fixtures can tell a failed test at teardown."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="package")
def _async_unsafe_allowed():
    """Let the test bodies use the ORM while Playwright's loop runs (this package only)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="package")
def chromium(_async_unsafe_allowed):
    """Return a headless Debian Chromium launched by Playwright, shared by the package's tests."""
    component_required(
        CHROMIUM.exists(),
        f"{CHROMIUM} is missing: the browser tests need Debian's chromium "
        "(apt-get install chromium chromium-driver; .ci/run does it).",
    )
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
    finally:
        playwright.stop()


CSP_VIOLATION = "Content Security Policy"


class RequestLog(list):
    """Every request the test's pages made, in order (what ``page.on("request")`` saw)."""

    @property
    def urls(self) -> list[str]:
        """Return the requested URLs."""
        return [request.url for request in self]

    def foreign(self, origin: str) -> list[str]:
        """Return the URLs of requests that went, or tried to go, anywhere but ``origin``.

        data: and blob: URLs never leave the browser, and neither does a request that the
        page's own Content-Security-Policy blocked (Playwright reports its failure as "csp").
        Requests aborted by the ``page`` fixture's guard are counted: they did try to leave.
        """
        expected = urlsplit(origin).netloc
        return [
            request.url
            for request in self
            if urlsplit(request.url).scheme not in ("data", "blob")
            and urlsplit(request.url).netloc != expected
            and request.failure != "csp"
        ]


@pytest.fixture
def request_log() -> RequestLog:
    """Return the log of the requests made by the pages of this test."""
    return RequestLog()


@pytest.fixture
def page(request, chromium, live_server, request_log):
    """Return a page in a fresh browser context whose relative URLs go to the live server.

    Requests to any other host are logged and aborted, so no test waits on the
    outside world. On failure every page of the context is screenshotted.
    """
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    context = chromium.new_context(base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    server = urlsplit(live_server.url).netloc

    def keep_local(route):
        if urlsplit(route.request.url).netloc == server:
            route.continue_()
        else:
            route.abort()

    context.route(re.compile(r"^https?://"), keep_local)
    context.on("request", lambda request: request_log.append(request))
    # Chromium reports every Content-Security-Policy violation on the console.
    violations: list[str] = []
    context.on(
        "console",
        lambda message: (
            violations.append(f"{message.location['url']}: {message.text}")
            if CSP_VIOLATION in message.text
            else None
        ),
    )
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None) or getattr(request.node, "report_setup", None)
    if report is not None and report.failed:
        folder = screenshot_dir(request.config)
        stem = screenshot_name(request.node.nodeid)
        for number, open_page in enumerate(context.pages):
            suffix = f"-{number}" if number else ""
            try:
                open_page.screenshot(path=str(folder / f"{stem}{suffix}.png"), full_page=True)
            except Exception as error:  # a failed screenshot must not hide the test's failure
                print(f"screenshot of {open_page.url} failed: {error}")
    context.close()
    assert violations == [], "the pages broke their Content-Security-Policy"
