"""Log records as one JSON object per line, or as text, never carrying secrets.

``LOG_FORMAT=json`` (the default with ``DJANGO_DEBUG`` off) writes one JSON object per
line to standard error: ``time``, ``level``, ``logger``, ``message``, ``request_id``
(while a request is being served), ``pid``, the request fields the request log adds
(``method``, ``path``, ``status``, ``duration_ms``, ``user_id``, ``view``) and
``exception``. ``LOG_FORMAT=text`` writes the same as one readable line, for
development.

Whatever the format, every message and exception text goes through :func:`redact`
before it is written: passwords, tokens (JSON Web Tokens, bearer credentials,
``password=...``-style pairs), passwords in URLs and whole email addresses never
reach the log. This module is imported by the settings and by gunicorn's master
(``deploy/gunicorn.conf.py``), so it imports nothing of Django's at module level.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import os
import re

LOG_FORMATS = ("json", "text")

# The id of the request being served in this thread (``shop.ops.middleware``).
current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

# The only extra record attributes written out: a record's other attributes (Django
# attaches the whole request object, for example) could carry anything.
REQUEST_FIELDS = ("method", "path", "status", "duration_ms", "user_id", "view")

EMAIL = re.compile(r"(?<![\w.+-])([\w.+-]+)@((?:[\w-]+\.)+[\w-]{2,})")
JSON_WEB_TOKEN = re.compile(r"\beyJ[\w-]{5,}(?:\.[\w-]*){0,2}")
BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[\w\-.~+/=]{8,}")
URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^:/@\s]*):[^@\s/]+@")
SECRET_PAIR = re.compile(
    r"""(?ix)
    (\b[\w-]*(?:password|passwd|secret|token|refresh|access|authorization|api[_-]?key|credential)[\w-]*
     ["']?\s*[:=]\s*["']?)
    ([^"'\s,&;}]+)
    """
)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """Return ``text`` with secrets and personal data masked.

    - ``jane.doe@example.com`` becomes ``j***@example.com`` (``***@example.com`` when the
      part before ``@`` is shorter than three characters);
    - JSON Web Tokens and ``Bearer``/``Basic`` credentials become ``[redacted]``;
    - ``password=...``, ``"refresh": "..."`` and similar pairs keep the name only;
    - ``mongodb://user:secret@host`` becomes ``mongodb://user:***@host``.
    """
    text = URL_PASSWORD.sub(r"\1:***@", text)
    text = JSON_WEB_TOKEN.sub(REDACTED, text)
    text = BEARER.sub(lambda match: f"{match.group(1)} {REDACTED}", text)
    text = SECRET_PAIR.sub(lambda match: f"{match.group(1)}{REDACTED}", text)
    return EMAIL.sub(_email_masked, text)


def _email_masked(match: re.Match) -> str:
    """Return an email address with its local part hidden but for a first letter (if long enough)."""
    local, domain = match.groups()
    return f"{local[0] if len(local) >= 3 else ''}***@{domain}"


class RequestContextFilter(logging.Filter):
    """Give every record the id of the request being served (``None`` outside requests).

    Django logs a 4xx answer (``django.request``) after the middleware has returned,
    with the request attached to the record: its id is taken from there.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Set ``record.request_id`` unless the record brought its own; keep the record."""
        if getattr(record, "request_id", None) is None:
            request_id = current_request_id.get()
            if request_id is None:
                request_id = getattr(getattr(record, "request", None), "request_id", None)
            record.request_id = request_id
        return True


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object on one line (``LOG_FORMAT=json``)."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as JSON, its texts redacted."""
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, tz=dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", None),
            "pid": record.process,
        }
        for field in REQUEST_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = redact(value) if isinstance(value, str) else value
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Format a record as one readable line for development (``LOG_FORMAT=text``), redacted."""

    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as text, redacted."""
        if not hasattr(record, "request_id"):
            record.request_id = None
        return redact(super().format(record))


def default_log_format(*, debug: bool) -> str:
    """Return the log format when ``LOG_FORMAT`` is unset: text in development, else JSON."""
    return "text" if debug else "json"


def logging_config(*, log_format: str, level: str, extra_loggers: dict | None = None) -> dict:
    """Return the ``logging.config.dictConfig`` dictionary of the shop (and of gunicorn).

    One handler on standard error with the chosen formatter and the request-id filter.
    Django's own ``django`` logger hands its records to that handler (not to Django's
    debug console handler), so nothing is written twice.
    """
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log_format must be one of {LOG_FORMATS}, got {log_format!r}")
    formatter = "shop.ops.logs.JsonFormatter" if log_format == "json" else "shop.ops.logs.TextFormatter"
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_context": {"()": "shop.ops.logs.RequestContextFilter"}},
        "formatters": {"shop": {"()": formatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "shop",
                "filters": ["request_context"],
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "django": {"handlers": [], "level": level, "propagate": True},
            # SQL statements carry values (emails among them): never logged, whatever the level.
            "django.db.backends": {"level": "INFO"},
            **(extra_loggers or {}),
        },
    }


def process_log_settings(*, debug: bool) -> tuple[str, str]:
    """Return ``(LOG_FORMAT, level)`` from the environment, for a process outside Django's settings."""
    log_format = os.environ.get("LOG_FORMAT", "").strip().lower() or default_log_format(debug=debug)
    level = os.environ.get("DJANGO_LOG_LEVEL", "").strip().upper() or "INFO"
    return log_format, level
