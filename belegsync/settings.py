"""Django settings, all of it derived from :mod:`belegsync.config` (the environment)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from belegsync import config as _config
from belegsync.connectors import registry

_config.private_files()
CONFIG = _config.load()
BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = CONFIG.data_dir

SECRET_KEY = CONFIG.secret_key
DEBUG = CONFIG.debug
ALLOWED_HOSTS = list(CONFIG.allowed_hosts)
CSRF_TRUSTED_ORIGINS = list(CONFIG.csrf_trusted_origins)
FERNET_KEYS = CONFIG.fernet_keys

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "django_tasks",
    "django_tasks_db",
    # the REST API; "ninja" serves its docs page from its own static files, no CDN
    "ninja",
    "axes",
    "belegsync.documents",
    "belegsync.sync",
    "belegsync.exports",
    "belegsync.fakes",
    # the adapters' folders with templates or an app config (connectors/registry.py)
    *registry.app_packages(),
    "belegsync.web",
    "belegsync.api",
    "belegsync.webhooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # every page's role rule (web/roles.py): what declares none is refused
    "belegsync.web.roles.RoleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # turns a locked-out login into the lockout page (django-axes)
    "axes.middleware.AxesMiddleware",
    # last, so it sees a view's exception first: a locked or full database, unreadable keys
    "belegsync.web.outage.OutageMiddleware",
]

ROOT_URLCONF = "belegsync.urls"
WSGI_APPLICATION = "belegsync.wsgi.application"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# Accounts (docs/operations.md, "Logins"): passwords Django's validators accept, and
# logins throttled by django-axes per user name and per address, each on its own: after
# five failures within the cool-off, that user (from anywhere) and that address (for any
# user) are refused for 15 minutes, the right password included.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "belegsync.web.views.auth.locked_out"
# the visitor's address: the connection's, or behind proxies the one they wrote into the
# header the operator named (BELEGSYNC_CLIENT_IP_HEADER, web/client_ip.py)
AXES_CLIENT_IP_CALLABLE = "belegsync.web.client_ip.client_ip"
BELEGSYNC_CLIENT_IP_HEADER = CONFIG.client_ip_header
BELEGSYNC_TRUSTED_PROXIES = CONFIG.trusted_proxies
# failures are kept (AccessAttempt); a row per successful login is not needed
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "belegsync.web.roles.may",
            ],
        },
    },
]

DATABASES = {"default": CONFIG.database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": {
            "database": "django_tasks_db.DatabaseBackend",
            "rq": "django_tasks_rq.RQBackend",
            "immediate": "django_tasks.backends.immediate.ImmediateBackend",
        }[CONFIG.task_backend],
        "QUEUES": ["default", "sync"],
    }
}
if CONFIG.task_backend == "rq":
    INSTALLED_APPS.append("django_rq")
    RQ_QUEUES = {q: {"URL": CONFIG.redis_url} for q in ("default", "sync")}

# Sync engine (belegsync/sync): where the per-account rate buckets live (database,
# redis, process) and how long claims and cycles are leased; docs/operations.md.
BELEGSYNC_SHARED_LIMITER = CONFIG.shared_limiter
BELEGSYNC_REDIS_URL = CONFIG.redis_url
BELEGSYNC_LEASE_SECONDS = CONFIG.lease_seconds
BELEGSYNC_CYCLE_LEASE_SECONDS = CONFIG.cycle_lease_seconds
# REST API (belegsync/api): requests per token and minute; docs/api.md
BELEGSYNC_API_REQUESTS_PER_MINUTE = CONFIG.api_requests_per_minute
BELEGSYNC_PAUSE_AFTER_FAILED_CYCLES = CONFIG.pause_after_failed_cycles
# Billbee's webhooks call this address (BELEGSYNC_PUBLIC_URL, sources/billbee/models.py)
BELEGSYNC_PUBLIC_URL = CONFIG.public_url

# Notifications by e-mail (sync/notify.py), from BELEGSYNC_SMTP_* (docs/configuration.md)
EMAIL_BACKEND = CONFIG.mail["EMAIL_BACKEND"]
EMAIL_HOST = CONFIG.mail["EMAIL_HOST"]
EMAIL_PORT = CONFIG.mail["EMAIL_PORT"]
EMAIL_HOST_USER = CONFIG.mail["EMAIL_HOST_USER"]
EMAIL_HOST_PASSWORD = CONFIG.mail["EMAIL_HOST_PASSWORD"]
EMAIL_USE_TLS = CONFIG.mail["EMAIL_USE_TLS"]
EMAIL_USE_SSL = CONFIG.mail["EMAIL_USE_SSL"]
EMAIL_TIMEOUT = CONFIG.mail["EMAIL_TIMEOUT"]
DEFAULT_FROM_EMAIL = CONFIG.mail["DEFAULT_FROM_EMAIL"]
BELEGSYNC_NOTIFY_BY_MAIL = CONFIG.mail["BELEGSYNC_NOTIFY_BY_MAIL"]
BELEGSYNC_MAIL_LANGUAGE = CONFIG.mail["BELEGSYNC_MAIL_LANGUAGE"]
BELEGSYNC_DIGEST_HOUR = CONFIG.mail["BELEGSYNC_DIGEST_HOUR"]

LANGUAGE_CODE = "en"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = CONFIG.time_zone
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns about a missing root; files come from finders
# uploads and their folders as private as everything else (Django's default is 0644)
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "files")},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve static files straight from the apps, so `belegsync run` needs no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Behind TLS (BELEGSYNC_HTTPS=1, docs/configuration.md): cookies only over https, HSTS,
# plain http redirected; the proxy's header is trusted only when it is named.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_SSL_REDIRECT = CONFIG.https
SECURE_HSTS_SECONDS = CONFIG.hsts_seconds
SECURE_HSTS_INCLUDE_SUBDOMAINS = CONFIG.https
if CONFIG.proxy_header:
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + CONFIG.proxy_header.upper().replace("-", "_"), "https")
# HSTS preload is a promise about the whole domain that only its owner can make
SILENCED_SYSTEM_CHECKS = ["security.W021"]
# No inline script or style anywhere: everything comes from our static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "line"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "belegsync": {"level": "INFO"},
        "django_tasks": {"level": "WARNING"},
        "django_tasks_db": {"level": "WARNING"},
    },
}
