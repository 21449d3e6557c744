"""
Settings of the benchmark: the test settings, with reports sent to a real broker and the LMS's logging.

The platform stand-in's ``submit_task`` then does what the LMS does for each course: look for an
unfinished task row, insert one, publish one message (on Redis, ``PIR_BENCH_BROKER``), and log
the warning the platform logs with every submission. Logging is configured as the LMS configures
it on Tutor (``get_logger_config`` with Tutor's file handler): everything at INFO and above, in
the standard format, to the console stream and to a file; here both streams are files in a
temporary folder (emptied at each start), so the figures printed stay readable. The database is
``PIR_TEST_DB``'s, named ``test_pir_bench`` (``test_`` and ``PIR_DB_NAME``, if set; created and
dropped by the benchmark). The site-wide cap on reports in flight is off, as in the test
settings, unless ``PIR_BENCH_MAX_IN_FLIGHT`` sets it (high enough not to wait, it shows what
pacing costs).
"""

import os
import tempfile

os.environ.setdefault("PIR_DB_NAME", "pir_bench")

from test_settings import *  # noqa: E402,F401,F403

CELERY_ALWAYS_EAGER = False
PERIODIC_INSTRUCTOR_REPORTS_MAX_IN_FLIGHT = int(os.environ.get("PIR_BENCH_MAX_IN_FLIGHT", "0"))
BROKER_URL = os.environ.get("PIR_BENCH_BROKER", "redis://127.0.0.1:6379/12")

LOG_DIR = os.path.join(tempfile.gettempdir(), "pir-bench-logs")
os.makedirs(LOG_DIR, exist_ok=True)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "standard": {
            "format": "%(asctime)s %(levelname)s %(process)d [%(name)s] [user %(userid)s] "
                      "[ip %(remoteip)s] %(filename)s:%(lineno)d - %(message)s",
        },
    },
    "filters": {
        "userid_context": {"()": "edx_django_utils.logging.UserIdFilter"},
        "remoteip_context": {"()": "edx_django_utils.logging.RemoteIpFilter"},
    },
    "handlers": {
        "console": {
            "level": "INFO", "class": "logging.FileHandler", "formatter": "standard",
            "filters": ["userid_context", "remoteip_context"],
            "filename": os.path.join(LOG_DIR, "console.log"), "mode": "w",
        },
        "local": {
            "class": "logging.handlers.WatchedFileHandler", "formatter": "standard",
            "filename": os.path.join(LOG_DIR, "all.log"), "mode": "w",
        },
    },
    "loggers": {"": {"handlers": ["console", "local"], "level": "INFO", "propagate": False}},
}
