"""
Running a schedule: start a run for its due time, then work on it until every course is submitted.

Starting claims the run of the schedule's due time (one per due time, refused by the database a
second time) and records its courses in the run's queue before anything is submitted. Working
submits the queue batch by batch (``submit``), as ``plan`` builds each course's call, and hands
the run to a continuation (``handoff``) to retry, after an outage or at a time limit. So a run
stopped anywhere (a killed worker, a time limit, a database or broker outage) is resumed for
exactly the courses without an outcome (``settle``, ``recovery``).
"""

import functools
import logging
from contextlib import contextmanager
from dataclasses import dataclass

from celery.exceptions import SoftTimeLimitExceeded
from django.db import DatabaseError
from django.utils import timezone
from edx_django_utils.monitoring import set_custom_attribute

from periodic_instructor_reports import beat, conf, courses, delivery, housekeeping, states, timing
from periodic_instructor_reports.lengths import exception_text
from periodic_instructor_reports.models import PeriodicReportSchedule, ReportRun, ReportRunCourse
from periodic_instructor_reports.runs import due, handoff, lease, store, submit
from periodic_instructor_reports.runs.lease import Lease, LeaseLost
from periodic_instructor_reports.runs.plan import plan
from periodic_instructor_reports.states import Dispatch, Outcome, RunStatus, Trigger

log = logging.getLogger(__name__)


def result(status, *, schedule_id=None, run_id=None, counts=None, error=""):
    """Return the JSON-ready summary a dispatch returns (and the result backend keeps): no course list."""
    return {
        "schedule_id": schedule_id, "run_id": run_id, "status": status,
        "counts": counts or {}, "error": error,
    }


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
    """What starting a run came to: ``Dispatch.STARTED`` with the run to work on, or why not."""

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
        return Start(Dispatch.MISSING, schedule_id)
    automatic = trigger in states.AUTOMATIC
    if not schedule.enabled and automatic:
        log.info("Periodic report schedule %s is paused; nothing to run.", schedule_id)
        return Start(Dispatch.DISABLED, schedule_id)
    beat.restore(schedule)
    now = timezone.now()
    due_time = planned_at or (timing.due_time(schedule, now) if automatic else now)
    if automatic:
        reason = due.too_soon(schedule, due_time)
        if reason:
            run = due.record_too_soon(schedule, trigger=trigger, planned_at=due_time, reason=reason)
            return Start(Dispatch.TOO_SOON, schedule_id, run, reason)
    run, created = store.claim_run(schedule, trigger=trigger, planned_at=due_time, holder=holder,
                                     requested_by=requested_by)
    if not created:
        if run.status not in states.UNFINISHED:
            log.info("Periodic report schedule %s already ran for %s; not running again.",
                     schedule_id, due_time.isoformat())
            return Start(Dispatch.ALREADY_RAN, schedule_id, run)
        run = lease.take(run.pk, holder)
        if run is None:
            log.info("Periodic report schedule %s: its run for %s is in progress elsewhere.",
                     schedule_id, due_time.isoformat())
            return Start(Dispatch.BUSY, schedule_id)
    else:
        housekeeping.ensure_job_rows()
        if automatic:
            previous = due.previous_due_time(schedule, due_time)
            if previous is not None:
                run.missed = timing.missed_between(schedule, previous, due_time)
                if run.missed:
                    log.warning("Periodic report schedule %s missed %s due times before %s.",
                                schedule_id, run.missed, due_time.isoformat())
                    run.save(update_fields=["missed"])
    if run.course_total is None:
        refused = _record(schedule, run, holder, only)
        if refused:
            return refused
    return Start(Dispatch.STARTED, schedule_id, run)


def _record(schedule, run, holder, only):
    """Record the run's courses; return None, or the ``Start`` of a run refused before any."""
    with ending_on_error(run, holder):
        first = plan(schedule, moment=run.planned_at)
        if first.refusal:
            return _refuse(schedule, run, first.refusal, only)
        store.record_courses(run, courses.target_batches(schedule, only, size=store.BATCH_SIZE))
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
        error = exception_text(err)
        log.exception("Periodic report run %s failed: %s", run.pk, error)
        store.close_open_rows(run, f"not submitted: the dispatcher failed: {error}")
        store.finish_run(run, status=RunStatus.ERROR, error=error, holder=holder)
        raise


def _refuse(schedule, run, error, only):
    log.error("Periodic report schedule %s refused: %s", schedule.pk, error)
    course_ids = only if only is not None else [str(course_id) for course_id in schedule.course_ids or []]
    store.refuse_courses(run, course_ids, error)
    store.finish_run(run, status=RunStatus.REFUSED, error=error)
    delivery.deliver(run)
    return Start(Dispatch.REFUSED, schedule.pk, run, error)


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
    run = lease.take(run_id, holder)
    if run is None:
        log.info("Periodic report run %s is held by another worker or finished; not working on it.", run_id)
        return result(Dispatch.BUSY, run_id=run_id)
    with ending_on_error(run, holder):
        return _work(run, holder)


def _work(run, holder):
    schedule = load_schedule(run.schedule_id, with_courses=run.course_total is None)
    stop = _stop_reason(run, schedule)
    if stop:
        return _stop(run, schedule, holder, stop)
    if run.course_total is None:
        # Its worker died while recording its courses, before submitting any.
        if run.trigger not in states.AUTOMATIC:
            # It may have been for chosen courses only: running it again is the user's call.
            error = "interrupted while its courses were recorded; nothing was submitted: run it again"
            store.finish_run(run, status=RunStatus.ERROR, error=error, holder=holder)
            log.error("Periodic report run %s %s.", run.pk, error)
            return result(RunStatus.ERROR, schedule_id=run.schedule_id, run_id=run.pk, error=error)
        refused = _record(schedule, run, holder, None)
        if refused:
            return refused.result()
    run_plan = plan(schedule, moment=run.planned_at)
    if run_plan.refusal:
        return _refuse_rest(run, schedule, holder, run_plan.refusal)
    retrying = run.status == RunStatus.RETRYING
    if retrying:
        ReportRun.objects.filter(pk=run.pk, holder=holder).update(status=RunStatus.RUNNING)
    for number, step in enumerate(_steps(run, retrying)):
        if number:  # the first step comes right after taking the run and reading its schedule
            held, schedule_state = lease.checkpoint(run, holder)
            if not held:
                log.warning("Periodic report run %s was taken over by another worker; %s stops.",
                            run.pk, holder)
                return result(Dispatch.TAKEN_OVER, schedule_id=run.schedule_id, run_id=run.pk)
            stop = _stop_reason(run, schedule_state)
            if stop:
                return _stop(run, schedule, holder, stop)
        try:
            outage = step(run_plan, run, Lease(run, holder))
        except SoftTimeLimitExceeded:
            log.warning("Periodic report run %s reached its time limit; handing the rest over.", run.pk)
            return _continue_later(run, holder, countdown=0, reason="time limit")
        except LeaseLost:
            # The new holder settles this batch's courses from the platform's own task rows.
            log.warning("Periodic report run %s was taken over by another worker during a batch; %s stops.",
                        run.pk, holder)
            return result(Dispatch.TAKEN_OVER, schedule_id=run.schedule_id, run_id=run.pk)
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
    while rows := store.open_rows(run, after_pk=last_pk, retrying=retrying):
        last_pk = rows[-1].pk
        yield functools.partial(submit.submit_rows, rows=rows)
    number = -1
    while batch := store.next_batch(run, after=number):
        number = batch.number
        yield functools.partial(submit.submit_queued, batch=batch)


def _stop_reason(run, schedule):
    """Return why the run must stop: its schedule (or ``{"enabled": ...}`` of it) is gone or paused."""
    if schedule is None:
        return "the schedule was deleted during the run"
    enabled = schedule["enabled"] if isinstance(schedule, dict) else schedule.enabled
    if not enabled and run.trigger in states.AUTOMATIC:
        return "the schedule was paused during the run"
    return ""


def _stop(run, schedule, holder, reason):
    closed = store.close_open_rows(run, f"not submitted: {reason}")
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
    status = RunStatus.GENERATING if following else RunStatus.DONE
    counts = store.finish_run(run, status=status, error=error, holder=holder)
    if counts is None:
        return result(Dispatch.TAKEN_OVER, schedule_id=run.schedule_id, run_id=run.pk)
    if status == RunStatus.DONE:
        delivery.deliver(run)
    return result(status, schedule_id=run.schedule_id, run_id=run.pk, counts=counts, error=error)


def _refuse_rest(run, schedule, holder, error):
    log.error("Periodic report run %s refused: %s", run.pk, error)
    store.close_open_rows(run, error, outcome=Outcome.REFUSED)
    counts = store.finish_run(run, status=RunStatus.REFUSED, error=error, holder=holder)
    delivery.deliver(run)
    return result(Dispatch.REFUSED, schedule_id=run.schedule_id, run_id=run.pk, counts=counts, error=error)


def _end_pass(run, schedule, holder):
    """After the last batch: wait to retry courses already running, or finish the run."""
    if store.has_retries(run):
        counts = store.outcome_counts(run)
        ReportRun.objects.filter(pk=run.pk, holder=holder).update(
            status=RunStatus.RETRYING, counts=counts,
        )
        return _continue_later(
            run, holder, countdown=conf.get("RETRY_DELAY"), reason="courses already running",
            status=RunStatus.RETRYING,
        )
    return _finish(run, holder)


def run_schedule(
    schedule_id, *, trigger=Trigger.BEAT, planned_at=None, only=None, requested_by=None
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
    holder = lease.new_holder()
    started = start(schedule_id, trigger=trigger, holder=holder, planned_at=planned_at, only=only,
                    requested_by=requested_by)
    if started.status != Dispatch.STARTED:
        return started.result()
    return work(started.run.pk, holder=holder)


def _continue_later(run, holder, *, countdown, reason, status=Dispatch.HANDED_OVER):
    """Hand the run over to a continuation in ``countdown`` seconds; return the summary."""
    handed = handoff.hand_off(run, holder, countdown=countdown)
    if handed == Dispatch.TAKEN_OVER:
        return result(Dispatch.TAKEN_OVER, schedule_id=run.schedule_id, run_id=run.pk)
    if handed == Dispatch.BROKER_UNAVAILABLE:
        log.error("Periodic report run %s: could not queue its continuation (%s); the recovery sweep "
                  "resumes it.", run.pk, reason)
    counts = store.outcome_counts(run)
    return result(status, schedule_id=run.schedule_id, run_id=run.pk, counts=counts, error=reason)
