"""The production stack for real: Debian's nginx in front of gunicorn, as ``make serve`` runs it.

One stack for the module (``deploy.stack.Stack``, the code ``make serve`` runs), with
the production settings a deployment behind TLS uses: nginx terminates TLS (a
self-signed certificate of the test's own) and is the one trusted proxy
(``TRUSTED_PROXY_COUNT=1``, ``DJANGO_SECURE_PROXY_SSL_HEADER=1``), the redirect to HTTPS,
HSTS and secure cookies on. Clients use several loopback source addresses
(127.0.0.7, 127.0.0.8...) to stand for different machines.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import email
import email.policy
import gzip
import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from deploy.stack import Stack, StackError, manage, nginx_binary
from deploy.tests.client import Endpoint, SlowClient
from deploy.tests.conftest import base_environment, free_port, fresh_database
from orders.tests.factories import SHIPPING_ADDRESS
from shop.testing.components import component_required

pytestmark = pytest.mark.stack

WORKERS = 2
LOGIN_FAILURE_LIMIT = 3
METRICS_TOKEN = "stack-metrics-token-0123456789"
PASSWORD = "stack-Password-2026!"
DJANGO_BODY_LIMIT = 1024 * 1024  # settings.DATA_UPLOAD_MAX_MEMORY_SIZE


@dataclass
class LiveStack:
    """The running stack and how to reach it."""

    stack: Stack
    http: Endpoint
    https: Endpoint
    direct: Endpoint  # gunicorn's own socket, around nginx
    static_root: Path

    @property
    def run_dir(self) -> Path:
        """Return the stack's directory (configs, socket, logs)."""
        return self.stack.run_dir

    def app_log(self) -> list[dict]:
        """Return gunicorn's log (app and gunicorn lines), parsed."""
        return [
            json.loads(line) for line in self.stack.gunicorn.log_text().splitlines() if line.startswith("{")
        ]

    def access_log(self) -> list[dict]:
        """Return nginx's access log, parsed."""
        return [json.loads(line) for line in (self.run_dir / "access.log").read_text().splitlines()]

    def access_logged(self, *, request_id: str, path: str, seconds: float = 5.0) -> bool:
        """Return whether nginx logs the request within ``seconds``.

        nginx writes the access-log line after the response has gone out, so a client
        that reads the log at once can be ahead of it.
        """
        deadline = time.monotonic() + seconds
        while True:
            if any(e["request_id"] == request_id and e["path"] == path for e in self.access_log()):
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """Return (certificate, key) for 127.0.0.1 and localhost, made with openssl."""
    openssl = Path("/usr/bin/openssl")
    component_required(openssl.exists(), "openssl is missing (apt-get install openssl; .ci/run does it)")
    certificate, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(  # noqa: S603 - fixed command
        [
            str(openssl),
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(certificate),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return certificate, key


class MailServer:
    """The stack's mail server (aiosmtpd, on loopback): keeps what it acknowledged.

    While ``hold_for`` names a recipient, that recipient's messages wait for ``release``
    before their ``250`` (at most 20 s).
    """

    def __init__(self):
        self.acknowledged: list[email.message.EmailMessage] = []
        self.hold_for: str | None = None
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.hold_for in envelope.rcpt_tos:
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 20)
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.acknowledged.append(message)
        return "250 Message accepted for delivery"


@pytest.fixture(scope="module")
def mail_server():
    """Run the stack's mail server for the module."""
    handler = MailServer()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def live(tmp_path_factory, collected_static_root, migrated_sqlite, mail_server):
    """Start the stack once for the module; stop it at the end, whatever happened."""
    component_required(
        nginx_binary() is not None,
        "nginx is missing: the stack tests need Debian's nginx (apt-get install nginx; .ci/run does it).",
    )
    run_dir = tmp_path_factory.mktemp("stack")
    certificate, key = self_signed_certificate(run_dir)
    tls = ssl.create_default_context(cafile=str(certificate))
    with fresh_database(migrated_sqlite, run_dir) as database:
        env = base_environment(
            **database,
            TRUSTED_PROXY_COUNT="1",
            DJANGO_SECURE_PROXY_SSL_HEADER="1",
            LOGIN_FAILURE_LIMIT=str(LOGIN_FAILURE_LIMIT),
            METRICS_ALLOWED_ADDRESSES="127.0.0.1",
            METRICS_TOKEN=METRICS_TOKEN,
            DJANGO_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(mail_server[1]),
        )
        manage(env, "load_demo_catalog")
        for _attempt in range(3):  # a free port can be taken between choosing it and binding it
            http_port, https_port = free_port(), free_port()
            includes = run_dir / "server.d"
            includes.mkdir(exist_ok=True)
            (includes / "tls.conf").write_text(
                f"listen 127.0.0.1:{https_port} ssl;\n"
                f"ssl_certificate {certificate};\nssl_certificate_key {key};\n"
            )
            stack = Stack(
                run_dir=run_dir,
                env=env,
                listen=f"127.0.0.1:{http_port}",
                static_root=collected_static_root,
                workers=WORKERS,
                nginx_worker_processes="1",
            )
            try:
                with stack:
                    yield LiveStack(
                        stack=stack,
                        http=Endpoint(port=http_port),
                        https=Endpoint(port=https_port, tls=tls),
                        direct=Endpoint(unix_socket=stack.socket),
                        static_root=collected_static_root,
                    )
                return
            except StackError as error:
                if "Address already in use" not in stack.nginx.log_text() + str(error):
                    raise


def register_and_login(endpoint: Endpoint, email: str) -> str:
    """Register a customer through the stack and return an access token."""
    body = {"email": email, "password": PASSWORD, "first_name": "Stack", "last_name": "Test"}
    assert endpoint.post("/api/v1/auth/register/", body).status == 201
    answer = endpoint.post("/api/v1/auth/token/", {"email": email, "password": PASSWORD})
    assert answer.status == 200, answer.body
    return answer.json()["access"]


def product_id(endpoint: Endpoint, name: str) -> str:
    """Return the id of the demo product called ``name``."""
    answer = endpoint.get(f"/api/v1/products/?search={name}")
    return next(product["id"] for product in answer.json()["results"] if product["name"] == name)


def unique_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


# --- the API through the proxy ------------------------------------------------------


def test_the_api_works_through_the_proxy(live):
    token = register_and_login(live.https, unique_email("api"))
    phone = product_id(live.https, "Phone")

    placed = live.https.post(
        "/api/v1/orders/",
        {"shipping_address": SHIPPING_ADDRESS, "items": [{"product": phone, "quantity": 2}]},
        token=token,
    )
    listed = live.https.get("/api/v1/orders/", token=token)

    assert placed.status == 201
    assert [order["id"] for order in listed.json()["results"]] == [placed.json()["id"]]
    assert live.https.get("/api/v1/products/").json()["count"] == 30


def test_an_order_is_answered_without_waiting_for_its_email(live, mail_server):
    """The email is sent after the response: here the mail server answers only once the client has it."""
    handler, _port = mail_server
    customer = unique_email("mail")
    token = register_and_login(live.https, customer)
    phone = product_id(live.https, "Phone")
    handler.hold_for = customer
    handler.release.clear()
    try:
        started = time.monotonic()
        placed = live.https.post(
            "/api/v1/orders/",
            {"shipping_address": SHIPPING_ADDRESS, "items": [{"product": phone, "quantity": 1}]},
            token=token,
        )
        answered_in = time.monotonic() - started
    finally:
        handler.release.set()
        handler.hold_for = None

    assert placed.status == 201
    # Sent before the answer, the email would have held it until the in-process send gave up (5 s).
    assert answered_in < 4, answered_in
    deadline = time.monotonic() + 20
    while not any(customer in message["To"] for message in handler.acknowledged):
        assert time.monotonic() < deadline, "the order's email never reached the mail server"
        time.sleep(0.05)
    (sent,) = [message for message in handler.acknowledged if customer in message["To"]]
    assert f"#{placed.json()['number']}" in sent["Subject"]


def test_the_request_id_goes_from_nginx_through_the_app_and_back(live):
    chosen = live.https.get("/api/v1/categories/", headers={"X-Request-ID": "stack-req-1"})
    made_by_nginx = live.https.get("/api/v1/products/")

    assert chosen.headers["x-request-id"] == "stack-req-1"
    nginx_id = made_by_nginx.headers["x-request-id"]
    assert len(nginx_id) == 32
    for request_id, path in (("stack-req-1", "/api/v1/categories/"), (nginx_id, "/api/v1/products/")):
        assert live.access_logged(request_id=request_id, path=path)
        app_lines = [entry for entry in live.app_log() if entry.get("request_id") == request_id]
        assert [(entry["logger"], entry["path"], entry["status"]) for entry in app_lines] == [
            ("shop.request", path, 200)
        ]


def test_app_logs_are_json_lines_without_passwords_tokens_or_whole_emails(live):
    email = unique_email("secretive")
    token = register_and_login(live.https, email)
    live.https.post("/api/v1/auth/token/", {"email": email, "password": "wrong-" + PASSWORD})

    log = live.stack.gunicorn.log_text()
    assert all(line.startswith("{") for line in log.splitlines() if line.strip())
    assert PASSWORD not in log
    assert token not in log
    assert email not in log and email.split("@")[0] not in log
    logins = [entry for entry in live.app_log() if entry.get("view") == "auth-token"]
    assert {entry["status"] for entry in logins} >= {200, 401}


# --- client addresses and HTTPS detection -------------------------------------------


def test_plain_http_is_redirected_to_https_whatever_the_client_claims(live):
    plain = live.http.get("/api/v1/products/")
    claimed = live.http.get("/api/v1/products/", headers={"X-Forwarded-Proto": "https"})

    assert plain.status == claimed.status == 301
    assert plain.headers["location"].startswith("https://")
    # Probes keep working over plain HTTP.
    assert live.http.get("/healthz").status == 200


def test_https_is_detected_behind_the_proxy(live):
    answer = live.https.get("/api/v1/products/?page_size=5")

    assert answer.status == 200
    assert answer.json()["next"].startswith(f"{live.https.origin}/api/v1/products/")
    assert answer.headers["strict-transport-security"].startswith("max-age=31536000")


def test_failed_logins_count_per_client_address_behind_the_proxy(live):
    email = unique_email("nobody")  # the lockout counts one email per address

    def login(source: str, headers: dict | None = None) -> int:
        body = {"email": email, "password": "wrong"}
        return live.https.post("/api/v1/auth/token/", body, source=source, headers=headers).status

    assert [login("127.0.0.7") for _ in range(LOGIN_FAILURE_LIMIT)] == [401] * LOGIN_FAILURE_LIMIT
    assert login("127.0.0.7") == 429
    # A forged X-Forwarded-For does not help: nginx appends the real address, which counts.
    assert login("127.0.0.7", headers={"X-Forwarded-For": "127.0.0.8"}) == 429
    # Another machine is not locked out.
    assert login("127.0.0.8") == 401


def test_metrics_are_served_to_allowed_addresses_or_with_the_token_only(live):
    assert live.https.get("/api/v1/products/").status == 200
    allowed = live.https.get("/metrics", source="127.0.0.1")
    other = live.https.get("/metrics", source="127.0.0.9")
    forged = live.https.get("/metrics", source="127.0.0.9", headers={"X-Forwarded-For": "127.0.0.1"})
    with_token = live.https.get("/metrics", source="127.0.0.9", token=METRICS_TOKEN)

    assert (allowed.status, other.status, forged.status, with_token.status) == (200, 403, 403, 200)
    assert b'view="product-list"' in allowed.body


def test_metrics_add_up_every_worker(live):
    before = metric(live, "shop_http_request_duration_seconds_count", view="healthz", status="200")
    # Concurrent batches, until every worker has served some: one after another, on a busy
    # machine, one worker can take them all.
    sent, pids = 0, set()
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        while len(pids) < WORKERS and sent < 400:
            answers = list(pool.map(lambda _: live.https.get("/healthz"), range(8)))
            assert {answer.status for answer in answers} == {200}
            sent += len(answers)
            pids = {entry["pid"] for entry in live.app_log() if entry.get("view") == "healthz"}

    assert len(pids) == WORKERS
    assert (
        metric(live, "shop_http_request_duration_seconds_count", view="healthz", status="200")
        == before + sent
    )


def metric(live, name: str, **labels) -> float:
    from prometheus_client.parser import text_string_to_metric_families

    text = live.https.get("/metrics", token=METRICS_TOKEN).body.decode()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


# --- what nginx does itself ------------------------------------------------------------


def test_the_body_limit_is_djangos(live):
    at_limit = live.https.request(
        "POST",
        "/api/v1/auth/token/",
        body=b" " * DJANGO_BODY_LIMIT,
        headers={"Content-Type": "application/json"},
    )
    over = live.https.request(
        "POST",
        "/api/v1/auth/token/",
        body=b" " * (DJANGO_BODY_LIMIT + 1),
        headers={"Content-Type": "application/json"},
    )

    assert at_limit.status == 400  # through nginx; Django reads it and finds no JSON
    assert over.status == 413
    assert over.json() == {"detail": "The request body is too large.", "code": "request_too_large"}
    assert len(over.headers["x-request-id"]) == 32


def test_the_template_body_limit_matches_the_setting():
    from django.conf import settings

    template = (Path(__file__).resolve().parents[1] / "nginx" / "shop.conf.template").read_text()
    assert "client_max_body_size 1m;" in template
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == DJANGO_BODY_LIMIT


def test_json_is_gzipped_for_clients_that_accept_it(live):
    zipped = live.https.get("/api/v1/products/?page_size=30", headers={"Accept-Encoding": "gzip"})
    plain = live.https.get("/api/v1/products/?page_size=30")

    assert zipped.headers["content-encoding"] == "gzip"
    assert len(zipped.body) < len(plain.body) / 3
    assert zipped.json() == plain.json()
    assert "content-encoding" not in plain.headers


def test_static_files_are_served_by_nginx_with_long_caching_for_hashed_names(live):
    manifest = json.loads((live.static_root / "staticfiles.json").read_text())["paths"]
    hashed = manifest["admin/css/base.css"]

    versioned = live.https.get(f"/static/{hashed}", headers={"Accept-Encoding": "gzip"})
    versioned_plain = live.https.get(f"/static/{hashed}")
    unversioned = live.https.get("/static/admin/css/base.css")

    assert versioned.status == unversioned.status == 200
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert versioned.headers["content-encoding"] == "gzip"  # the .gz collectstatic wrote
    assert gzip.decompress(versioned.body) == versioned_plain.body
    assert unversioned.headers["cache-control"] == "public, max-age=300"
    assert "x-request-id" not in versioned.headers  # nginx answered, not Django


def test_html_pages_render_with_the_collected_static_files(live):
    page = live.https.get("/admin/login/")

    assert page.status == 200
    assert b"/static/admin/css/base." in page.body


# --- slow clients -----------------------------------------------------------------


def health_answered(endpoint: Endpoint, *, within: float) -> bool:
    try:
        return endpoint.get("/healthz", timeout=within).status == 200
    except OSError:  # a timeout included
        return False


def test_eight_slow_clients_do_not_stop_healthz_answering(live):
    stop = threading.Event()

    def trickle(clients: list[SlowClient]) -> None:
        while not stop.wait(0.3):
            for client in clients:
                client.trickle()

    through_nginx = [SlowClient(address=("127.0.0.1", live.http.port)) for _ in range(8)]
    around_nginx: list[SlowClient] = []
    feeder = threading.Thread(target=trickle, args=(through_nginx,), daemon=True)
    feeder.start()
    try:
        time.sleep(0.5)
        answered = [health_answered(live.https, within=1.0) for _ in range(5)]
        assert answered == [True] * 5

        # The same clients straight at gunicorn hold both sync workers: what nginx prevents.
        around_nginx = [SlowClient(unix_socket=live.stack.socket) for _ in range(8)]
        time.sleep(0.5)
        assert not health_answered(live.direct, within=1.0)
    finally:
        stop.set()
        feeder.join()
        for client in through_nginx + around_nginx:
            client.close()
    deadline = time.monotonic() + 20
    while not health_answered(live.direct, within=1.0):
        assert time.monotonic() < deadline, "gunicorn did not recover from the slow clients"


# --- workers dying and restarting --------------------------------------------------


@dataclass
class Burst:
    """Orders placed by several clients at once, each retried with its idempotency key."""

    endpoint: Endpoint
    token: str
    product: str
    acknowledged: dict[str, str]  # idempotency key -> order id
    failures: list[int | str]  # statuses or errors that were retried
    unresolved: list[str]  # keys given up on (the claim of a killed request, 10 minutes)

    def place(self, key: str) -> None:
        body = {"shipping_address": SHIPPING_ADDRESS, "items": [{"product": self.product, "quantity": 1}]}
        for _attempt in range(30):
            try:
                answer = self.endpoint.post(
                    "/api/v1/orders/", body, token=self.token, headers={"Idempotency-Key": key}
                )
            except OSError as error:
                self.failures.append(type(error).__name__)
                time.sleep(0.1)
                continue
            if answer.status == 201:
                self.acknowledged[key] = answer.json()["id"]
                return
            if answer.status == 409 and answer.json().get("code") == "idempotency_key_in_progress":
                self.unresolved.append(key)
                return
            assert answer.status in (502, 503, 504), (answer.status, answer.body)
            self.failures.append(answer.status)
            time.sleep(0.1)
        raise AssertionError(f"order {key} was never answered")

    def run(self, *, clients: int, orders_each: int, during) -> None:
        def client(number: int) -> None:
            for index in range(orders_each):
                self.place(f"burst-{number}-{index}-{uuid.uuid4().hex[:6]}")

        threads = [threading.Thread(target=client, args=(number,)) for number in range(clients)]
        for thread in threads:
            thread.start()
        during()
        for thread in threads:
            thread.join(timeout=120)


def new_burst(live) -> Burst:
    return Burst(
        endpoint=live.https,
        token=register_and_login(live.https, unique_email("burst")),
        product=product_id(live.https, "Phone"),
        acknowledged={},
        failures=[],
        unresolved=[],
    )


def stock(live, product: str) -> int:
    return live.https.get(f"/api/v1/products/{product}/").json()["stock"]


def customer_order_ids(live, token: str) -> set[str]:
    return {
        order["id"]
        for order in live.https.get("/api/v1/orders/?page_size=100", token=token).json()["results"]
    }


def wait_for_workers(live, expected: int, *, other_than: set[int]) -> list[int]:
    deadline = time.monotonic() + 30
    while True:
        pids = live.stack.gunicorn.worker_pids()
        if len(pids) == expected and not set(pids) & other_than:
            return pids
        assert time.monotonic() < deadline, f"workers {pids} (expected {expected} new ones)"
        time.sleep(0.1)


def test_a_worker_killed_during_a_burst_of_orders_loses_no_acknowledged_order(live):
    burst = new_burst(live)
    stock_before = stock(live, burst.product)
    killed: list[int] = []

    def kill_workers_mid_burst() -> None:
        for _round in range(2):
            deadline = time.monotonic() + 30
            while len(burst.acknowledged) < 8 * (len(killed) + 1) and time.monotonic() < deadline:
                time.sleep(0.01)
            victim = live.stack.gunicorn.worker_pids()[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    burst.run(clients=4, orders_each=12, during=kill_workers_mid_burst)

    placed = customer_order_ids(live, burst.token)
    assert set(burst.acknowledged.values()) <= placed  # nothing acknowledged is lost
    assert placed == set(burst.acknowledged.values())  # and no order placed twice, nor unanswered
    assert len(burst.acknowledged) + len(burst.unresolved) == 48
    assert stock(live, burst.product) == stock_before - len(placed)
    assert len(killed) == 2
    wait_for_workers(live, WORKERS, other_than=set(killed))


def test_a_graceful_restart_during_a_burst_fails_no_request(live):
    burst = new_burst(live)
    old_workers = set(live.stack.gunicorn.worker_pids())

    def reload_mid_burst() -> None:
        deadline = time.monotonic() + 30
        while len(burst.acknowledged) < 8 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(live.stack.gunicorn.pid, signal.SIGHUP)

    burst.run(clients=4, orders_each=8, during=reload_mid_burst)

    assert burst.failures == []
    assert burst.unresolved == []
    assert len(burst.acknowledged) == 32
    assert customer_order_ids(live, burst.token) == set(burst.acknowledged.values())
    wait_for_workers(live, WORKERS, other_than=old_workers)


def test_the_container_health_check_passes_against_gunicorn(live):
    env = {
        "PATH": "/usr/bin:/bin",
        "GUNICORN_BIND": f"unix:{live.stack.socket}",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    }
    script = Path(__file__).resolve().parents[1] / "healthcheck.py"
    passing = subprocess.run([sys.executable, str(script)], env=env, timeout=30, check=False)  # noqa: S603
    failing = subprocess.run(  # noqa: S603
        [sys.executable, str(script)], env={**env, "GUNICORN_BIND": "127.0.0.1:1"}, timeout=30, check=False
    )

    assert (passing.returncode, failing.returncode) == (0, 1)


def test_without_collected_static_files_gunicorn_stops_at_once_with_the_reason(live, tmp_path):
    from deploy.stack import Gunicorn

    gunicorn = Gunicorn(
        env={**live.stack.gunicorn.env, "DJANGO_STATIC_ROOT": str(tmp_path / "empty")},
        bind=f"unix:{tmp_path / 'gunicorn.sock'}",
        workers=1,
        log_path=tmp_path / "gunicorn.log",
    )
    gunicorn.start()
    try:
        returncode = gunicorn.process.wait(timeout=60)
    finally:
        gunicorn.stop()

    assert returncode == 3
    log = gunicorn.log_text()
    assert "shop: cannot start: shop.E001: The static files are not collected" in log
    assert "Worker failed to boot" in log
