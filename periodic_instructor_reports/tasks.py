"""
Celery entry points: thin wrappers around the run engine (``runs``), ``follow`` and ``retention``.

The dispatch tasks acknowledge their message only once done (``acks_late``) and give it back
when their worker process is lost (``reject_on_worker_lost``): the message comes back with the
same task id, which still holds the run, so it resumes at once where the lost process stopped.
They return counts and the run id only, never a list of courses.
"""

import logging

from celery import shared_task
from django.db import DatabaseError, connections

from periodic_instructor_reports import beat, conf, follow, housekeeping, platform, retention, wrapped
from periodic_instructor_reports.runs import dispatch, ending, handoff, lease, pacing, recovery
from periodic_instructor_reports.states import Dispatch

log = logging.getLogger(__name__)

# Seconds a dispatch task waits before trying again after a database error.
DATABASE_RETRY_DELAY = 30
# Limits of the task that claims a run and records its courses (large course lists take a while).
START_SOFT_LIMIT = 600

DISPATCH_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True, "bind": True}


def _close_connections():
    """Drop database connections a failure may have broken, so the retry opens fresh ones."""
    for connection in connections.all():
        if connection.connection is not None and not connection.is_usable():
            connection.close()


def _start(task, schedule_id, trigger, requested_by=None):
    """Start a run as ``task`` (its id holds the run) and hand its courses to a continuation."""
    holder = task.request.id or lease.new_holder()
    try:
        started = dispatch.start(schedule_id, trigger=trigger, holder=holder, requested_by=requested_by)
        if started.status != Dispatch.STARTED:
            return started.result()
        handed = handoff.hand_off(started.run, holder, until=started.run.heartbeat_at)
        if handed == Dispatch.TAKEN_OVER:
            return ending.result(handed, schedule_id=schedule_id, run_id=started.run.pk)
    except DatabaseError as err:
        _close_connections()
        log.warning("Periodic report schedule %s: database error (%s); trying again.", schedule_id, err)
        raise task.retry(exc=err, countdown=DATABASE_RETRY_DELAY, max_retries=conf.get("MAX_RESUMPTIONS"))
    started.run.refresh_from_db(fields=["status", "counts"])
    return ending.result(started.run.status, schedule_id=schedule_id, run_id=started.run.pk,
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


@shared_task(name=handoff.CONTINUE_TASK, **DISPATCH_OPTIONS)
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
    Follow submitted reports to their files, tell runs past their window, resume stalled runs, catch up.

    Each part runs even when the other failed (a report store down, say): its error is logged.
    """
    followed = _logged_failure(follow.follow_reports, "following reports")
    late = _logged_failure(pacing.check_windows, "window checks")
    return {"followed": followed, "late": late, **_logged_failure(recovery.sweep, "recovery")}


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
def run_wrapped_report(self, entry_id, xblock_instance_args=None):  # noqa: ARG001 - the platform's submit_task sends it
    """
    Produce a report the dashboard builds in the request, for the platform's task row ``entry_id``.

    Submitted through the platform's ``submit_task`` (which passes the row's id and the request's
    details), so the row exists and the platform's one-at-a-time rule holds. Its base class is
    the platform's report tasks' one, which ends the row as SUCCESS or FAILURE, whatever happens.
    """
    return wrapped.run(entry_id, self.request.id)
