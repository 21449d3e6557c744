"""
The plugin's own jobs and their beat rows: the daily job and the follow-up every minute.

The daily job prunes old runs and reconciles beat rows; the follow-up resumes and catches up.
The rows are created when the first run is recorded and by the reconcile command, never at
import time, in ``ready()`` or by a migration (a site with no runs has nothing to follow up or
prune). An existing row is never rewritten, so operators may move or disable it.
"""

import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from periodic_instructor_reports import conf

log = logging.getLogger(__name__)

PRUNE_TASK = "periodic_instructor_reports.tasks.prune_report_runs"
PRUNE_BEAT_ROW = "periodic-instructor-reports-prune-runs"
# Daily at 03:17 UTC: off the hour, when few people generate reports.
PRUNE_CRONTAB = {"minute": "17", "hour": "3", "day_of_week": "*", "day_of_month": "*",
                 "month_of_year": "*", "timezone": "UTC"}

FOLLOW_UP_TASK = "periodic_instructor_reports.tasks.follow_up"
FOLLOW_UP_BEAT_ROW = "periodic-instructor-reports-follow-up"

JOB_ROWS = (PRUNE_BEAT_ROW, FOLLOW_UP_BEAT_ROW)


def _schedule_of(name):
    if name == PRUNE_BEAT_ROW:
        crontab = CrontabSchedule.objects.filter(**PRUNE_CRONTAB).first()
        return {"crontab": crontab or CrontabSchedule.objects.create(**PRUNE_CRONTAB)}
    interval, _ = IntervalSchedule.objects.get_or_create(
        every=conf.get("FOLLOW_UP_SECONDS"), period=IntervalSchedule.SECONDS,
    )
    return {"interval": interval}


DESCRIPTIONS = {
    PRUNE_BEAT_ROW: (
        "Delete periodic instructor report runs older than the retention setting, and put back beat rows "
        "of report schedules changed outside the plugin.",
        PRUNE_TASK,
    ),
    FOLLOW_UP_BEAT_ROW: (
        "Follow submitted periodic instructor reports to their files and e-mail finished runs; resume runs "
        "whose worker stopped, and run due times that were missed.",
        FOLLOW_UP_TASK,
    ),
}


def ensure_job_rows():
    """Create the beat rows of the plugin's jobs that do not exist; return the names created."""
    created = []
    for name in missing_job_rows():
        description, task = DESCRIPTIONS[name]
        try:
            with transaction.atomic():
                # Saving a PeriodicTask tells a running beat (its change tracker).
                PeriodicTask.objects.create(
                    name=name, task=task, queue=conf.get("QUEUE"), description=description,
                    **_schedule_of(name),
                )
        except (IntegrityError, ValidationError):
            # Another worker's first run created it at the same moment (beat row names are unique).
            continue
        log.info("Created the beat row %s.", name)
        created.append(name)
    return created


def missing_job_rows():
    """Return the names of the plugin's job rows that do not exist."""
    existing = set(PeriodicTask.objects.filter(name__in=JOB_ROWS).values_list("name", flat=True))
    return [name for name in JOB_ROWS if name not in existing]
