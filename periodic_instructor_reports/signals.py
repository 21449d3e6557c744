"""Removing a schedule's beat row however the schedule is deleted (also by cascade)."""

from django.db.models.signals import post_delete
from django.dispatch import receiver

from periodic_instructor_reports import beat
from periodic_instructor_reports.models import PeriodicReportSchedule


@receiver(post_delete, sender=PeriodicReportSchedule, dispatch_uid="pir_delete_beat_row")
def delete_beat_row(sender, instance, **kwargs):  # noqa: ARG001 (Django sends them by name)  # pylint: disable=unused-argument
    """Delete the deleted schedule's beat row, if it still exists, in the same transaction."""
    beat.delete_row(instance.pk, instance.celery_task_id)
