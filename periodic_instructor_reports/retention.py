"""Keeping run history for a limited time: deleting old runs, daily or when the cron command finds it due."""

import datetime
import logging

from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from periodic_instructor_reports import conf, housekeeping, timing
from periodic_instructor_reports.models import ReportRun

log = logging.getLogger(__name__)


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


def prune_if_due(*, now=None):
    """
    Prune when the pruning job's beat row is due, for sites that run no beat; return the count.

    Returns None when it is not due (or its row is missing or disabled). The row's ``last_run_at``
    is moved forward with a conditional update, so concurrent callers prune once.
    """
    now = now or timezone.now()
    row = PeriodicTask.objects.select_related("crontab").filter(
        name=housekeeping.PRUNE_BEAT_ROW, enabled=True, crontab__isnull=False
    ).first()
    if row is None:
        return None
    since = row.last_run_at or row.date_changed
    if timing.cron_next_after(row.crontab, since) > now:
        return None
    if not PeriodicTask.objects.filter(pk=row.pk, last_run_at=row.last_run_at).update(last_run_at=now):
        return None
    return prune_runs(now=now)
