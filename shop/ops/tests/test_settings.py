"""The operations settings read from the environment: REDIS_URL, METRICS_*, LOG_FORMAT."""

import ipaddress

import pytest

from shop.config import ConfigurationError, env_choice, env_networks, redis_cache
from shop.ops.tests.helpers import run_shop_process


def test_redis_url_selects_djangos_redis_backend_with_short_timeouts_and_no_retries():
    config = redis_cache("redis://cache.internal:6379/2")

    assert config["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert config["LOCATION"] == "redis://cache.internal:6379/2"
    assert config["OPTIONS"]["socket_connect_timeout"] <= 1
    assert config["OPTIONS"]["socket_timeout"] <= 1
    assert config["OPTIONS"]["retry"].get_retries() == 0


@pytest.mark.parametrize("url", ["rediss://:secret@cache:6380/0", "unix:///run/redis.sock"])
def test_tls_and_socket_urls_are_accepted(url):
    assert redis_cache(url)["LOCATION"] == url


@pytest.mark.parametrize("url", ["cache:6379", "http://cache:6379", "redis://"])
def test_a_bad_redis_url_is_refused_naming_the_variable_without_its_password(url):
    with pytest.raises(ConfigurationError, match="REDIS_URL must look like"):
        redis_cache(url)


def test_a_refused_redis_url_hides_its_password():
    with pytest.raises(ConfigurationError) as error:
        redis_cache("http://user:hunter2@cache:6379")
    assert "hunter2" not in str(error.value)


def test_metrics_networks_accept_addresses_and_networks(monkeypatch):
    monkeypatch.setenv("METRICS_ALLOWED_ADDRESSES", "10.0.0.5, 192.168.0.0/16,fd00::/8")
    networks = env_networks("METRICS_ALLOWED_ADDRESSES", [])
    assert ipaddress.ip_address("192.168.4.4") in networks[1]
    assert [str(network) for network in networks] == ["10.0.0.5/32", "192.168.0.0/16", "fd00::/8"]


def test_metrics_networks_default_and_empty(monkeypatch):
    monkeypatch.delenv("METRICS_ALLOWED_ADDRESSES", raising=False)
    assert [str(n) for n in env_networks("METRICS_ALLOWED_ADDRESSES", ["127.0.0.0/8"])] == ["127.0.0.0/8"]
    monkeypatch.setenv("METRICS_ALLOWED_ADDRESSES", "")
    assert env_networks("METRICS_ALLOWED_ADDRESSES", ["127.0.0.0/8"]) == ()


def test_a_bad_metrics_network_is_refused(monkeypatch):
    monkeypatch.setenv("METRICS_ALLOWED_ADDRESSES", "localhost")
    with pytest.raises(ConfigurationError, match="METRICS_ALLOWED_ADDRESSES must list IP addresses"):
        env_networks("METRICS_ALLOWED_ADDRESSES", [])


def test_env_choice_ignores_case_and_refuses_others(monkeypatch):
    monkeypatch.setenv("LOG_FORMAT", "JSON")
    assert env_choice("LOG_FORMAT", ("json", "text"), default="text") == "json"
    monkeypatch.setenv("LOG_FORMAT", "yaml")
    with pytest.raises(ConfigurationError, match="LOG_FORMAT must be one of json, text"):
        env_choice("LOG_FORMAT", ("json", "text"), default="text")


def test_a_short_metrics_token_stops_start_up(tmp_path):
    result = run_shop_process(tmp_path, "manage.py", "check", METRICS_TOKEN="short")

    assert result.returncode != 0
    assert "METRICS_TOKEN must be at least 16 characters long" in result.stderr
