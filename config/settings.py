"""Settings for Lineage Registry: one file, every knob an environment variable.

Defaults give a working single-machine install (SQLite and local files in var/);
DATABASE_URL and LINEAGE_S3_BUCKET move it to PostgreSQL and object storage.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("LINEAGE_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def envbool(name, default=False):
    return os.environ.get(name, str(default)).strip().lower() in ("1", "true", "yes", "on")


def envint(name, default):
    return int(os.environ.get(name, default))


def envlist(name, default):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _secret_key():
    """SECRET_KEY from the environment, else one generated once and kept in var/."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = envbool("DEBUG")
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

INSTALLED_APPS = [
    "config.admin_site.OperatorsAdminConfig",  # django.contrib.admin for superusers
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "django_htmx",
    "template_partials",
    "registry",
    "lineage",
    "wandb_api",
    "openlineage",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.ApiErrorsMiddleware",  # outside all that may answer an error
    "config.middleware.RefuseUnstorableMiddleware",  # before any view looks a value up
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "registry.middleware.CrashSilentRuns",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

# Production over HTTPS (README "Serve it for a team"). LINEAGE_HTTPS=1 when people reach
# the server by https://: plain http is redirected, cookies are sent over TLS only and
# browsers are told (HSTS) to use https for LINEAGE_HSTS_SECONDS. Behind a proxy that ends
# TLS, LINEAGE_BEHIND_PROXY=1 trusts its X-Forwarded-Proto (the proxy must set it, or
# every request looks like plain http and is redirected forever).
LINEAGE_HTTPS = envbool("LINEAGE_HTTPS")
SECURE_SSL_REDIRECT = LINEAGE_HTTPS
SESSION_COOKIE_SECURE = LINEAGE_HTTPS
CSRF_COOKIE_SECURE = LINEAGE_HTTPS
SECURE_HSTS_SECONDS = envint("LINEAGE_HSTS_SECONDS", 31536000 if LINEAGE_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = LINEAGE_HTTPS
SECURE_HSTS_PRELOAD = LINEAGE_HTTPS
if envbool("LINEAGE_BEHIND_PROXY"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Origins (https://registry.example.com) whose form posts are accepted besides the host itself.
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", "")

# A strict Content-Security-Policy (django-csp) on every page: scripts, styles, fonts and
# fetches only from this server, no inline script or event handler (page behaviour is in
# static/ modules), no plugins, no framing. data: images are the favicon and the icons
# inside the vendored stylesheets.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
            ],
        },
    },
]

# Each request thread keeps its database connection for LINEAGE_DB_CONN_MAX_AGE seconds
# (then its next request opens a new one; 0: closed after every request), checked before
# reuse. A server thus holds at most WEB_CONCURRENCY x WEB_THREADS connections (README
# "Serve it for a team": keep the sum over all servers below PostgreSQL's max_connections).
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=envint("LINEAGE_DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # IMMEDIATE transactions take the write lock up front, so concurrent writers
    # queue on the timeout instead of failing with "database is locked" mid-way.
    # WAL lets pages read while an upload writes; synchronous=NORMAL is WAL's safe
    # setting and spares an fsync per small write.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    options = DATABASES["default"].setdefault("OPTIONS", {})
    # PostgreSQL's JIT compiles a wide lineage hop for ~100 ms to save less than that:
    # measured on the 1M-edge benchmark, a hub's hop took 237 ms with it, 131 without.
    flags = ["-c jit=off"]
    # The lineage engine's queries run as prepared statements with generic plans, planned
    # once per connection (lineage/sql.py: a small view 2.2 -> 1.1 ms). Django's own
    # queries are bound client-side and never prepared, so neither setting touches them.
    # LINEAGE_DB_PREPARED=0 turns this off, for a pooler that cannot keep prepared
    # statements (PgBouncer in transaction mode before 1.21).
    if envint("LINEAGE_DB_PREPARED", 1):
        flags.append("-c plan_cache_mode=force_generic_plan")
        options["prepare_threshold"] = 2**31  # prepare only when asked to (prepare=True)
    options["options"] = " ".join([options.get("options", ""), *flags]).strip()

# Lets several checkouts run the PostgreSQL suite at once without sharing a test database.
if os.environ.get("LINEAGE_TEST_DB_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["LINEAGE_TEST_DB_NAME"]}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/accounts/login/"

# Sign-in protection (django-axes): after LINEAGE_LOGIN_FAILURE_LIMIT wrong passwords for
# one username from one address, that pair may not sign in (even with the right password)
# for LINEAGE_LOGIN_LOCKOUT_MINUTES; each failure while locked restarts the wait. The
# attempts are rows in the database, so every app process sees the same count. Behind a
# proxy, set LINEAGE_LOGIN_PROXY_COUNT so the client's address is read from X-Forwarded-For.
# API keys are not passwords and are not counted.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = envint("LINEAGE_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LINEAGE_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "registry.signin.locked_out"
AXES_CLIENT_IP_CALLABLE = "registry.signin.client_address"
LINEAGE_LOGIN_PROXY_COUNT = envint("LINEAGE_LOGIN_PROXY_COUNT", 0)
LOGIN_REDIRECT_URL = "/"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True
FORMAT_MODULE_PATH = "config.formats"  # dates with their time zone, in the admin too

# `collectstatic` (run by every make target, and once per test session) copies static/
# into STATIC_ROOT under content-hashed names, which whitenoise serves, compressed and
# cacheable forever. With DEBUG on, pages name the plain files and whitenoise serves
# them straight from static/, so edits show without collecting again.
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]

# Artifact file contents: local folder by default, S3-compatible when a bucket is set.
# Both backends (registry/storage.py) show a file at its final name only once complete.
LINEAGE_STORAGE_DIR = Path(os.environ.get("LINEAGE_STORAGE_DIR", VAR_DIR / "files"))
LINEAGE_S3_BUCKET = os.environ.get("LINEAGE_S3_BUCKET", "")
if LINEAGE_S3_BUCKET:
    BLOB_STORAGE = {
        "BACKEND": "registry.storage.S3BlobStorage",
        "OPTIONS": {
            "bucket_name": LINEAGE_S3_BUCKET,
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "file_overwrite": True,
            "querystring_auth": True,
        },
    }
else:
    BLOB_STORAGE = {
        "BACKEND": "registry.storage.LocalBlobStorage",
        "OPTIONS": {"location": LINEAGE_STORAGE_DIR},
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "blobs": BLOB_STORAGE,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Limits, each its own setting (README "Limits"; GET /api/v1/limits tells clients):
# - a request body read whole: a version's manifest is the largest (100,000 files are
#   about 15 MB of JSON), so JSON bodies may be 64 MiB; a page's form never needs more
#   than Django's 2.5 MiB (config/middleware.py refuses a larger one before reading it);
DATA_UPLOAD_MAX_MEMORY_SIZE = envint("LINEAGE_MAX_BODY_BYTES", 64 * 1024 * 1024)
LINEAGE_MAX_FORM_BYTES = envint("LINEAGE_MAX_FORM_BYTES", 2621440)
# - multipart uploads (only POST /blobs takes them: small files together) are held in
#   memory, never spooled to the local disk: that many files, that many bytes at once;
DATA_UPLOAD_MAX_NUMBER_FILES = envint("LINEAGE_MAX_FILES_PER_UPLOAD", 100)
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = envint("LINEAGE_MAX_UPLOAD_BYTES", 32 * 1024 * 1024)
# - one file's contents (PUT /blobs/<sha256> streams it to storage, never held whole);
LINEAGE_MAX_FILE_BYTES = envint("LINEAGE_MAX_FILE_BYTES", 100 * 1024**3)
# - files in one version's manifest;
LINEAGE_MAX_MANIFEST_FILES = envint("LINEAGE_MAX_MANIFEST_FILES", 250_000)
# - text without a column length (notes, descriptions) and JSON values (config,
#   summary, metadata), measured as compact JSON.
LINEAGE_MAX_TEXT_CHARS = envint("LINEAGE_MAX_TEXT_CHARS", 1_000_000)
LINEAGE_MAX_JSON_BYTES = envint("LINEAGE_MAX_JSON_BYTES", 16 * 1024 * 1024)

# A run whose client sent no heartbeat for this long becomes `crashed` (the client sends one
# every LINEAGE_HEARTBEAT_SECONDS, 30 by default); each app process looks for such runs at
# most every LINEAGE_RUN_CRASH_CHECK_SECONDS, when it answers a request.
LINEAGE_RUN_CRASH_AFTER = envint("LINEAGE_RUN_CRASH_AFTER", 300)
LINEAGE_RUN_CRASH_CHECK_SECONDS = envint("LINEAGE_RUN_CRASH_CHECK_SECONDS", 30)

# The lineage engine never returns more nodes than this in one view.
LINEAGE_MAX_NODES = envint("LINEAGE_MAX_NODES", 2000)
# Once a walk reaches this many nodes, each process holds the edges in memory as arrays and
# walks them there while they are true (lineage/index.py: ~40 MB a million edges); 0: never.
LINEAGE_INDEX_NODES = envint("LINEAGE_INDEX_NODES", 10000)
# Drawn views' clusters, kept for their search boxes (lineage.engine._keep_members), in each
# process's memory: a hub's view keeps ~60,000 member keys (and their labels once searched,
# about a megabyte), so a process keeps the newest LINEAGE_VIEWS_KEPT views' and drops the
# rest (a search of a dropped one computes its view again).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": envint("LINEAGE_VIEWS_KEPT", 100)},
    }
}

# OpenLineage events land in this entity (their namespaces are its projects), and one event
# may be this large (POST /api/v1/lineage reads its body itself; gzip is measured inflated).
OPENLINEAGE_ENTITY = os.environ.get("LINEAGE_OPENLINEAGE_ENTITY", "openlineage")
OPENLINEAGE_MAX_EVENT_BYTES = envint("LINEAGE_OPENLINEAGE_MAX_EVENT_BYTES", 16 * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
