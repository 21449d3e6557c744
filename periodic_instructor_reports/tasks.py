"""Celery entry points: thin wrappers around ``dispatch.run_schedule``."""

from celery import shared_task

from periodic_instructor_reports import beat, dispatch


@shared_task(name=beat.DISPATCH_TASK)
def dispatch_report_schedule(schedule_id):
    """Run the report schedule ``schedule_id`` for each of its courses; return the summary."""
    return dispatch.run_schedule(schedule_id)


@shared_task(name=beat.LEGACY_DISPATCH_TASK)
def periodic_task_wrapper(periodic_task_schedule_id):
    """Run a schedule fired by a beat row of the earlier implementation, until it is rewritten."""
    return dispatch.run_schedule(periodic_task_schedule_id)
