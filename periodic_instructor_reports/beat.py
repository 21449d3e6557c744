"""Keeping each schedule's one celery beat row (``PeriodicTask``) in step with it."""

import json

from django.utils import timezone
from django_celery_beat.models import PeriodicTask, PeriodicTasks

from periodic_instructor_reports import conf

DISPATCH_TASK = "periodic_instructor_reports.tasks.dispatch_report_schedule"
LEGACY_DISPATCH_TASK = "periodic_instructor_reports.tasks.periodic_task_wrapper"
OWN_TASKS = (DISPATCH_TASK, LEGACY_DISPATCH_TASK)


def beat_row_name(schedule_id):
    """Return the unique beat row name of a schedule (beat names are unique)."""
    return f"periodic-instructor-reports-schedule-{schedule_id}"


def expected_values(schedule):
    """Return the beat row fields that mirror ``schedule``."""
    return {
        "name": beat_row_name(schedule.pk),
        "task": DISPATCH_TASK,
        "args": json.dumps([schedule.pk]),
        "kwargs": "{}",
        "interval_id": None if schedule.crontab_id else schedule.interval_id,
        "crontab_id": schedule.crontab_id,
        "solar_id": None,
        "clocked_id": None,
        "one_off": False,
        "enabled": schedule.enabled,
        "queue": conf.get("QUEUE"),
        "description": f"Periodic instructor report schedule {schedule.pk}",
    }


def drifted_fields(row, schedule):
    """Return the names of the row's fields that differ from what ``schedule`` needs."""
    return [name for name, value in expected_values(schedule).items() if getattr(row, name) != value]


def sync(schedule, row=None):
    """
    Create or update the schedule's beat row and link it; return ``(row, created, changed)``.

    ``row`` is the row to rewrite (defaults to the linked one, then one with the expected name).
    Saving a ``PeriodicTask`` marks beat's change tracker, so a running beat picks it up.
    """
    if row is None:
        row = schedule.celery_task
    if row is None:
        row = PeriodicTask.objects.filter(name=beat_row_name(schedule.pk)).first()
    created = row is None
    changed = created or bool(drifted_fields(row, schedule))
    if changed:
        row = row or PeriodicTask()
        for name, value in expected_values(schedule).items():
            setattr(row, name, value)
        row.save()
    if schedule.celery_task_id != row.pk:
        type(schedule).objects.filter(pk=schedule.pk).update(celery_task=row)
        schedule.celery_task = row
        changed = True
    return row, created, changed


def set_enabled(schedules, enabled):
    """
    Mirror ``enabled`` onto the beat rows of ``schedules`` in one update and tell beat.

    Like ``PeriodicTask.save()``, the update clears ``last_run_at`` and stamps ``date_changed``,
    which beat counts a row's interval from: a resumed schedule runs one interval after the
    resume, not at once.
    """
    count = PeriodicTask.objects.filter(
        pk__in=[schedule.celery_task_id for schedule in schedules if schedule.celery_task_id]
    ).update(enabled=enabled, last_run_at=None, date_changed=timezone.now())
    if count:
        # QuerySet.update() skips save(), so beat's change tracker must be told.
        PeriodicTasks.update_changed()
    return count


def delete_row(schedule_id, celery_task_id):
    """Delete a schedule's beat row if it still exists; return how many rows went."""
    rows = PeriodicTask.objects.filter(name=beat_row_name(schedule_id))
    if celery_task_id:
        rows = rows | PeriodicTask.objects.filter(pk=celery_task_id, task__in=OWN_TASKS)
    deleted, _ = rows.delete()
    return deleted
