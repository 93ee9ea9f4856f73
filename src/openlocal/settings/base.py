"""Settings shared by every environment, read from ``OPENLOCAL_*`` environment variables.

Every variable is documented in ``docs/configuration.md``. Nothing secret has a production
default: ``OPENLOCAL_SECRET_KEY`` must be set unless ``OPENLOCAL_DEBUG`` or the embedded
development setup (``make run``) provides one.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from csp.constants import NONCE, NONE, SELF

PROJECT_DIR = Path(__file__).resolve().parents[3]
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"OPENLOCAL_{name}", default)


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(env("DATA_DIR") or PROJECT_DIR / "var").resolve()
DEBUG = env_bool("DEBUG")
BASE_URL = (env("BASE_URL") or "http://127.0.0.1:8000").rstrip("/")

SECRET_KEY = env("SECRET_KEY") or ""
ALLOWED_HOSTS = [h for h in (env("ALLOWED_HOSTS") or "").split(",") if h] or [
    urlsplit(BASE_URL).hostname or "localhost",
    "127.0.0.1",
    "localhost",
]
CSRF_TRUSTED_ORIGINS = [BASE_URL]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "corsheaders",
    "django_tasks",
    "django_tasks_db",
    "openlocal.core",
    "openlocal.places",
    "openlocal.assets",
    "openlocal.requests",
    "openlocal.subscriptions",
    "openlocal.apikeys",
    "openlocal.staff",
    "openlocal.web",
    "openlocal.api",
    "openlocal.opendata",
    "openlocal.importers",
    "openlocal.feedback",
    "openlocal.backoffice",
    "openlocal.performance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # Link: <licence>; rel="license" on the APIs' and feeds' answers.
    "openlocal.opendata.middleware.LicenceLinkMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
]

ROOT_URLCONF = "openlocal.urls"
WSGI_APPLICATION = "openlocal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "environment": "openlocal.web.jinja.environment",
            "autoescape": True,
        },
    },
    {
        # The admin and Django's own forms keep the Django template language.
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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
FORM_RENDERER = "django.forms.renderers.DjangoTemplates"

DATABASE_URL = env("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'openlocal.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the worker read while the other writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    # Rate limits must be shared by every web process, so the default cache is the database.
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "openlocal_cache",
    },
    # Rate-limit counters: one statement per count (see openlocal.core.ratelimits).
    "ratelimit": {"BACKEND": "openlocal.core.ratelimits.CounterCache"},
}
RATELIMIT_USE_CACHE = "ratelimit"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:queue"
LOGOUT_REDIRECT_URL = "web:home"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("TIME_ZONE") or "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = PROJECT_DIR / "build" / "collected"
NODE_MODULES = PROJECT_DIR / "node_modules"
STATICFILES_DIRS = [
    ("govuk", NODE_MODULES / "govuk-frontend" / "dist" / "govuk"),
    ("leaflet", NODE_MODULES / "leaflet" / "dist"),
    PROJECT_DIR / "build" / "static",
]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DATA_DIR / "media", "base_url": "/media/"},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 40 * 1024 * 1024

EMAIL_URL = env("EMAIL_URL") or ""
if EMAIL_URL:
    _mail = urlsplit(EMAIL_URL)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _mail.hostname or "127.0.0.1"
    EMAIL_PORT = _mail.port or 25
    EMAIL_HOST_USER = _mail.username or ""
    EMAIL_HOST_PASSWORD = _mail.password or ""
    EMAIL_USE_TLS = _mail.scheme == "smtp+tls"
    EMAIL_USE_SSL = _mail.scheme == "smtps"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "outbox"
DEFAULT_FROM_EMAIL = env("FROM_EMAIL") or "OpenLocal <no-reply@openlocal.localhost>"
# A mail server that stops answering must not hold a worker for ever: its batch is retried.
EMAIL_TIMEOUT = 30

# Map tiles: any XYZ tile server. The map is an enhancement; pages work without it.
MAP_TILE_URL = env("MAP_TILE_URL") or "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
MAP_TILE_ATTRIBUTION = env("MAP_TILE_ATTRIBUTION") or (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
_tile_origin = "{0.scheme}://{0.netloc}".format(urlsplit(MAP_TILE_URL.replace("{s}", "a")))

# A strict policy: no inline script or style from markup; scripts only from us or by nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:", _tile_origin.replace("://a.", "://*.")],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = BASE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

RATELIMIT_VIEW = "openlocal.web.views.errors.rate_limited"
# Anonymous writes: reports per address per hour, and "me too"/follow actions.
REPORT_RATE = env("REPORT_RATE") or "10/h"
SUPPORT_RATE = env("SUPPORT_RATE") or "30/h"

# Photos on requests.
PHOTO_MAX_BYTES = int(env("PHOTO_MAX_BYTES") or 10 * 1024 * 1024)
PHOTO_MAX_PIXELS = 40_000_000
PHOTO_MAX_DIMENSION = 2048
PHOTOS_PER_REQUEST = 3

# Geography: the H3 resolution of the cell stored on each request and asset, and the
# resolution at which area polygons are covered for point-in-area look-ups.
POINT_CELL_RESOLUTION = 9
AREA_COVER_RESOLUTION = 8

SITE_NAME = env("SITE_NAME") or "OpenLocal"

# Open data APIs (Open311 GeoReport v2 at /open311/v2/, JSON API at /api/v1/, feeds).
# Reads are open to any origin; writes need an API key and are not offered to browsers
# of other origins.
CORS_URLS_REGEX = r"^/(api/v1|open311/v2|feeds)/.*$"
CORS_ALLOW_ALL_ORIGINS = True
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_EXPOSE_HEADERS = ["ETag", "Link", "Retry-After"]
#: Writes through the APIs: per API key, and per address whatever the key.
API_WRITE_RATE_PER_KEY = env("API_WRITE_RATE_PER_KEY") or "600/h"
API_WRITE_RATE_PER_ADDRESS = env("API_WRITE_RATE_PER_ADDRESS") or "120/h"
#: requests.geojson clusters server-side when a box holds more requests than this.
GEOJSON_CLUSTER_THRESHOLD = int(env("GEOJSON_CLUSTER_THRESHOLD") or 2000)
#: Open311: the jurisdiction this server answers for (empty: any, as most servers do).
OPEN311_JURISDICTION_ID = env("OPEN311_JURISDICTION_ID") or ""

# Open data at /data/: the licence everything public is published under, and who publishes
# it. Imported data keeps its own source's licence and attribution beside these.
DATA_LICENCE_NAME = env("DATA_LICENCE_NAME") or "Open Government Licence v3.0"
DATA_LICENCE_URL = env("DATA_LICENCE_URL") or (
    "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
)
DATA_PUBLISHER = env("DATA_PUBLISHER") or SITE_NAME
#: Daily snapshot files (with SHA-256 checksums) are written here by the worker.
DATA_SNAPSHOT_DIR = Path(env("DATA_SNAPSHOT_DIR") or DATA_DIR / "snapshots").resolve()

# Data quality report at /data/quality (docs/data-quality.md).
#: Assets of one type closer than this are reported as likely duplicates.
QUALITY_DUPLICATE_DISTANCE_M = float(env("QUALITY_DUPLICATE_DISTANCE_M") or 5)
#: A request is overdue when open this many times its category's median time to close.
QUALITY_OVERDUE_FACTOR = float(env("QUALITY_OVERDUE_FACTOR") or 3)
#: A computed report is served for this long before the worker refreshes it.
QUALITY_MAX_AGE_SECONDS = int(env("QUALITY_MAX_AGE_SECONDS") or 300)

# Duplicates: open requests in the same category group within the category's radius and
# reported within this many days are offered to a reporter before they file a copy.
DUPLICATE_WINDOW_DAYS = int(env("DUPLICATE_WINDOW_DAYS") or 90)

# Subscriptions and deliveries.
#: Anonymous follow requests per address per hour (each sends a confirmation email).
FOLLOW_RATE = env("FOLLOW_RATE") or "20/h"
#: The hour (site time zone) at which daily digest emails go out.
DIGEST_HOUR = int(env("DIGEST_HOUR") or 7)
#: Deliveries one worker claims at a time; a crash repeats at most this many.
DELIVERY_BATCH_SIZE = int(env("DELIVERY_BATCH_SIZE") or 200)
#: Webhooks may go only to public internet addresses unless this is set (development).
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES")
#: Seconds to wait for a webhook receiver to answer.
WEBHOOK_TIMEOUT = float(env("WEBHOOK_TIMEOUT") or 10)


def env_seconds(name: str, default: tuple[int, ...]) -> tuple[float, ...]:
    """A comma-separated list of seconds, e.g. ``5,300,1800``."""
    value = env(name)
    if not value:
        return tuple(float(s) for s in default)
    return tuple(float(part) for part in value.split(",") if part.strip())


#: A worker holds the deliveries it claimed this long; after it, another worker may retry
#: them (the first one crashed). Longer than the slowest batch.
DELIVERY_LEASE_SECONDS = float(env("DELIVERY_LEASE_SECONDS") or 300)
#: Waits before each retry of a webhook that failed (non-2xx or timeout): 8 attempts over
#: about 27 hours. After the last, the delivery fails and the endpoint is disabled.
WEBHOOK_RETRY_SCHEDULE = env_seconds(
    "WEBHOOK_RETRY_SCHEDULE", (5, 300, 1800, 7200, 18000, 36000, 36000)
)
#: An endpoint is disabled after this many failed deliveries in a row.
WEBHOOK_DISABLE_AFTER_FAILURES = int(env("WEBHOOK_DISABLE_AFTER_FAILURES") or 50)
#: Webhooks one worker sends at the same time, so one slow receiver does not hold the rest.
WEBHOOK_CONCURRENCY = int(env("WEBHOOK_CONCURRENCY") or 8)
#: Waits before each retry of an email the mail server did not take (down, or a temporary
#: refusal): 6 attempts over about 9 hours.
EMAIL_RETRY_SCHEDULE = env_seconds("EMAIL_RETRY_SCHEDULE", (60, 300, 1800, 7200, 21600))

# Behind a reverse proxy every visitor seems to come from the proxy's address, so rate
# limits would be shared by everyone: name the header the proxy sets to the visitor's single
# address, as a WSGI key (e.g. ``HTTP_X_REAL_IP``).
RATELIMIT_IP_META_KEY = env("RATELIMIT_IP_META_KEY") or None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL") or "INFO"},
    # httpx logs every webhook request at INFO; the delivery log records them instead.
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}
CSRF_FAILURE_VIEW = "openlocal.web.views.errors.csrf_failure"

# Residents' feedback and the reporter's questionnaire (docs/feedback.md).
#: "Still broken" / "Fixed" answers from one address per hour (an anonymous write).
FEEDBACK_RATE = env("FEEDBACK_RATE") or "20/h"
#: The request page takes answers for open requests and for this many days after closing.
FEEDBACK_AFTER_CLOSING_DAYS = int(env("FEEDBACK_AFTER_CLOSING_DAYS") or 90)
#: The reporter is asked "Was it fixed?" this many days after their request closed; 0 never.
QUESTIONNAIRE_AFTER_DAYS = int(env("QUESTIONNAIRE_AFTER_DAYS") or 28)
#: The Yes and No links in a questionnaire work for this many days after it was sent.
QUESTIONNAIRE_LINK_DAYS = int(env("QUESTIONNAIRE_LINK_DAYS") or 90)

# Back-office links (docs/back-office.md): bodies receiving their requests by email or in
# their own Open311 server.
#: Seconds between runs of the worker's sending job, and between polls of back offices.
BACK_OFFICE_SEND_EVERY = float(env("BACK_OFFICE_SEND_EVERY") or 60)
BACK_OFFICE_POLL_EVERY = float(env("BACK_OFFICE_POLL_EVERY") or 300)
#: Retries back off from the first wait, doubling up to the longest, and stop (status
#: failed) when a sending has failed for this long.
BACK_OFFICE_RETRY_FIRST = float(env("BACK_OFFICE_RETRY_FIRST") or 60)
BACK_OFFICE_RETRY_LONGEST = float(env("BACK_OFFICE_RETRY_LONGEST") or 6 * 3600)
BACK_OFFICE_GIVE_UP_AFTER = float(env("BACK_OFFICE_GIVE_UP_AFTER") or 2 * 24 * 3600)
#: Seconds to wait for a back office to answer.
BACK_OFFICE_TIMEOUT = float(env("BACK_OFFICE_TIMEOUT") or 20)
#: Back offices may be on private or local addresses only when this is set: otherwise a
#: body's administrator could make the site fetch addresses inside its own network.
BACK_OFFICE_ALLOW_PRIVATE_ADDRESSES = env_bool("BACK_OFFICE_ALLOW_PRIVATE_ADDRESSES")

# Public performance figures at /performance/ (docs/performance.md).
#: Seconds between the worker's refreshes of the rollups the pages read.
PERFORMANCE_REFRESH_SECONDS = float(env("PERFORMANCE_REFRESH_SECONDS") or 300)
#: Requests each refresh re-checks in order of id, round and round, besides those that
#: changed: it puts right what no timestamp shows (a follower confirming, a bulk write).
PERFORMANCE_SWEEP_REQUESTS = int(env("PERFORMANCE_SWEEP_REQUESTS") or 5000)
