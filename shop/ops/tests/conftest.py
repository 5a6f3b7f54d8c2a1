"""Fixtures of the operations tests: the log lines the shop writes, parsed."""

import io
import json
import logging

import pytest

from shop.ops.logs import JsonFormatter, RequestContextFilter


class LogLines:
    """The JSON lines written to the root logger while the fixture is active."""

    def __init__(self, stream: io.StringIO):
        self.stream = stream

    @property
    def raw(self) -> str:
        """Return everything written, as text."""
        return self.stream.getvalue()

    def entries(self, logger: str | None = None) -> list[dict]:
        """Return the parsed lines (of ``logger`` only, when given)."""
        parsed = [json.loads(line) for line in self.raw.splitlines() if line.strip()]
        return [entry for entry in parsed if logger is None or entry["logger"] == logger]


@pytest.fixture
def log_lines():
    """Capture every record the shop logs at INFO and above, formatted as JSON lines."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield LogLines(stream)
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)
