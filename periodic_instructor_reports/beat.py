"""Keeping each schedule's one celery beat row (``PeriodicTask``) in step with it."""

import json
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask, PeriodicTasks

from periodic_instructor_reports import conf, housekeeping, timing
from periodic_instructor_reports.models import PeriodicReportSchedule, ReportRun

log = logging.getLogger(__name__)

DISPATCH_TASK = "periodic_instructor_reports.tasks.dispatch_report_schedule"
LEGACY_DISPATCH_TASK = "periodic_instructor_reports.tasks.periodic_task_wrapper"
OWN_TASKS = (DISPATCH_TASK, LEGACY_DISPATCH_TASK)


def beat_row_name(schedule_id):
    """Return the unique beat row name of a schedule (beat names are unique)."""
    return f"periodic-instructor-reports-schedule-{schedule_id}"


def expire_seconds(schedule):
    """
    Return how long a message beat sends for ``schedule`` stays valid: until its next due time.

    A worker drops an expired message unrun, so fires queued while the workers were down do not
    run in a pile when they come back (the run that follows counts them as missed).
    """
    gap = timing.shortest_gap(schedule)
    if gap is None or gap.total_seconds() < 1:
        return None
    return int(gap.total_seconds())


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
        "expire_seconds": expire_seconds(schedule),
        "description": f"Periodic instructor report schedule {schedule.pk}",
    }


def drifted_fields(row, schedule):
    """Return the names of the row's fields that differ from what ``schedule`` needs."""
    return [name for name, value in expected_values(schedule).items() if getattr(row, name) != value]


def row_problem(schedule):
    """
    Return what is wrong with the schedule's beat row: ``[]``, ``["missing"]`` or the drifted fields.

    ``schedule.celery_task`` must be loaded. A row edited in the beat admin (another task or
    arguments, another schedule, disabled) or deleted there no longer runs this schedule.
    """
    if schedule.celery_task_id is None or schedule.celery_task is None:
        return ["missing"]
    return drifted_fields(schedule.celery_task, schedule)


def restore(schedule):
    """Put back the beat row of the schedule if it was changed or deleted elsewhere; return what was wrong."""
    problem = row_problem(schedule)
    if problem:
        log.warning("The beat row of periodic report schedule %s was changed outside the plugin (%s); "
                    "putting it back.", schedule.pk, ", ".join(problem))
        sync(schedule, row=None if problem == ["missing"] else schedule.celery_task)
    return problem


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
        times = (row.interval_id, row.crontab_id)
        for name, value in expected_values(schedule).items():
            setattr(row, name, value)
        restarted = times != (row.interval_id, row.crontab_id) or row.last_run_at is None
        if schedule.enabled and (row.interval_id or restarted):
            # Beat counts from last_run_at (a new or resumed row's from now): start it on the schedule's grid.
            row.last_run_at = timing.beat_counts_from(schedule, timezone.now())
        row.save()
    if schedule.celery_task_id != row.pk:
        type(schedule).objects.filter(pk=schedule.pk).update(celery_task=row)
        schedule.celery_task = row
        changed = True
    return row, created, changed


def set_enabled(schedules_, enabled, *, now=None):
    """
    Mirror ``enabled`` onto the beat rows of ``schedules_`` in one update and tell beat.

    A resumed schedule's anchor is the resume (``now``); its row's ``last_run_at`` is set to it,
    which beat counts the interval from: it runs one interval after the resume, not at once (a
    crontab resumed in a fall-back's repeated hour counts from ``timing.beat_counts_from``).
    A paused row's ``last_run_at`` is cleared, as ``PeriodicTask.save()`` does.
    """
    now = now or timezone.now()
    count = PeriodicTask.objects.filter(
        pk__in=[schedule.celery_task_id for schedule in schedules_ if schedule.celery_task_id]
    ).update(enabled=enabled, last_run_at=now if enabled else None, date_changed=now)
    if count and enabled:
        _count_crontabs_from(schedules_, now)
    if count:
        # QuerySet.update() skips save(), so beat's change tracker must be told.
        PeriodicTasks.update_changed()
    return count


def _count_crontabs_from(schedules_, now):
    """Set ``last_run_at`` of resumed crontab rows that beat must not count from ``now``."""
    with_crontab = [schedule for schedule in schedules_ if schedule.crontab_id and schedule.celery_task_id]
    crontabs = CrontabSchedule.objects.in_bulk({schedule.crontab_id for schedule in with_crontab})
    for schedule in with_crontab:
        schedule.crontab = crontabs[schedule.crontab_id]
        start = timing.beat_counts_from(schedule, now)
        if start != now:
            PeriodicTask.objects.filter(pk=schedule.celery_task_id).update(last_run_at=start)


def delete_row(schedule_id, celery_task_id):
    """Delete a schedule's beat row if it still exists; return how many rows went."""
    rows = PeriodicTask.objects.filter(name=beat_row_name(schedule_id))
    if celery_task_id:
        rows = rows | PeriodicTask.objects.filter(pk=celery_task_id, task__in=OWN_TASKS)
    deleted, _ = rows.delete()
    return deleted


@dataclass
class ReconcileReport:
    """What ``reconcile_beat`` did (or would do, in a dry run)."""

    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    removed: list = field(default_factory=list)
    job_rows_created: list = field(default_factory=list)

    def lines(self):
        """Return one human-readable line per change."""
        return (
            [f"created beat row for schedule {pk}" for pk in self.created]
            + [f"updated beat row of schedule {pk}" for pk in self.updated]
            + [f"removed orphan beat row {name!r}" for name in self.removed]
            + [f"created beat row {name!r}" for name in self.job_rows_created]
        )


def reconcile_beat(*, dry_run: bool = False) -> ReconcileReport:
    """
    Make every schedule own exactly one correct beat row and remove orphan rows.

    Recreates missing rows, rewrites drifted or shared ones (the earlier implementation could
    link two schedules to one row) and deletes rows of this plugin's tasks that no schedule
    owns. Once there is run history, also restores the beat rows of the plugin's own jobs (follow-up
    and pruning).
    Safe to run at any time; with ``dry_run`` nothing is written.
    """
    report = ReconcileReport()
    with transaction.atomic():
        claimed = set()
        for schedule in PeriodicReportSchedule.objects.select_related("celery_task").order_by("pk"):
            row = _reconcile_row(schedule, claimed, report, dry_run=dry_run)
            if row is not None and row.pk:
                claimed.add(row.pk)
        orphans = PeriodicTask.objects.filter(task__in=OWN_TASKS).exclude(pk__in=claimed)
        report.removed = sorted(orphans.values_list("name", flat=True))
        if not dry_run and report.removed:
            orphans.delete()
        if ReportRun.objects.exists():
            report.job_rows_created = (
                housekeeping.missing_job_rows() if dry_run else housekeeping.ensure_job_rows()
            )
    return report


def _reconcile_row(schedule, claimed, report, *, dry_run):
    """
    Return the beat row that is the schedule's own, created or rewritten unless ``dry_run``.

    A linked row that another schedule already claimed, or that runs another task, is not its
    own. What changes is noted in ``report``.
    """
    row = schedule.celery_task
    if row is not None and (row.pk in claimed or row.task not in OWN_TASKS):
        row = None
    if row is None:
        row = PeriodicTask.objects.filter(name=beat_row_name(schedule.pk)).first()
    if row is None:
        report.created.append(schedule.pk)
        if not dry_run:
            row = sync(schedule, row=PeriodicTask())[0]
    elif drifted_fields(row, schedule) or schedule.celery_task_id != row.pk:
        report.updated.append(schedule.pk)
        if not dry_run:
            sync(schedule, row=row)
    return row
