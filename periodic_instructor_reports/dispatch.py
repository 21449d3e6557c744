"""Running a schedule: one call of its report function per course, each isolated."""

import logging
from contextlib import contextmanager
from dataclasses import asdict, dataclass

from django.utils import timezone
from edx_django_utils.monitoring import set_custom_attribute
from kombu.exceptions import OperationalError as BrokerError
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from periodic_instructor_reports import ccx, conf, folders, history, notify, reports, schedules
from periodic_instructor_reports.exceptions import ReportFunctionError
from periodic_instructor_reports.models import PeriodicReportSchedule, ReportRun
from periodic_instructor_reports.requests import build_report_request

log = logging.getLogger(__name__)

SUBMITTED = "submitted"
ALREADY_RUNNING = "already_running"
QUEUE_ERROR = "queue_error"
FAILED = "failed"
INVALID_COURSE = "invalid_course"
CCX_UNAVAILABLE = "ccx_unavailable"
REFUSED = "refused"

DONE = "done"
MISSING = "missing"
TOO_SOON = "too_soon"
DISABLED = "disabled"
ALREADY_RAN = "already_ran"

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


def _result(schedule_id, status, courses=(), error="", run_id=None):
    courses = [asdict(course) for course in courses]
    counts = {}
    for course in courses:
        counts[course["outcome"]] = counts.get(course["outcome"], 0) + 1
    return {
        "schedule_id": schedule_id,
        "run_id": run_id,
        "status": status,
        "error": error,
        "counts": counts,
        "courses": courses,
    }


def target_courses(schedule, only=None):
    """
    Return ``(course keys to run, outcomes for ids that cannot run)`` for a schedule.

    Listed ids run as given; with ``include_ccx`` the CCXs of listed master courses run after
    their master, and with ``only_ccx`` the masters themselves are left out. ``only`` (course id
    strings) keeps just those of the result.
    """
    keys, skipped = _target_courses(schedule)
    if only is not None:
        wanted = set(only)
        keys = [key for key in keys if str(key) in wanted]
        skipped = [outcome for outcome in skipped if outcome.course_id in wanted]
    return keys, skipped


def _target_courses(schedule):
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


@dataclass
class PlannedCall:
    """One call of the report function the dispatcher would make."""

    course_key: object
    kwargs: dict
    upload_parent_dir: str = None


@dataclass
class Plan:
    """Everything one attempt of a run would call, or why it cannot run."""

    schedule: PeriodicReportSchedule
    function: object = None
    leading: tuple = ()
    arguments: list = None
    calls: list = None
    skipped: list = None
    refusal: str = ""


def _refusal(schedule):
    task = schedule.task
    try:
        function = reports.load(task.path)
    except ReportFunctionError as err:
        return None, str(err)[:ERROR_LIMIT]
    if task.requires_request and not schedule.owner.is_active:
        return None, f"owner (user id {schedule.owner_id}) is inactive"
    return function, ""


def plan(schedule, *, moment, keys=None, only=None):
    """
    Return the calls one attempt of ``schedule`` makes, without making them.

    Arguments:
        schedule: a ``PeriodicReportSchedule`` with its task and owner.
        moment: the run's due time; ``by_date`` folders use its date in the schedule's time zone.
        keys: the course keys to run (a retry); defaults to the schedule's target courses.
        only: course id strings to keep of the schedule's target courses.
    """
    function, refusal = _refusal(schedule)
    if refusal:
        return Plan(schedule, refusal=refusal)
    task = schedule.task
    skipped = []
    if keys is None:
        keys, skipped = target_courses(schedule, only)
    arguments = schedule.arguments or []
    keyword_arguments = reports.with_defaults(
        function, task.path, requires_request=task.requires_request,
        arguments=arguments, keyword_arguments=schedule.keyword_arguments or {},
    )
    upload = reports.accepts_upload_dir(function)
    date = schedules.run_date(schedule, moment)
    calls = []
    for key in keys:
        call = PlannedCall(key, dict(keyword_arguments))
        if upload:
            call.upload_parent_dir = call.kwargs[reports.UPLOAD_PARENT_DIR] = folders.upload_parent_dir(
                structure=schedule.upload_folder_structure,
                prefix=schedule.upload_folder_prefix,
                course_key=key,
                run_date=date,
            )
            if schedule.upload_folder_structure != folders.REGULAR:
                filename = reports.ccx_filename(task.path, key, call.kwargs)
                if filename:
                    call.kwargs["filename"] = filename
        calls.append(call)
    leading = (build_report_request(schedule.owner),) if task.requires_request else ()
    return Plan(schedule, function, leading, arguments, calls, skipped)


def _call(schedule_id, plan_, call, already_running, queue_error):
    outcome = CourseOutcome(str(call.course_key), SUBMITTED, upload_parent_dir=call.upload_parent_dir)
    try:
        submitted = plan_.function(*plan_.leading, call.course_key, *plan_.arguments, **call.kwargs)
    except already_running as err:
        outcome.outcome, outcome.error = ALREADY_RUNNING, _summary(err)
    except queue_error as err:
        outcome.outcome, outcome.error = QUEUE_ERROR, _summary(err)
    except Exception as err:  # pylint: disable=broad-except
        log.exception("Periodic report schedule %s failed for %s.", schedule_id, call.course_key)
        outcome.outcome, outcome.error = FAILED, _summary(err)
    else:
        task_id = getattr(submitted, "task_id", None)
        outcome.task_id = str(task_id) if task_id else None
    log.info("Periodic report schedule %s, course %s: %s.", schedule_id, call.course_key, outcome.outcome)
    return outcome


def _load_schedule(schedule_id):
    return PeriodicReportSchedule.objects.select_related(
        "task", "owner", "crontab", "interval"
    ).filter(pk=schedule_id).first()


def run_schedule(schedule_id, *, trigger=ReportRun.TRIGGER_BEAT, planned_at=None, only=None, now=None):
    """
    Generate the schedule's report once per course, record the run and return a JSON-ready summary.

    Does nothing when the schedule is gone, or paused (except for a manual run), or when it already
    ran for ``planned_at``. Re-checks the report path against the allowlist. A failure for one
    course is recorded and the other courses still run; courses refused as already running are
    retried later. Must not be called inside ``transaction.atomic``: the platform's
    ``submit_task`` requires that.

    Arguments:
        schedule_id: primary key of a ``PeriodicReportSchedule``.
        trigger: ``beat``, ``manual`` or ``cron`` (recorded on the run).
        planned_at: the due time this run is for (defaults to now); one run per due time.
        only: course id strings to run, out of the schedule's courses (defaults to all).
        now: the time ``by_date`` folders take their date from (defaults to ``planned_at``).

    Returns:
        dict: ``status`` (done, retrying, missing, disabled, refused, already_ran, too_soon), ``run_id``,
        ``counts`` per outcome and one entry per course with its outcome, platform task id,
        upload folder and error.
    """
    set_custom_attribute("periodic_report_schedule_id", schedule_id)
    schedule = _load_schedule(schedule_id)
    if schedule is None:
        log.info("Periodic report schedule %s no longer exists; nothing to run.", schedule_id)
        return _result(schedule_id, MISSING)
    if not schedule.enabled and trigger != ReportRun.TRIGGER_MANUAL:
        log.info("Periodic report schedule %s is paused; nothing to run.", schedule_id)
        return _result(schedule_id, DISABLED)
    if trigger in ReportRun.AUTOMATIC_TRIGGERS:
        reason = history.too_soon(schedule, planned_at or timezone.now())
        if reason:
            run = history.record_too_soon(schedule, trigger=trigger, planned_at=planned_at, reason=reason)
            return _result(schedule_id, TOO_SOON, error=reason, run_id=run.pk if run else None)
    run = history.start_run(schedule, trigger=trigger, planned_at=planned_at)
    if run is None:
        return _result(schedule_id, ALREADY_RAN)
    with _ending_on_error(run):
        attempt_plan = plan(schedule, moment=now or run.planned_at, only=only)
        if attempt_plan.refusal:
            return _refuse(schedule, run, attempt_plan.refusal, only)
        set_custom_attribute("periodic_report_course_count", len(attempt_plan.calls))
        return _attempt(schedule, run, attempt_plan, attempt=1)


@contextmanager
def _ending_on_error(run):
    """Mark the run as ended by an error when the dispatcher itself fails, then re-raise."""
    try:
        yield
    except Exception as err:
        history.finish_run(run, status=ReportRun.STATUS_ERROR, error=_summary(err))
        raise


def retry_courses(run_id, course_ids, *, attempt):
    """
    Try the run's courses ``course_ids`` again (attempt number ``attempt``) and record the outcomes.

    Does nothing when the run is gone; when the schedule was paused meanwhile, the run ends with
    the outcomes it has.

    Returns:
        dict: the summary of this attempt, as ``run_schedule`` returns it.
    """
    run = ReportRun.objects.filter(pk=run_id).first()
    if run is None:
        log.info("Periodic report run %s no longer exists; nothing to retry.", run_id)
        return _result(None, MISSING, run_id=run_id)
    schedule = _load_schedule(run.schedule_id) if run.schedule_id else None
    if schedule is None:
        log.info("Periodic report run %s: its schedule was deleted; not retrying.", run_id)
        history.finish_run(run, status=ReportRun.STATUS_DONE)
        return _result(None, MISSING, run_id=run_id)
    if not schedule.enabled and run.trigger != ReportRun.TRIGGER_MANUAL:
        log.info("Periodic report schedule %s is paused; not retrying run %s.", schedule.pk, run_id)
        _finish(schedule, run, None, attempt, status=ReportRun.STATUS_DONE)
        return _result(schedule.pk, DISABLED, run_id=run_id)
    with _ending_on_error(run):
        keys = [CourseKey.from_string(course_id) for course_id in course_ids]
        attempt_plan = plan(schedule, moment=run.planned_at, keys=keys)
        if attempt_plan.refusal:
            return _refuse(schedule, run, attempt_plan.refusal, course_ids, attempt=attempt)
        return _attempt(schedule, run, attempt_plan, attempt=attempt)


def _refuse(schedule, run, error, course_ids, attempt=1):
    log.error("Periodic report schedule %s refused: %s", schedule.pk, error)
    courses = [
        CourseOutcome(str(course_id), REFUSED, error=error)
        for course_id in (course_ids if course_ids is not None else schedule.course_ids or [])
    ]
    summary = _result(schedule.pk, REFUSED, courses, error=error, run_id=run.pk)
    history.record_courses(run, summary["courses"], attempt=attempt, started_at=run.started_at)
    _finish(schedule, run, summary, attempt, status=ReportRun.STATUS_REFUSED, error=error)
    return summary


def _attempt(schedule, run, attempt_plan, *, attempt):
    started_at = timezone.now()
    already_running, queue_error = _platform_errors()
    outcomes = list(attempt_plan.skipped)
    for call in attempt_plan.calls:
        outcomes.append(_call(schedule.pk, attempt_plan, call, already_running, queue_error))
    summary = _result(schedule.pk, DONE, outcomes, run_id=run.pk)
    history.record_courses(run, summary["courses"], attempt=attempt, started_at=started_at)
    waiting = [c["course_id"] for c in summary["courses"] if c["outcome"] == ALREADY_RUNNING]
    if waiting and attempt <= conf.get("RETRY_ATTEMPTS"):
        # Marked first: with an eager or very fast worker the retry may end the run before
        # apply_async returns.
        _finish(schedule, run, summary, attempt, status=ReportRun.STATUS_RETRYING)
        if _schedule_retry(run, waiting, attempt + 1):
            summary["status"] = ReportRun.STATUS_RETRYING
            return summary
    _finish(schedule, run, summary, attempt, status=ReportRun.STATUS_DONE)
    return summary


def _finish(schedule, run, summary, attempt, *, status, error=""):
    """Store the run's status and counts; once it is over, tell the owner about failures."""
    if attempt == 1 and summary is not None:
        outcomes = {c["course_id"]: history.OUTCOMES[c["outcome"]] for c in summary["courses"]}
    else:
        outcomes = history.latest_outcomes(run.pk)
    history.finish_run(run, status=status, error=error, outcomes=outcomes)
    if status != ReportRun.STATUS_RETRYING:
        notify.notify_failures(schedule, run, outcomes)


def _schedule_retry(run, course_ids, attempt):
    from periodic_instructor_reports import tasks  # pylint: disable=import-outside-toplevel

    delay = conf.get("RETRY_DELAY")
    try:
        tasks.retry_report_courses.apply_async(
            args=[run.pk, course_ids, attempt], countdown=delay, queue=conf.get("QUEUE"),
        )
    except (BrokerError, OSError):
        log.exception("Periodic report run %s: could not queue the retry of %s courses; the run ends.",
                      run.pk, len(course_ids))
        return False
    log.info("Periodic report run %s: retrying %s courses in %s seconds (attempt %s).",
             run.pk, len(course_ids), delay, attempt)
    return True
