"""Harbour settings: one file, fed only by the environment.

With no configuration at all Harbour runs as the "embedded default": SQLite under var/, an in-memory
channel layer, debugging off and a secret key made once and kept in var/, which is what `make run` gives a
fresh machine. Production sets DATABASE_URL (PostgreSQL), REDIS_URL (Redis channel layer), SECRET_KEY,
ALLOWED_HOSTS, HARBOUR_BASE_URL and the email settings. DEBUG=1 is for a developer's own machine only.
Every helper below fails loudly on a value it cannot read, so a typo in an environment variable stops the
process at start-up instead of silently falling back to a default.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from core.workdays import parse_working_days, parse_working_hours  # needs no configured Django

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HARBOUR_VAR_DIR") or BASE_DIR / "var")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    # An empty variable means "not set": dj_database_url and friends would otherwise treat "" as a value.
    return default if value is None or value == "" else value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {value!r}")


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {value!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = env_str(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def stored_secret_key(path: Path) -> str:
    """The key kept in a file: read it, or make it the first time. Two processes starting at once must end
    up with the same key (a session signed by one is read by the other), so each writes a candidate to a
    private file of its own (mkstemp: O_EXCL, mode 0600) and publishes it with a hard link, which is atomic
    and never replaces an existing file: the first wins, the others read the winner's, and nobody ever
    reads a half-written key."""
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, draft = tempfile.mkstemp(dir=path.parent, prefix=".secret_key-")
        try:
            with os.fdopen(handle, "w") as candidate:
                candidate.write(secrets.token_urlsafe(50) + "\n")
                candidate.flush()
                os.fsync(candidate.fileno())
            try:
                os.link(draft, path)
            except FileExistsError:
                pass  # another process was first: use its key
            except OSError:  # a file system without hard links: create it exclusively instead
                try:
                    with os.fdopen(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600), "w") as kept:
                        kept.write(Path(draft).read_text())
                except FileExistsError:
                    pass
        finally:
            os.unlink(draft)
        key = path.read_text().strip()
    if len(key) < 32:
        raise ImproperlyConfigured(
            f"{path} does not hold a usable secret key. Delete it and Harbour makes a new one (everyone then "
            "signs in again), or set SECRET_KEY.")
    return key


# Off unless a developer turns it on: a debug page shows settings and code to whoever reaches it.
DEBUG = env_bool("DEBUG", default=False)

# Lower case, so the password in it never becomes a setting (settings are what error reports list).
database_url = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'harbour.sqlite3'}"
# SQLite is one file on one machine; any other database may be shared by processes on several machines,
# which must all sign sessions, CSRF tokens and password-reset links with one key.
SHARED_DATABASE = not database_url.startswith("sqlite:")

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if SHARED_DATABASE and not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off and DATABASE_URL names a shared database (PostgreSQL): "
            "every process must sign with the same key. Harbour refuses to start without it.")
    # The embedded default (and a developer's machine): made once, kept beside the database, so sessions
    # survive restarts and no key is ever published in the code.
    SECRET_KEY = stored_secret_key(VAR_DIR / "secret_key")

# Harbour answers only to the names it is told; on a fresh machine, only to itself.
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "template_partials",
    "axes",
    "django_tasks",
    "django_tasks_db",
    "core",  # the ground floor: serve, worker
    "people",  # who works here: staff, teams, organisation roles, sign-in
    "incidents",
    "clocks",  # a wing: statutory clocks
    "comms",
    "support",
    "config",  # the roof: sign-in throttling
    "demo",  # the demo organisation and the large one for benchmarks: the only app that imports every wing
]

MIDDLEWARE = [
    "core.middleware.RefuseNullBytes",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.middleware.NoStoreWhenSignedIn",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.BadInputPage",
    # Last, as django-axes asks: it turns a locked-out sign-in into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "incidents.context_processors.live",
                "core.context_processors.menu",
                "core.context_processors.small_count",
                "comms.context_processors.comms",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        database_url,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process, the in-process worker and management commands share one file: wait for locks
    # rather than failing, and take the write lock up front so transactions never deadlock on upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Under ASGI Django closes its connection at the end of every request (CONN_MAX_AGE keeps nothing:
    # each request runs in a thread of its own), so without a pool every request and every socket that
    # reads pays a new PostgreSQL connection: measured, about a quarter of a write's time, and sockets
    # open 2.7 times slower. A pool per process keeps them open. Size it for the topology: the default
    # of 10 per process gives two web processes and a worker 30 connections at most (10 more for each
    # process added), well inside PostgreSQL's default max_connections of 100. HARBOUR_DB_POOL_MAX_SIZE=0 turns pooling off (for
    # PgBouncer in transaction mode, say), and DATABASE_CONN_MAX_AGE then applies as usual.
    POOL_MAX = env_int("HARBOUR_DB_POOL_MAX_SIZE", 10)
    if POOL_MAX > 0:
        if DATABASES["default"]["CONN_MAX_AGE"]:
            raise ImproperlyConfigured(
                "DATABASE_CONN_MAX_AGE cannot be used with the connection pool: set HARBOUR_DB_POOL_MAX_SIZE=0 "
                "to use persistent connections instead.")
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": min(env_int("HARBOUR_DB_POOL_MIN_SIZE", 2), POOL_MAX),
            "max_size": POOL_MAX,
            # A request waits this long for a free connection before failing, rather than for ever.
            "timeout": env_int("HARBOUR_DB_POOL_TIMEOUT", 10),
        }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "people.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "now"
LOGOUT_REDIRECT_URL = "login"

# Sign-in throttling (people/signin.py; README, "Signing in"). Three limits, none of which locks an account:
# - one username from one address: after AXES_FAILURE_LIMIT failures that pair waits AXES_COOLOFF_MINUTES
#   (django-axes). An attacker locks only themselves, from their own address.
# - one username from anywhere: HARBOUR_SIGNIN_ACCOUNT_LIMIT failures in HARBOUR_SIGNIN_WINDOW_MINUTES from
#   devices the account has not signed in on pause such devices until the oldest failure leaves the window,
#   so rotating addresses buys no more guesses; a device the person has signed in on still gets through.
# - one address, any username: HARBOUR_SIGNIN_ADDRESS_LIMIT failures in the window (password spraying).
# The address is the socket's peer unless HARBOUR_TRUSTED_PROXIES says how many proxies stand in front
# (core/client_address.py): X-Forwarded-For is believed only that many hops deep.
HARBOUR_TRUSTED_PROXIES = env_int("HARBOUR_TRUSTED_PROXIES", 0)
if HARBOUR_TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured(f"HARBOUR_TRUSTED_PROXIES must be 0 or more; got {HARBOUR_TRUSTED_PROXIES}")
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "people.signin.SignInThrottle",  # after axes: it refuses what axes allowed but the other limits do not
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# A pause runs its course from the failure that began it: more attempts during it do not lengthen it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "core.client_address.client_address"
AXES_LOCKOUT_CALLABLE = "people.signin.locked_out"  # 429, in JSON for the API
AXES_VERBOSE = False
HARBOUR_SIGNIN_WINDOW_MINUTES = env_int("HARBOUR_SIGNIN_WINDOW_MINUTES", 15)
HARBOUR_SIGNIN_ACCOUNT_LIMIT = env_int("HARBOUR_SIGNIN_ACCOUNT_LIMIT", 10)
HARBOUR_SIGNIN_ADDRESS_LIMIT = env_int("HARBOUR_SIGNIN_ADDRESS_LIMIT", 30)
# How long a browser stays "a device this account has signed in on" after its last sign-in there.
HARBOUR_SIGNIN_DEVICE_DAYS = env_int("HARBOUR_SIGNIN_DEVICE_DAYS", 90)
for _name in ("HARBOUR_SIGNIN_WINDOW_MINUTES", "HARBOUR_SIGNIN_ACCOUNT_LIMIT", "HARBOUR_SIGNIN_ADDRESS_LIMIT",
              "HARBOUR_SIGNIN_DEVICE_DAYS", "AXES_FAILURE_LIMIT"):
    if globals()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be 1 or more; got {globals()[_name]}")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Validates nothing: Django tells validators when a password has changed, by whatever way it changed
    # (the admin site, `manage.py changepassword`, a form), and this one ends the person's API tokens then.
    {"NAME": "incidents.authentication.PasswordChangeEndsTokens"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Only where `collectstatic` runs (the production image sets it); without it WhiteNoise serves from the
# finders below and does not look for a directory that was never collected.
STATIC_ROOT = Path(env_str("STATIC_ROOT")) if env_str("STATIC_ROOT") else None
STATICFILES_DIRS = [BASE_DIR / "static"]
# Harbour's static files are few and vendored: finders let a fresh checkout serve them without a
# collectstatic step; the production image still runs collectstatic so WhiteNoise can pre-compress.
WHITENOISE_USE_FINDERS = True

# --- Real time -------------------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Pub/sub fans out to many sockets faster than the list-based core layer (measured: bench/README.md).
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            # The prefix keeps Harbour's groups apart from anything else (or another Harbour) on the Redis.
            "CONFIG": {"hosts": [REDIS_URL], "prefix": env_str("CHANNEL_LAYER_PREFIX", "harbour")},
        }
    }
else:
    # One process only: `manage.py serve` runs the background worker inside the web process so that
    # what the worker broadcasts reaches the same in-memory layer the sockets listen on.
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer", "CONFIG": {"capacity": 1000}}}

# How often each open socket checks, through the channel layer, that live updates still reach it.
HARBOUR_LIVE_HEARTBEAT_SECONDS = env_int("HARBOUR_LIVE_HEARTBEAT_SECONDS", 20)
# A "What needs you now" page reads its person's list again this long after a change that may be on it
# (so a burst of changes costs one read), and every so often anyway, as things fall due by themselves.
HARBOUR_NOW_SETTLE_MS = env_int("HARBOUR_NOW_SETTLE_MS", 300)
HARBOUR_NOW_RECHECK_SECONDS = env_int("HARBOUR_NOW_RECHECK_SECONDS", 60)

# --- Background work -------------------------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
# `manage.py serve` starts an in-process worker unless told otherwise (production runs `manage.py worker` apart).
HARBOUR_INPROCESS_WORKER = env_bool("HARBOUR_INPROCESS_WORKER", default=not REDIS_URL)

# --- Email -----------------------------------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if env_str("EMAIL_HOST") else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=True)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Harbour <harbour@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- API -------------------------------------------------------------------------------------------------
# API tokens expire: at most this many days after they are made (the default); their owner may choose fewer.
HARBOUR_API_TOKEN_DAYS = env_int("HARBOUR_API_TOKEN_DAYS", 90)
if HARBOUR_API_TOKEN_DAYS < 1:
    raise ImproperlyConfigured(f"HARBOUR_API_TOKEN_DAYS must be 1 or more; got {HARBOUR_API_TOKEN_DAYS}")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "incidents.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api_paging.KeysetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api_errors.exception_handler",
    # The API speaks JSON, in and out (the pages have their own forms).
    "DEFAULT_PARSER_CLASSES": ["core.api_errors.JSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer", "rest_framework.renderers.BrowsableAPIRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Harbour API",
    "DESCRIPTION": "Serious incident response and communications. Make an API token on the \"Your API "
    "tokens\" page (`/me/api-tokens/`) or with `POST /api/auth/token/`, and send `Authorization: Token <token>`. "
    "Tokens expire, and end when your password changes.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its documentation pages are for signed-in staff (config/urls.py signs browsers in).
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # A PATCH body says which of its fields are required (a member's new role needs its reason): Harbour's
    # PATCH serializers make optional what is optional, rather than drf-spectacular making everything so.
    "COMPONENT_SPLIT_PATCH": False,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "core.api_schema.document_errors"],
    "ENUM_NAME_OVERRIDES": {
        "IncidentKindEnum": "incidents.models.IncidentKind",
        "IncidentStatusEnum": "incidents.models.IncidentStatus",
        "MemberRoleEnum": "incidents.models.MemberRole",
        "ObligationStatusEnum": "clocks.models.ObligationStatus",
        "IdentifierKindEnum": "comms.models.IdentifierKind",
        "EnquiryStatusEnum": "comms.models.EnquiryStatus",
        "MessageStatusEnum": "comms.models.MessageStatus",
        "FollowUpKindEnum": "support.models.FollowUpKind",
        "FollowUpStatusEnum": "support.models.FollowUpStatus",
        "DebriefKindEnum": "support.models.DebriefKind",
        "DebriefStatusEnum": "support.models.DebriefStatus",
    },
}

# --- Security --------------------------------------------------------------------------------------------
# Scripts only from Harbour itself: no inline script anywhere in the console, so injected markup cannot
# run code. Inline styles stay allowed (the admin uses them; they cannot run code). The offline API docs
# page is exempted in config/urls.py because Swagger UI starts itself with an inline script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 60 * 60 * 10)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Served over HTTPS (directly or behind a TLS-terminating proxy): secure cookies, HSTS and a redirect from
# plain HTTP. On by default where Harbour is evidently deployed (an https:// base URL, a shared database, or
# names other than this machine's own to answer to, with debugging off); off for the embedded default, whose
# plain http://127.0.0.1:8000 could not keep a Secure cookie, so nobody could sign in.
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]"}
HARBOUR_HTTPS = env_bool(
    "HARBOUR_HTTPS",
    default=(env_str("HARBOUR_BASE_URL") or "").lower().startswith("https://")
    or (not DEBUG and (SHARED_DATABASE or not set(ALLOWED_HOSTS) <= LOOPBACK_HOSTS)),
)
CSRF_FAILURE_VIEW = "core.views.csrf_failure"  # Harbour's 403 page, in words, not Django's
if HARBOUR_HTTPS:
    # X-Forwarded-Proto says the client used HTTPS only where a proxy of ours wrote it; with none in front, a
    # client writes it itself, to be served over plain HTTP as if it were secure.
    if HARBOUR_TRUSTED_PROXIES:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
    # Preloading is a commitment a council makes for its whole domain, not one an application makes for
    # it: off by default, so the deploy check's reminder about it is silenced.
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}

# --- Harbour ---------------------------------------------------------------------------------------------
# A decision written more than this many minutes after it was taken needs a reason (JESIP decision logs).
HARBOUR_LATE_ENTRY_MINUTES = env_int("HARBOUR_LATE_ENTRY_MINUTES", 15)
# Counts about people shown to anyone but the people counted say "fewer than 5" below this, and are
# withheld where the rest of their group is that small (core/small_counts.py). At least 3: below that,
# "fewer than k" would be one number.
HARBOUR_SMALL_COUNT = env_int("HARBOUR_SMALL_COUNT", 5)
if HARBOUR_SMALL_COUNT < 3:
    raise ImproperlyConfigured(f"HARBOUR_SMALL_COUNT must be 3 or more; got {HARBOUR_SMALL_COUNT}")
# Links in emails point here. Left unset, `manage.py serve` puts the address it was started on here
# (core/management/commands/serve.py); the senders read it when they send, never at import.
HARBOUR_BASE_URL_SET = env_str("HARBOUR_BASE_URL") is not None
HARBOUR_BASE_URL = (env_str("HARBOUR_BASE_URL") or "http://127.0.0.1:8000").rstrip("/")
# Filled into holding-statement templates as {service_area}.
HARBOUR_SERVICE_AREA = env_str("HARBOUR_SERVICE_AREA", "children's and families' services")
# The outbox retries a failed email this many times in all, waiting 30 s, 60 s, 120 s… between tries.
HARBOUR_EMAIL_MAX_ATTEMPTS = env_int("HARBOUR_EMAIL_MAX_ATTEMPTS", 6)
HARBOUR_EMAIL_RETRY_SECONDS = env_int("HARBOUR_EMAIL_RETRY_SECONDS", 30)
# A worker holds a claimed email this long before another may try it (a killed worker's claim lapses).
HARBOUR_EMAIL_CLAIM_SECONDS = env_int("HARBOUR_EMAIL_CLAIM_SECONDS", 300)
# A mail server that does not answer is given up on after this long (then retried with backoff).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
# How often each worker sweeps for timed work that is due and not done (see core/worker.py).
HARBOUR_SWEEP_SECONDS = env_int("HARBOUR_SWEEP_SECONDS", 60)
# A task still marked running this long after it started belonged to a worker that stopped.
HARBOUR_TASK_ABANDONED_SECONDS = env_int("HARBOUR_TASK_ABANDONED_SECONDS", 600)
# Office hours for automated messages to staff, in Europe/London and closed on bank holidays: a routine
# reminder waits for the morning. Statutory working-day deadlines ignore these (the law fixes them at
# Monday to Friday). Kept as (opening, closing) times and a set of weekday numbers, Monday 0.
HARBOUR_WORKING_HOURS = parse_working_hours(env_str("HARBOUR_WORKING_HOURS", "08:00-18:00"))
HARBOUR_WORKING_DAYS = parse_working_days(env_str("HARBOUR_WORKING_DAYS", "Mon-Fri"))
