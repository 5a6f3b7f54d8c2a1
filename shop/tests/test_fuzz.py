"""Contract fuzzing of the v1 API: schemathesis drives every operation of our own schema.

The schema is the one ``GET /api/v1/schema/`` serves (drf-spectacular, generated in
process). schemathesis generates requests from it (its examples, coverage and
fuzzing phases: valid and invalid bodies, query strings, headers and path ids) and
sends them to the Django WSGI application in process, on the test database, with
a bearer token of a customer and of a staff member, and with none. Each response
must pass the checks in ``CHECKS``: no 5xx, a status the schema declares for the
operation, the declared content type, a body matching the declared schema, and the
declared response headers (``WWW-Authenticate`` on 401, ``Retry-After`` on 429).

Each test (one operation, one caller) seeds a small shop: categories, products with
stock far beyond what any run can order, and orders of the caller in every status.
Path ids and order lines are drawn from those rows half of the time, so the
operations reach their real work (updating, cancelling, placing) and not only 404s.

Operations that kill the caller's tokens (logout, logout-all, password change,
account deletion) get a fresh user for every case, so they cannot log the caller
out of the other cases; their exact behaviour is tested in
``accounts/tests/test_tokens.py`` and ``accounts/tests/test_register_and_profile.py``.
The failed-login and registration limits are lifted (``LOGIN_FAILURE_LIMIT``, ...) so that thousands of
wrong passwords from one address never turn into 429s that hide the real answers;
the limit itself is tested in ``accounts/tests/test_login_throttling.py``.

The run is deterministic (fixed seed, no example database), so it fails or passes
the same way everywhere; ``FUZZ_SEED=<int>`` explores other cases and
``FUZZ_MAX_EXAMPLES=<int>`` changes the number of fuzzing cases per operation.
"""

from __future__ import annotations

import json
import os
import random
from collections import Counter

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from accounts.tests.factories import UserFactory
from accounts.tokens import issue_token_pair
from catalog.tests.factories import CategoryFactory, ProductFactory
from orders.models import OrderStatus
from orders.tests.factories import OrderFactory

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "50"))
SEED = int(os.environ.get("FUZZ_SEED", "20261129"))

# What every response must satisfy.
RESPONSE_CHECKS = [
    not_a_server_error,  # no 5xx
    status_code_conformance,  # a status the operation declares
    content_type_conformance,  # the declared media type (application/json)
    response_schema_conformance,  # a body matching the declared schema for that status
    response_headers_conformance,  # declared required headers (WWW-Authenticate, Retry-After)
]
# And for generated cases, what the API must do with what it is sent.
CHECKS = [
    *RESPONSE_CHECKS,
    negative_data_rejection,  # a request the schema calls invalid gets a 4xx, never a 2xx
    unsupported_method,  # an undeclared method gets 405 (or 401/403 before it)
    allow_header_conformance,  # 405 lists the allowed methods in Allow
    missing_required_header,  # a missing required header is a 4xx
    ignored_auth,  # an operation that requires credentials refuses a request without them
]

# (method, path) of the operations that kill every token of the caller, or the refresh
# token sent: each of their cases runs as a fresh user (see the module docstring).
TOKEN_KILLING = {
    ("POST", "/api/v1/auth/logout/"),
    ("POST", "/api/v1/auth/logout-all/"),
    ("POST", "/api/v1/accounts/me/password/"),
    ("DELETE", "/api/v1/accounts/me/"),
}

# Plenty for every order a run can place (50 lines of up to 1000 units per case).
SEED_STOCK = 500_000_000

CALLERS = ("customer", "staff", "anonymous")

# Cases sent per (caller, method, path), and the statuses they got; printed at the end.
CASES_RUN: Counter = Counter()
STATUSES: dict[tuple[str, str, str], Counter] = {}


def v1_schema() -> dict:
    """Return the OpenAPI document that ``/api/v1/schema/`` serves, as plain JSON data."""
    document = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(document, renderer_context={}))


config = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        "generation": {
            "mode": "all",
            "max-examples": MAX_EXAMPLES,
            "database": "none",
            # The test sends real credentials itself; the 401 paths are covered by the
            # anonymous caller and by invalid tokens in ordinary tests.
            "with-security-parameters": False,
        },
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large", "large_base_example"],
    }
)
APP = WSGIHandler()
DOCUMENT = v1_schema()
schema = schemathesis.openapi.from_dict(DOCUMENT, config=config).include(path_regex=r"^/api/v1/")
# In process: every request, and the checks that replay one (ignored_auth), go to the WSGI app.
schema.app = APP


@pytest.fixture(scope="module", autouse=True)
def cases_report(request):
    """After the module, print how many cases each operation and caller got."""
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None or not CASES_RUN:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_line(f"schemathesis: {sum(CASES_RUN.values())} cases in all")
        for key, count in sorted(CASES_RUN.items(), key=lambda item: (item[0][2], item[0][1], item[0][0])):
            caller, method, path = key
            statuses = " ".join(f"{code}x{n}" for code, n in sorted(STATUSES.get(key, Counter()).items()))
            reporter.write_line(f"{count:5d}  {method:6s} {path:34s} {caller:9s} {statuses}")


@pytest.fixture
def in_process_requests():
    """Keep the test's database connection open across requests, as Django's test client does.

    The WSGI handler closes connections at the start and end of every request; inside
    the test transaction that would close the connection the test data lives in.
    """
    signals = (request_started, request_finished)
    for signal in signals:
        signal.disconnect(close_old_connections)
    yield
    for signal in signals:
        signal.connect(close_old_connections)


@pytest.fixture
def fuzz_settings(settings):
    """Let the in-process client's Host in, and lift the failed-login and registration limits."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    settings.LOGIN_FAILURE_LIMIT = 10**9
    settings.LOGIN_FAILURE_ADDRESS_LIMIT = 10**9
    settings.REGISTRATION_LIMIT = 10**9
    return settings


def seed_shop(owner) -> dict[str, list[str]]:
    """Create the rows the cases work on; return the ids path parameters are drawn from."""
    categories = [CategoryFactory(slug=slug) for slug in ("books", "garden")]
    products = [
        ProductFactory(category=categories[index % 2], stock=SEED_STOCK, price=f"{index + 1}.50")
        for index in range(4)
    ]
    ProductFactory(category=categories[0], stock=0)
    ProductFactory(category=categories[1], is_active=False)
    customer = owner or UserFactory()
    orders = [
        OrderFactory(customer=customer, items=[(products[index % 4], 2)], status=status)
        for index, status in enumerate(
            [OrderStatus.IN_PROGRESS] * 4
            + [OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CANCELLED]
        )
    ]
    return {
        "product_ids": [str(product.pk) for product in products],
        "order_ids": [str(order.pk) for order in orders],
        "category_slugs": [category.slug for category in categories],
    }


def bearer(user) -> dict[str, str]:
    """Return the Authorization header of a fresh access token of ``user``."""
    return {"Authorization": f"Bearer {issue_token_pair(user)['access']}"}


def caller_user(caller: str):
    """Return a new user playing ``caller`` (None for the anonymous caller)."""
    if caller == "anonymous":
        return None
    return UserFactory(is_staff=caller == "staff")


def steer(case, ids: dict[str, list[str]]) -> None:
    """Point about half of the cases at seeded rows, so they reach the real work.

    The choice is a pure function of the generated case (a seeded ``random.Random``),
    so a failing case replays exactly; drawing it from Hypothesis instead would switch
    off schemathesis' coverage phase, which refuses extra ``given`` arguments.
    """
    seed = f"{case.method} {case.path} {case.path_parameters!r} {case.query!r} {case.body!r}"
    rng = random.Random(seed)  # noqa: S311  (test data, not secrets)
    for name in list(case.path_parameters or {}):
        pool = ids["order_ids"] if name == "order_id" else ids["product_ids"]
        if rng.random() < 0.5:
            case.path_parameters[name] = rng.choice(pool)
    if not isinstance(case.body, dict) or rng.random() < 0.5:
        return
    operation = (case.method, case.path)
    if operation == ("POST", "/api/v1/orders/"):
        # A valid order: the generated quantities are almost never 1 to 1000.
        case.body = {
            "items": [
                {"product": rng.choice(ids["product_ids"]), "quantity": rng.randint(1, 5)}
                for _ in range(rng.randint(1, 3))
            ]
        }
    elif operation in {("POST", "/api/v1/products/"), ("PATCH", "/api/v1/products/{id}/")} and (
        "category" in case.body or case.method == "POST"
    ):
        # A new dict, not an in-place change: schemathesis then checks again whether the case is still
        # invalid, so a negative case steered into a valid one is not held to being refused.
        case.body = {**case.body, "category": rng.choice(ids["category_slugs"])}


@pytest.fixture
def world(db, fuzz_settings, in_process_requests, caller):
    """Seed the shop for one operation and caller; return the caller's headers and the ids."""
    user = caller_user(caller)
    ids = seed_shop(user if caller == "customer" else None)
    return {"headers": bearer(user) if user else {}, "ids": ids}


@pytest.mark.parametrize("caller", CALLERS)
@schema.parametrize()
# One seeded shop per operation and caller, shared by its cases on purpose (see ``world``).
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_every_operation_conforms_to_the_schema(case, caller, world):
    """No case produces a 5xx or a response (status, type, body, headers) the schema does not declare."""
    steer(case, world["ids"])
    headers = world["headers"]
    if caller != "anonymous" and (case.method, case.path) in TOKEN_KILLING:
        headers = bearer(caller_user(caller))
    key = (caller, case.operation.method.upper(), case.operation.path)
    CASES_RUN[key] += 1
    response = case.call_and_validate(headers=headers, checks=CHECKS)
    STATUSES.setdefault(key, Counter())[response.status_code] += 1
    if os.environ.get("FUZZ_DEBUG"):
        print(
            case.method,
            case.path,
            case.path_parameters,
            case.query,
            case.body,
            "->",
            response.status_code,
            response.text[:200],
        )


# Operations that take no input at all (no parameter, no body): schemathesis has a
# single request to send for each, so the test below varies what a client may add
# anyway (unknown query parameters, unrelated headers), which must change nothing.
INPUTLESS = sorted(
    (method.upper(), path)
    for path, item in DOCUMENT["paths"].items()
    if path.startswith("/api/v1/")
    for method, operation in item.items()
    if method in {"get", "post", "put", "patch", "delete"}
    and not operation.get("parameters")
    and "requestBody" not in operation
)
# Printable ASCII without leading or trailing spaces: what an HTTP client can send at all.
HEADER_TEXT = st.from_regex(r"\A[!-~](?:[ -~]{0,38}[!-~])?\Z")
HEADER_NAMES = ["Accept-Language", "X-Requested-With", "If-None-Match", "X-Forwarded-For", "Cookie"]
NOISE = st.fixed_dictionaries(
    {
        "query": st.dictionaries(st.text(min_size=1, max_size=12), st.text(max_size=30), max_size=4),
        "headers": st.dictionaries(st.sampled_from(HEADER_NAMES), HEADER_TEXT, max_size=3),
    }
)


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize(("method", "path"), INPUTLESS)
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(noise=NOISE)
def test_operations_without_inputs_ignore_what_else_a_client_sends(method, path, caller, world, noise):
    """Extra query parameters and headers on an input-less operation never break its contract."""
    case = schema[path][method].Case(query=noise["query"], headers=noise["headers"])
    headers = {**noise["headers"], **world["headers"]}
    if caller != "anonymous" and (method, path) in TOKEN_KILLING:
        headers.update(bearer(caller_user(caller)))
    key = (caller, method, path)
    CASES_RUN[key] += 1
    response = case.call_and_validate(headers=headers, checks=RESPONSE_CHECKS)
    STATUSES.setdefault(key, Counter())[response.status_code] += 1
