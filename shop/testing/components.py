"""Real components the tests need (Chromium, nginx, redis-server...): run where they exist.

A test that needs a program skips without it on a developer's machine, and fails
with CI set, where a missing program is an install bug (``.ci/run`` installs them).
"""

from __future__ import annotations

import os

import pytest


def ci_is_set() -> bool:
    """Return whether the environment says this is a CI run (``CI`` set and not false)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def component_required(available: bool, reason: str) -> None:
    """Skip the test (or fail it under CI) with ``reason`` unless the component is ``available``."""
    if available:
        return
    if ci_is_set():
        pytest.fail(f"CI is set but {reason}", pytrace=False)
    pytest.skip(reason)
