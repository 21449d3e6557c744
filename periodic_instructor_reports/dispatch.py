"""Running a schedule: one call of its report function per course, each isolated."""

import logging
from dataclasses import asdict, dataclass

from django.utils import timezone
from edx_django_utils.monitoring import set_custom_attribute
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from periodic_instructor_reports import ccx, folders, reports
from periodic_instructor_reports.exceptions import ReportFunctionError
from periodic_instructor_reports.models import PeriodicReportSchedule
from periodic_instructor_reports.requests import build_report_request

log = logging.getLogger(__name__)

SUBMITTED = "submitted"
ALREADY_RUNNING = "already_running"
QUEUE_ERROR = "queue_error"
FAILED = "failed"
INVALID_COURSE = "invalid_course"
CCX_UNAVAILABLE = "ccx_unavailable"
REFUSED = "refused"

ERROR_LIMIT = 500


@dataclass
class CourseOutcome:
    """What happened for one course of a run."""

    course_id: str
    outcome: str
    task_id: str = None
    upload_parent_dir: str = None
    error: str = ""


def _platform_errors():
    """Return the platform's (AlreadyRunningError, QueueConnectionError), or empty tuples."""
    try:
        from lms.djangoapps.instructor_task.api_helper import (  # pylint: disable=import-outside-toplevel
            AlreadyRunningError,
            QueueConnectionError,
        )
    except ImportError:
        return (), ()
    return AlreadyRunningError, QueueConnectionError


def _summary(err):
    return f"{type(err).__name__}: {err}"[:ERROR_LIMIT]


def _result(schedule_id, status, courses=(), error=""):
    courses = [asdict(course) for course in courses]
    counts = {}
    for course in courses:
        counts[course["outcome"]] = counts.get(course["outcome"], 0) + 1
    return {
        "schedule_id": schedule_id,
        "status": status,
        "error": error,
        "counts": counts,
        "courses": courses,
    }


def target_courses(schedule):
    """
    Return ``(course keys to run, outcomes for ids that cannot run)`` for a schedule.

    Listed ids run as given; with ``include_ccx`` the CCXs of listed master courses run after
    their master, and with ``only_ccx`` the masters themselves are left out.
    """
    keys, skipped = [], []
    for course_id in schedule.course_ids or []:
        try:
            keys.append(CourseKey.from_string(course_id))
        except InvalidKeyError as err:
            skipped.append(CourseOutcome(str(course_id), INVALID_COURSE, error=_summary(err)))
    if not (schedule.include_ccx or schedule.only_ccx):
        return list(dict.fromkeys(keys)), skipped
    masters = [key for key in keys if not ccx.is_ccx(key)]
    try:
        ccx_keys = ccx.ccx_keys_by_master(masters) if masters else {}
    except LookupError as err:
        skipped.extend(CourseOutcome(str(key), CCX_UNAVAILABLE, error=str(err)) for key in masters)
        ccx_keys = {}
    expanded = []
    for key in keys:
        if not ccx.is_ccx(key):
            if not schedule.only_ccx:
                expanded.append(key)
            expanded.extend(ccx_keys.get(key, []))
        else:
            expanded.append(key)
    return list(dict.fromkeys(expanded)), skipped


def run_schedule(schedule_id, *, now=None):
    """
    Generate the schedule's report once per course and return a JSON-ready summary.

    Does nothing when the schedule is gone or paused. Re-checks the report path against the
    allowlist. A failure for one course is recorded and the other courses still run. Must not
    be called inside ``transaction.atomic``: the platform's ``submit_task`` requires that.

    Arguments:
        schedule_id: primary key of a ``PeriodicReportSchedule``.
        now: the run's time (defaults to now); ``by_date`` folders use its local date.

    Returns:
        dict: ``status`` (done, missing, disabled, refused), ``counts`` per outcome and one
        entry per course with its outcome, platform task id, upload folder and error.
    """
    set_custom_attribute("periodic_report_schedule_id", schedule_id)
    schedule = (
        PeriodicReportSchedule.objects.select_related("task", "owner").filter(pk=schedule_id).first()
    )
    if schedule is None:
        log.info("Periodic report schedule %s no longer exists; nothing to run.", schedule_id)
        return _result(schedule_id, "missing")
    if not schedule.enabled:
        log.info("Periodic report schedule %s is paused; nothing to run.", schedule_id)
        return _result(schedule_id, "disabled")

    task = schedule.task
    try:
        function = reports.load(task.path)
    except ReportFunctionError as err:
        log.error("Periodic report schedule %s refused: %s", schedule_id, err)
        return _result(schedule_id, REFUSED, error=str(err)[:ERROR_LIMIT])
    if task.requires_request and not schedule.owner.is_active:
        error = f"owner (user id {schedule.owner_id}) is inactive"
        log.error("Periodic report schedule %s refused: %s", schedule_id, error)
        return _result(schedule_id, REFUSED, error=error)

    keys, outcomes = target_courses(schedule)
    set_custom_attribute("periodic_report_course_count", len(keys))
    leading = (build_report_request(schedule.owner),) if task.requires_request else ()
    arguments = schedule.arguments or []
    keyword_arguments = reports.with_defaults(
        function, task.path, requires_request=task.requires_request,
        arguments=arguments, keyword_arguments=schedule.keyword_arguments or {},
    )
    upload = reports.accepts_upload_dir(function)
    run_date = timezone.localdate(now or timezone.now())
    already_running, queue_error = _platform_errors()
    for key in keys:
        outcome = CourseOutcome(str(key), SUBMITTED)
        call_kwargs = dict(keyword_arguments)
        if upload:
            outcome.upload_parent_dir = call_kwargs[reports.UPLOAD_PARENT_DIR] = folders.upload_parent_dir(
                structure=schedule.upload_folder_structure,
                prefix=schedule.upload_folder_prefix,
                course_key=key,
                run_date=run_date,
            )
            if schedule.upload_folder_structure != folders.REGULAR:
                filename = reports.ccx_filename(task.path, key, call_kwargs)
                if filename:
                    call_kwargs["filename"] = filename
        try:
            submitted = function(*leading, key, *arguments, **call_kwargs)
        except already_running as err:
            outcome.outcome, outcome.error = ALREADY_RUNNING, _summary(err)
        except queue_error as err:
            outcome.outcome, outcome.error = QUEUE_ERROR, _summary(err)
        except Exception as err:  # pylint: disable=broad-except
            log.exception("Periodic report schedule %s failed for %s.", schedule_id, key)
            outcome.outcome, outcome.error = FAILED, _summary(err)
        else:
            task_id = getattr(submitted, "task_id", None)
            outcome.task_id = str(task_id) if task_id else None
        log.info(
            "Periodic report schedule %s, course %s: %s.", schedule_id, key, outcome.outcome
        )
        outcomes.append(outcome)
    return _result(schedule_id, "done", outcomes)
