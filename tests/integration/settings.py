"""
Django settings of the integration suite: the demo's project on Redis and a real database.

``PIR_IT_DB`` picks the database (postgres or mysql; the suite creates and drops ``pir_integration``),
``PIR_IT_REDIS_URL`` the Redis database used as broker and result backend, ``PIR_IT_REPORTS_DIR``
where report files go, ``PIR_IT_MAIL_DIR`` where e-mails go.
"""

import os

from demo.databases import database
from demo.settings import *  # noqa: F403  (the demo's project: stand-in LMS, plugin, admin)

DATABASES = {
    "default": database(
        os.environ.get("PIR_IT_DB", "postgres"), name=os.environ.get("PIR_IT_DB_NAME", "pir_integration")
    ),
}
# A Redis database of its own (the suite flushes it): broker, and results the tests read.
BROKER_URL = os.environ.get("PIR_IT_REDIS_URL", "redis://127.0.0.1:6379/13")
BROKER_TRANSPORT_OPTIONS = {}
CELERY_RESULT_BACKEND = BROKER_URL
# Beat looks for changed schedules every second, so the suite waits little for it.
CELERYBEAT_MAX_LOOP_INTERVAL = 1
GRADES_DOWNLOAD = {
    "STORAGE_CLASS": "django.core.files.storage.FileSystemStorage",
    "STORAGE_KWARGS": {"location": os.environ.get("PIR_IT_REPORTS_DIR", "/tmp/pir-integration-reports")},
}
# E-mails are written to files the scenarios read (tests/integration/harness.mails).
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ.get("PIR_IT_MAIL_DIR", "/tmp/pir-integration-mail")
# The follow-up job follows submitted reports to their files every 2 s (a minute by default), so a
# run is done, its files recorded, within seconds of its reports (test_live_delivery). The beat
# row gets this interval when the first run creates it.
PERIODIC_INSTRUCTOR_REPORTS_FOLLOW_UP_SECONDS = 2
# Retry courses refused as already running after 3 s rather than 10 min (test_live_operating).
PERIODIC_INSTRUCTOR_REPORTS_RETRY_DELAY = 3
# Schedules every second or two drive the scenarios.
PERIODIC_INSTRUCTOR_REPORTS_MIN_INTERVAL = 1
# A run that made no progress for 10 s is resumed by the follow-up job (a killed worker), and
# the rest of a run the broker refused goes on 3 s later: the fault scenarios (test_live_faults)
# wait that long rather than the production defaults of 15 and 1 minutes.
PERIODIC_INSTRUCTOR_REPORTS_RESUME_AFTER = 10
PERIODIC_INSTRUCTOR_REPORTS_OUTAGE_DELAY = 3
# Off unless a scenario of pacing turns it on (the others submit every course at once).
PERIODIC_INSTRUCTOR_REPORTS_MAX_IN_FLIGHT = int(os.environ.get("PIR_IT_MAX_IN_FLIGHT", "0"))
PERIODIC_INSTRUCTOR_REPORTS_PACE_SECONDS = float(os.environ.get("PIR_IT_PACE_SECONDS", "1"))
# A report unfinished this long after its submission is recorded lost (a day by default): the
# fault scenarios whose fault can take a report's message with it set it to 40 s.
PERIODIC_INSTRUCTOR_REPORTS_LOST_AFTER = int(os.environ.get("PIR_IT_LOST_AFTER", "86400"))
# Seconds each submission to the platform stand-in takes: a fault scenario makes its own
# processes' dispatch slow enough to be stopped part-way.
STAND_IN_SUBMIT_DELAY = float(os.environ.get("PIR_IT_SUBMIT_DELAY", "0"))
# Seconds each stand-in report stays PROGRESS before writing its file (a busy report worker).
STAND_IN_REPORT_SECONDS = float(os.environ.get("PIR_IT_REPORT_SECONDS", "0"))
# Seconds each query of the stand-in's course list takes: a fault scenario stops a worker while
# it records a run's courses.
STAND_IN_COURSE_LOOKUP_DELAY = float(os.environ.get("PIR_IT_COURSE_LOOKUP_DELAY", "0"))
