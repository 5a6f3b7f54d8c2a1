"""Read the shop's configuration from the environment and choose the database backend.

Everything here runs while ``shop.settings`` is imported, so it must not import
Django models. Bad configuration raises :class:`ConfigurationError`, which
``manage.py`` and ``shop.wsgi`` turn into a single line naming the variable.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

MONGODB_AUTO_FIELD = "django_mongodb_backend.fields.ObjectIdAutoField"
SQL_AUTO_FIELD = "django.db.models.BigAutoField"
DEFAULT_MONGODB_NAME = "shop"
# pymongo waits 30 s for a server by default; a readiness probe or a request
# should fail faster than that when the database is gone.
DEFAULT_SERVER_SELECTION_TIMEOUT_MS = 5000
# Seconds a SQLite connection is reused across requests (Django's CONN_MAX_AGE);
# MongoDB needs none: django-mongodb-backend keeps one MongoClient pool per process.
DEFAULT_CONN_MAX_AGE = 600

TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"0", "false", "no", "off", ""}


class ConfigurationError(ImproperlyConfigured):
    """A setting read from the environment is missing or invalid."""


def env_str(name: str, default: str = "") -> str:
    """Return the environment variable ``name`` stripped, or ``default`` when unset."""
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    """Return a boolean environment variable; unset or empty gives ``default``."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in TRUE_VALUES:
        return True
    if value in FALSE_VALUES:
        return False
    raise ConfigurationError(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    """Return an integer environment variable of at least ``minimum``."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """Return a comma-separated environment variable as a list of non-empty items."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    """Return an environment variable that must be one of ``choices`` (case-insensitive)."""
    value = env_str(name).lower() or default
    if value not in choices:
        raise ConfigurationError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def env_networks(name: str, default: list[str]) -> tuple[IPNetwork, ...]:
    """Return a comma-separated list of IP addresses or CIDR networks (``10.0.0.0/8``).

    Unset gives ``default``; set and empty gives no network at all.
    """
    networks = []
    for item in env_list(name, default):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigurationError(
                f"{name} must list IP addresses or networks such as 127.0.0.1 or 10.0.0.0/8, got {item!r}"
            ) from None
    return tuple(networks)


# Seconds the Redis client waits to connect and for an answer: a cache that does not
# answer at once is treated as down (``shop.cache``), the database answers instead.
REDIS_CONNECT_TIMEOUT_SECONDS = 0.5
REDIS_SOCKET_TIMEOUT_SECONDS = 0.5


def redis_cache(url: str) -> dict:
    """Return Django's cache settings for the Redis server at ``url`` (``REDIS_URL``).

    Django's built-in backend (``django.core.cache.backends.redis.RedisCache``), with
    short timeouts and no client-side retries, so a Redis that is down costs a request
    one short wait, never a 500 (``shop.cache`` logs the error and serves from the
    database).
    """
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix") or not (parts.netloc or parts.path):
        raise ConfigurationError(
            "REDIS_URL must look like redis://host:6379/0, rediss://host:6380/0 or "
            f"unix:///path/to/redis.sock, got {redact_uri(url)!r}"
        )
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "OPTIONS": {
            "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_SECONDS,
            "socket_timeout": REDIS_SOCKET_TIMEOUT_SECONDS,
            "retry": Retry(NoBackoff(), 0),
        },
    }


def env_origins(name: str) -> list[str]:
    """Return a comma-separated list of web origins (``https://shop.example.com``, port optional).

    An origin is a scheme (http or https) and a host, with no path, query or
    trailing slash; anything else would never match a browser's ``Origin`` header,
    so it is refused at start-up instead of failing silently.
    """
    origins = env_list(name)
    for origin in origins:
        parts = urlsplit(origin)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.path
            or parts.query
            or parts.fragment
            or parts.username
        ):
            raise ConfigurationError(
                f"{name} must list origins such as https://shop.example.com (scheme and host, "
                f"an optional port, no path or trailing slash), got {origin!r}"
            )
    return origins


@dataclass(frozen=True)
class DatabaseProfile:
    """The database settings of one backend, as ``shop.settings`` applies them."""

    vendor: str
    databases: dict
    default_auto_field: str

    @property
    def is_mongodb(self) -> bool:
        """Return whether this profile runs on django-mongodb-backend."""
        return self.vendor == "mongodb"


def mongodb_profile(uri: str) -> DatabaseProfile:
    """Return the MongoDB profile for ``uri``; the database name is the URI's path."""
    parts = urlsplit(uri)
    if parts.scheme not in ("mongodb", "mongodb+srv") or not parts.netloc.rpartition("@")[2]:
        raise ConfigurationError(
            "MONGODB_URI must look like mongodb://host[:port]/dbname or "
            f"mongodb+srv://host/dbname, got {redact_uri(uri)!r}"
        )
    if parts.scheme == "mongodb":
        # parse_uri validates hosts, ports and options without network access;
        # SRV URIs would need a DNS lookup, so they are checked by the driver at connect.
        from pymongo.errors import ConfigurationError as PymongoConfigurationError
        from pymongo.errors import InvalidURI
        from pymongo.uri_parser import parse_uri

        try:
            parse_uri(uri)
        except (InvalidURI, PymongoConfigurationError, ValueError) as exc:
            raise ConfigurationError(f"MONGODB_URI is invalid: {exc}") from None
    name = unquote(parts.path.lstrip("/")) or DEFAULT_MONGODB_NAME
    if any(char in name for char in '/\\. "$'):
        raise ConfigurationError(f"MONGODB_URI names an invalid database {name!r}")
    options = {}
    if "serverselectiontimeoutms" not in parts.query.lower():
        options["serverSelectionTimeoutMS"] = DEFAULT_SERVER_SELECTION_TIMEOUT_MS
    return DatabaseProfile(
        vendor="mongodb",
        databases={
            "default": {
                "ENGINE": "shop.mongodb",
                "HOST": uri,
                "NAME": name,
                "OPTIONS": options,
            }
        },
        default_auto_field=MONGODB_AUTO_FIELD,
    )


def sqlite_profile(path: Path) -> DatabaseProfile:
    """Return the SQLite profile for the file at ``path`` (WAL mode, busy timeout)."""
    check_writable_file(path, variable="SQLITE_PATH")
    return DatabaseProfile(
        vendor="sqlite",
        databases={
            "default": {
                "ENGINE": "shop.sqlite",
                "NAME": str(path),
                # Keep each worker's connection between requests: opening one (file
                # open, PRAGMAs, function registration) was a sixth of an
                # authenticated request's CPU (BENCHMARKS.md). A failed connection
                # is dropped before reuse by the health check.
                "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", DEFAULT_CONN_MAX_AGE),
                "CONN_HEALTH_CHECKS": True,
                "OPTIONS": {
                    # WAL lets readers work beside one writer, so several server
                    # processes can share the file; the timeout makes a writer wait
                    # for the lock instead of failing with "database is locked".
                    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                    "timeout": 20,
                    # Take the write lock when a transaction starts, so two
                    # read-then-write transactions cannot deadlock on upgrade.
                    "transaction_mode": "IMMEDIATE",
                },
            }
        },
        default_auto_field=SQL_AUTO_FIELD,
    )


def database_profile(base_dir: Path) -> DatabaseProfile:
    """Choose the backend: MongoDB when ``MONGODB_URI`` is set, else SQLite at ``SQLITE_PATH``."""
    uri = env_str("MONGODB_URI")
    if uri:
        return mongodb_profile(uri)
    path = Path(env_str("SQLITE_PATH") or "db.sqlite3")
    if not path.is_absolute():
        path = base_dir / path
    return sqlite_profile(path)


def check_writable_file(path: Path, *, variable: str) -> None:
    """Raise ConfigurationError unless ``path`` can be created or written."""
    if path.is_dir():
        raise ConfigurationError(f"{variable} points at a directory, not a file: {path}")
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise ConfigurationError(f"{variable} is not writable: {path}")
        return
    parent = path.parent
    if not parent.is_dir():
        raise ConfigurationError(f"{variable} is in a directory that does not exist: {parent}")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigurationError(f"{variable} is in a directory that is not writable: {parent}")


def redact_uri(uri: str) -> str:
    """Return ``uri`` with any password replaced by ``***`` (for messages and logs)."""
    parts = urlsplit(uri)
    userinfo, sep, host = parts.netloc.rpartition("@")
    if not sep or ":" not in userinfo:
        return uri
    user = userinfo.split(":", 1)[0]
    return parts._replace(netloc=f"{user}:***@{host}").geturl()


# --- Email ----------------------------------------------------------------------------------------

CONSOLE_EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
SMTP_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
FILE_EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"


def email_backend(name: str, *, debug: bool) -> str:
    """Return the email backend's dotted path from ``name``: console in debug, SMTP otherwise.

    The path must name a class that imports, so a typo stops start-up instead of
    the first email.
    """
    path = env_str(name) or (CONSOLE_EMAIL_BACKEND if debug else SMTP_EMAIL_BACKEND)
    from django.utils.module_loading import import_string

    try:
        import_string(path)
    except ImportError as exc:
        raise ConfigurationError(
            f"{name} must be the dotted path of an email backend such as {SMTP_EMAIL_BACKEND}, "
            f"got {path!r} ({exc})"
        ) from None
    return path


def email_address(name: str, default: str) -> str:
    """Return a sender address (``shop@example.com`` or ``Shop <shop@example.com>``) from ``name``."""
    from email.utils import parseaddr

    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    value = env_str(name) or default
    _display, address = parseaddr(value)
    try:
        if not address or any(char in value for char in "\r\n"):
            raise ValidationError("no address")
        validate_email(address)
    except ValidationError:
        raise ConfigurationError(
            f"{name} must be an email address such as shop@example.com or 'Shop <shop@example.com>', "
            f"got {value!r}"
        ) from None
    return value


def env_port(name: str, default: int) -> int:
    """Return a TCP port number (1-65535) from ``name``."""
    port = env_int(name, default, minimum=1)
    if port > 65535:
        raise ConfigurationError(f"{name} must be a port number (1-65535), got {port}")
    return port


def env_directory(name: str, *, required: bool, why: str) -> str:
    """Return a directory path from ``name``: one that exists or can be created; unset is ``""``.

    ``required`` makes an unset variable an error, explained by ``why``.
    """
    value = env_str(name)
    if not value:
        if required:
            raise ConfigurationError(f"{name} must be set {why}")
        return ""
    path = Path(value)
    if path.exists() and not path.is_dir():
        raise ConfigurationError(f"{name} points at a file, not a directory: {path}")
    return str(path)


def shop_name(name: str, default: str) -> str:
    """Return the shop's name for emails from ``name``: one line of at most 100 characters."""
    value = env_str(name) or default
    if len(value) > 100 or any(not char.isprintable() for char in value):
        raise ConfigurationError(
            f"{name} must be one line of at most 100 printable characters, got {value!r}"
        )
    return value
