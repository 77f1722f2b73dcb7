"""Django settings, driven by environment variables (see pop.config)."""
from __future__ import annotations

import dj_database_url

from pop import config

DATA_DIR = config.data_dir()
SECRET_KEY = config.secret_key()
DEBUG = config.debug()
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django_tasks",
    "django_tasks_db",
    "dsfr",
    "pop.catalog",
    "pop.search",
    "pop.api",
    "pop.public",
    "pop.iiif",
    "pop.exports",
    "pop.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "pop.iiif.middleware.TextGZipMiddleware",  # Django's GZip, minus already-compressed images
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "pop.web.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "pop.urls"
WSGI_APPLICATION = "pop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dsfr.context_processors.site_config",
                "pop.web.context.site",
            ],
        },
    },
]

_db = dj_database_url.parse(config.database_url(), conn_max_age=600)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL mode and sensible pragmas are set on every connection. 16 KiB pages (a new database's page
    # size is fixed before it switches to WAL; an existing one keeps its own): records of about 1 KB
    # and their indexes take fewer B-tree pages, which measured ≈ 4 µs less per stored record.
    _db["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE",
                      "init_command": "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                                      "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000; PRAGMA cache_size=-65536;"}
    _db["TEST"] = {"NAME": str(DATA_DIR / "test-pop.sqlite3")}
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "images", "exports"]},
}

LANGUAGE_CODE = "fr"
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(DATA_DIR / "media")}},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_MAX_AGE = 3600
# Files found by the finders would shadow the collected, compressed copies: use the finders only
# when nothing was collected (tests, development); `pop serve` collects at start.
WHITENOISE_USE_FINDERS = not (STATIC_ROOT / "dsfr").is_dir()

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 5000}}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"pop": {"level": "INFO"}},
}

SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Platform knobs (documented in README)
POP_SITE_URL = __import__("os").environ.get("POP_SITE_URL", "http://127.0.0.1:8000")
POP_MAP_TILE_URL = __import__("os").environ.get("POP_MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
# JSON file of the home page's highlighted selections (default: pop/public/data/selections.json)
POP_HOME_SELECTIONS = __import__("os").environ.get("POP_HOME_SELECTIONS", "")
POP_SEARCH_MAX_SIZE = config.env_int("POP_SEARCH_MAX_SIZE", 2000)
# IIIF images (pop.iiif): rights cap for restricted reproduction (long side, px), rights cache (s),
# tile cache budget (MB), upload limits (bytes, pixels).
POP_IIIF_RESTRICTED_MAX = config.env_int("POP_IIIF_RESTRICTED_MAX", 800)
POP_IIIF_RIGHTS_TTL = config.env_int("POP_IIIF_RIGHTS_TTL", 10)
POP_IIIF_CACHE_MAX_MB = config.env_int("POP_IIIF_CACHE_MAX_MB", 1024)
POP_IIIF_MAX_UPLOAD_BYTES = config.env_int("POP_IIIF_MAX_UPLOAD_BYTES", 300 * 1024 * 1024)
POP_IIIF_MAX_PIXELS = config.env_int("POP_IIIF_MAX_PIXELS", 250_000_000)
# Exports (pop.exports): streamed up to POP_EXPORT_STREAM_LIMIT records, background task above; hard limit
# for anonymous visitors; concurrent exports per visitor; hours a finished file stays downloadable.
POP_EXPORT_STREAM_LIMIT = config.env_int("POP_EXPORT_STREAM_LIMIT", 50_000)
POP_EXPORT_ANON_MAX_ROWS = config.env_int("POP_EXPORT_ANON_MAX_ROWS", 1_000_000)
POP_EXPORT_MAX_CONCURRENT = config.env_int("POP_EXPORT_MAX_CONCURRENT", 2)
POP_EXPORT_KEEP_HOURS = config.env_int("POP_EXPORT_KEEP_HOURS", 24)
POP_EXPORT_PARALLEL_MIN = config.env_int("POP_EXPORT_PARALLEL_MIN", 20_000)  # file exports from this size use two processes; 0 = never
