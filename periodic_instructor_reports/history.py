"""Recording runs: one row per dispatch, one per course and attempt, in the users' vocabulary."""

import logging

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from periodic_instructor_reports import conf, retention
from periodic_instructor_reports.models import ReportRun, ReportRunCourse

log = logging.getLogger(__name__)

ERROR_LIMIT = 500

# The dispatcher's outcomes -> what the run history shows. Where they differ, the dispatcher's
# outcome starts the error summary, so the detail stays visible.
OUTCOMES = {
    "submitted": ReportRunCourse.SUBMITTED,
    "already_running": ReportRunCourse.ALREADY_RUNNING,
    "failed": ReportRunCourse.FAILED,
    "queue_error": ReportRunCourse.FAILED,
    "invalid_course": ReportRunCourse.SKIPPED,
    "ccx_unavailable": ReportRunCourse.SKIPPED,
    "refused": ReportRunCourse.REFUSED,
}
# Outcomes the owner is told about by e-mail.
FAILURES = (ReportRunCourse.FAILED, ReportRunCourse.REFUSED)


def start_run(schedule, *, trigger, planned_at=None):
    """
    Record the start of a run; return it, or None when the schedule already ran for ``planned_at``.

    ``planned_at`` defaults to now. The database refuses a second run of one schedule for one
    due time, so concurrent callers with the same due time cannot both run. The run keeps the
    schedule's name, report and owner id, so it still says what it was once the schedule is
    deleted. The first run also registers the job that prunes old runs.
    """
    started_at = timezone.now()
    try:
        with transaction.atomic():
            run = ReportRun.objects.create(
                schedule=schedule, schedule_name=str(schedule)[:255], report_name=schedule.task.name,
                report_path=schedule.task.path, owner_user_id=schedule.owner_id,
                trigger=trigger, planned_at=planned_at or started_at, started_at=started_at,
            )
    except IntegrityError:
        log.info("Periodic report schedule %s already ran for %s; not running again.",
                 schedule.pk, planned_at)
        return None
    retention.ensure_prune_beat_row()
    return run


def too_soon(schedule, planned_at):
    """
    Return why a run of ``schedule`` for ``planned_at`` comes too soon after its previous one, or "".

    Only runs that follow the schedule's times count (beat and cron, not "run now"); a run is
    too soon when its due time is less than the ``MIN_INTERVAL`` setting after the previous
    one's. Save-time validation keeps new schedules from that; this catches intervals edited in
    the beat admin and schedules saved before the rule.
    """
    minimum = conf.get("MIN_INTERVAL")
    earlier = ReportRun.objects.filter(
        schedule=schedule, trigger__in=ReportRun.AUTOMATIC_TRIGGERS, planned_at__lt=planned_at,
    ).exclude(status=ReportRun.STATUS_SKIPPED)
    previous = earlier.order_by("-planned_at").values_list("planned_at", flat=True).first()
    if previous is None:
        return ""
    gap = (planned_at - previous).total_seconds()
    if gap >= minimum:
        return ""
    return (
        f"too soon: {gap:.0f} s after the previous run's due time; runs of a schedule are at least "
        f"{minimum} s apart (the {conf.PREFIX}MIN_INTERVAL setting)"
    )


def record_too_soon(schedule, *, trigger, planned_at, reason):
    """
    Record a run skipped for coming too soon; return it.

    A schedule that fires every few seconds would flood the history: later skips until the next
    real run add to the count of the first skipped run instead of adding rows.
    """
    now = timezone.now()
    latest = ReportRun.objects.filter(schedule=schedule).order_by("-planned_at", "-pk").first()
    if latest is not None and latest.status == ReportRun.STATUS_SKIPPED:
        skipped = latest.counts.get("skipped_dispatches", 1) + 1
        latest.counts, latest.finished_at = {"skipped_dispatches": skipped}, now
        latest.error = f"{reason}; {skipped} dispatches skipped"[:ERROR_LIMIT]
        latest.save(update_fields=["counts", "finished_at", "error"])
        log.warning("Periodic report schedule %s: skipped a run, %s.", schedule.pk, reason)
        return latest
    run = start_run(schedule, trigger=trigger, planned_at=planned_at)
    if run is not None:
        run.status, run.finished_at, run.error = ReportRun.STATUS_SKIPPED, now, reason[:ERROR_LIMIT]
        run.counts = {"skipped_dispatches": 1}
        run.save(update_fields=["status", "finished_at", "error", "counts"])
    log.warning("Periodic report schedule %s: skipped a run, %s.", schedule.pk, reason)
    return run


def _course_row(run, course, attempt, started_at, finished_at):
    outcome = OUTCOMES[course["outcome"]]
    error = course.get("error") or ""
    if error and outcome != course["outcome"]:
        error = f"{course['outcome']}: {error}"
    return ReportRunCourse(
        run=run, course_id=course["course_id"][:255], attempt=attempt, outcome=outcome,
        task_id=(course.get("task_id") or "")[:255],
        upload_parent_dir=(course.get("upload_parent_dir") or "")[:300],
        error=error[:ERROR_LIMIT], started_at=started_at, finished_at=finished_at,
    )


def record_courses(run, courses, *, attempt, started_at):
    """Record one attempt's outcome for each course (the dispatcher's course dicts), in one query."""
    finished_at = timezone.now()
    ReportRunCourse.objects.bulk_create(
        [_course_row(run, course, attempt, started_at, finished_at) for course in courses]
    )


def latest_outcomes(run_id):
    """Return ``{course id: outcome}`` of each course's latest attempt in the run."""
    rows = ReportRunCourse.objects.filter(run_id=run_id).order_by("course_id", "attempt")
    return dict(rows.values_list("course_id", "outcome"))


def finish_run(run, *, status, error="", outcomes=None):
    """
    Store the run's status, end time and per-outcome counts of the courses' latest attempts.

    ``outcomes`` is ``{course id: outcome}``; it is read from the database when not given.
    A run waiting for a retry keeps no end time.
    """
    if outcomes is None:
        outcomes = latest_outcomes(run.pk)
    counts = {}
    for outcome in outcomes.values():
        counts[outcome] = counts.get(outcome, 0) + 1
    run.status, run.counts, run.error = status, counts, error[:ERROR_LIMIT]
    run.finished_at = None if status == ReportRun.STATUS_RETRYING else timezone.now()
    run.save(update_fields=["status", "counts", "error", "finished_at"])


def last_automatic_due_time(schedule):
    """Return the latest due time the schedule ran for by beat or cron, or None."""
    return ReportRun.objects.filter(
        schedule=schedule, trigger__in=[ReportRun.TRIGGER_BEAT, ReportRun.TRIGGER_CRON],
    ).aggregate(latest=Max("planned_at"))["latest"]
