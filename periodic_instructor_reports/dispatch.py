"""
Running a schedule: claim the run for its due time, record its courses, submit them in batches.

Every course is recorded in the run's queue (a row per 500 courses) before anything is
submitted; each batch records the intent before the platform is called, and its courses'
outcomes are stored after, one row per course, written once. So a run stopped anywhere (a killed
worker, a time limit, a database or broker outage) is resumed for exactly the courses without an
outcome, and a course whose submission was in flight is looked up in the platform's own task
table before it is submitted again.
"""

import datetime
import functools
import logging
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

from celery.exceptions import SoftTimeLimitExceeded
from django.db import DatabaseError
from django.utils import timezone
from edx_django_utils.monitoring import set_custom_attribute
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from periodic_instructor_reports import (
    beat,
    catalog,
    conf,
    courses,
    delivery,
    folders,
    history,
    housekeeping,
    permissions,
    platform,
    reports,
    schedules,
)
from periodic_instructor_reports.exceptions import ProfileColumnsError, ReportFunctionError
from periodic_instructor_reports.models import Outcome, PeriodicReportSchedule, ReportRun, ReportRunCourse
from periodic_instructor_reports.requests import build_report_request

log = logging.getLogger(__name__)

# What starting a run can come to, besides a run to work on.
STARTED = "started"
MISSING = "missing"
DISABLED = "disabled"
TOO_SOON = "too_soon"
ALREADY_RAN = "already_ran"
BUSY = "busy"
REFUSED = "refused"
# What working on a run can come to, besides the run's own status.
HANDED_OVER = "handed_over"
LOST = "lost"

ERROR_LIMIT = 500
# Clocks of workers on different hosts may differ a little.
INTENT_SLACK = datetime.timedelta(seconds=5)


def new_holder():
    """Return a fresh holder name (the Celery task id a continuation will have)."""
    return str(uuid.uuid4())


def result(status, *, schedule_id=None, run_id=None, counts=None, error=""):
    """Return the JSON-ready summary a dispatch returns (and the result backend keeps): no course list."""
    return {
        "schedule_id": schedule_id, "run_id": run_id, "status": status,
        "counts": counts or {}, "error": error,
    }


NO_DATA_ACCESS = permissions.NO_DATA_ACCESS


@dataclass
class Plan:
    """How one run calls its report function, or why it cannot."""

    schedule: PeriodicReportSchedule
    function: object = None
    leading: tuple = ()
    arguments: list = field(default_factory=list)
    keyword_arguments: dict = field(default_factory=dict)
    upload: bool = False
    # A report the plugin copies to the schedule's folder once generated (it takes no folder).
    copy: bool = False
    run_date: object = None
    refusal: str = ""
    features_by_org: dict = field(default_factory=dict)
    features_left_out: set = field(default_factory=set)

    def call_for(self, course_key):
        """
        Return ``(keyword arguments, folder or None)`` of the call for one course.

        The folder is the schedule's folder for the course: given to a report that takes upload
        folder arguments, or where the plugin copies a copied report's file once it is generated.
        """
        kwargs = dict(self._shared_arguments)
        if self._site_features:
            kwargs["features"] = self._features(course_key)
        if not self.upload and not self.copy:
            return kwargs, None
        schedule = self.schedule
        folder = self._shared_folder
        if folder is None:
            folder = folders.upload_parent_dir(
                structure=schedule.upload_folder_structure, prefix=schedule.upload_folder_prefix,
                course_key=course_key, run_date=self.run_date,
            )
        if not self.upload:
            return kwargs, folder
        kwargs[reports.UPLOAD_PARENT_DIR] = folder
        if folders.shared_by_courses(structure=schedule.upload_folder_structure, folder=folder):
            filename = reports.shared_folder_filename(schedule.task.path, course_key, kwargs)
            if filename:
                kwargs["filename"] = filename
        return kwargs, folder

    @functools.cached_property
    def _shared_arguments(self):
        """The keyword arguments of every course's call: the schedule's, then the report's fixed ones."""
        kwargs = dict(self.keyword_arguments)
        report = catalog.get(self.schedule.task.path)
        for name, value in (report.fixed if report else {}).items():
            kwargs.setdefault(name, value)
        return kwargs

    @functools.cached_property
    def _site_features(self):
        return "features" in reports.PROVIDED_ARGUMENTS.get(self.schedule.task.path, ())

    @functools.cached_property
    def _shared_folder(self):
        """The folder of every course, for the structures that do not name it by course; else None."""
        schedule = self.schedule
        if schedule.upload_folder_structure == folders.REGULAR:
            return None
        return folders.upload_parent_dir(
            structure=schedule.upload_folder_structure, prefix=schedule.upload_folder_prefix,
            course_key=None, run_date=self.run_date,
        )

    def _features(self, course_key):
        """
        Return the course's profile columns, as the dashboard gives them, narrowed to the schedule's.

        The site's part is read once per run and organisation; the course's own (cohort, team)
        for each course. A column the dashboard would not give is left out, and said once per
        organisation and columns.

        Raises:
            ProfileColumnsError: the site's configuration is one the dashboard refuses.
        """
        org = course_key.org
        if org not in self.features_by_org:
            self.features_by_org[org] = reports.site_profile_features(org)
        features, left_out = reports.profile_features(
            course_key, self.keyword_arguments.get("features"), site_features=self.features_by_org[org],
        )
        if left_out and (org, tuple(left_out)) not in self.features_left_out:
            self.features_left_out.add((org, tuple(left_out)))
            log.warning("Periodic report schedule %s: the dashboard does not give %s for %s (nor maybe for "
                        "other courses of %s); left out.", self.schedule.pk, ", ".join(left_out), course_key,
                        org)
        return features

    def refusal_for(self, course_key, folder):
        """Return why this course may not run: the owner's access to its data, its folder; or ""."""
        refusal = permissions.request_refusal(self.schedule.owner, course_key, self.schedule.task.path)
        if refusal:
            return refusal
        if folder is None:
            return ""
        if folder is self._shared_folder and not folders.COURSE_FOLDER.match(folder):
            # Not named by course: its check is the same for every course, made once.
            problem = self._shared_folder_problem
        else:
            problem = self._folder_problem(folder, course_key)
        return f"folder refused: {problem}" if problem else ""

    @functools.cached_property
    def _shared_folder_problem(self):
        return self._folder_problem(self._shared_folder, None)

    def _folder_problem(self, folder, course_key):
        return folders.folder_problem(
            folder, structure=self.schedule.upload_folder_structure, course_key=course_key,
            root=conf.get("FOLDER_ROOT"),
        )


def plan(schedule, *, moment):
    """
    Return how a run of ``schedule`` due at ``moment`` calls its report, without calling it.

    The report path is checked against the allowlist again (it may have changed since the
    schedule was saved), and an owner who is no longer active refuses the run.
    """
    task = schedule.task
    try:
        function = reports.load(task.path)
    except ReportFunctionError as err:
        return Plan(schedule, refusal=str(err)[:ERROR_LIMIT])
    if task.requires_request and not schedule.owner.is_active:
        return Plan(schedule, refusal=f"owner (user id {schedule.owner_id}) is inactive")
    arguments, keyword_arguments = reports.as_keywords(
        function, requires_request=task.requires_request, arguments=schedule.arguments or [],
        keyword_arguments=schedule.keyword_arguments or {},
    )
    return Plan(
        schedule,
        function=function,
        leading=(build_report_request(schedule.owner),) if task.requires_request else (),
        arguments=arguments,
        keyword_arguments=keyword_arguments,
        upload=reports.accepts_upload_dir(function),
        copy=catalog.support(task.path) == catalog.COPIED,
        run_date=schedules.run_date(schedule, moment),
    )


def load_schedule(schedule_id, *, with_courses=True):
    """
    Return the schedule with what a run reads of it, or None if it is gone.

    Submitting works from the run's recorded courses: it leaves the (possibly long) list unread.
    """
    if schedule_id is None:
        return None
    query = PeriodicReportSchedule.objects.select_related(
        "task", "owner", "crontab", "interval", "celery_task"
    )
    if not with_courses:
        query = query.defer("course_ids")
    return query.filter(pk=schedule_id).first()


@dataclass
class Start:
    """What starting a run came to: ``status`` STARTED with the run to work on, or why not."""

    status: str
    schedule_id: int
    run: ReportRun = None
    error: str = ""

    def result(self):
        """Return the JSON-ready summary of a start that did not lead to work."""
        counts = self.run.counts if self.run is not None else {}
        return result(self.status, schedule_id=self.schedule_id, run_id=self.run and self.run.pk,
                      counts=counts, error=self.error)


def start(schedule_id, *, trigger, holder, planned_at=None, only=None, requested_by=None):
    """
    Claim the run of ``schedule_id`` for its due time and record its courses; return a ``Start``.

    The due time is ``planned_at`` if given, the moment of a manual run, or the schedule's latest
    due time on its own grid for beat and cron. Does nothing when the schedule is gone, or paused
    (except for a manual run), when a beat or cron run comes too soon after the previous one,
    or when the due time already has a run (which is taken over instead if it stalled unfinished).
    ``requested_by`` (a user id: who asked for a manual run) is recorded on the run.
    """
    set_custom_attribute("periodic_report_schedule_id", schedule_id)
    schedule = load_schedule(schedule_id)
    if schedule is None:
        log.info("Periodic report schedule %s no longer exists; nothing to run.", schedule_id)
        return Start(MISSING, schedule_id)
    automatic = trigger in ReportRun.AUTOMATIC_TRIGGERS
    if not schedule.enabled and automatic:
        log.info("Periodic report schedule %s is paused; nothing to run.", schedule_id)
        return Start(DISABLED, schedule_id)
    beat.restore(schedule)
    now = timezone.now()
    due = planned_at or (schedules.due_time(schedule, now) if automatic else now)
    if automatic:
        reason = history.too_soon(schedule, due)
        if reason:
            run = history.record_too_soon(schedule, trigger=trigger, planned_at=due, reason=reason)
            return Start(TOO_SOON, schedule_id, run, reason)
    run, created = history.claim_run(schedule, trigger=trigger, planned_at=due, holder=holder,
                                     requested_by=requested_by)
    if not created:
        if run.status not in ReportRun.UNFINISHED:
            log.info("Periodic report schedule %s already ran for %s; not running again.",
                     schedule_id, due.isoformat())
            return Start(ALREADY_RAN, schedule_id, run)
        run = history.take(run.pk, holder)
        if run is None:
            log.info("Periodic report schedule %s: its run for %s is in progress elsewhere.",
                     schedule_id, due.isoformat())
            return Start(BUSY, schedule_id)
    else:
        housekeeping.ensure_job_rows()
        if automatic:
            previous = history.previous_due_time(schedule, due)
            if previous is not None:
                run.missed = schedules.missed_between(schedule, previous, due)
                if run.missed:
                    log.warning("Periodic report schedule %s missed %s due times before %s.",
                                schedule_id, run.missed, due.isoformat())
                    run.save(update_fields=["missed"])
    if run.course_total is None:
        refused = _record(schedule, run, holder, only)
        if refused:
            return refused
    return Start(STARTED, schedule_id, run)


def _record(schedule, run, holder, only):
    """Record the run's courses; return None, or the ``Start`` of a run refused before any."""
    with ending_on_error(run, holder):
        first = plan(schedule, moment=run.planned_at)
        if first.refusal:
            return _refuse(schedule, run, first.refusal, only)
        history.record_courses(run, courses.target_batches(schedule, only, size=history.BATCH_SIZE))
    set_custom_attribute("periodic_report_course_count", run.course_total)
    return None


# Failures a run is resumed after, rather than ended by: the service comes back, or the next
# attempt has time left.
TRANSIENT = (DatabaseError, SoftTimeLimitExceeded)


@contextmanager
def ending_on_error(run, holder):
    """
    End the run as ``error`` when the dispatcher itself fails, then re-raise.

    A database error or a time limit leaves the run to be resumed instead; any other failure is a
    fault that a resumed attempt would meet again, so the courses not submitted are recorded
    with the error and the run ends.
    """
    try:
        yield
    except TRANSIENT:
        raise
    except Exception as err:
        error = history.summary(err)
        log.exception("Periodic report run %s failed: %s", run.pk, error)
        history.close_open_rows(run, f"not submitted: the dispatcher failed: {error}")
        history.finish_run(run, status=ReportRun.STATUS_ERROR, error=error, holder=holder)
        raise


def _refuse(schedule, run, error, only):
    log.error("Periodic report schedule %s refused: %s", schedule.pk, error)
    course_ids = only if only is not None else [str(course_id) for course_id in schedule.course_ids or []]
    history.refuse_courses(run, course_ids, error)
    history.finish_run(run, status=ReportRun.STATUS_REFUSED, error=error)
    delivery.deliver(run)
    return Start(REFUSED, schedule.pk, run, error)


def work(run_id, *, holder):
    """
    Submit the run's courses that have no outcome yet, batch by batch; return the summary.

    ``holder`` must hold the run (or take it over, if its holder stalled). Between batches the
    run's progress is recorded and its schedule checked: deleted or paused, the run stops and
    records the courses it did not submit. Courses refused as already running are tried again
    by a continuation after ``RETRY_DELAY``; a broker that refuses a submission hands the rest
    over to a continuation after ``OUTAGE_DELAY``. A Celery soft time limit stops the batch,
    records what was done and hands the rest over at once.

    Raises:
        DatabaseError: the database failed; the caller retries (the run is resumed where it was).
    """
    run = history.take(run_id, holder)
    if run is None:
        log.info("Periodic report run %s is held by another worker or finished; not working on it.", run_id)
        return result(BUSY, run_id=run_id)
    with ending_on_error(run, holder):
        return _work(run, holder)


def _work(run, holder):
    schedule = load_schedule(run.schedule_id, with_courses=run.course_total is None)
    stop = _stop_reason(run, schedule)
    if stop:
        return _stop(run, schedule, holder, stop)
    if run.course_total is None:
        # Its worker died while recording its courses, before submitting any.
        if run.trigger not in ReportRun.AUTOMATIC_TRIGGERS:
            # It may have been for chosen courses only: running it again is the user's call.
            error = "interrupted while its courses were recorded; nothing was submitted: run it again"
            history.finish_run(run, status=ReportRun.STATUS_ERROR, error=error, holder=holder)
            log.error("Periodic report run %s %s.", run.pk, error)
            return result(ReportRun.STATUS_ERROR, schedule_id=run.schedule_id, run_id=run.pk, error=error)
        refused = _record(schedule, run, holder, None)
        if refused:
            return refused.result()
    run_plan = plan(schedule, moment=run.planned_at)
    if run_plan.refusal:
        return _refuse_rest(run, schedule, holder, run_plan.refusal)
    retrying = run.status == ReportRun.STATUS_WAITING
    if retrying:
        ReportRun.objects.filter(pk=run.pk, holder=holder).update(status=ReportRun.STATUS_RUNNING)
    for number, submit in enumerate(_steps(run, retrying)):
        if number:  # the first step comes right after taking the run and reading its schedule
            held, schedule_state = history.check(run, holder)
            if not held:
                log.warning("Periodic report run %s was taken over by another worker; %s stops.",
                            run.pk, holder)
                return result(LOST, schedule_id=run.schedule_id, run_id=run.pk)
            stop = _stop_reason(run, schedule_state)
            if stop:
                return _stop(run, schedule, holder, stop)
        try:
            outage = submit(run_plan, run, Lease(run, holder))
        except SoftTimeLimitExceeded:
            log.warning("Periodic report run %s reached its time limit; handing the rest over.", run.pk)
            return _continue_later(run, holder, countdown=0, reason="time limit")
        except LeaseLost:
            # The new holder settles this batch's courses from the platform's own task rows.
            log.warning("Periodic report run %s was taken over by another worker during a batch; %s stops.",
                        run.pk, holder)
            return result(LOST, schedule_id=run.schedule_id, run_id=run.pk)
        if outage:
            return _continue_later(run, holder, countdown=conf.get("OUTAGE_DELAY"), reason=outage)
    return _end_pass(run, schedule, holder)


def _steps(run, retrying):
    """
    Yield the run's work, one batch at a time, as ``submit(run_plan, run, lease)`` calls.

    First the rows to submit again (courses the broker refused, then, when ``retrying``, those
    refused as already running), then the batches of courses never tried, in order.
    """
    last_pk = 0
    while rows := history.open_rows(run, after_pk=last_pk, retrying=retrying):
        last_pk = rows[-1].pk
        yield functools.partial(_submit_rows, rows=rows)
    number = -1
    while batch := history.next_batch(run, after=number):
        number = batch.number
        yield functools.partial(_submit_queued, batch=batch)


def _stop_reason(run, schedule):
    """Return why the run must stop: its schedule (or ``{"enabled": ...}`` of it) is gone or paused."""
    if schedule is None:
        return "the schedule was deleted during the run"
    enabled = schedule["enabled"] if isinstance(schedule, dict) else schedule.enabled
    if not enabled and run.trigger in ReportRun.AUTOMATIC_TRIGGERS:
        return "the schedule was paused during the run"
    return ""


def _stop(run, schedule, holder, reason):
    closed = history.close_open_rows(run, f"not submitted: {reason}")
    log.info("Periodic report run %s stops: %s (%s courses not submitted).", run.pk, reason, closed)
    return _finish(run, holder, error=f"stopped: {reason}")


def _finish(run, holder, *, error=""):
    """
    End the dispatch of a run: ``generating`` while the platform works on submitted reports, else done.

    A generating run is followed to its end by the follow-up job, which then delivers it; a run
    with nothing to follow is done and delivered at once.
    """
    submitted = ReportRunCourse.objects.filter(run=run, outcome=Outcome.SUBMITTED)
    following = submitted.exclude(task_id="").exists()
    status = ReportRun.STATUS_GENERATING if following else ReportRun.STATUS_DONE
    counts = history.finish_run(run, status=status, error=error, holder=holder)
    if counts is None:
        return result(LOST, schedule_id=run.schedule_id, run_id=run.pk)
    if status == ReportRun.STATUS_DONE:
        delivery.deliver(run)
    return result(status, schedule_id=run.schedule_id, run_id=run.pk, counts=counts, error=error)


def _refuse_rest(run, schedule, holder, error):
    log.error("Periodic report run %s refused: %s", run.pk, error)
    history.close_open_rows(run, error, outcome=Outcome.REFUSED)
    counts = history.finish_run(run, status=ReportRun.STATUS_REFUSED, error=error, holder=holder)
    delivery.deliver(run)
    return result(REFUSED, schedule_id=run.schedule_id, run_id=run.pk, counts=counts, error=error)


class LeaseLost(Exception):
    """Another holder took the run over while this one was submitting a batch."""


class Lease:
    """
    A holder's hold on a run while it submits a batch, renewed as the batch goes.

    A batch of slow submissions can outlast the ``RESUME_AFTER`` setting: the holder records its
    progress at least every quarter of that, so the recovery sweep never takes over a run whose
    worker is still submitting (and both submit the same courses).
    """

    def __init__(self, run, holder):
        self.run, self.holder = run, holder
        self.renewed_at = timezone.now()
        self.every = datetime.timedelta(seconds=conf.get("RESUME_AFTER") / 4)

    def renew(self, now=None):
        """Record progress if it is time to; return False once another holder has taken the run."""
        now = now or timezone.now()
        if now - self.renewed_at < self.every:
            return True
        self.renewed_at = now
        return history.heartbeat(self.run, self.holder)


def _submit_rows(run_plan, run, lease, *, rows):
    """
    Submit again courses that have a row (left pending or submitting, or to retry); return an outage or "".

    Rows whose submission was in flight are first looked up in the platform's task table.

    Raises:
        LeaseLost: another holder took the run over; nothing more is submitted or saved.
    """
    in_flight = [row for row in rows if row.outcome == Outcome.SUBMITTING]
    if in_flight:
        _settle_in_flight(run_plan, in_flight)
    to_submit = [row for row in rows if row.outcome != Outcome.SUBMITTED]
    history.mark_submitting(to_submit)
    calls = _prepare(run_plan, to_submit)
    already_running, queue_error = platform.report_errors()
    outage = ""
    try:
        for row, call in zip(to_submit, calls, strict=True):
            if outage:
                row.outcome, row.attempt = Outcome.PENDING, row.attempt - 1
                continue
            if not lease.renew():
                raise LeaseLost(run.pk)
            outage = _make_call(run_plan, row, call, already_running, queue_error)
    except SoftTimeLimitExceeded:
        history.save_rows([row for row in rows if row.outcome != Outcome.SUBMITTING])
        raise
    history.save_rows(rows)
    _log_batch(run, "courses tried again", rows)
    return outage


def _submit_queued(run_plan, run, lease, *, batch):
    """
    Submit the courses of a queued batch, store their rows and take it off the queue; return an outage or "".

    A batch whose intent an interrupted attempt recorded first settles its courses without a row
    from the platform's task table. After an outage, the courses not tried stay queued.

    Raises:
        LeaseLost: another holder took the run over; nothing more is submitted or saved.
    """
    course_ids, rows = batch.course_ids, []
    if batch.submitting_since is not None:
        done = history.recorded_ids(run, course_ids)
        course_ids = [course_id for course_id in course_ids if course_id not in done]
        rows = _settle_queued(run_plan, run, course_ids, batch.submitting_since)
        settled = {row.course_id for row in rows}
        course_ids = [course_id for course_id in course_ids if course_id not in settled]
    else:
        history.begin_batch(batch)
    queued = [ReportRunCourse(run_id=run.pk, course_id=course_id, attempt=1) for course_id in course_ids]
    calls = _prepare(run_plan, queued)
    already_running, queue_error = platform.report_errors()
    outage = ""
    try:
        for row, call in zip(queued, calls, strict=True):
            now = timezone.now()
            if not lease.renew(now):
                raise LeaseLost(run.pk)
            row.started_at = now
            outage = _make_call(run_plan, row, call, already_running, queue_error)
            rows.append(row)
            if outage:
                break
    except SoftTimeLimitExceeded:
        history.store_batch(batch, rows, done=False)
        raise
    history.store_batch(batch, rows, done=not outage)
    _log_batch(run, f"batch {batch.number}", rows)
    return outage


def _log_batch(run, what, rows):
    counts = Counter(row.outcome for row in rows)
    log.info("Periodic report run %s, %s: %s.", run.pk, what,
             ", ".join(f"{count} {outcome}" for outcome, count in sorted(counts.items())) or "nothing to do")


def _settle_in_flight(run_plan, rows):
    """
    Find the platform's task of courses whose submission was interrupted; mark those submitted.

    Each is recorded with its upload folder and the start of its file's name, as a submission is,
    so the follow-up job finds its file.
    """
    found = platform_tasks(run_plan, {row.course_id: row.started_at for row in rows})
    for row in rows:
        task_id = found.get(row.course_id)
        if task_id:
            _resumed(run_plan, row, task_id)


def _settle_queued(run_plan, run, course_ids, since):
    """Return rows of the courses, of an interrupted batch, the platform has a task of since ``since``."""
    found = platform_tasks(run_plan, dict.fromkeys(course_ids, since))
    rows = []
    for course_id in course_ids:
        if course_id in found:
            row = ReportRunCourse(run_id=run.pk, course_id=course_id, attempt=1, started_at=since)
            _resumed(run_plan, row, found[course_id])
            rows.append(row)
    return rows


def _resumed(run_plan, row, task_id):
    _record_call(run_plan, row, CourseKey.from_string(row.course_id))
    row.outcome, row.task_id, row.finished_at = Outcome.SUBMITTED, task_id, timezone.now()
    row.error = "resumed: the platform had recorded this submission before the worker stopped"
    log.info("Periodic report run %s: %s was submitted before the interruption (task %s).",
             row.run_id, row.course_id, task_id)


def refused_by_the_broker(state, output):
    """
    Return whether a platform task row records a submission whose Celery message was never sent.

    The platform's ``submit_task`` marks such a row FAILURE with the broker's error as plain text
    (and raises ``QueueConnectionError``); a report task that ran and failed stores a JSON object.
    """
    return state == "FAILURE" and not (output or "").lstrip().startswith("{")


def platform_tasks(run_plan, started):
    """
    Return ``{course id: platform task id}`` of courses whose submission reached the platform.

    ``started`` maps each course id to when the intent to submit it was recorded. Looks for the
    platform's own task row of each course, requested by the owner, of the report's task type
    when known, created since the intent (one query). A row of a submission the broker refused
    does not count: that course is submitted again.
    """
    model = platform.instructor_task_model()
    if model is None or not started:
        return {}
    since = min(started.values()) - INTENT_SLACK
    tasks = model.objects.filter(
        course_id__in=list(started), requester_id=run_plan.schedule.owner_id, created__gte=since,
    )
    task_type = reports.task_type(run_plan.schedule.task.path)
    if task_type:
        tasks = tasks.filter(task_type=task_type)
    found = {}
    rows = tasks.order_by("created").values_list(
        "course_id", "task_id", "created", "task_state", "task_output"
    )
    for course_id, task_id, created, state, output in rows:
        course_id = str(course_id)
        intent = started.get(course_id)
        if intent is None or created < intent - INTENT_SLACK or refused_by_the_broker(state, output):
            continue
        found.setdefault(course_id, task_id)
    return found


def _record_call(run_plan, row, key):
    """Put the call's upload folder and the start of its file's name on ``row``; return ``call_for``'s."""
    kwargs, folder = run_plan.call_for(key)
    row.upload_parent_dir = (folder or "")[:300]
    row.expected_name = reports.expected_name(run_plan.schedule.task.path, key, kwargs)[:255]
    return kwargs, folder


@dataclass
class Call:
    """One course's call, prepared: its key and keyword arguments; or the outcome it gets without one."""

    key: object = None
    kwargs: dict = None
    outcome: str = ""
    error: str = ""


def _prepare(run_plan, rows):
    """
    Return each row's ``Call``, working out each course's folder and file name on its row.

    A course whose id is not a key is to be skipped, one the owner may not request or whose
    folder is refused to be refused. Done for a whole batch before its first submission: one
    pass over its ids costs about a third less than the same work between the platform's calls
    (``make bench``). Nothing is decided on a row until the batch reaches it.
    """
    calls = []
    for row in rows:
        try:
            key = CourseKey.from_string(row.course_id)
        except InvalidKeyError as err:
            calls.append(Call(outcome=Outcome.SKIPPED,
                              error=f"invalid_course: {history.summary(err)}"[:ERROR_LIMIT]))
            continue
        try:
            kwargs, folder = _record_call(run_plan, row, key)
        except ProfileColumnsError as err:
            log.warning("Periodic report run %s failed for %s: %s", row.run_id, row.course_id, err)
            calls.append(Call(outcome=Outcome.FAILED, error=f"profile_columns: {err}"[:ERROR_LIMIT]))
            continue
        refusal = run_plan.refusal_for(key, folder)
        calls.append(Call(outcome=Outcome.REFUSED, error=refusal) if refusal else Call(key, kwargs))
    return calls


def _make_call(run_plan, row, call, already_running, queue_error):
    """Put the course's outcome on ``row``, decided beforehand or by the report; return an outage or ""."""
    if call.key is not None:
        return _submit(run_plan, row, call, already_running, queue_error)
    row.outcome, row.error, row.finished_at = call.outcome, call.error, timezone.now()
    if call.outcome == Outcome.REFUSED:
        log.warning("Periodic report run %s refused %s: %s.", row.run_id, row.course_id, call.error)
    return ""


def _submit(run_plan, row, call, already_running, queue_error):
    """Call the report for one course and put the outcome on ``row``; return an outage reason or ""."""
    try:
        submitted = run_plan.function(*run_plan.leading, call.key, *run_plan.arguments, **call.kwargs)
    except (SoftTimeLimitExceeded, DatabaseError):
        raise
    except already_running as err:
        row.outcome, row.error = Outcome.ALREADY_RUNNING, history.summary(err)
    except queue_error as err:
        if row.attempt <= conf.get("RETRY_ATTEMPTS"):
            log.warning("Periodic report run %s: the platform could not queue %s (%s); the rest waits.",
                        row.run_id, row.course_id, err)
            row.outcome, row.error = Outcome.PENDING, f"queue_error: {history.summary(err)}"[:ERROR_LIMIT]
            return f"the platform could not queue a report: {err}"
        row.outcome, row.error = Outcome.FAILED, f"queue_error: {history.summary(err)}"[:ERROR_LIMIT]
    except Exception as err:  # pylint: disable=broad-except
        log.exception("Periodic report run %s failed for %s.", row.run_id, row.course_id)
        row.outcome, row.error = Outcome.FAILED, history.summary(err)
    else:
        task_id = getattr(submitted, "task_id", None)
        row.outcome, row.task_id, row.error = Outcome.SUBMITTED, str(task_id)[:255] if task_id else "", ""
    row.finished_at = timezone.now()
    log.debug("Periodic report run %s, course %s: %s.", row.run_id, row.course_id, row.outcome)
    return ""


def _end_pass(run, schedule, holder):
    """After the last batch: wait to retry courses already running, or finish the run."""
    if history.has_retries(run):
        counts = history.outcome_counts(run)
        ReportRun.objects.filter(pk=run.pk, holder=holder).update(
            status=ReportRun.STATUS_WAITING, counts=counts,
        )
        return _continue_later(
            run, holder, countdown=conf.get("RETRY_DELAY"), reason="courses already running",
            status=ReportRun.STATUS_WAITING,
        )
    return _finish(run, holder)


def _continue_later(run, holder, *, countdown, reason, status=None):
    """Hand the run over to a continuation task in ``countdown`` seconds; return the summary."""
    from periodic_instructor_reports import tasks  # pylint: disable=import-outside-toplevel

    until = timezone.now() + datetime.timedelta(seconds=countdown)
    continuation = new_holder()
    if not history.hand_over(run, holder, continuation, until=until):
        return result(LOST, schedule_id=run.schedule_id, run_id=run.pk)
    if not tasks.send_continuation(run.pk, continuation, countdown=countdown):
        history.release(run, continuation, until=until)
        log.error("Periodic report run %s: could not queue its continuation (%s); the recovery sweep "
                  "resumes it.", run.pk, reason)
    counts = history.outcome_counts(run)
    return result(
        status or HANDED_OVER, schedule_id=run.schedule_id, run_id=run.pk, counts=counts, error=reason,
    )


def run_schedule(
    schedule_id, *, trigger=ReportRun.TRIGGER_BEAT, planned_at=None, only=None, requested_by=None
):
    """
    Run a schedule in this process: claim and record the run, then submit its courses; return the summary.

    Used by the management commands and the tests; Celery's tasks split the two steps. Must
    not be called inside ``transaction.atomic``: the platform's ``submit_task`` requires that.

    Arguments:
        schedule_id: primary key of a ``PeriodicReportSchedule``.
        trigger: ``beat``, ``manual`` or ``cron`` (recorded on the run).
        planned_at: the due time this run is for (defaults to the schedule's latest due time for
            beat and cron, or now for a manual run); one run per due time.
        only: course id strings to run, out of the schedule's courses (defaults to all).
        requested_by: the id of the user who asked for the run, recorded on it.

    Returns:
        dict: ``status`` (done, retrying, refused, missing, disabled, too_soon, already_ran,
        busy, ...), ``run_id`` and ``counts`` per outcome.
    """
    holder = new_holder()
    started = start(schedule_id, trigger=trigger, holder=holder, planned_at=planned_at, only=only,
                    requested_by=requested_by)
    if started.status != STARTED:
        return started.result()
    return work(started.run.pk, holder=holder)
