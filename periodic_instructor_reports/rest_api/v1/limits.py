"""Limits that keep a well-meaning course team from loading the site: writes, schedules, run now."""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.permissions import SAFE_METHODS
from rest_framework.throttling import UserRateThrottle

from periodic_instructor_reports import api, conf, platform, states
from periodic_instructor_reports.models import ReportRun
from periodic_instructor_reports.states import RunStatus

# A run in one of these has not ended: its reports are being requested or generated.
IN_PROGRESS = (*states.UNFINISHED, RunStatus.GENERATING)


class WriteThrottle(UserRateThrottle):
    """Throttle each user's writes (not reads) at the ``PERIODIC_INSTRUCTOR_REPORTS_API_WRITE_RATE`` rate."""

    scope = "periodic_reports_write"

    def get_rate(self):
        """Return the rate setting, read at each request."""
        return conf.get("API_WRITE_RATE")

    def allow_request(self, request, view):
        """Count and limit writes only."""
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)


def schedule_cap_refusal(course_key, course_schedules):
    """
    Return why one more schedule may not be made on the course (its cap is reached), or "".

    Call it in the transaction that then creates the schedule: it locks the platform's row of
    the course (``CourseOverview``) until the end of that transaction, then counts
    ``course_schedules`` with a locking read (which sees the latest committed rows on every
    database), so two concurrent creations on one course count one after the other.
    """
    overview = platform.course_overview_model()
    if overview is not None:
        list(overview.objects.select_for_update().filter(id=course_key).values_list("id", flat=True))
    cap = conf.get("MAX_SCHEDULES_PER_COURSE")
    count = len(course_schedules.select_for_update().values_list("pk", flat=True))
    if count < cap:
        return ""
    return _(
        "This course has %(count)s schedules, the most a course may have "
        "(the PERIODIC_INSTRUCTOR_REPORTS_MAX_SCHEDULES_PER_COURSE setting): delete or change one "
        "of them instead."
    ) % {"count": count}


@dataclass
class Refusal:
    """Why a request is refused: the message, the HTTP status and, for a wait, the seconds to wait."""

    message: str
    status: int
    retry_after: int = 0


def run_now_refusal(schedule):
    """
    Return a ``Refusal`` when a manual run of ``schedule`` may not be queued now, else None.

    The admin's rule (``api.run_now_refusal``): while a run of the schedule is in progress a second
    one would ask the platform for the same reports again (409); within ``RUN_NOW_COOLDOWN``
    seconds of the last manual run the request waits (429, with the seconds to wait).
    """
    now = timezone.now()
    message = api.run_now_refusal(schedule, now=now)
    if not message:
        return None
    if ReportRun.objects.filter(schedule_id=schedule.pk, status__in=IN_PROGRESS).exists():
        return Refusal(message, 409)
    wait = conf.run_now_cooldown() - (now - schedule.run_now_requested_at).total_seconds()
    return Refusal(message, 429, max(1, int(wait) + 1))
