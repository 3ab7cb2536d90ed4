"""Settings shared by every environment; each value comes from the environment.

Without DATABASE_URL the portal runs on SQLite under var/; without REDIS_URL Celery
uses kombu's filesystem transport under var/broker, so a fresh machine needs no
server at all. With both set, the same code runs on PostgreSQL and Redis.
"""

import ipaddress
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# ---------------------------------------------------------------- core
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "guardian",
    "auditlog",
    "axes",
    "csp",
    # Two-step sign-in: TOTP authenticator apps and single-use recovery codes (kam/mfa.py), as
    # devices of kam's own (secret encrypted, codes hashed) rather than django-otp's plugins.
    "django_otp",
    "kam",
    "accounts",
    "groups.apps.GroupsConfig",
    "esg",
    "interactions",
    "privacy",
    "relationships",
    "risk",
    "dashboard",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the code step (django-otp).
    "django_otp.middleware.OTPMiddleware",
    "kam.middleware.UserLanguageMiddleware",
    "kam.middleware.UserSessionMiddleware",
    # Sends a session that owes the code step to it (or to enrolment) before any other page.
    "kam.middleware.MFARequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "kam.middleware.ClientAddressAuditlogMiddleware",
    # Axes must be last: it inspects the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]
# `make bench` only: the SQL time and query count of each request in response headers
# (kam/bench.py); outermost, so that it sees every query, sessions and auth included.
if env.bool("KAM_BENCH_SQL_TIMING", default=False):
    MIDDLEWARE.insert(0, "kam.bench.SqlTimingMiddleware")

ROOT_URLCONF = "kam.urls"
WSGI_APPLICATION = "kam.wsgi.application"
AUTH_USER_MODEL = "kam.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kam.context_processors.roles",
            ],
        },
    },
]

# ---------------------------------------------------------------- database
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'kam.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite with a worker and beat beside the web: WAL and a busy timeout avoid "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ---------------------------------------------------------------- auth
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): a username is locked after repeated failures from any
# addresses (credential stuffing spreads its tries), and an address after repeated failures
# on any usernames (password spraying). A sign-in clears the failures of its username only,
# so a working login cannot wipe an address's record of tries at other accounts.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username"], ["ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_HANDLER = "kam.login_throttle.LoginAttemptHandler"
AXES_USERNAME_CALLABLE = "kam.login_throttle.attempted_username"
AXES_CLIENT_IP_CALLABLE = "kam.client_address.client_address"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Wrong two-step codes count as failed sign-ins too (kam/mfa.py): never record what was typed.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "code"]

# Two-step sign-in (django-otp; kam/mfa.py). The roles whose sessions must pass the code step
# (an authenticator app's code or a recovery code) before any page: role names of kam.roles.Role,
# comma-separated; empty requires it of no role. Staff must pass it for Django admin whatever
# their roles. Anyone else may enrol, and is then asked for a code at every sign-in.
MFA_REQUIRED_ROLES = [
    name.strip()
    for name in env.list(
        "MFA_REQUIRED_ROLES", default=["Administrator", "Executive", "Compliance", "Risk officer"]
    )
    if name.strip()
]
MFA_REQUIRED_FOR_ADMIN = True
# Recovery codes made at enrolment and at each regeneration (each replaces the last set).
MFA_RECOVERY_CODES = 10
# How long one enrolment attempt keeps its secret (kept in the session, encrypted): then the
# set-up page shows a new one.
MFA_ENROLMENT_SECONDS = 15 * 60
# How long the one-time enrolment code that an administrator's reset issues stays valid.
MFA_ENROLMENT_CODE_HOURS = env.int("MFA_ENROLMENT_CODE_HOURS", default=72)
# `check --deploy` (kam.E008) refuses a production configuration whose MFA_REQUIRED_ROLES
# leaves out Administrator, unless this acknowledges it.
MFA_ALLOW_OPTIONAL_ADMIN = env.bool("MFA_ALLOW_OPTIONAL_ADMIN", default=False)
OTP_TOTP_ISSUER = "KAM Portal"
# Throttling of each device (django-otp): after n wrong codes in a row the device refuses every
# code for 2**(n-1) seconds, until a right one; a password sign-in does not reset it.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1


def _networks(setting: str) -> list[str]:
    try:
        return [
            str(ipaddress.ip_network(item.strip(), strict=False))
            for item in env.list(setting, default=[])
            if item.strip()
        ]
    except ValueError as error:
        raise ImproperlyConfigured(f"{setting}: {error}") from error


# The proxies (addresses or networks) whose X-Forwarded-For is believed, and only the hops they
# appended (kam/client_address.py); from any other peer the header is ignored. Unset: none, the
# peer is the client. An entry that is not an address or network stops the portal starting.
TRUSTED_PROXIES = _networks("TRUSTED_PROXIES")

# django-guardian: no anonymous user row; object permissions for groups only in practice.
ANONYMOUS_USER_NAME = None
GUARDIAN_MONKEY_PATCH_USER = False

# ---------------------------------------------------------------- sessions and security
# Sessions live in the database alone (Django's "db" engine): one indexed read per request,
# and a logout holds whatever the cache does (the "cached_db" engine fails a login while Redis
# is unreachable, and a session deleted then comes back from the cache when it returns).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 60 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# A session's "last seen" (the sessions page) is written at most this often, so an ordinary
# request costs no write; it is that stale at worst.
USER_SESSION_SEEN_SECONDS = 5 * 60
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp 4): no inline scripts or styles, no third-party hosts.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# ---------------------------------------------------------------- i18n
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True
DEFAULT_CURRENCY = "CNY"
# Banks in China group amounts by thousands (1,250,000.00); Django's zh_Hans default does not.
FORMAT_MODULE_PATH = ["kam.formats"]

# ---------------------------------------------------------------- static files
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# ---------------------------------------------------------------- personal data
# The cipher of newly written values: "fernet" or "sm4-gcm" (国密 SM4). Values written under
# either stay readable while both key lists hold their keys; switch, then run
# `manage.py rotate_encryption_keys` to re-encrypt everything (kam/crypto.py).
FIELD_ENCRYPTION_ALGORITHM = env("FIELD_ENCRYPTION_ALGORITHM", default="fernet")
# Fernet keys, newest first, comma-separated. Rotation: put a new key in front, run
# `manage.py rotate_encryption_keys`, then drop the old key.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
# SM4 keys (128 bits, base64), newest first, comma-separated; rotated the same way.
FIELD_ENCRYPTION_SM4_KEYS = env.list("FIELD_ENCRYPTION_SM4_KEYS", default=[])
# Key for the HMAC blind indexes that make exact phone/e-mail lookup possible.
BLIND_INDEX_KEY = env("BLIND_INDEX_KEY", default="")

# ---------------------------------------------------------------- audit
AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_MASK_CALLABLE = "kam.masking.mask_value"
# Rows loaded from fixtures (loaddata, test database restores) are not changes anyone made.
AUDITLOG_DISABLE_ON_RAW_SAVE = True
# An export of at least this many rows asks why it is needed; the reason is logged with it.
EXPORT_REASON_MIN_ROWS = env.int("EXPORT_REASON_MIN_ROWS", default=1000)
# An export containing data of this data-security level or higher (JR/T 0197, 1-5:
# kam/data_levels.py) asks why it is needed whatever its size.
EXPORT_REASON_MIN_LEVEL = env.int("EXPORT_REASON_MIN_LEVEL", default=3)

# ---------------------------------------------------------------- PIPL
# Calendar days to answer a data-subject request. PIPL art. 50 sets no period; 15 days is
# common practice (within GB/T 35273's 30 days and the regulators' 15 working days for apps).
PRIVACY_REQUEST_DUE_DAYS = env.int("PRIVACY_REQUEST_DUE_DAYS", default=15)
# Contacts anonymised per task of the daily retention job.
PRIVACY_RETENTION_CHUNK_SIZE = env.int("PRIVACY_RETENTION_CHUNK_SIZE", default=500)
# Days a closed data-subject request keeps the person's name, what they wrote and where to
# answer them, as evidence of how it was answered (three years: the general limitation period
# of the Civil Code, art. 188); the retention job erases them after.
PRIVACY_REQUEST_RETENTION_DAYS = env.int("PRIVACY_REQUEST_RETENTION_DAYS", default=1096)

# ---------------------------------------------------------------- e-mail
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="kam-portal@localhost")
# Links in e-mails point here.
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000")
if env("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))

# ---------------------------------------------------------------- cache
# Pages are computed on every request and access is decided per request from the database;
# the one thing kept is the executive dashboard's computed figures (DASHBOARD_CACHE_SECONDS,
# the page shows as of when). CACHE_URL if set; else Redis when REDIS_URL is set (a key
# prefix keeps it apart from Celery's keys); else files under var/cache. When the cache is
# unreachable the dashboard computes live.
if env("CACHE_URL", default=""):
    CACHES = {"default": env.cache_url("CACHE_URL")}
elif env("REDIS_URL", default=""):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env("REDIS_URL"),
            "KEY_PREFIX": "kam-cache",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    }
# How long a computed executive dashboard is kept for readers of the same reach and filters
# (dashboard); 0 computes every view. The lists behind its figures are always live.
DASHBOARD_CACHE_SECONDS = env.int("DASHBOARD_CACHE_SECONDS", default=60)

# ---------------------------------------------------------------- Celery
REDIS_URL = env("REDIS_URL", default="")
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, Any]
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    # Tasks are acknowledged late; a task not acknowledged within this window is
    # redelivered, so every time limit below stays well inside it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    CELERY_BROKER_URL = "filesystem://"
    CELERY_RESULT_BACKEND = None
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_RESULT_EXPIRES = 24 * 60 * 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Accounts per tiering recompute chunk (one task, a fixed number of queries each).
TIERING_CHUNK_SIZE = env.int("TIERING_CHUNK_SIZE", default=500)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The schedule is static; each entry says why it runs when it does.
CELERY_BEAT_SCHEDULE = {
    # Expired sessions (Django's `clearsessions`), with their rows of the sessions page: daily
    # at 04:20 Beijing time; idempotent, so a missed or repeated run does no harm.
    "kam-sessions-clear": {
        "task": "kam.sessions_clear_expired",
        "schedule": crontab(hour=4, minute=20),
        "options": {"expires": 6 * 60 * 60},
    },
    # Quarterly snapshots behind the dashboards' trends and the supervision scorecards: hourly
    # at :23 (clear of the risk scan at :07), so scorecards are at most an hour old. The
    # dispatcher queues one chunk task per range of accounts for the current quarter (and for
    # an earlier quarter of the last eight when it is missing or not yet final); each chunk is
    # an upsert, so a retried or overlapping run rewrites the same rows.
    "dashboard-snapshots": {
        "task": "dashboard.snapshots_dispatch",
        "schedule": crontab(minute=23),
        "options": {"expires": 50 * 60},
    },
    # Verification of the change log's hash chain (kam.audit_chain): nightly at 03:10 Beijing
    # time, when few entries are written, so the compliance page always shows one at most a
    # day old. Each run is recorded; a broken chain shows there and fails the command.
    "kam-audit-verify": {
        "task": "kam.audit_verify_scheduled",
        "schedule": crontab(hour=3, minute=10),
        "options": {"expires": 6 * 60 * 60},
    },
    # PIPL retention: daily at 02:40 Beijing time, after the nightly rescoring has started and
    # before the working day. The dispatcher lists the contacts whose retention rule has run
    # out and queues them in chunks; each chunk checks again and anonymises a contact only
    # while it is not anonymised yet (a locked, conditional write), so a repeated or retried
    # run changes nothing twice.
    "privacy-retention": {
        "task": "privacy.retention_dispatch",
        "schedule": crontab(hour=2, minute=40),
        "options": {"expires": 6 * 60 * 60},
    },
    # Data-subject requests past their due date: daily at 08:05 Beijing time, as compliance
    # starts the day. Each request is claimed once (a conditional update) and its notices are
    # keyed, so a re-run tells no one twice.
    "privacy-requests-overdue": {
        "task": "privacy.requests_overdue",
        "schedule": crontab(hour=8, minute=5),
        "options": {"expires": 6 * 60 * 60},
    },
    # Proves the worker and beat are alive: the health page shows the last beat.
    "kam-heartbeat": {
        "task": "kam.tasks.heartbeat",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # Nightly rescoring of every account (tiering): after midnight Beijing time, when the day's
    # edits are in and before the review reminders read the tiers. The dispatcher splits the
    # book into chunks; the run is keyed by date, so a repeated or retried dispatch re-queues
    # only unfinished chunks. Edits rescore their account at once; this catches FX rates and
    # anything a queued task missed.
    "accounts-tiering-nightly": {
        "task": "accounts.tiering.recompute_all",
        "schedule": crontab(hour=1, minute=30),
        "args": ("nightly",),
        "options": {"expires": 4 * 60 * 60},
    },
    # Quarterly strategic review reminders (30/14/7 days before quarter end) and escalation of
    # overdue reviews: daily, early morning Beijing time, before RMs start their day. Once per
    # (account, quarter, stage) is enforced by a unique constraint, so a re-run is harmless.
    "interactions-review-reminders": {
        "task": "interactions.review_reminders_dispatch",
        "schedule": crontab(hour=6, minute=15),
        "options": {"expires": 6 * 60 * 60},
    },
    # SLA breach scan: every five minutes, so a breach is noticed (and escalated) within five
    # minutes of the deadline. One breach per (request, kind) is a unique constraint, so
    # overlapping or repeated runs record and notify nothing twice; a run that finds nothing
    # is two indexed queries. Expires before the next run would start.
    "interactions-sla-breach-scan": {
        "task": "interactions.sla_breach_scan",
        "schedule": 300.0,
        "options": {"expires": 290},
    },
    # Provisional SLA deadlines (a year the working calendar did not know yet): recomputed
    # daily at 05:40, before the working day, once an upgraded chinesecalendar knows the year.
    # Row locks and the flag make a repeated or overlapping run change nothing twice.
    "interactions-sla-provisional-deadlines": {
        "task": "interactions.sla_provisional_deadlines_refresh",
        "schedule": crontab(hour=5, minute=40),
        "options": {"expires": 6 * 60 * 60},
    },
    # Early-warning scan: hourly at :07 (off the hour, clear of the other jobs). The dispatcher
    # splits the accounts into chunks that any number of workers share; one active alert per
    # (account, rule) is a partial unique constraint, so an overlapping or retried run
    # duplicates nothing. Risk officers can also run it on demand.
    "risk-scan-hourly": {
        "task": "risk.scan_scheduled",
        "schedule": crontab(minute=7),
        "options": {"expires": 50 * 60},
    },
    # Compliance certificates of covenant tests: daily at 07:50 Beijing time, before RMs start
    # their day, each owner RM is reminded of a certificate due within two weeks and again once
    # it is overdue. Notifications are keyed by (covenant, test date, stage), so a repeated or
    # retried run tells no one twice.
    "risk-covenant-certificate-reminders": {
        "task": "risk.covenant_certificate_reminders",
        "schedule": crontab(hour=7, minute=50),
        "options": {"expires": 6 * 60 * 60},
    },
    # Escalation of alerts not acknowledged by their deadline (team lead, then executives):
    # every 15 minutes, so an escalation lands within a quarter hour of the deadline. Each
    # level happens once per alert (unique constraint and a conditional update).
    "risk-escalate-alerts": {
        "task": "risk.escalate_alerts",
        "schedule": 15 * 60.0,
        "options": {"expires": 14 * 60},
    },
}

# ---------------------------------------------------------------- logging
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
