"""
What the plugin does on signals.

A schedule's beat row goes however the schedule is deleted (also by cascade); a report that
ends in a worker wakes the runs that wait for a free slot.
"""

import logging

from celery.signals import task_postrun
from django.db.models.signals import post_delete
from django.dispatch import receiver

from periodic_instructor_reports import beat, platform
from periodic_instructor_reports.models import PeriodicReportSchedule
from periodic_instructor_reports.runs import pacing

log = logging.getLogger(__name__)


@receiver(post_delete, sender=PeriodicReportSchedule, dispatch_uid="pir_delete_beat_row")
def delete_beat_row(sender, instance, **kwargs):  # noqa: ARG001 (Django sends them by name)  # pylint: disable=unused-argument
    """Delete the deleted schedule's beat row, if it still exists, in the same transaction."""
    beat.delete_row(instance.pk, instance.celery_task_id)


@task_postrun.connect(dispatch_uid="pir_wake_paced_runs")
def wake_paced_runs(sender=None, **kwargs):  # noqa: ARG001 (Celery sends them by name)
    """
    A report task ended in this worker (its row already SUCCESS or FAILURE): hand waiting runs on.

    Never fails the worker: an error is logged, and the runs go on at their own countdown.
    """
    if sender is None or not platform.is_report_task(sender):
        return
    try:
        pacing.wake_parked()
    except Exception:  # noqa: BLE001 - a wake-up is an optimisation; the countdown still comes
        log.exception("Could not wake the periodic report runs waiting for a free slot.")
