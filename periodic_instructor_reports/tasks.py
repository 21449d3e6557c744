"""Celery entry points: thin wrappers around ``dispatch`` and ``retention``."""

from celery import shared_task

from periodic_instructor_reports import beat, dispatch, retention


@shared_task(name=beat.DISPATCH_TASK)
def dispatch_report_schedule(schedule_id, trigger="beat"):
    """
    Run the report schedule ``schedule_id`` for each of its courses; return the summary.

    Arguments:
        schedule_id: primary key of a ``PeriodicReportSchedule``.
        trigger: ``beat`` (from its beat row) or ``manual`` (run now).
    """
    return dispatch.run_schedule(schedule_id, trigger=trigger)


@shared_task(name="periodic_instructor_reports.tasks.retry_report_courses")
def retry_report_courses(run_id, course_ids, attempt):
    """Try the courses ``course_ids`` of the run ``run_id`` again; return the attempt's summary."""
    return dispatch.retry_courses(run_id, course_ids, attempt=attempt)


@shared_task(name=retention.PRUNE_TASK)
def prune_report_runs():
    """Delete runs older than the retention setting; return how many went."""
    return retention.prune_runs()


@shared_task(name=beat.LEGACY_DISPATCH_TASK)
def periodic_task_wrapper(periodic_task_schedule_id):
    """Run a schedule fired by a beat row of the earlier implementation, until it is rewritten."""
    return dispatch.run_schedule(periodic_task_schedule_id)
