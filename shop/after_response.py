"""Work a request leaves for after its response has been sent (WSGI's ``close()``).

A web process's best-effort follow-up that the client need not wait for (sending the
email an order has just written to the outbox) is handed to :func:`after_response`.

* In a request served by ``shop.wsgi.application`` (gunicorn, and ``runserver``
  through ``WSGI_APPLICATION``), it runs once the server has sent the response: the
  application is wrapped in :class:`AfterResponse`, and PEP 3333 servers call the
  response's ``close()`` after writing its last byte (or after the client went away).
  So a customer's answer never waits for a mail server, and the work still runs in
  the process and with the database connection that made the change.
* Anywhere else (management commands, the shell, Django's test client and live
  server, which call Django's handler directly) it runs at once.

The work must be best effort, as the outbox's delivery is: a process killed before
it ran leaves the email to the outbox worker, after its lease. A callback that raises
is logged; the others still run, and so does the response's own ``close()`` (Django's
``request_finished``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from contextvars import ContextVar

logger = logging.getLogger(__name__)

# The callbacks of the request being served by AfterResponse; None outside one.
_pending: ContextVar[list[Callable[[], object]] | None] = ContextVar("after_response", default=None)


def after_response(callback: Callable[[], object]) -> None:
    """Run ``callback`` (no arguments) once the current response has been sent; at once outside a request."""
    pending = _pending.get()
    if pending is None:
        _run([callback])
        return
    pending.append(callback)


def _run(callbacks: Iterable[Callable[[], object]]) -> None:
    """Run each of ``callbacks`` in order; one that raises is logged and does not stop the others."""
    for callback in callbacks:
        try:
            callback()
        except Exception:
            logger.exception("after-response callback %s failed", getattr(callback, "__qualname__", callback))


class AfterResponse:
    """A WSGI application that runs the :func:`after_response` work of each request after its response.

    A request that left nothing to do gets the wrapped application's own response
    object back (so servers still recognise ``wsgi.file_wrapper`` responses and send
    files with ``sendfile``).
    """

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        """Serve the request; return its response, closing into its after-response work if it has some."""
        pending: list[Callable[[], object]] = []
        token = _pending.set(pending)
        try:
            response = self.application(environ, start_response)
        finally:
            _pending.reset(token)
        if not pending:
            return response
        return _ResponseThen(response, pending)


class _ResponseThen:
    """A response body whose ``close()`` runs the request's after-response work, then closes the body."""

    def __init__(self, response, callbacks: list[Callable[[], object]]):
        self._response = response
        self._callbacks = callbacks

    def __iter__(self):
        return iter(self._response)

    def close(self) -> None:
        """Run the work first, while the request's database connection is still open; then close."""
        try:
            _run(self._callbacks)
        finally:
            self._callbacks = []
            close = getattr(self._response, "close", None)
            if close is not None:
                close()
