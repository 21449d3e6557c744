"""
Django settings of the demo: the platform stand-in, the plugin and the admin on one machine.

By default everything is local files: an sqlite database and kombu's filesystem transport as the
Celery broker, so nothing but Python is needed. Environment variables point it at real services:
``DEMO_DB`` (sqlite, postgres or mysql, with ``DEMO_DB_NAME`` and ``DEMO_DB_HOST``...),
``DEMO_BROKER_URL`` (e.g. ``redis://127.0.0.1:6379/0``) and ``DEMO_RESULT_BACKEND``.
``DEMO_DIR`` is the folder for the database, broker files, logs and reports.
"""

import os
import sys
from pathlib import Path

from demo.databases import database

BASE_DIR = Path(__file__).resolve().parent.parent
# The stand-in answers at the platform's dotted paths (lms.djangoapps...); it is never packaged.
STAND_IN_DIR = str(BASE_DIR / "tests" / "stand_in")
if STAND_IN_DIR not in sys.path:
    sys.path.insert(0, STAND_IN_DIR)

DEMO_DIR = Path(os.environ.get("DEMO_DIR") or BASE_DIR / "var" / "demo").resolve()
REPORTS_DIR = DEMO_DIR / "reports"
BROKER_DIR = DEMO_DIR / "broker"
RESULTS_DIR = DEMO_DIR / "results"

SECRET_KEY = os.environ.get("DEMO_SECRET_KEY", "demo-only-insecure-key")
# runserver serves the admin's CSS only with DEBUG on; the demo listens on 127.0.0.1 only.
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "demo.urls"
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

DATABASES = {
    "default": database(
        os.environ.get("DEMO_DB", "sqlite"),
        name=os.environ.get("DEMO_DB_NAME", "pir_demo"),
        sqlite_path=DEMO_DIR / "db.sqlite3",
    ),
}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
    "django.contrib.sessions",
    "django.contrib.sites",
    "django.contrib.staticfiles",
    "common.djangoapps.student",
    "openedx.core.djangoapps.site_configuration",
    "openedx.core.djangoapps.content.course_overviews",
    "lms.djangoapps.instructor",
    "lms.djangoapps.instructor_task",
    "lms.djangoapps.ccx",
    "lms.djangoapps.certificates",
    "periodic_instructor_reports",
]

# The LMS's default site (lms/envs/common.py): the site a request on no other domain is on, and
# the one Site.objects.get_current() gives without a request.
SITE_ID = 1

# Logging in for a report download, for anyone (the admin's login admits staff only), as the LMS's /login.
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/admin/"
# As in the LMS: bridgekeeper answers the platform's rule-based permissions (instructor.research).
AUTHENTICATION_BACKENDS = [
    "bridgekeeper.backends.RulePermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # As in the LMS: the JWT cookie's two halves are put together for JwtAuthentication.
    "edx_rest_framework_extensions.auth.jwt.middleware.JwtAuthCookieMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]


def _jwt_signing_keys():
    """
    Return the site's JWT key pair (private JWK, public JWK set), made once per demo folder.

    The web server, the worker and beat read the same files, as the LMS's processes share
    ``JWT_PRIVATE_SIGNING_JWK`` and ``JWT_PUBLIC_SIGNING_JWK_SET``.
    """
    import json

    path = DEMO_DIR / "jwt-signing-key.json"
    if not path.exists():
        from cryptography.hazmat.primitives.asymmetric import rsa
        from jwt.algorithms import RSAAlgorithm

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        keys = {
            "private": {**json.loads(RSAAlgorithm.to_jwk(key)), "kid": "demo-key"},
            "public": {**json.loads(RSAAlgorithm.to_jwk(key.public_key())), "kid": "demo-key"},
        }
        DEMO_DIR.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(keys), encoding="utf-8")
        partial.replace(path)
    keys = json.loads(path.read_text(encoding="utf-8"))
    return json.dumps(keys["private"]), json.dumps({"keys": [keys["public"]]})


# JWT authentication configured as the LMS configures it (lms/envs/common.py JWT_AUTH): the
# course team's tab signs in with the JWT cookie /login_refresh sets (demo/lms_auth.py).
_JWT_PRIVATE_KEY, _JWT_PUBLIC_KEYS = _jwt_signing_keys()
JWT_AUTH = {
    "JWT_VERIFY_EXPIRATION": True,
    "JWT_LEEWAY": 1,
    "JWT_DECODE_HANDLER": "edx_rest_framework_extensions.auth.jwt.decoder.jwt_decode_handler",
    "JWT_AUTH_COOKIE": "edx-jwt-cookie",
    "JWT_VERIFY_AUDIENCE": False,
    "JWT_ISSUER": "http://127.0.0.1/oauth2",
    "JWT_AUDIENCE": "lms-key",
    "JWT_ISSUERS": [{"ISSUER": "http://127.0.0.1/oauth2", "AUDIENCE": "lms-key", "SECRET_KEY": SECRET_KEY}],
    "JWT_SECRET_KEY": SECRET_KEY,
    "JWT_ALGORITHM": "HS256",
    "JWT_SUPPORTED_VERSION": "1.2.0",
    "JWT_PUBLIC_SIGNING_JWK_SET": _JWT_PUBLIC_KEYS,
    "JWT_PRIVATE_SIGNING_JWK": _JWT_PRIVATE_KEY,
    "JWT_SIGNING_ALGORITHM": "RS512",
    "JWT_AUTH_COOKIE_HEADER_PAYLOAD": "edx-jwt-cookie-header-payload",
    "JWT_AUTH_COOKIE_SIGNATURE": "edx-jwt-cookie-signature",
    "JWT_AUTH_HEADER_PREFIX": "JWT",
    "JWT_IN_COOKIE_EXPIRATION": 60 * 60,
}
# Where the course team's tab page is served from: the host page frontend/host builds (Vite).
SCHEDULED_REPORTS_HOST_DIR = BASE_DIR / "frontend" / "host" / "dist"

# Celery, configured like the LMS: from Django settings, old-style names, no namespace.
BROKER_URL = os.environ.get("DEMO_BROKER_URL") or "filesystem://"
if BROKER_URL.startswith("filesystem"):
    # One folder holds every queue's messages; run.py creates it before any process starts.
    BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR),
        "data_folder_out": str(BROKER_DIR),
        # Otherwise kombu keeps its exchange tables in ./control, wherever the process runs.
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_RESULT_BACKEND = os.environ.get("DEMO_RESULT_BACKEND") or (
    BROKER_URL if BROKER_URL.startswith("redis") else RESULTS_DIR.as_uri()
)
CELERY_ALWAYS_EAGER = False
# The LMS's default queue; the dispatcher goes there (PERIODIC_INSTRUCTOR_REPORTS_QUEUE = None).
CELERY_DEFAULT_QUEUE = "edx.lms.core.default"
# How often beat looks for changed schedules at most, in seconds.
CELERYBEAT_MAX_LOOP_INTERVAL = int(os.environ.get("DEMO_BEAT_MAX_LOOP_INTERVAL", "5"))

# Where the platform's report store writes report files.
GRADES_DOWNLOAD = {
    "STORAGE_CLASS": "django.core.files.storage.FileSystemStorage",
    "STORAGE_KWARGS": {"location": str(REPORTS_DIR)},
}
LMS_BASE = f"127.0.0.1:{os.environ.get('DEMO_PORT', '8000')}"
# Links in e-mails and the download URLs the launcher prints point at the demo's own port.
LMS_ROOT_URL = f"http://{LMS_BASE}"
# The sample schedules run every few seconds so something happens while you watch; a real site
# keeps the default minimum of an hour between runs.
PERIODIC_INSTRUCTOR_REPORTS_MIN_INTERVAL = 1
# The follow-up job (following reports to their files) every 5 s rather than every minute.
PERIODIC_INSTRUCTOR_REPORTS_FOLLOW_UP_SECONDS = 5
# E-mails (such as failure notices to schedule owners) are printed in the worker's log.
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# No APM agent is installed here.
OPENEDX_TELEMETRY = []

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "periodic_instructor_reports": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# Apply the plugin's settings the way the LMS plugin machinery does.
from periodic_instructor_reports.settings import common as _plugin_settings  # noqa: E402

_plugin_settings.plugin_settings(sys.modules[__name__])
