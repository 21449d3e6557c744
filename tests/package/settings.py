"""
The smallest Django project that serves the plugin's admin from an installed wheel.

``check_wheel.py`` copies this file and ``installed_check.py`` into a temporary folder and runs
them with a fresh virtualenv's Python, so that nothing is imported from the source tree.
"""

SECRET_KEY = "wheel-check-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
USE_TZ = True
ROOT_URLCONF = "urls"
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.messages",
    "django.contrib.sessions",
    "django.contrib.staticfiles",
    "periodic_instructor_reports",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
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
BROKER_URL = "memory://"
OPENEDX_TELEMETRY = []

# The plugin's settings, applied as the LMS plugin machinery applies them.
import sys  # noqa: E402

from periodic_instructor_reports.settings import common as _plugin_settings  # noqa: E402

_plugin_settings.plugin_settings(sys.modules[__name__])
