"""
Recovery: resuming runs whose worker stopped, and running due times nobody ran.

The follow-up job calls ``sweep`` every minute. A run that made no progress for the
``RESUME_AFTER`` setting (its whole worker was killed, or a deploy outlasted the grace period),
or that was left without a holder because its continuation could not be queued (a broker
outage), is resumed for the courses without an outcome. A schedule whose latest due time passed
with no run (the broker was down when beat fired, or the messages expired while the workers
were down) runs it once, late, with the due times before it counted as missed.
"""

import datetime
import logging

from django.db.models import Q
from django.utils import timezone

from periodic_instructor_reports import conf, states
from periodic_instructor_reports.models import ReportRun
from periodic_instructor_reports.runs import dispatch, due, handoff, lease, store
from periodic_instructor_reports.states import Dispatch, RunStatus, Trigger

log = logging.getLogger(__name__)

# A due time is caught up once it is this old without a run: beat normally fires it at once.
CATCH_UP_AFTER = datetime.timedelta(minutes=2)
# Runs resumed per sweep (the next sweep takes the rest).
SWEEP_LIMIT = 50


def stalled_runs(*, now):
    """Return the unfinished runs to resume: stale, or without a holder and due to go on."""
    stale = now - datetime.timedelta(seconds=conf.get("RESUME_AFTER"))
    return ReportRun.objects.filter(status__in=states.UNFINISHED).filter(
        Q(heartbeat_at__lt=stale) | Q(holder="", heartbeat_at__lte=now) | Q(heartbeat_at__isnull=True)
    ).order_by("heartbeat_at", "pk")[:SWEEP_LIMIT]


def resume_stalled(*, now=None, inline=False):
    """
    Resume stalled runs; return ``[(run id, what happened)]``.

    Each is taken over by a new holder and handed to a continuation task (or, with ``inline``,
    worked on in this process: the cron command). A run resumed more than ``MAX_RESUMPTIONS``
    times ends as ``error``, with the courses it did not submit recorded.
    """
    now = now or timezone.now()
    done = []
    for run in stalled_runs(now=now):
        if run.resumptions >= conf.get("MAX_RESUMPTIONS"):
            reason = f"gave up after {run.resumptions} resumptions: the run kept stopping"
            store.close_open_rows(run, f"not submitted: {reason}")
            store.finish_run(run, status=RunStatus.ERROR, error=reason)
            log.error("Periodic report run %s: %s.", run.pk, reason)
            done.append((run.pk, RunStatus.ERROR))
            continue
        holder = lease.new_holder()
        taken = lease.take(run.pk, holder, now=now)
        if taken is None:
            continue
        if inline:
            done.append((run.pk, dispatch.work(run.pk, holder=holder)["status"]))
        else:
            done.append((run.pk, _handed(handoff.hand_off(taken, holder, until=now), "resumed")))
    return done


def catch_up(*, now=None, inline=False):
    """
    Run the latest due time of each schedule that passed without a run; return ``[(schedule id, status)]``.

    Only due times older than ``CATCH_UP_AFTER`` count, so beat fires them first.
    """
    now = now or timezone.now()
    done = []
    for schedule, due_time in due.due_schedules(now=now - CATCH_UP_AFTER):
        holder = lease.new_holder()
        started = dispatch.start(
            schedule.pk, trigger=Trigger.CATCH_UP, holder=holder, planned_at=due_time,
        )
        if started.status != Dispatch.STARTED:
            done.append((schedule.pk, started.status))
            continue
        log.warning("Periodic report schedule %s: its due time %s passed without a run; running it now.",
                    schedule.pk, due_time.isoformat())
        if inline:
            done.append((schedule.pk, dispatch.work(started.run.pk, holder=holder)["status"]))
        else:
            handed = handoff.hand_off(started.run, holder, until=now)
            done.append((schedule.pk, _handed(handed, "caught up")))
    return done


def sweep(*, now=None, inline=False):
    """Resume stalled runs and catch up missed due times; return what was done, for the log."""
    return {"resumed": resume_stalled(now=now, inline=inline), "caught_up": catch_up(now=now, inline=inline)}


def _handed(handed, done):
    """Return what a hand-off by the sweep came to, for the log: ``done``, or why not."""
    return done if handed == Dispatch.HANDED_OVER else str(handed)
