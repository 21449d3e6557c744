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
from dataclasses import dataclass

from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone
from edx_django_utils.monitoring import set_custom_attribute

from periodic_instructor_reports import beat, conf, courses, delivery, housekeeping, states, timing
from periodic_instructor_reports.models import PeriodicReportSchedule, ReportRun
from periodic_instructor_reports.runs import due, ending, lease, pacing, store, submit, writer
from periodic_instructor_reports.runs.lease import Lease, LeaseLost
from periodic_instructor_reports.runs.plan import plan
from periodic_instructor_reports.states import Dispatch, RunStatus, Trigger

log = logging.getLogger(__name__)


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
        return ending.result(self.status, schedule_id=self.schedule_id, run_id=self.run and self.run.pk,
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
    automatic = trigger in states.AUTOMATIC
    idle = _idle(schedule, schedule_id, automatic)
    if idle:
        return idle
    beat.restore(schedule)
    now = timezone.now()
    due_time = planned_at or (timing.due_time(schedule, now) if automatic else now)
    reason = due.too_soon(schedule, due_time) if automatic else ""
    if reason:
        run = due.record_too_soon(schedule, trigger=trigger, planned_at=due_time, reason=reason)
        return Start(Dispatch.TOO_SOON, schedule_id, run, reason)
    run, refused = _claim(schedule, trigger=trigger, due_time=due_time, holder=holder,
                          requested_by=requested_by)
    if refused is None and run.course_total is None:
        refused = _record(schedule, run, holder, only)
    return refused or Start(Dispatch.STARTED, schedule_id, run)


def _idle(schedule, schedule_id, automatic):
    """Return the ``Start`` of a schedule that runs nothing now (deleted, or paused but for run now)."""
    if schedule is None:
        log.info("Periodic report schedule %s no longer exists; nothing to run.", schedule_id)
        return Start(Dispatch.MISSING, schedule_id)
    if not schedule.enabled and automatic:
        log.info("Periodic report schedule %s is paused; nothing to run.", schedule_id)
        return Start(Dispatch.DISABLED, schedule_id)
    return None


def _claim(schedule, *, trigger, due_time, holder, requested_by):
    """
    Claim the run of the due time, or take over its stalled run; return ``(run, None)`` or ``(run, Start)``.

    The ``Start`` says why there is nothing to work on: the due time already ran, or its run is
    in progress elsewhere.
    """
    run, created = store.claim_run(schedule, trigger=trigger, planned_at=due_time, holder=holder,
                                   requested_by=requested_by)
    if created:
        housekeeping.ensure_job_rows()
        if trigger in states.AUTOMATIC:
            _count_missed(schedule, run)
        return run, None
    if run.status not in states.UNFINISHED:
        log.info("Periodic report schedule %s already ran for %s; not running again.",
                 schedule.pk, due_time.isoformat())
        return run, Start(Dispatch.ALREADY_RAN, schedule.pk, run)
    taken = lease.take(run.pk, holder)
    if taken is None:
        log.info("Periodic report schedule %s: its run for %s is in progress elsewhere.",
                 schedule.pk, due_time.isoformat())
        return run, Start(Dispatch.BUSY, schedule.pk)
    return taken, None


def _count_missed(schedule, run):
    """Record how many of the schedule's due times passed without a run before this one."""
    previous = due.previous_due_time(schedule, run.planned_at)
    if previous is None:
        return
    run.missed = timing.missed_between(schedule, previous, run.planned_at)
    if run.missed:
        log.warning("Periodic report schedule %s missed %s due times before %s.",
                    schedule.pk, run.missed, run.planned_at.isoformat())
        run.save(update_fields=["missed"])


def _record(schedule, run, holder, only):
    """Record the run's courses; return None, or the ``Start`` of a run refused before any."""
    with ending.ending_on_error(run, holder):
        first = plan(schedule, moment=run.planned_at)
        if first.refusal:
            return _refuse(schedule, run, first.refusal, only)
        store.record_courses(run, courses.target_batches(schedule, only, size=store.BATCH_SIZE))
    set_custom_attribute("periodic_report_course_count", run.course_total)
    return None


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
        return ending.result(Dispatch.BUSY, run_id=run_id)
    with ending.ending_on_error(run, holder):
        return _work(run, holder)


def _work(run, holder):
    schedule = load_schedule(run.schedule_id, with_courses=run.course_total is None)
    stop = _stop_reason(run, schedule)
    if stop:
        return ending.stop(run, holder, stop)
    if run.course_total is None:
        ended = _record_again(schedule, run, holder)
        if ended:
            return ended
    run_plan = plan(schedule, moment=run.planned_at)
    if run_plan.refusal:
        return ending.refuse_rest(run, holder, run_plan.refusal)
    return _submit_all(run, run_plan, holder)


def _record_again(schedule, run, holder):
    """Record the courses of a run whose worker died while recording them; return the summary if it ends."""
    if run.trigger not in states.AUTOMATIC:
        # It may have been for chosen courses only: running it again is the user's call.
        error = "interrupted while its courses were recorded; nothing was submitted: run it again"
        store.finish_run(run, status=RunStatus.ERROR, error=error, holder=holder)
        log.error("Periodic report run %s %s.", run.pk, error)
        return ending.result(RunStatus.ERROR, schedule_id=run.schedule_id, run_id=run.pk, error=error)
    refused = _record(schedule, run, holder, None)
    return refused.result() if refused else None


def _submit_all(run, run_plan, holder):
    """Submit the run's courses step by step, then finish it or hand it over; return the summary."""
    retrying = run.status == RunStatus.RETRYING
    if retrying:
        ReportRun.objects.filter(pk=run.pk, holder=holder).update(status=RunStatus.RUNNING)
    pacer = pacing.Pacer(run, run_plan.schedule.max_in_flight)
    run_lease = Lease(run, holder)
    with writer.BatchWriter(overlap=writer.can_overlap(paced=pacer.active)) as rows_writer:
        end = _take_steps(run, run_plan, run_lease, pacer, _steps(run, retrying, rows_writer))
    return end()


def _take_steps(run, run_plan, run_lease, pacer, steps):
    """
    Take the steps while the run may go on; return how the pass ends, to call once its rows are stored.

    The end (a summary: the run finished, stopped or handed over) reads the run's rows, so it
    is taken only once the writer has stored the last batch.
    """
    holder = run_lease.holder
    for number, (size, step) in enumerate(steps):
        if number:  # the first step comes right after taking the run and reading its schedule
            end = _between_steps(run, run_lease)
            if end:
                return end
        granted = pacer.grant(size)
        if not granted:
            return _wait_for_slots(run, holder, pacer)
        end = _take_step(run, run_plan, run_lease, step, granted, pacer)
        if end:
            return end
        if granted < size:
            return _wait_for_slots(run, holder, pacer)
    pacer.save()
    return functools.partial(ending.end_pass, run, holder)


def _take_step(run, run_plan, run_lease, step, granted, pacer):
    """Submit up to ``granted`` courses of one step; return the end of the pass if the run moves on."""
    holder = run_lease.holder
    try:
        outage = step(run_plan, run, run_lease, limit=granted)
    except SoftTimeLimitExceeded:
        log.warning("Periodic report run %s reached its time limit; handing the rest over.", run.pk)
        pacer.save()
        return functools.partial(ending.continue_later, run, holder, countdown=0, reason="time limit")
    except LeaseLost:
        # The new holder settles this batch's courses from the platform's own task rows.
        log.warning("Periodic report run %s was taken over by another worker during a batch; %s stops.",
                    run.pk, holder)
        return functools.partial(ending.result, Dispatch.TAKEN_OVER, schedule_id=run.schedule_id,
                                 run_id=run.pk)
    finally:
        pacer.release(holder)
    if outage:
        pacer.save()
        return functools.partial(ending.continue_later, run, holder, countdown=conf.get("OUTAGE_DELAY"),
                                 reason=outage)
    return None


def _wait_for_slots(run, holder, pacer):
    """Hand the run over to look for a free slot in ``PACE_SECONDS``, saying early if it will be late."""
    pacer.pause()
    pacer.save()
    pacing.check_window(run, slots=pacer.figures.get("most_in_flight", 1))
    return functools.partial(ending.continue_later, run, holder, countdown=conf.get("PACE_SECONDS"),
                             reason="waiting for a free slot", parked=True)


def _between_steps(run, run_lease):
    """Record progress and read the schedule between two steps; return the end of the pass if it stops."""
    held, schedule_state = run_lease.checkpoint()
    if not held:
        log.warning("Periodic report run %s was taken over by another worker; %s stops.", run.pk,
                    run_lease.holder)
        return functools.partial(ending.result, Dispatch.TAKEN_OVER, schedule_id=run.schedule_id,
                                 run_id=run.pk)
    stop = _stop_reason(run, schedule_state)
    return functools.partial(ending.stop, run, run_lease.holder, stop) if stop else None


def _steps(run, retrying, rows_writer):
    """
    Yield the run's work, one batch at a time: ``(courses, submit(run_plan, run, lease, limit=...))``.

    First the rows to submit again (courses the broker refused, then, when ``retrying``, those
    refused as already running), then the batches of courses never tried, in order, whose rows
    ``rows_writer`` stores.
    """
    last_pk = 0
    while rows := store.open_rows(run, after_pk=last_pk, retrying=retrying):
        last_pk = rows[-1].pk
        yield len(rows), functools.partial(submit.submit_rows, rows=rows)
    number = -1
    while batch := store.next_batch(run, after=number):
        number = batch.number
        yield len(batch.course_ids), functools.partial(submit.submit_queued, batch=batch, writer=rows_writer)


def _stop_reason(run, schedule):
    """Return why the run must stop: its schedule (or ``{"enabled": ...}`` of it) is gone or paused."""
    if schedule is None:
        return "the schedule was deleted during the run"
    enabled = schedule["enabled"] if isinstance(schedule, dict) else schedule.enabled
    if not enabled and run.trigger in states.AUTOMATIC:
        return "the schedule was paused during the run"
    return ""


def run_schedule(
    schedule_id, *, trigger=Trigger.BEAT, planned_at=None, only=None, requested_by=None
):
    """
    Run a schedule in this process: claim and record the run, then submit its courses; return the summary.

    Used by the management commands and the tests; Celery's tasks split the two steps. Must
    not be called inside ``transaction.atomic``: the platform's ``submit_task`` requires that.

    Arguments:
        schedule_id: primary key of a ``PeriodicReportSchedule``.
        trigger: a ``Trigger`` (recorded on the run): ``beat``, ``cron`` and ``catch_up`` follow
            the schedule's times, ``manual`` is run now.
        planned_at: the due time this run is for (defaults to the schedule's latest due time for
            the schedule's own triggers, or now for a manual run); one run per due time.
        only: course id strings to run, out of the schedule's courses (defaults to all).
        requested_by: the id of the user who asked for the run, recorded on it.

    Returns:
        dict: ``status`` (a ``RunStatus`` or a ``Dispatch``), ``run_id`` and ``counts`` per outcome.
    """
    holder = lease.new_holder()
    started = start(schedule_id, trigger=trigger, holder=holder, planned_at=planned_at, only=only,
                    requested_by=requested_by)
    if started.status != Dispatch.STARTED:
        return started.result()
    return work(started.run.pk, holder=holder)


