"""The plugin's settings, their defaults, and reading them at call time."""

from django.conf import settings

from periodic_instructor_reports import catalog

DATABASE_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# Setting name (without the PERIODIC_INSTRUCTOR_REPORTS_ prefix) -> (default, what it does).
# The documentation's settings page is generated from this table (docs/_ext/plugin_settings.py).
SETTINGS = {
    "ALLOWED_PATHS": (
        list(catalog.PATHS),
        "Dotted paths of the report functions schedules may call: by default every report the "
        "plugin knows how to run (the catalog). Checked when a schedule is saved and again at "
        "every run; narrow it to refuse some reports.",
    ),
    "QUEUE": (
        None,
        "Celery queue of the dispatcher task, set on the schedules' beat rows; ``None`` uses the "
        "LMS default queue.",
    ),
    "REMOTE_ADDR": (
        "127.0.0.1",
        "``REMOTE_ADDR`` of the request built for report functions that need one.",
    ),
    "SERVER_NAME": (
        None,
        "``SERVER_NAME`` of that request; ``None`` uses the host of ``LMS_BASE``, else "
        "``localhost``.",
    ),
    "RUN_RETENTION_DAYS": (
        90,
        "Days run history is kept; older runs are deleted by the daily job.",
    ),
    "PRUNE_BATCH_SIZE": (
        1000,
        "How many runs one pruning query deletes at a time.",
    ),
    "RETRY_ATTEMPTS": (
        3,
        "How many more times a course refused as already running is tried, in the same run; "
        "``0`` turns retries off.",
    ),
    "RETRY_DELAY": (
        600,
        "Seconds between those attempts.",
    ),
    "RESUME_AFTER": (
        900,
        "Seconds without progress after which a run is taken to have lost its worker and is "
        "resumed by the follow-up job.",
    ),
    "MAX_RESUMPTIONS": (
        5,
        "How many times a run is resumed before it ends as ``error``.",
    ),
    "MAX_IN_FLIGHT": (
        4,
        "How many of the plugin's reports may be generating at once in the whole site (their "
        "platform task QUEUING or PROGRESS); a run submits as slots free up, shared fairly "
        "between runs. ``0`` turns the cap off. Reports the dashboard submits are never counted "
        "nor delayed.",
    ),
    "PACE_SECONDS": (
        5,
        "Seconds a run waiting for a free slot waits before it looks again (in a Celery "
        "countdown: no worker is kept busy meanwhile).",
    ),
    "OUTAGE_DELAY": (
        60,
        "Seconds a run waits before going on when the platform could not queue a report "
        "(broker outage).",
    ),
    "SECONDS_PER_COURSE": (
        1,
        "Seconds a dispatch may take per course left before its soft time limit (plus five "
        "minutes); the rest is handed to a new task.",
    ),
    "LOST_AFTER": (
        86400,
        "Seconds a submitted report may stay unfinished in the platform before it is recorded "
        "``lost``.",
    ),
    "FAILURE_CC": (
        [],
        "Addresses told about a failed run instead of an inactive owner, when the schedule has "
        "no recipients.",
    ),
    "MAX_RECIPIENTS": (
        20,
        "How many recipients a schedule may have.",
    ),
    "FOLLOW_UP_SECONDS": (
        60,
        "Seconds between two runs of the follow-up job (set on its beat row when it is "
        "created).",
    ),
    "FAILURE_EMAILS": (
        True,
        "Whether a schedule's owner gets an e-mail when a course's report was not produced.",
    ),
    "FOLDER_ROOT": (
        "",
        "A folder every upload folder must be inside, except a course's own platform folder; "
        "``\"\"`` for none. With or without its trailing slash: ``reports`` admits "
        "``reports/weekly/``, never ``reports-other/``.",
    ),
    "MIN_INTERVAL": (
        3600,
        "Seconds a schedule leaves between runs at least: shorter intervals and crontabs are "
        "refused at save, and a beat or cron run closer than this to the previous one is "
        "skipped and recorded (``skipped: too soon``).",
    ),
    "RUN_NOW_COOLDOWN": (
        None,
        "Seconds between two manual runs (run now) of one schedule, in the admin and the "
        "course-team API; ``0`` for none; ``None`` uses the "
        ":setting:`MIN_INTERVAL <PERIODIC_INSTRUCTOR_REPORTS_MIN_INTERVAL>`.",
    ),
    "SITE_URL": (
        None,
        "Base URL of the links in e-mails (downloads, run history); ``None`` uses "
        "``LMS_ROOT_URL``, else ``https://`` and ``LMS_BASE``.",
    ),
    "UNSIGNED_DOWNLOADS": (
        "refuse",
        "Downloads when the report store's links are not signed (S3 with ``CUSTOM_DOMAIN`` and "
        "no CloudFront key): ``\"refuse\"``, ``\"stream\"`` (through the LMS) or ``\"redirect\"`` "
        "(to the plain link).",
    ),
    "MAX_SCHEDULES_PER_COURSE": (
        10,
        "How many schedules the course-team API lets one course have.",
    ),
    "API_WRITE_RATE": (
        "120/hour",
        "How many writes one user may make through the course-team API (a DRF rate such as "
        "``\"120/hour\"``); ``None`` for no limit.",
    ),
}

# Setting name -> default.
DEFAULTS = {name: default for name, (default, _description) in SETTINGS.items()}

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
