"""
A run's lease: one holder at a time submits its courses.

``holder`` on the run names the Celery task working on it and ``heartbeat_at`` says when it last
made progress (or when it is due to go on). Another worker takes the run over only once that
holder has stalled for the ``RESUME_AFTER`` setting, so two dispatches of one due time never
submit the same course.
"""

import datetime
import logging
import uuid

from django.db.models import F, Q
from django.utils import timezone

from periodic_instructor_reports import conf, states
from periodic_instructor_reports.models import ReportRun

log = logging.getLogger(__name__)


def new_holder():
    """Return a fresh holder name (the Celery task id a continuation will have)."""
    return str(uuid.uuid4())


def take(run_id, holder, *, now=None):
    """
    Make ``holder`` the one working on an unfinished run; return the run, or None if it may not.

    The holder named on the run keeps it (a redelivered message after its worker was lost has
    the same task id). A run without a holder, or whose holder made no progress for the
    ``RESUME_AFTER`` setting, is taken over, and counted as resumed.
    """
    now = now or timezone.now()
    unfinished = ReportRun.objects.filter(pk=run_id, status__in=states.UNFINISHED)
    if unfinished.filter(holder=holder).update(heartbeat_at=now, parked=False):
        return ReportRun.objects.get(pk=run_id)
    stale = now - datetime.timedelta(seconds=conf.get("RESUME_AFTER"))
    taken = unfinished.filter(
        Q(holder="", heartbeat_at__lte=now) | Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True)
    ).exclude(holder=holder)
    if not taken.update(holder=holder, heartbeat_at=now, parked=False, resumptions=F("resumptions") + 1):
        return None
    log.info("Periodic report run %s is resumed by %s.", run_id, holder)
    return ReportRun.objects.get(pk=run_id)


def heartbeat(run, holder):
    """Record progress of ``holder`` on ``run``; return False when another holder took the run."""
    return bool(ReportRun.objects.filter(pk=run.pk, holder=holder).update(heartbeat_at=timezone.now()))


def hand_over(run, old_holder, new_holder, *, until, parked=False):
    """
    Pass the run from ``old_holder`` to ``new_holder`` (a continuation); return whether it moved.

    ``parked``: the run waits for a free slot, and may be woken before ``until`` (``unpark``).
    """
    return bool(ReportRun.objects.filter(pk=run.pk, holder=old_holder).update(
        holder=new_holder, heartbeat_at=until, parked=parked,
    ))


def unpark(run_id, holder, new_holder, *, now=None):
    """
    Take a run waiting for a slot from its continuation that has not started; return whether it moved.

    The continuation's ``take`` clears ``parked`` when it starts, so the run moves only while
    nobody works on it: one conditional update, whichever comes first. That continuation, when
    its countdown ends, finds the run held by another and does nothing.
    """
    return bool(ReportRun.objects.filter(pk=run_id, holder=holder, parked=True).update(
        holder=new_holder, heartbeat_at=now or timezone.now(), parked=False,
    ))


def release(run, holder, *, until):
    """Leave the run without a holder; the recovery sweep resumes it from ``until``."""
    ReportRun.objects.filter(pk=run.pk, holder=holder).update(holder="", heartbeat_at=until, parked=False)


class LeaseLost(Exception):
    """Another holder took the run over while this one was submitting a batch."""


class Lease:
    """
    A holder's hold on a run while it submits its batches, renewed as they go.

    A batch of slow submissions can outlast the ``RESUME_AFTER`` setting: the holder records its
    progress at least every quarter of that (from when it took the run), between batches and
    within them, so the recovery sweep never takes over a run whose worker is still submitting
    (and both submit the same courses).
    """

    def __init__(self, run, holder):
        self.run, self.holder = run, holder
        self.renewed_at = run.heartbeat_at or timezone.now()
        self.every = datetime.timedelta(seconds=conf.get("RESUME_AFTER") / 4)

    def renew(self, now=None):
        """Record progress if it is time to; return False once another holder has taken the run."""
        now = now or timezone.now()
        if now - self.renewed_at < self.every:
            return True
        self.renewed_at = now
        return heartbeat(self.run, self.holder)

    def renew_at(self):
        """Return when progress is next to be recorded, in seconds since the epoch (``time.time``)."""
        return (self.renewed_at + self.every).timestamp()

    def checkpoint(self):
        """
        Record progress if it is time to and read the schedule's state; return ``(held, state)``.

        ``held`` is False once another holder took the run; ``state`` is ``{"enabled": bool}``, or
        None when the schedule was deleted. One query (two when progress is recorded): a read,
        which does not wait for a batch's rows being stored beside it (on MySQL/MariaDB, writing
        the run's row would wait for the rows' foreign key checks).
        """
        if not self.renew():
            return False, None
        row = ReportRun.objects.filter(pk=self.run.pk).values(
            "holder", "schedule_id", "schedule__enabled",
        ).first()
        if row is None or row["holder"] != self.holder:
            return False, None
        if row["schedule_id"] is None:
            return True, None
        return True, {"enabled": row["schedule__enabled"]}
