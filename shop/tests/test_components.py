"""Tests that need a real program skip without it, but fail under CI (shop.testing.components)."""

import pytest

from shop.testing.components import ci_is_set, component_required


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("1", True), ("", False), ("false", False)])
def test_ci_is_read_from_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv("CI", value)
    assert ci_is_set() is expected


def test_a_missing_component_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="nginx is missing"):
        component_required(False, "nginx is missing")


def test_a_missing_component_fails_under_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI is set but nginx is missing"):
        component_required(False, "nginx is missing")


def test_a_present_component_neither_skips_nor_fails(monkeypatch):
    monkeypatch.setenv("CI", "true")
    component_required(True, "never shown")
