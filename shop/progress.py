"""A plain-text progress bar for management commands (``seed_bench_data``, ``import_legacy``)."""

from __future__ import annotations

import time

from django.core.management.base import OutputWrapper


class ProgressBar:
    """A plain-text progress bar on a command's stderr (an OutputWrapper), with a rate and time left.

    On a terminal it redraws one line; otherwise (CI logs, ``make`` piped to a file)
    it prints a line every tenth of the way, so logs stay short.
    """

    width = 30

    def __init__(self, *, label: str, total: int, stream: OutputWrapper, unit: str = "rows"):
        self.label = label
        self.unit = unit
        self.total = max(total, 1)
        self.stream = stream
        self.is_tty = stream.isatty()
        self.started = time.perf_counter()
        self.last_decile = -1

    def update(self, *, done: int, rows: int) -> None:
        """Show ``done`` of ``total`` items and the rate of ``rows`` (in ``unit``) handled so far."""
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        share = min(done / self.total, 1.0)
        rate = rows / elapsed
        eta = elapsed * (1 - share) / share if share > 0 else 0.0
        filled = int(self.width * share)
        text = (
            f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {share:4.0%} "
            f"{done:,}/{self.total:,}  {rate:,.0f} {self.unit}/s  ETA {eta:4.0f}s"
        )
        if self.is_tty:
            self.stream.write("\r" + text, style_func=plain, ending="")
            self.stream.flush()
        elif int(share * 10) > self.last_decile:
            self.last_decile = int(share * 10)
            self.stream.write(text, style_func=plain)
            self.stream.flush()

    def finish(self) -> None:
        """End the bar's line on a terminal."""
        if self.is_tty:
            self.stream.write("")
            self.stream.flush()


def plain(text: str) -> str:
    """Return ``text`` unstyled (stderr would colour it as an error on a terminal)."""
    return text
