"""
How a run's dispatch ends: finished, generating, stopped, refused, in error, or handed over.

Each end records the run's status and counts (only while its holder still holds it) and, when
there is nothing left to follow, delivers its e-mail; each returns the JSON-ready summary a
dispatch returns and Celery's result backend keeps.
"""

import logging
from contextlib import contextmanager

from celery.exceptions import SoftTimeLimitExceeded
from django.db import DatabaseError

from periodic_instructor_reports import conf, delivery
from periodic_instructor_reports.lengths import exception_text
from periodic_instructor_reports.models import ReportRun, ReportRunCourse
from periodic_instructor_reports.runs import handoff, store
from periodic_instructor_reports.states import Dispatch, Outcome, RunStatus

log = logging.getLogger(__name__)


def result(status, *, schedule_id=None, run_id=None, counts=None, error=""):
    """Return the JSON-ready summary a dispatch returns (and the result backend keeps): no course list."""
    return {
        "schedule_id": schedule_id, "run_id": run_id, "status": status,
        "counts": counts or {}, "error": error,
    }


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


def stop(run, holder, reason):
    closed = store.close_open_rows(run, f"not submitted: {reason}")
    log.info("Periodic report run %s stops: %s (%s courses not submitted).", run.pk, reason, closed)
    return finish(run, holder, error=f"stopped: {reason}")


def finish(run, holder, *, error=""):
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
    log_pacing(run)
    if status == RunStatus.DONE:
        delivery.deliver(run)
    return result(status, schedule_id=run.schedule_id, run_id=run.pk, counts=counts, error=error)


def log_pacing(run):
    """Log, once the run's courses are all submitted, how it was paced (nothing for an unpaced run)."""
    figures = run.pacing or {}
    if not figures:
        return
    caps = f"the site's cap {figures.get('cap') or 'off'}"
    if figures.get("schedule_cap"):
        caps += f" and its schedule's {figures['schedule_cap']}"
    log.info("Periodic report run %s was paced by %s: %s waits for a free slot, %s s waiting in all, "
             "at most %s of its reports generating at once.", run.pk, caps, figures.get("waits", 0),
             figures.get("waited_seconds", 0), figures.get("most_in_flight", 0))


def refuse_rest(run, holder, error):
    log.error("Periodic report run %s refused: %s", run.pk, error)
    store.close_open_rows(run, error, outcome=Outcome.REFUSED)
    counts = store.finish_run(run, status=RunStatus.REFUSED, error=error, holder=holder)
    delivery.deliver(run)
    return result(Dispatch.REFUSED, schedule_id=run.schedule_id, run_id=run.pk, counts=counts, error=error)


def end_pass(run, holder):
    """After the last batch: wait to retry courses already running, or finish the run."""
    if store.has_retries(run):
        counts = store.outcome_counts(run)
        ReportRun.objects.filter(pk=run.pk, holder=holder).update(
            status=RunStatus.RETRYING, counts=counts,
        )
        return continue_later(
            run, holder, countdown=conf.get("RETRY_DELAY"), reason="courses already running",
            status=RunStatus.RETRYING,
        )
    return finish(run, holder)


def continue_later(run, holder, *, countdown, reason, status=Dispatch.HANDED_OVER, parked=False):
    """Hand the run to a continuation in ``countdown`` seconds (or once woken, parked); return the summary."""
    handed = handoff.hand_off(run, holder, countdown=countdown, parked=parked)
    if handed == Dispatch.TAKEN_OVER:
        return result(Dispatch.TAKEN_OVER, schedule_id=run.schedule_id, run_id=run.pk)
    if handed == Dispatch.BROKER_UNAVAILABLE:
        log.error("Periodic report run %s: could not queue its continuation (%s); the recovery sweep "
                  "resumes it.", run.pk, reason)
    counts = store.outcome_counts(run)
    return result(status, schedule_id=run.schedule_id, run_id=run.pk, counts=counts, error=reason)
