"""Django settings of the shop, read from the environment (see README "Configuration").

One settings module serves every deployment: ``MONGODB_URI`` switches the database
profile (MongoDB through django-mongodb-backend, or SQLite), and ``DJANGO_DEBUG``
switches between development defaults and production ones. Production refuses to
start without ``DJANGO_SECRET_KEY``.
"""

from datetime import timedelta
from pathlib import Path

from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

from shop.config import (
    ConfigurationError,
    database_profile,
    email_address,
    email_backend,
    env_bool,
    env_choice,
    env_directory,
    env_int,
    env_list,
    env_networks,
    env_origins,
    env_port,
    env_str,
    redis_cache,
    shop_name,
)
from shop.ops.logs import LOG_FORMATS, default_log_format, logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ConfigurationError(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG is off "
            "(set DJANGO_DEBUG=1 for local development)"
        )
    SECRET_KEY = "development-only-secret-key-never-use-in-production-0123456789abcdef"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# --- Database -----------------------------------------------------------------

DATABASE_PROFILE = database_profile(BASE_DIR)
DATABASES = DATABASE_PROFILE.databases
DEFAULT_AUTO_FIELD = DATABASE_PROFILE.default_auto_field
# Business operations run as one transaction (shop.transactions). On MongoDB that needs
# a replica set or a sharded cluster; a standalone server is refused in production
# unless this is set (the README lists what can then be left behind by a crash).
MONGODB_ALLOW_STANDALONE = env_bool("MONGODB_ALLOW_STANDALONE", False)
# Bounds on rerunning a transaction after transient errors (WriteConflict, elections).
DB_TRANSACTION_MAX_ATTEMPTS = env_int("DB_TRANSACTION_MAX_ATTEMPTS", 10, minimum=1)
DB_TRANSACTION_MAX_SECONDS = env_int("DB_TRANSACTION_MAX_SECONDS", 10, minimum=1)

if DATABASE_PROFILE.is_mongodb:
    # Contrib apps whose models need ObjectId primary keys, and the migration
    # set written for them (the SQL migrations hard-code integer ids).
    CONTRIB_MODEL_APPS = [
        "shop.mongo_apps.MongoAdminConfig",
        "shop.mongo_apps.MongoAuthConfig",
        "shop.mongo_apps.MongoContentTypesConfig",
    ]
    MIGRATION_MODULES = {
        label: f"shop.mongo_migrations.{label}"
        for label in (
            "admin",
            "auth",
            "contenttypes",
            "accounts",
            "catalog",
            "orders",
            "legacy",
            "notifications",
        )
    }
else:
    CONTRIB_MODEL_APPS = [
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
    ]

# --- Applications -------------------------------------------------------------

DJANGO_APPS = [
    *CONTRIB_MODEL_APPS,
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
THIRD_PARTY_APPS = [
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # CORS for storefronts on other origins (see "CORS" below).
    "corsheaders",
    "django_countries",
]
LOCAL_APPS = [
    "accounts",
    "catalog",
    "orders",
    "legacy",
    # The email outbox and its worker (see "Email" below).
    "notifications",
    # Request ids, JSON logs, metrics and start-up checks (see "Operations" below).
    "shop.ops",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    # Outermost: every response, redirects and errors included, gets a request id,
    # one log line and its metrics (shop.ops.middleware).
    "shop.ops.middleware.RequestTelemetryMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # CORS: before anything else that can answer (whitenoise, CommonMiddleware), so that
    # preflights are answered and every API answer carries the headers (see "CORS" below).
    "corsheaders.middleware.CorsMiddleware",
    # An anonymous product-list request answered again while nothing was committed
    # (SQLite): after the HTTPS redirect and CORS, before everything else.
    "catalog.middleware.PublicCatalogPageMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy on every response (the HTML pages are what it guards):
    # django-csp's middleware, with the settings' policy built once (shop.security_headers).
    "shop.security_headers.SettingsPolicyCSPMiddleware",
    # Cache-Control: no-store on every response with personal data or tokens.
    "shop.middleware.PrivateResponseMiddleware",
]

ROOT_URLCONF = "shop.urls"
WSGI_APPLICATION = "shop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "shop" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Accounts and passwords -----------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
# Database sessions that know their user (accounts.sessions), so all of a user's
# sessions can end at once.
SESSION_ENGINE = "accounts.sessions"
PASSWORD_HASHERS = [
    # Argon2id at OWASP's recommended minimum cost (see accounts.hashers).
    "accounts.hashers.ShopArgon2PasswordHasher",
    # Older hashes still verify and are upgraded on the next login.
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    # The original service's werkzeug and bcrypt hashes (import_legacy), replaced by
    # Argon2id at the customer's first login.
    "accounts.hashers.WerkzeugPasswordHasher",
    "accounts.hashers.LegacyBCryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed-login lockout (accounts.services.login_failure_rules), counted per window:
# failures of one email from one address; from one address for any email; and, once
# an email has this many failures from anywhere, the few each address still gets.
# The browsable API's login (/api-auth/login/) lands on the API root unless ?next= says otherwise.
LOGIN_REDIRECT_URL = "api-root"
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10, minimum=1)
LOGIN_FAILURE_ADDRESS_LIMIT = env_int("LOGIN_FAILURE_ADDRESS_LIMIT", 50, minimum=1)
LOGIN_FAILURE_EMAIL_LIMIT = env_int("LOGIN_FAILURE_EMAIL_LIMIT", 100, minimum=1)
LOGIN_FAILURE_UNDER_ATTACK_LIMIT = env_int("LOGIN_FAILURE_UNDER_ATTACK_LIMIT", 3, minimum=1)
LOGIN_FAILURE_WINDOW = timedelta(minutes=env_int("LOGIN_FAILURE_WINDOW_MINUTES", 15, minimum=1))
# Registrations per client address per window (each costs an Argon2id hash).
REGISTRATION_LIMIT = env_int("REGISTRATION_LIMIT", 10, minimum=1)
REGISTRATION_WINDOW = timedelta(minutes=env_int("REGISTRATION_WINDOW_MINUTES", 60, minimum=1))
# Every path that proves a password goes through accounts.services.password_login.
AUTHENTICATION_BACKENDS = ["accounts.backends.ShopAuthenticationBackend"]

# --- Internationalisation, static files --------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where collectstatic writes and nginx serves the static files (DJANGO_STATIC_ROOT).
STATIC_ROOT = Path(env_str("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Shop ----------------------------------------------------------------------

SHOP_CURRENCY = env_str("SHOP_CURRENCY", "USD").upper()
if len(SHOP_CURRENCY) != 3 or not SHOP_CURRENCY.isalpha():
    raise ConfigurationError(f"SHOP_CURRENCY must be an ISO 4217 code such as USD, got {SHOP_CURRENCY!r}")
# How many saved addresses one customer may keep (API.md "Addresses").
ADDRESSES_PER_CUSTOMER = env_int("ADDRESSES_PER_CUSTOMER", 20, minimum=1)

# --- Password reset -----------------------------------------------------------------

# The link mailed to a customer who asked for a new password: the storefront's page that
# reads {uid} and {token} and posts them with the new password to
# /api/v1/auth/password-reset/confirm/. The default is the browsable API's confirm page.
PASSWORD_RESET_URL = env_str(
    "PASSWORD_RESET_URL", "http://127.0.0.1:8000/api/v1/auth/password-reset/confirm/?uid={uid}&token={token}"
)
if "{uid}" not in PASSWORD_RESET_URL or "{token}" not in PASSWORD_RESET_URL:
    raise ConfigurationError(
        f"PASSWORD_RESET_URL must contain {{uid}} and {{token}}, got {PASSWORD_RESET_URL!r}"
    )
# Seconds a reset link stays valid (Django's default_token_generator reads this).
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3600, minimum=60)
# Reset requests per email address, and per client address (ten times as many), within the window.
PASSWORD_RESET_LIMIT = env_int("PASSWORD_RESET_LIMIT", 3, minimum=1)
PASSWORD_RESET_WINDOW = timedelta(minutes=env_int("PASSWORD_RESET_WINDOW_MINUTES", 60, minimum=1))

# --- Email (notifications: the outbox and its worker; README "Emails") ---------------

# The shop's name in emails (their subjects, greetings and signatures).
SHOP_NAME = shop_name("SHOP_NAME", "Shop")
# Django's email backend: the console in debug (each email printed), SMTP otherwise;
# django.core.mail.backends.filebased.EmailBackend writes each email to a file in EMAIL_FILE_PATH.
EMAIL_BACKEND = email_backend("DJANGO_EMAIL_BACKEND", debug=DEBUG)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_port("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# A mail server that stops answering must not hold a worker beyond its lease (below).
EMAIL_TIMEOUT = 30
EMAIL_FILE_PATH = env_directory(
    "EMAIL_FILE_PATH",
    required=EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend",
    why="to a directory when DJANGO_EMAIL_BACKEND is Django's file backend",
)
DEFAULT_FROM_EMAIL = email_address("DEFAULT_FROM_EMAIL", "shop@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Failed deliveries of one email before it is marked failed (retried with a backoff of
# 1 minute doubling up to 1 hour in between).
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8, minimum=1)
# How long a worker holds an email it is sending; past it another worker may take it
# (keep it well above EMAIL_TIMEOUT: a lease that ends during a slow send means a resend).
OUTBOX_LEASE_SECONDS = env_int("OUTBOX_LEASE_SECONDS", 300, minimum=1)
# Try each email in the process that wrote it, right after its operation committed;
# off: only the worker (manage.py deliver_outbox --loop) sends.
OUTBOX_DELIVER_ON_COMMIT = env_bool("OUTBOX_DELIVER_ON_COMMIT", True)

# --- Caching --------------------------------------------------------------------

# Everything cached is keyed by a version stored in the database (``orders.page_cache``),
# so no entry is served after the data it shows changed, whichever process changed it.
# REDIS_URL set: Django's built-in Redis backend, one cache shared by every worker and
# machine (short timeouts; a failing Redis is logged and the database answers, see
# shop.cache). Unset: a per-process memory cache of at most MAX_ENTRIES pages of at
# most PAGE_CACHE_MAX_ENTRY_BYTES each (about 15 KiB for 20 orders, 6 KiB for 20
# products): 32 MiB at worst.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": redis_cache(REDIS_URL)}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "shop",
            "OPTIONS": {"MAX_ENTRIES": 500},
        }
    }
# How long a customer's order-list page stays cached (0 turns the cache off).
ORDER_LIST_CACHE_SECONDS = env_int("ORDER_LIST_CACHE_SECONDS", 300)
# How long a public catalog page (products, a product, categories) stays cached
# (catalog.page_cache; 0 turns the cache off).
CATALOG_CACHE_SECONDS = env_int("CATALOG_CACHE_SECONDS", 300)
# The largest page either page cache keeps, in bytes: with MAX_ENTRIES this bounds
# the memory cache of each process.
PAGE_CACHE_MAX_ENTRY_BYTES = env_int("PAGE_CACHE_MAX_ENTRY_BYTES", 64 * 1024)

# --- REST framework, tokens, OpenAPI ---------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # JWT first: an anonymous request gets 401 with WWW-Authenticate: Bearer.
        "accounts.authentication.ShopJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["shop.api.parsers.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        # DRF's JSON, encoded by orjson where that gives the same bytes.
        "shop.api.renderers.ShopJSONRenderer",
        # DRF's browsable API, with forms that start from a body that works.
        "shop.api.renderers.ShopBrowsableAPIRenderer",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "shop.api.schema.ShopAutoSchema",
    "EXCEPTION_HANDLER": "shop.api.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "COERCE_DECIMAL_TO_STRING": True,
    # Reverse proxies in front of the app that append the client's address to
    # X-Forwarded-For; 0 ignores the header (accounts.views.client_address).
    "NUM_PROXIES": env_int("TRUSTED_PROXY_COUNT", 0),
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15, minimum=1)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7, minimum=1)),
    "ROTATE_REFRESH_TOKENS": True,
    # Rotation and logout record used refresh tokens in accounts.RevokedToken instead
    # of simplejwt's token_blacklist app (its BigAutoField models cannot live on MongoDB).
    "BLACKLIST_AFTER_ROTATION": False,
    "UPDATE_LAST_LOGIN": False,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": env_str("JWT_SIGNING_KEY") or SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Shop API",
    "DESCRIPTION": "REST API of the shop: accounts, catalog and orders (v1), and the legacy routes.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # The legacy routes live at the site root; without a fixed prefix drf-spectacular
    # would estimate "/" and rename every v1 operation id and tag ("api_v1_...", "api").
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # The docs and the schema are public and ignore credentials: a stale token in the
    # browser must not turn the documentation into a 401.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # "Authorize" in Swagger UI keeps the pasted bearer token across reloads.
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": True, "deepLinking": True},
    # One name for the order statuses, used by several fields (status, from_status, to_status).
    "ENUM_NAME_OVERRIDES": {"OrderStatusEnum": "orders.models.OrderStatus"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # The order limits order_create enforces (1-50 lines, quantity 1-1000).
        "orders.schema.order_limits_document",
        # The served document's examples name a product this shop sells now.
        "catalog.schema.live_example_product",
    ],
}

# --- CORS (django-cors-headers) -----------------------------------------------------
# A storefront on another origin calls the API from the browser with a bearer token.
# Only the origins listed may (none by default), only on the API and the original
# service's routes (never the admin or the login pages), and without cookies: the
# token travels in Authorization, so no session or CSRF token crosses origins.

CORS_ALLOWED_ORIGINS = env_origins("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/(api/|register$|login$|order$|orders/|users/)"
CORS_ALLOW_HEADERS = ("authorization", "content-type", "idempotency-key")
CORS_ALLOW_METHODS = ("DELETE", "GET", "OPTIONS", "PATCH", "POST", "PUT")
CORS_ALLOW_CREDENTIALS = False
# Clients must see how long to wait after a 429 or 503.
CORS_EXPOSE_HEADERS = ("retry-after",)
CORS_PREFLIGHT_MAX_AGE = 86400

# --- Security ------------------------------------------------------------------
# Each switch defaults to the secure value in production and can be turned off
# explicitly (for example behind a proxy that already redirects to HTTPS).

SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("DJANGO_CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("DJANGO_SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# What the HTML pages (admin, browsable API, Swagger UI, ReDoc) may load: their own
# scripts only, plus inline scripts carrying the response's nonce (ReDoc's start-up);
# styles inline too, since Swagger UI and ReDoc write their own <style> elements;
# images and fonts from this server or data: URIs; ReDoc's search worker from a blob.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
CSRF_FAILURE_VIEW = "shop.api.error_views.csrf_failure"
# Request bodies larger than this are refused with 413 before they are parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

# --- Operations: logs, request ids, metrics, probes (shop.ops; README "Deploying") ---

# One JSON object per line on standard error (json, the default unless DJANGO_DEBUG),
# or one line of text (text); secrets and email addresses are masked (shop.ops.logs).
LOG_FORMAT = env_choice("LOG_FORMAT", LOG_FORMATS, default=default_log_format(debug=DEBUG))
LOGGING = logging_config(log_format=LOG_FORMAT, level=env_str("DJANGO_LOG_LEVEL", "INFO").upper())
# /metrics answers these client addresses or networks (the address found as for login
# throttling, TRUSTED_PROXY_COUNT), and requests with "Authorization: Bearer <METRICS_TOKEN>".
METRICS_ALLOWED_ADDRESSES = env_networks("METRICS_ALLOWED_ADDRESSES", ["127.0.0.0/8", "::1"])
METRICS_TOKEN = env_str("METRICS_TOKEN")
if METRICS_TOKEN and len(METRICS_TOKEN) < 16:
    raise ConfigurationError("METRICS_TOKEN must be at least 16 characters long (or unset)")
# Load balancers and orchestrators probe over plain HTTP: no redirect to HTTPS there.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

if DATABASE_PROFILE.is_mongodb:
    # MongoDB has no check constraints; the services enforce those rules there
    # (and the SQL migrations still create them on SQLite).
    SILENCED_SYSTEM_CHECKS = ["models.W027"]
