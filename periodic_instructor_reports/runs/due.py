"""
Due times: which schedules are due now, and whether a due time comes too soon after the last.

The recovery sweep catches up the due times that passed without a run, and sites that run no
celery beat run the due schedules from cron (``fallback``): both ask ``due_schedules``. A run
started by beat, cron or the catch-up that comes less than the ``MIN_INTERVAL`` setting after
the previous one is recorded as skipped instead.
"""

import datetime
import logging

from django.db.models import Max, Q
from django.utils import timezone

from periodic_instructor_reports import conf, states, timing
from periodic_instructor_reports.lengths import error_text
from periodic_instructor_reports.models import PeriodicReportSchedule, ReportRun
from periodic_instructor_reports.runs import store
from periodic_instructor_reports.states import RunStatus

log = logging.getLogger(__name__)


def due_schedules(*, now):
    """
    Return ``[(schedule, due time)]`` of the enabled schedules due at ``now``, in one query.

    A schedule is due when one of its due times passed since the last due time it ran for by
    beat or cron (or since its anchor: creation, resume or interval change); the latest such
    time is the one it runs for. Schedules that ran less than the ``MIN_INTERVAL`` setting ago,
    less the most a daylight saving change shortens a crontab's gap, cannot be due (their due
    times are at least that far apart) and are not even loaded.
    """
    closest = datetime.timedelta(seconds=conf.get("MIN_INTERVAL")) - timing.LARGEST_SHIFT
    recent = now - max(closest, datetime.timedelta(0))
    candidates = PeriodicReportSchedule.objects.filter(enabled=True).select_related(
        "interval", "crontab"
    ).annotate(
        last_due=Max("runs__planned_at", filter=Q(runs__trigger__in=states.AUTOMATIC)),
    ).filter(Q(last_due__isnull=True) | Q(last_due__lte=recent)).order_by("pk")
    due = []
    for schedule in candidates:
        since = max(filter(None, [schedule.last_due, schedule.anchor]))
        due_time = timing.latest_due(schedule, since=since, now=now)
        if due_time is not None:
            due.append((schedule, due_time))
    return due


def too_soon(schedule, planned_at):
    """
    Return why a run of ``schedule`` for ``planned_at`` comes too soon after its previous one, or "".

    Only runs that follow the schedule's times count (beat and cron, not "run now"); a run is
    too soon when its due time is less than the ``MIN_INTERVAL`` setting after the previous
    one's, measured as save-time validation measures (``timing.gap_between``), so a schedule
    accepted at save is never skipped. This catches intervals edited in the beat admin and
    schedules saved before the rule.
    """
    minimum = conf.get("MIN_INTERVAL")
    previous = previous_due_time(schedule, planned_at)
    if previous is None:
        return ""
    gap = timing.gap_between(schedule, previous, planned_at).total_seconds()
    if gap >= minimum:
        return ""
    return (
        f"too soon: {gap:.0f} s after the previous run's due time; runs of a schedule are at least "
        f"{minimum} s apart (the {conf.PREFIX}MIN_INTERVAL setting)"
    )


def previous_due_time(schedule, planned_at):
    """Return the latest due time before ``planned_at`` the schedule ran for by beat or cron, or None."""
    earlier = ReportRun.objects.filter(
        schedule=schedule, trigger__in=states.AUTOMATIC, planned_at__lt=planned_at,
    ).exclude(status=RunStatus.SKIPPED)
    return earlier.aggregate(latest=Max("planned_at"))["latest"]


def record_too_soon(schedule, *, trigger, planned_at, reason):
    """
    Record a run skipped for coming too soon; return it.

    A schedule that fires every few seconds would flood the history: later skips until the next
    real run add to the count of the first skipped run instead of adding rows.
    """
    now = timezone.now()
    latest = ReportRun.objects.filter(schedule=schedule).order_by("-planned_at", "-pk").first()
    if latest is not None and latest.status == RunStatus.SKIPPED:
        skipped = latest.counts.get("skipped_dispatches", 1) + 1
        latest.counts, latest.finished_at = {"skipped_dispatches": skipped}, now
        latest.error = error_text(f"{reason}; {skipped} dispatches skipped")
        latest.save(update_fields=["counts", "finished_at", "error"])
        log.warning("Periodic report schedule %s: skipped a run, %s.", schedule.pk, reason)
        return latest
    run, created = store.claim_run(schedule, trigger=trigger, planned_at=planned_at, holder="")
    if created:
        run.status, run.finished_at, run.error = RunStatus.SKIPPED, now, error_text(reason)
        run.counts = {"skipped_dispatches": 1}
        run.save(update_fields=["status", "finished_at", "error", "counts"])
    log.warning("Periodic report schedule %s: skipped a run, %s.", schedule.pk, reason)
    return run
