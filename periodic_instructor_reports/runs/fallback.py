"""The cron fallback: running the schedules that are due, for sites that run no celery beat."""

import logging

from django.utils import timezone

from periodic_instructor_reports.runs import dispatch, due
from periodic_instructor_reports.states import Trigger

log = logging.getLogger(__name__)


def run_due(*, now=None):
    """
    Run each schedule that is due, once per due time, and return the run summaries.

    Safe to call every minute and from concurrent processes: a run claims its schedule and due
    time in the database first, and a second claim of the same pair runs nothing.
    """
    now = now or timezone.now()
    summaries = []
    for schedule, due_time in due.due_schedules(now=now):
        log.info("Periodic report schedule %s is due for %s.", schedule.pk, due_time.isoformat())
        summaries.append(dispatch.run_schedule(
            schedule.pk, trigger=Trigger.CRON, planned_at=due_time,
        ))
    return summaries
