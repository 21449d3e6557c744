"""
Celery entry points: thin wrappers around ``dispatch``, ``recovery`` and ``retention``.

The dispatch tasks acknowledge their message only once done (``acks_late``) and give it back
when their worker process is lost (``reject_on_worker_lost``): the message comes back with the
same task id, which still holds the run, so it resumes at once where the lost process stopped.
They return counts and the run id only, never a list of courses.
"""

import logging

from celery import shared_task
from django.db import DatabaseError, connections
from kombu.exceptions import OperationalError as BrokerError

from periodic_instructor_reports import (
    beat,
    conf,
    dispatch,
    follow,
    history,
    housekeeping,
    platform,
    recovery,
    retention,
    wrapped,
)

log = logging.getLogger(__name__)

CONTINUE_TASK = "periodic_instructor_reports.tasks.continue_report_run"
# Seconds a dispatch task waits before trying again after a database error.
DATABASE_RETRY_DELAY = 30
# Limits of the task that claims a run and records its courses (large course lists take a while).
START_SOFT_LIMIT = 600
# A continuation's soft limit is this plus SECONDS_PER_COURSE per course left; the hard limit
# leaves it this much longer to record what it did.
BASE_SOFT_LIMIT = 300
HARD_LIMIT_MARGIN = 120

DISPATCH_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True, "bind": True}


def _close_connections():
    """Drop database connections a failure may have broken, so the retry opens fresh ones."""
    for connection in connections.all():
        if connection.connection is not None and not connection.is_usable():
            connection.close()


def time_limits(course_count):
    """Return ``(soft, hard)`` limits in seconds for a continuation with ``course_count`` courses left."""
    soft = BASE_SOFT_LIMIT + conf.get("SECONDS_PER_COURSE") * course_count
    return soft, soft + HARD_LIMIT_MARGIN


def send_continuation(run_id, holder, *, countdown):
    """
    Queue ``continue_report_run`` for the run as task ``holder`` in ``countdown`` seconds; return success.

    Its time limits are sized from the courses the run has left.
    """
    soft, hard = time_limits(history.open_count(run_id))
    try:
        continue_report_run.apply_async(
            args=[run_id], task_id=holder, countdown=countdown or None, queue=conf.get("QUEUE"),
            soft_time_limit=soft, time_limit=hard,
        )
    except (BrokerError, OSError) as err:
        log.error("Could not queue the continuation of periodic report run %s: %s", run_id, err)
        return False
    return True


def _start(task, schedule_id, trigger, requested_by=None):
    """Start a run as ``task`` (its id holds the run) and hand its courses to a continuation."""
    holder = task.request.id or dispatch.new_holder()
    try:
        started = dispatch.start(schedule_id, trigger=trigger, holder=holder, requested_by=requested_by)
        if started.status != dispatch.STARTED:
            return started.result()
        continuation = dispatch.new_holder()
        if not history.hand_over(started.run, holder, continuation, until=started.run.heartbeat_at):
            return dispatch.result(dispatch.LOST, schedule_id=schedule_id, run_id=started.run.pk)
        if not send_continuation(started.run.pk, continuation, countdown=0):
            history.release(started.run, continuation, until=started.run.heartbeat_at)
    except DatabaseError as err:
        _close_connections()
        log.warning("Periodic report schedule %s: database error (%s); trying again.", schedule_id, err)
        raise task.retry(exc=err, countdown=DATABASE_RETRY_DELAY, max_retries=conf.get("MAX_RESUMPTIONS"))
    started.run.refresh_from_db(fields=["status", "counts"])
    return dispatch.result(started.run.status, schedule_id=schedule_id, run_id=started.run.pk,
                           counts=started.run.counts)


@shared_task(name=beat.DISPATCH_TASK, soft_time_limit=START_SOFT_LIMIT, **DISPATCH_OPTIONS)
def dispatch_report_schedule(self, schedule_id, trigger="beat", requested_by=None):
    """
    Start a run of the report schedule ``schedule_id`` and hand its courses to a continuation.

    Arguments:
        self: the task (its id holds the run while it starts).
        schedule_id: primary key of a ``PeriodicReportSchedule``.
        trigger: ``beat`` (from its beat row) or ``manual`` (run now).
        requested_by: the id of the user who asked for a manual run, recorded on the run.
    """
    return _start(self, schedule_id, trigger, requested_by)


@shared_task(name=CONTINUE_TASK, **DISPATCH_OPTIONS)
def continue_report_run(self, run_id):
    """Submit the courses of run ``run_id`` that have no outcome yet; return its counts."""
    try:
        return dispatch.work(run_id, holder=self.request.id)
    except DatabaseError as err:
        _close_connections()
        log.warning("Periodic report run %s: database error (%s); resuming in %s s.",
                    run_id, err, DATABASE_RETRY_DELAY)
        raise self.retry(exc=err, countdown=DATABASE_RETRY_DELAY, max_retries=conf.get("MAX_RESUMPTIONS"))


@shared_task(name=housekeeping.FOLLOW_UP_TASK)
def follow_up():
    """
    Follow submitted reports to their files, resume stalled runs, catch up missed due times.

    Each part runs even when the other failed (a report store down, say): its error is logged.
    """
    followed = _logged_failure(follow.check, "following reports")
    return {"followed": followed, **_logged_failure(recovery.sweep, "recovery")}


def _logged_failure(part, name):
    """Return ``part()``, or {} after logging why it failed."""
    try:
        return part()
    except Exception:  # noqa: BLE001 - one part of the follow-up job never stops the other
        log.exception("The follow-up job's %s failed; it runs again at the next check.", name)
        return {}


@shared_task(name=housekeeping.PRUNE_TASK)
def prune_report_runs():
    """
    The daily job: delete runs older than the retention setting, and reconcile the beat rows.

    Reconciling puts back beat rows changed or deleted outside the plugin (the beat admin).
    Returns how many runs were deleted and what reconciling changed.
    """
    return {"pruned": retention.prune_runs(), "reconciled": beat.reconcile_beat().lines()}


@shared_task(name=beat.LEGACY_DISPATCH_TASK, soft_time_limit=START_SOFT_LIMIT, **DISPATCH_OPTIONS)
def periodic_task_wrapper(self, periodic_task_schedule_id):
    """Run a schedule fired by a beat row of the earlier implementation, until it is rewritten."""
    return _start(self, periodic_task_schedule_id, "beat")


@shared_task(name=wrapped.TASK_NAME, bind=True, base=platform.instructor_task_base())
def run_wrapped_report(self, entry_id, xblock_instance_args=None):
    """
    Produce a report the dashboard builds in the request, for the platform's task row ``entry_id``.

    Submitted through the platform's ``submit_task`` (which passes the row's id and the request's
    details), so the row exists and the platform's one-at-a-time rule holds. Its base class is
    the platform's report tasks' one, which ends the row as SUCCESS or FAILURE, whatever happens.
    """
    return wrapped.run(entry_id, self.request.id)
