"""
Django settings for running the tests.

The platform is not installable here, so ``tests/stand_in`` holds a stand-in of the parts of
``lms.djangoapps`` the plugin calls; it is put on ``sys.path`` here and never packaged.
"""
import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
STAND_IN_DIR = str(BASE_DIR / "tests" / "stand_in")
if STAND_IN_DIR not in sys.path:
    sys.path.insert(0, STAND_IN_DIR)

SECRET_KEY = "insecure-test-key"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "tests.urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
# Tests log users in; a fast hasher keeps that from dominating the run time.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# PIR_TEST_DB picks the database: sqlite (default, in memory), postgres or mysql (the local
# services CI runs; Django creates and drops a test_<NAME> database on them).
_DATABASES = {
    "sqlite": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"},
    "postgres": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("PIR_DB_NAME", "test"),
        "USER": os.environ.get("PIR_DB_USER", "postgres"),
        "HOST": os.environ.get("PIR_DB_HOST", "127.0.0.1"),
        "PORT": os.environ.get("PIR_DB_PORT", "5432"),
    },
    "mysql": {
        "ENGINE": "django.db.backends.mysql",
        "NAME": os.environ.get("PIR_DB_NAME", "test"),
        "USER": os.environ.get("PIR_DB_USER", "root"),
        "PASSWORD": os.environ.get("PIR_DB_PASSWORD", ""),
        "HOST": os.environ.get("PIR_DB_HOST", "127.0.0.1"),
        "PORT": os.environ.get("PIR_DB_PORT", "3306"),
        "OPTIONS": {"charset": "utf8mb4"},
        "TEST": {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"},
    },
}
DATABASES = {"default": _DATABASES[os.environ.get("PIR_TEST_DB", "sqlite")]}

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
    "django.contrib.sessions",
    "django.contrib.sites",
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

# Logging in for a report download goes through the admin's login page here.
LOGIN_URL = "/admin/login/"
# As in the LMS: bridgekeeper answers the platform's rule-based permissions (instructor.research).
AUTHENTICATION_BACKENDS = [
    "bridgekeeper.backends.RulePermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # As in the LMS: the JWT cookie's two halves are put together for JwtAuthentication.
    "edx_rest_framework_extensions.auth.jwt.middleware.JwtAuthCookieMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
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

# JWT authentication configured as the LMS configures it (lms/envs/common.py JWT_AUTH, and a key
# pair as lms/envs/test.py and production have): edx-drf-extensions' test utilities sign with the
# first issuer's secret (generate_jwt) or the private key (generate_asymmetric_jwt_token). Without
# JWT_PUBLIC_SIGNING_JWK_SET edx-drf-extensions 10 accepts a token signed with any key.
def _jwt_key_pair():
    import json

    from cryptography.hazmat.primitives.asymmetric import rsa
    from jwt.algorithms import RSAAlgorithm

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = {**json.loads(RSAAlgorithm.to_jwk(key)), "kid": "test-key"}
    public = {**json.loads(RSAAlgorithm.to_jwk(key.public_key())), "kid": "test-key"}
    return json.dumps(private), json.dumps({"keys": [public]})


_JWT_PRIVATE_KEY, _JWT_PUBLIC_KEYS = _jwt_key_pair()
_JWT_SECRET = "lms-secret-of-the-plugin-tests-0123456789"
JWT_AUTH = {
    "JWT_VERIFY_EXPIRATION": True,
    "JWT_PAYLOAD_GET_USERNAME_HANDLER": lambda payload: payload.get("username"),
    "JWT_LEEWAY": 1,
    "JWT_DECODE_HANDLER": "edx_rest_framework_extensions.auth.jwt.decoder.jwt_decode_handler",
    "JWT_AUTH_COOKIE": "edx-jwt-cookie",
    "JWT_VERIFY_AUDIENCE": False,
    "JWT_ISSUER": "http://lms.test:8000/oauth2",
    "JWT_AUDIENCE": "lms-key",
    "JWT_SECRET_KEY": _JWT_SECRET,
    "JWT_ISSUERS": [
        {"ISSUER": "http://lms.test:8000/oauth2", "AUDIENCE": "lms-key", "SECRET_KEY": _JWT_SECRET},
    ],
    "JWT_ALGORITHM": "HS256",
    "JWT_SUPPORTED_VERSION": "1.2.0",
    "JWT_PUBLIC_SIGNING_JWK_SET": _JWT_PUBLIC_KEYS,
    "JWT_PRIVATE_SIGNING_JWK": _JWT_PRIVATE_KEY,
    "JWT_SIGNING_ALGORITHM": "RS512",
    "JWT_AUTH_COOKIE_HEADER_PAYLOAD": "edx-jwt-cookie-header-payload",
    "JWT_AUTH_COOKIE_SIGNATURE": "edx-jwt-cookie-signature",
    "JWT_AUTH_HEADER_PREFIX": "JWT",
}

# The LMS configures Celery from Django settings without a namespace (old-style names).
CELERY_ALWAYS_EAGER = True
# As a worker does: a task that raises ends through its base class (a report's row as FAILURE),
# not back in the caller of ``apply_async``.
CELERY_EAGER_PROPAGATES_EXCEPTIONS = False
BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None

# What a test run writes outside the database goes to a folder of its own, removed when it ends:
# the report store of tests that do not make their own, and Hypothesis's example database.
_RUN_DIR = tempfile.mkdtemp(prefix="pir-tests-")
atexit.register(shutil.rmtree, _RUN_DIR, ignore_errors=True)
_REPORTS_DIR = os.environ.get("PIR_TEST_REPORTS_DIR") or os.path.join(_RUN_DIR, "reports")
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(_RUN_DIR, "hypothesis"))
GRADES_DOWNLOAD = {
    "STORAGE_CLASS": "django.core.files.storage.FileSystemStorage",
    "STORAGE_KWARGS": {"location": _REPORTS_DIR},
}
LMS_BASE = "lms.test:8000"
# Schedules of a minute are allowed here (the default minimum is an hour); tests of the rule
# set it themselves.
PERIODIC_INSTRUCTOR_REPORTS_MIN_INTERVAL = 60
# The site's cap on reports in flight is on by default; the tests of pacing turn it on themselves
# (tests/test_pacing.py), the others submit every course at once as without it.
PERIODIC_INSTRUCTOR_REPORTS_MAX_IN_FLIGHT = 0
# No APM agent is installed here.
OPENEDX_TELEMETRY = []
# The platform stand-in logs a warning with every submission, as the platform does: not in test output.
# Tests assert the log lines they expect (assertLogs); the rest, expected refusals and failures
# included, stay out of the runner's output (a handler on the root keeps Python's last-resort
# printing of warnings and tracebacks away).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "root": {"handlers": ["null"], "level": "WARNING"},
    "loggers": {"lms.djangoapps.instructor_task.api_helper": {"level": "ERROR"}},
}

# Apply the plugin's settings the way the LMS plugin machinery does.
from periodic_instructor_reports.settings import test as _plugin_test_settings  # noqa: E402

_plugin_test_settings.plugin_settings(sys.modules[__name__])
