"""Work left for after the response runs when the server closes the response, and only then.

Through :class:`shop.after_response.AfterResponse` around a plain WSGI application
and around Django's own handler (with an order placed through it); the whole stack
(nginx, gunicorn and a real mail server) is in ``deploy/tests/test_stack.py``.
"""

from __future__ import annotations

import io
import json
import logging
from wsgiref.util import setup_testing_defaults

import pytest
from django.core import mail
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished

from accounts.tokens import issue_token_pair
from catalog.tests.factories import ProductFactory
from notifications.models import EmailStatus, OutboxEmail
from orders.tests.factories import SHIPPING_ADDRESS
from shop.after_response import AfterResponse, after_response


def environ_for(path: str = "/", *, method: str = "GET", body: bytes = b"", token: str | None = None) -> dict:
    """Return a WSGI environ of one request, as a server would pass it."""
    environ = {"PATH_INFO": path, "REQUEST_METHOD": method, "HTTP_HOST": "testserver"}
    setup_testing_defaults(environ)
    environ["wsgi.input"] = io.BytesIO(body)
    if body:
        environ.update(CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(body)))
    if token:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return environ


def serve(application, environ: dict):
    """Call ``application`` as a server does; return (status, body bytes, the response to close)."""
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = status

    response = application(environ, start_response)
    body = b"".join(response)
    return answer["status"], body, response


def test_outside_a_request_the_work_runs_at_once():
    done = []

    after_response(lambda: done.append("sent"))

    assert done == ["sent"]


def test_the_work_runs_in_order_when_the_server_closes_the_response():
    done = []

    def app(environ, start_response):
        after_response(lambda: done.append("first"))
        after_response(lambda: done.append("second"))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hello"]

    status, body, response = serve(AfterResponse(app), environ_for())

    assert (status, body, done) == ("200 OK", b"hello", [])  # the whole body is out, nothing ran yet
    response.close()
    assert done == ["first", "second"]
    response.close()  # a second close does the work only once
    assert done == ["first", "second"]


def test_a_failing_callback_is_logged_and_neither_the_others_nor_the_close_are_skipped(caplog):
    done = []

    class Body(list):
        def close(self):
            done.append("closed")

    def app(environ, start_response):
        after_response(lambda: 1 / 0)
        after_response(lambda: done.append("second"))
        start_response("200 OK", [])
        return Body([b"ok"])

    _status, _body, response = serve(AfterResponse(app), environ_for())
    with caplog.at_level(logging.ERROR, logger="shop.after_response"):
        response.close()

    assert done == ["second", "closed"]
    assert "after-response callback" in caplog.text
    assert "ZeroDivisionError" in caplog.text


def test_a_request_that_leaves_nothing_gets_the_applications_own_response_back():
    sent = object()  # for example a wsgi.file_wrapper, which servers send with sendfile

    def app(environ, start_response):
        start_response("200 OK", [])
        return sent

    assert AfterResponse(app)(environ_for(), lambda *args: None) is sent


@pytest.mark.django_db(transaction=True)
def test_an_orders_email_is_sent_after_its_response_through_djangos_handler(user, settings):
    settings.OUTBOX_DELIVER_ON_COMMIT = True
    product = ProductFactory(stock=3)
    body = json.dumps(
        {"items": [{"product": str(product.pk), "quantity": 1}], "shipping_address": SHIPPING_ADDRESS}
    ).encode()
    finished = []
    request_finished.connect(receiver := lambda **kwargs: finished.append(mail.outbox[:]), weak=False)
    try:
        status, answer, response = serve(
            AfterResponse(WSGIHandler()),
            environ_for("/api/v1/orders/", method="POST", body=body, token=issue_token_pair(user)["access"]),
        )
        assert status.startswith("201")
        assert mail.outbox == []  # the customer has the answer; the email waits for the close
        assert OutboxEmail.objects.get().status == EmailStatus.SENDING
        response.close()
    finally:
        request_finished.disconnect(receiver)

    (sent,) = mail.outbox
    assert f"#{json.loads(answer)['number']}" in sent.subject
    assert OutboxEmail.objects.get().status == EmailStatus.SENT
    assert [len(outbox) for outbox in finished] == [1]  # sent before Django's request_finished
