"""A schedule's actions, each a POST without a body: pause, resume, run now."""

import logging

from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.response import Response

from periodic_instructor_reports import api
from periodic_instructor_reports.exceptions import BrokerUnavailable, RunNowRefused
from periodic_instructor_reports.rest_api.v1 import limits, serializers
from periodic_instructor_reports.rest_api.v1.views.course import CourseView
from periodic_instructor_reports.rest_api.v1.views.docs import ERROR_RESPONSES, docs

log = logging.getLogger(__name__)


class ScheduleActionView(CourseView):
    """Base of the schedule's actions: POST without a body."""

    action_name = ""

    def post(self, request, **_kwargs):
        schedule = self.get_manageable_schedule(self.action_name)
        return self.act(request, schedule)


@docs(
    post=dict(
        summary="Pause a schedule",
        request=None,
        responses={200: serializers.ScheduleSerializer, **ERROR_RESPONSES},
    )
)
class PauseView(ScheduleActionView):
    """Pause the schedule: it stops running at its times (run now still runs it)."""

    action_name = "pause"

    def act(self, request, schedule):
        api.pause_schedules([schedule], acting_user=request.user)
        schedule.refresh_from_db()
        return self.schedule_response(schedule)


@docs(
    post=dict(
        summary="Resume a paused schedule",
        request=None,
        responses={200: serializers.ScheduleSerializer, **ERROR_RESPONSES},
    )
)
class ResumeView(ScheduleActionView):
    """Resume the schedule: its times start again from now."""

    action_name = "resume"

    def act(self, request, schedule):
        api.resume_schedules([schedule], acting_user=request.user)
        schedule.refresh_from_db()
        return self.schedule_response(schedule)


@docs(
    post=dict(
        summary="Queue one run of the schedule now",
        request=None,
        responses={
            202: serializers.MessageSerializer,
            409: serializers.ErrorSerializer,
            429: serializers.ErrorSerializer,
            503: serializers.ErrorSerializer,
            **ERROR_RESPONSES,
        },
    )
)
class RunNowView(ScheduleActionView):
    """Queue one run of the schedule now, unless one is in progress or the last was too recent."""

    action_name = "run"

    def act(self, request, schedule):
        refusal = run_now_refusal(schedule)
        if refusal:
            headers = {"Retry-After": str(refusal.retry_after)} if refusal.retry_after else {}
            return Response(
                {"message": refusal.message, "code": "run_now_refused"},
                status=refusal.status,
                headers=headers,
            )
        try:
            api.run_schedules_now([schedule], acting_user=request.user)
        except RunNowRefused as err:
            return Response({"message": str(err), "code": "run_now_refused"}, status=status.HTTP_409_CONFLICT)
        except BrokerUnavailable:
            return Response(
                {
                    "message": _(
                        "The run could not be queued: the site's task queue is unreachable. Try again later."
                    ),
                    "code": "broker_unavailable",
                },
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        log.info(
            "Course-team API: user %s ran periodic report schedule %s on %s now.",
            request.user.pk,
            schedule.pk,
            request.course_key,
        )
        return Response(
            {
                "message": _("A run of “%(name)s” is queued; it appears in the course's runs once it starts.")
                % {"name": schedule.name}
            },
            status=status.HTTP_202_ACCEPTED,
        )


def run_now_refusal(schedule):
    """Return why a manual run of ``schedule`` may not be queued now (a ``limits.Refusal``), or None."""
    return limits.run_now_refusal(schedule)
