"""Fixtures of the legacy tests, shared with the other apps' MongoDB contract tests."""

from orders.tests.test_mongo import offline  # noqa: F401 (the orders contract's no-server fixture)
