"""Log formats (``shop.ops.logs``): JSON lines or text, never a secret or a whole email address."""

import json
import logging
import sys

import pytest

from shop.ops.logs import JsonFormatter, RequestContextFilter, TextFormatter, current_request_id, redact
from shop.ops.tests.helpers import run_shop_process

JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoiNDIifQ.c2lnbmF0dXJlLXZhbHVlLTEyMzQ1Njc4"


def record(message, *args, **extra):
    log_record = logging.LogRecord("shop.test", logging.WARNING, __file__, 1, message, args, None)
    for key, value in extra.items():
        setattr(log_record, key, value)
    RequestContextFilter().filter(log_record)
    return log_record


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("login failed for jane.doe@example.com", "jane.doe@example.com"),
        ("two: ann@shop.example.org, bo@x.io", "ann@shop.example.org"),
        (f"token {JWT}", JWT),
        ("Authorization: Bearer abcdefghijklmnop0123", "abcdefghijklmnop0123"),
        ('body {"email": "x", "password": "hunter2hunter2"}', "hunter2hunter2"),
        ("password=s3cret-value&next=/", "s3cret-value"),
        ("refresh_token: 'r-123456789'", "r-123456789"),
        ("MONGODB_URI=mongodb://shop:p4ssw0rd@db.example:27017/shop", "p4ssw0rd"),
        ("redis://:r3dis-pass@cache:6379/0 down", "r3dis-pass"),
        ("api_key=abcd1234efgh", "abcd1234efgh"),
    ],
)
def test_redact_masks_secrets_and_email_addresses(text, secret):
    assert secret not in redact(text)


def test_redact_keeps_the_domain_and_a_first_letter_of_long_addresses_only():
    assert redact("for jane.doe@example.com") == "for j***@example.com"
    assert redact("for bo@example.com") == "for ***@example.com"


def test_redact_leaves_ordinary_text_alone():
    text = "GET /api/v1/orders/ 200 3.1ms (view orders-list)"
    assert redact(text) == text


def test_a_json_line_has_the_documented_fields_and_nothing_but_them():
    token = current_request_id.set("req-1")
    try:
        log_record = record(
            "%s %s",
            "GET",
            "/api/v1/orders/",
            method="GET",
            path="/api/v1/orders/",
            status=200,
            duration_ms=3.5,
            user_id="42",
            view="order-list",
            request=object(),
            unlisted="x",
        )
    finally:
        current_request_id.reset(token)
    line = JsonFormatter().format(log_record)

    assert "\n" not in line
    entry = json.loads(line)
    assert entry.pop("time").endswith("+00:00")
    assert entry == {
        "level": "WARNING",
        "logger": "shop.test",
        "message": "GET /api/v1/orders/",
        "request_id": "req-1",
        "pid": log_record.process,
        "method": "GET",
        "path": "/api/v1/orders/",
        "status": 200,
        "duration_ms": 3.5,
        "user_id": "42",
        "view": "order-list",
    }


def test_a_json_line_carries_the_exception_redacted_on_one_line():
    try:
        raise ValueError("no account for jane.doe@example.com\nsecond line")
    except ValueError:
        log_record = logging.LogRecord("shop.test", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    RequestContextFilter().filter(log_record)
    line = JsonFormatter().format(log_record)

    assert "\n" not in line
    entry = json.loads(line)
    assert "ValueError: no account for j***@example.com" in entry["exception"]
    assert "jane.doe" not in line
    assert entry["request_id"] is None


def test_the_text_format_is_one_readable_line_with_the_request_id_redacted():
    token = current_request_id.set("req-2")
    try:
        line = TextFormatter().format(record("login failed for %s", "jane.doe@example.com"))
    finally:
        current_request_id.reset(token)

    assert line.endswith("WARNING shop.test [req-2] login failed for j***@example.com")


@pytest.mark.parametrize(("log_format", "expect_json"), [("json", True), ("text", False)])
def test_log_format_chooses_the_format_of_every_line_of_a_production_process(
    tmp_path, log_format, expect_json
):
    script = (
        "import logging, django; django.setup(); "
        "logging.getLogger('shop.test').warning('failed login for %s', 'jane.doe@example.com')"
    )
    result = run_shop_process(tmp_path, "-c", script, LOG_FORMAT=log_format)

    assert result.returncode == 0, result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert "jane.doe" not in line
    if expect_json:
        assert json.loads(line)["message"] == "failed login for j***@example.com"
    else:
        assert line.endswith("WARNING shop.test [None] failed login for j***@example.com")


def test_an_unknown_log_format_stops_start_up_naming_the_variable(tmp_path):
    result = run_shop_process(tmp_path, "manage.py", "check", LOG_FORMAT="xml")

    assert result.returncode != 0
    assert "LOG_FORMAT must be one of json, text, got 'xml'" in result.stderr
    assert "Traceback" not in result.stderr
