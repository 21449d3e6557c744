"""Running the schedules that are due, for sites that run no celery beat."""

import datetime
import logging

from django.db.models import Max, Q
from django.utils import timezone

from periodic_instructor_reports import conf, dispatch, schedules
from periodic_instructor_reports.models import PeriodicReportSchedule, ReportRun

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
    closest = datetime.timedelta(seconds=conf.get("MIN_INTERVAL")) - schedules.LARGEST_SHIFT
    recent = now - max(closest, datetime.timedelta(0))
    candidates = PeriodicReportSchedule.objects.filter(enabled=True).select_related(
        "interval", "crontab"
    ).annotate(
        last_due=Max("runs__planned_at", filter=Q(runs__trigger__in=ReportRun.AUTOMATIC_TRIGGERS)),
    ).filter(Q(last_due__isnull=True) | Q(last_due__lte=recent)).order_by("pk")
    due = []
    for schedule in candidates:
        since = max(filter(None, [schedule.last_due, schedule.anchor]))
        due_time = schedules.latest_due(schedule, since=since, now=now)
        if due_time is not None:
            due.append((schedule, due_time))
    return due


def run_due(*, now=None):
    """
    Run each schedule that is due, once per due time, and return the run summaries.

    Safe to call every minute and from concurrent processes: a run claims its schedule and due
    time in the database first, and a second claim of the same pair runs nothing.
    """
    now = now or timezone.now()
    summaries = []
    for schedule, due_time in due_schedules(now=now):
        log.info("Periodic report schedule %s is due for %s.", schedule.pk, due_time.isoformat())
        summaries.append(dispatch.run_schedule(
            schedule.pk, trigger=ReportRun.TRIGGER_CRON, planned_at=due_time,
        ))
    return summaries
