"""The plugin's settings, their defaults, and reading them at call time."""

from django.conf import settings

from periodic_instructor_reports import catalog

DATABASE_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

GRADE_REPORT = "lms.djangoapps.instructor_task.api.submit_calculate_grades_csv"
PROBLEM_GRADE_REPORT = "lms.djangoapps.instructor_task.api.submit_problem_grade_report"
PROFILE_REPORT = "lms.djangoapps.instructor_task.api.submit_calculate_students_features_csv"

# Setting name (without the PERIODIC_INSTRUCTOR_REPORTS_ prefix) -> default.
DEFAULTS = {
    # Dotted paths schedules may call: every report the plugin knows how to run (the catalog).
    "ALLOWED_PATHS": list(catalog.PATHS),
    # Celery queue for the dispatcher task; None uses the LMS default queue.
    "QUEUE": None,
    # REMOTE_ADDR of the request built for report functions that need one.
    "REMOTE_ADDR": "127.0.0.1",
    # SERVER_NAME of that request; None uses the host of LMS_BASE, else "localhost".
    "SERVER_NAME": None,
    # Days run history is kept; older runs are pruned by a daily job.
    "RUN_RETENTION_DAYS": 90,
    # How many runs one pruning query deletes at a time.
    "PRUNE_BATCH_SIZE": 1000,
    # How many more times a course refused as "already running" is tried; 0 turns retries off.
    "RETRY_ATTEMPTS": 3,
    # Seconds between those attempts.
    "RETRY_DELAY": 600,
    # Seconds without progress after which a run is taken to have lost its worker and is resumed.
    "RESUME_AFTER": 900,
    # How many times a run is resumed before it ends as an error.
    "MAX_RESUMPTIONS": 5,
    # Seconds to wait before going on when the platform could not queue a report (broker outage).
    "OUTAGE_DELAY": 60,
    # Seconds a dispatch may take per course before its soft time limit (plus five minutes).
    "SECONDS_PER_COURSE": 1,
    # Seconds a submitted report may stay unfinished in the platform before it is recorded as lost.
    "LOST_AFTER": 86400,
    # Addresses told about a failed run when its owner is inactive and it has no recipients.
    "FAILURE_CC": [],
    # How many recipients a schedule may have.
    "MAX_RECIPIENTS": 20,
    # Seconds between two runs of the follow-up job (set on its beat row when it is created).
    "FOLLOW_UP_SECONDS": 60,
    # Whether a schedule's owner gets an e-mail when a run has failed or refused courses.
    "FAILURE_EMAILS": True,
    # A folder every upload folder must be inside (except a course's own platform folder); "" for none.
    "FOLDER_ROOT": "",
    # Seconds a schedule must leave between runs at least: shorter intervals and crontabs are
    # refused at save, and a run closer than this to the previous one is skipped.
    "MIN_INTERVAL": 3600,
    # Seconds between two manual runs ("run now") of one schedule; None: the MIN_INTERVAL setting.
    "RUN_NOW_COOLDOWN": None,
    # Base URL of the admin links in e-mails; None uses LMS_ROOT_URL, else https:// + LMS_BASE.
    "SITE_URL": None,
    # Downloads when the report store's links are not signed (S3 with CUSTOM_DOMAIN and no
    # CloudFront key): "refuse", "stream" (through the LMS) or "redirect" (to the plain link).
    "UNSIGNED_DOWNLOADS": "refuse",
    # How many schedules the course-team API lets one course have.
    "MAX_SCHEDULES_PER_COURSE": 10,
    # How many writes one user may make through the course-team API (DRF rate: "120/hour"); None for no limit.
    "API_WRITE_RATE": "120/hour",
}

PREFIX = "PERIODIC_INSTRUCTOR_REPORTS_"


def get(name):
    """Return the plugin setting ``name``, falling back to its default."""
    return getattr(settings, PREFIX + name, DEFAULTS[name])


def site_url():
    """Return the base URL of links to the LMS (its Django admin), without a trailing slash."""
    configured = get("SITE_URL") or getattr(settings, "LMS_ROOT_URL", None)
    if not configured:
        configured = "https://" + (getattr(settings, "LMS_BASE", "") or "localhost")
    return configured.rstrip("/")


def server_name():
    """Return the SERVER_NAME to put on built requests."""
    configured = get("SERVER_NAME")
    if configured:
        return configured
    lms_base = getattr(settings, "LMS_BASE", "") or ""
    return lms_base.split(":", 1)[0] or "localhost"


def run_now_cooldown():
    """Return the seconds two manual runs of one schedule leave between them (``MIN_INTERVAL`` if unset)."""
    configured = get("RUN_NOW_COOLDOWN")
    return get("MIN_INTERVAL") if configured is None else configured
