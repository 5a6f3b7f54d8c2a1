"""Fixtures of the legacy tests."""

import pytest

from shop.testing import mongo


@pytest.fixture
def offline(settings, monkeypatch):
    """Record as on a standalone MongoDB server (allowed): no transactions, compensation instead.

    That is the harder case for the import: its recorded source ids and its
    compensation are what keep a failed run from leaving anything half-written.
    """
    settings.MONGODB_ALLOW_STANDALONE = True
    monkeypatch.setattr(mongo, "DEFAULT_TOPOLOGY", "standalone")
