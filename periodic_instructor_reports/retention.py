"""Keeping run history for a limited time: the pruning job and its own beat row."""

import datetime
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from periodic_instructor_reports import conf, schedules
from periodic_instructor_reports.models import ReportRun

log = logging.getLogger(__name__)

PRUNE_TASK = "periodic_instructor_reports.tasks.prune_report_runs"
PRUNE_BEAT_ROW = "periodic-instructor-reports-prune-runs"
# Daily at 03:17 UTC: off the hour, when few people generate reports.
PRUNE_CRONTAB = {"minute": "17", "hour": "3", "day_of_week": "*", "day_of_month": "*",
                 "month_of_year": "*", "timezone": "UTC"}


def prune_runs(*, now=None):
    """
    Delete runs (with their course rows) that started before the retention period, in batches.

    Returns:
        int: how many runs were deleted.
    """
    cutoff = (now or timezone.now()) - datetime.timedelta(days=conf.get("RUN_RETENTION_DAYS"))
    batch_size = conf.get("PRUNE_BATCH_SIZE")
    old = ReportRun.objects.filter(started_at__lt=cutoff).order_by("pk")
    total = 0
    while True:
        batch = list(old.values_list("pk", flat=True)[:batch_size])
        if not batch:
            break
        ReportRun.objects.filter(pk__in=batch).delete()
        total += len(batch)
    log.info("Pruned %s periodic report runs that started before %s.", total, cutoff.isoformat())
    return total


def ensure_prune_beat_row():
    """
    Create the daily beat row of the pruning job if it does not exist; return whether it was made.

    Called when a run is recorded and by the reconcile command, never at import or start-up. An
    existing row is left as it is, so operators may move or disable it.
    """
    if PeriodicTask.objects.filter(name=PRUNE_BEAT_ROW).exists():
        return False
    try:
        with transaction.atomic():
            crontab = CrontabSchedule.objects.filter(**PRUNE_CRONTAB).first() or (
                CrontabSchedule.objects.create(**PRUNE_CRONTAB)
            )
            # Saving a PeriodicTask tells a running beat (its change tracker).
            PeriodicTask.objects.create(
                name=PRUNE_BEAT_ROW, task=PRUNE_TASK, crontab=crontab, queue=conf.get("QUEUE"),
                description="Delete periodic instructor report runs older than the retention setting.",
            )
    except IntegrityError:
        # Another worker's first run created it at the same moment (beat row names are unique).
        return False
    log.info("Created the beat row %s of the run history pruning job.", PRUNE_BEAT_ROW)
    return True


def prune_if_due(*, now=None):
    """
    Prune when the pruning job's beat row is due, for sites that run no beat; return the count.

    Returns None when it is not due (or its row is missing or disabled). The row's ``last_run_at``
    is moved forward with a conditional update, so concurrent callers prune once.
    """
    now = now or timezone.now()
    row = PeriodicTask.objects.select_related("crontab").filter(
        name=PRUNE_BEAT_ROW, enabled=True, crontab__isnull=False
    ).first()
    if row is None:
        return None
    since = row.last_run_at or row.date_changed
    if schedules.cron_next_after(row.crontab, since) > now:
        return None
    if not PeriodicTask.objects.filter(pk=row.pk, last_run_at=row.last_run_at).update(last_run_at=now):
        return None
    return prune_runs(now=now)
