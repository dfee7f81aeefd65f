"""Teamlead's settings: everything comes from the environment, with safe local defaults.

Without any variable set, the app runs on the embedded defaults of DESIGN.md: a
SQLite file, a Celery broker on kombu's filesystem transport and emails written to
``var/mail``. ``DATABASE_URL``, ``REDIS_URL`` and ``EMAIL_URL`` switch to the
production shape. Bad values fail loudly at start-up rather than at first use.
"""

import base64
import hashlib
import ipaddress
from datetime import timedelta
from pathlib import Path

import environ
from cryptography.fernet import Fernet
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


class _Env(environ.Env):
    """django-environ, failing with the variable's name when a number is not a number
    (its own error is a bare ``ValueError: invalid literal for int()``)."""

    def int(self, var, default=environ.Env.NOTSET):
        return self._number(var, default, int, "a whole number")

    def float(self, var, default=environ.Env.NOTSET):
        return self._number(var, default, float, "a number")

    def _number(self, var, default, cast, what: str):
        try:
            return self.get_value(var, cast=cast, default=default)
        except ValueError:
            raise ImproperlyConfigured(f"{var} must be {what}, not {self.str(var)!r}.") from None


env = _Env()

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "local-development-only-not-a-secret-" + "x" * 32

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
# The address links in emails point at; no request is around when a worker sends mail.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    "django_htmx",
    "template_partials",
    "axes",
    "csp",
    "teamlead",
    "practices",
    "proposals",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "teamlead.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Axes must come last: it answers locked-out sign-ins itself.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "teamlead.urls"
WSGI_APPLICATION = "teamlead.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            # ``person`` (one display rule for people, practices.web) and ``ago`` everywhere.
            "builtins": [
                "template_partials.templatetags.partials",
                "practices.templatetags.people",
                "practices.templatetags.moments",
            ],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "practices.context_processors.beat_warning",
            ],
        },
    },
]

FORM_RENDERER = "teamlead.forms.FormRenderer"

DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Tests that start a worker process need a test database on disk, not in memory;
    # it sits beside the main file so that two checkouts never share one.
    _db_file = Path(DATABASES["default"]["NAME"])
    DATABASES["default"]["TEST"] = {
        "NAME": str(_db_file.with_name(f"{_db_file.stem}-test.sqlite3"))
    }
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # libpq waits for an unreachable server as long as TCP does (minutes); a request
    # would hold its gunicorn worker until gunicorn kills it at 30 s. Past this many
    # seconds the page answers 503 (teamlead/errors.py) and the worker is free again.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int(
        "DATABASE_CONNECT_TIMEOUT", default=5
    )
    if DATABASES["default"]["OPTIONS"]["connect_timeout"] < 2:
        # libpq's own floor: it reads 1 as 2, and 0 as "wait forever".
        raise ImproperlyConfigured("DATABASE_CONNECT_TIMEOUT must be at least 2 (seconds).")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's Redis cache, made to miss instead of fail while Redis is down.
            "BACKEND": "teamlead.cache.OptionalRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "teamlead",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Renderings of proposal-page parts (proposals/selectors/page_cache.py). Their keys name
# their content, so each process may keep its own copy: no round trip to Redis, and no
# invalidation to share. About 40 KB an entry at most.
CACHES["pages"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "proposal-pages",
    "TIMEOUT": 10 * 60,
    "OPTIONS": {"MAX_ENTRIES": 300},
}

# Sessions and the sign-in throttle live in the database, never in the cache: the cache
# may be down (teamlead/cache.py) and signing in must still work. Django's and axes'
# defaults, written out so that nobody moves them to the cache unawares.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3 * 24 * 3600)

# Sign-in throttling: five failures for one account lock it for the cool-off time.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=1))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "practices.teams.forms.sign_in_username"
AXES_VERBOSE = False
# Locking per account is the point; an IP-wide lock would shut out a whole office behind NAT.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_IPWARE_PROXY_COUNT = env.int("AXES_PROXY_COUNT", default=0)

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
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

# Email: a folder of .eml files locally; SMTP (smtp+tls://user:pass@host:587) in production.
EMAIL_CONFIG = env.email_url("EMAIL_URL", default=f"filemail://{VAR_DIR / 'mail'}")
globals().update(EMAIL_CONFIG)
if EMAIL_CONFIG["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend":
    # django-environ drops the leading slash of filemail:///abs/path; the path is absolute.
    EMAIL_FILE_PATH = str(Path("/") / EMAIL_CONFIG["EMAIL_FILE_PATH"])
    # One .eml file per message (a mail client opens it), not Django's appended .log.
    EMAIL_BACKEND = "teamlead.mail.EmlFileBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Teamlead <teamlead@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 20

# Celery: Redis when REDIS_URL is set, else a broker that needs no server.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = {}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = Path(env.str("CELERY_FILESYSTEM_DIR", default=str(VAR_DIR / "celery")))
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir / "queue"),
        "data_folder_out": str(_queue_dir / "queue"),
        "control_folder": str(_queue_dir / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith("redis"):
    # Longer than any task may run, so Redis never redelivers a task still in progress.
    # A broker that does not answer fails a publish in seconds: the request that
    # publishes after its commit leaves the task in the outbox and answers.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 3}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 15 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 14 * 60
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Keeps each team's next few retros as rows; cheap when nothing is missing.
    "schedule-retros": {"task": "practices.retros.tasks.retro_schedule_teams", "schedule": 3600.0},
    # Cheap: one query finds the Jira connections whose sync is due; each gets a task.
    "plan-jira-syncs": {
        "task": "practices.tasks.plan_jira_syncs",
        "schedule": env.float("JIRA_SYNC_PLAN_SECONDS", default=60.0),
    },
    "close-due-proposals": {"task": "proposals.tasks.close_due_proposals", "schedule": 60.0},
    "remind-decision-reviews": {
        "task": "proposals.tasks.remind_decision_reviews",
        "schedule": 3600.0,
    },
    # Finds due reminders in the database and queues one send per person and occasion.
    "plan-reminders": {
        "task": "practices.tasks.plan_reminders",
        "schedule": env.float("REMINDER_PLAN_SECONDS", default=120.0),
    },
    # Publishes the tasks that requests recorded in the outbox while the broker was down
    # (practices/outbox/): how long an email waits at most once the broker is back.
    "relay-outbox": {
        "task": "practices.tasks.relay_outbox",
        "schedule": env.float("OUTBOX_RELAY_SECONDS", default=30.0),
    },
    # Proof of life: /healthz and the leads' banner report a beat silent for 15 minutes.
    "beat-heartbeat": {"task": "practices.tasks.beat_heartbeat", "schedule": 60.0},
}
# An outbox row published this many seconds ago whose task has not started (the broker
# lost it: a Redis without persistence restarted) or has died (its lease, the task's
# hard time limit + 30 s, ran out) is published again by the relay. A queue backlog
# longer than this only adds copies that find the row leased or gone and do nothing.
OUTBOX_REPUBLISH_SECONDS = env.int("OUTBOX_REPUBLISH_SECONDS", default=150)
if OUTBOX_REPUBLISH_SECONDS <= 0:
    raise ImproperlyConfigured("OUTBOX_REPUBLISH_SECONDS must be a positive number of seconds")
# A claimed reminder whose worker has not finished within this many seconds is taken
# again (the worker crashed, or the pool killed a send at its hard time limit). It must
# exceed that limit (practices.reminders.tasks.REMINDER_SEND_TIME_LIMIT, 120 s; enforced by the
# prefork pool, not by --pool solo/threads) so a live send is never overtaken; the 30 s
# on top absorb clock skew between worker hosts. A crash between the mail server taking
# a reminder and the row being marked sent resends it after this, with the same
# Message-ID.
REMINDER_CLAIM_TIMEOUT = env.int("REMINDER_CLAIM_TIMEOUT", default=150)
if CELERY_BEAT_SCHEDULE["plan-reminders"]["schedule"] <= 0:
    raise ImproperlyConfigured("REMINDER_PLAN_SECONDS must be > 0.")

# A Jira sync holds its connection's lease this long past its last renewal (every page
# renews it): the sync of a killed worker is taken over once it has expired.
JIRA_SYNC_LEASE_SECONDS = env.float("JIRA_SYNC_LEASE_SECONDS", default=120.0)
if JIRA_SYNC_LEASE_SECONDS <= 0 or CELERY_BEAT_SCHEDULE["plan-jira-syncs"]["schedule"] <= 0:
    raise ImproperlyConfigured("JIRA_SYNC_LEASE_SECONDS and JIRA_SYNC_PLAN_SECONDS must be > 0.")

# Private and local networks a Jira site may be on (CIDR, comma-separated), e.g. the
# company network of a Data Center site. Public addresses need no entry; link-local
# ones (cloud metadata) are refused even if listed. See practices/jira/addresses.py.
try:
    JIRA_ALLOWED_NETWORKS = [
        ipaddress.ip_network(network) for network in env.list("JIRA_ALLOWED_NETWORKS", default=[])
    ]
except ValueError as error:
    raise ImproperlyConfigured(f"JIRA_ALLOWED_NETWORKS: {error}") from None

# Jira API tokens are encrypted at rest with Fernet. JIRA_TOKEN_KEY is one key, or several
# separated by commas while rotating: the first encrypts, any of them decrypts.
JIRA_TOKEN_KEY = env.str("JIRA_TOKEN_KEY", default="")
if not JIRA_TOKEN_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "JIRA_TOKEN_KEY must be set when DJANGO_DEBUG is off. Make one with: python3 -c "
            "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
        )
    # Locally, a key derived from SECRET_KEY: stable across restarts, never used in production.
    JIRA_TOKEN_KEY = base64.urlsafe_b64encode(
        hashlib.sha256(f"jira-token-key:{SECRET_KEY}".encode()).digest()
    ).decode()
JIRA_TOKEN_KEYS = [key.strip() for key in JIRA_TOKEN_KEY.split(",") if key.strip()]
for _key in JIRA_TOKEN_KEYS:
    try:
        Fernet(_key)
    except ValueError:
        raise ImproperlyConfigured(
            "JIRA_TOKEN_KEY holds a value that is not a Fernet key (32 url-safe base64 bytes)."
        ) from None

# Content-Security-Policy: no inline script, htmx and our js come from /static/.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # /healthz is probed over plain HTTP from inside the compose network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "filters": {"client_errors": {"()": "teamlead.logs.ClientErrorsWithoutTraceback"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        # Django's own config gives "django" a console handler too (when DEBUG), so each
        # record was printed twice; the root's handler alone prints it once.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.request": {"filters": ["client_errors"]},
    },
}
