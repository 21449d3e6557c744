"""
The base of the API's views: the platform's authentication, the course gate, JSON everywhere.

The permission reads the URL's ``course_id`` into ``request.course_key``; the handlers take the
course from there and the schedule from ``get_schedule``, so they leave the URL's ids aside.
"""

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from edx_rest_framework_extensions.auth.jwt.authentication import JwtAuthentication
from edx_rest_framework_extensions.permissions import NotJwtRestrictedApplication
from rest_framework import exceptions, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from periodic_instructor_reports import catalog, courses, states
from periodic_instructor_reports.models import PeriodicReportSchedule, ReportRun
from periodic_instructor_reports.rest_api.v1 import limits, permissions, serializers
from periodic_instructor_reports.rest_api.v1.views.docs import CourseTeamSchema
from periodic_instructor_reports.rest_api.v1.views.errors import SafeJSONParser, error_handler

# Schedule and run ids are 32-bit: a larger number in a URL names nothing.
MAX_ID = 2**31 - 1


def course_schedules(course_key):
    """Return the schedules of the course: they run that course alone (and its CCXs), chosen by id."""
    return PeriodicReportSchedule.objects.filter(
        course_ids=[str(course_key)], course_orgs=[], course_state=""
    )


def course_rows_q(course_key, prefix=""):
    """Return the filter of a run's rows of this course and its CCXs."""
    ccx_prefix = "ccx-v1:" + str(course_key).split(":", 1)[1] + "+ccx@"
    return Q(**{prefix + "course_id": str(course_key)}) | Q(**{prefix + "course_id__startswith": ccx_prefix})


class CourseView(GenericAPIView):
    """Base of the API's views: the platform's authentication, the course gate, JSON everywhere."""

    authentication_classes = (JwtAuthentication, SessionAuthentication)
    permission_classes = (IsAuthenticated, NotJwtRestrictedApplication, permissions.CourseTeamPermission)
    throttle_classes = (limits.WriteThrottle,)
    parser_classes = (SafeJSONParser,)
    renderer_classes = (JSONRenderer,)
    pagination_class = None
    schema = CourseTeamSchema()

    def get_exception_handler(self):
        return error_handler

    def permission_denied(self, request, message=None, code=None):  # noqa: ARG002 (DRF passes code by name)
        if request.authenticators and not request.successful_authenticator:
            raise exceptions.NotAuthenticated()
        if message is None:
            message = _("Applications with restricted tokens may not use this API.")
        permissions.refuse(request, getattr(request, "course_key", None), message)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if courses.missing_courses([request.course_key]):
            raise exceptions.NotFound(
                _("This site has no course %(course_id)s.") % {"course_id": request.course_key}
            )

    def get_schedule(self):
        """Return the course's schedule of the URL, if the caller may see its report; else 404 or 403."""
        schedule_id = self.kwargs["schedule_id"]
        schedule = None
        if schedule_id <= MAX_ID:
            schedule = (
                course_schedules(self.request.course_key)
                .select_related("task", "owner", "interval", "crontab")
                .filter(pk=schedule_id)
                .first()
            )
        if schedule is None:
            raise exceptions.NotFound(
                _(
                    "Course %(course_id)s has no schedule %(id)s (schedules an administrator made for "
                    "several courses are not managed here)."
                )
                % {"course_id": self.request.course_key, "id": schedule_id}
            )
        if schedule.task.path not in self.request.allowed_paths:
            permissions.refuse(
                self.request,
                self.request.course_key,
                _(
                    "Schedule %(id)s runs a report you may not have: it needs the permission %(permission)s "
                    "on this course."
                )
                % {"id": schedule.pk, "permission": _report_permission(schedule.task.path)},
            )
        return schedule

    def get_manageable_schedule(self, action):
        """Return the URL's schedule if the caller may manage it; else refuse (403, logged)."""
        schedule = self.get_schedule()
        if not permissions.may_manage(self.request.user, self.request.course_key, schedule):
            permissions.refuse(
                self.request,
                self.request.course_key,
                _(
                    "You may not %(action)s schedule %(id)s: only its owner, the course's instructors and "
                    "global staff may."
                )
                % {"action": action, "id": schedule.pk},
            )
        return schedule

    def schedule_response(self, schedule, status_code=status.HTTP_200_OK):
        """Return the response with ``schedule`` as it is now."""
        schedule = PeriodicReportSchedule.objects.select_related("task", "owner", "interval", "crontab").get(
            pk=schedule.pk
        )
        context = self._schedule_context([schedule])
        return Response(serializers.ScheduleSerializer(schedule, context=context).data, status=status_code)

    def _schedule_context(self, schedules):
        user, key = self.request.user, self.request.course_key
        runs = ReportRun.objects.filter(schedule=OuterRef("pk"))
        latest = runs.order_by("-started_at", "-pk").values("pk")[:1]
        automatic = runs.filter(trigger__in=states.AUTOMATIC)
        due = automatic.order_by("-planned_at").values("planned_at")[:1]
        rows = (
            PeriodicReportSchedule.objects.filter(pk__in=[schedule.pk for schedule in schedules])
            .annotate(last_run_id=Subquery(latest), last_due=Subquery(due))
            .values_list("pk", "last_run_id", "last_due")
        )
        last_run_ids, last_due = {}, {}
        for pk, run_id, due_at in rows:
            last_run_ids[pk], last_due[pk] = run_id, due_at
        found = ReportRun.objects.in_bulk([run_id for run_id in last_run_ids.values() if run_id])
        last_runs = {pk: found[run_id] for pk, run_id in last_run_ids.items() if run_id in found}
        return {
            "request": self.request,
            "now": timezone.now(),
            "last_runs": last_runs,
            "last_due": last_due,
            "manageable": {
                schedule.pk for schedule in schedules if permissions.may_manage(user, key, schedule)
            },
        }


def _report_permission(path):
    report = catalog.get(path)
    return report.permission if report else catalog.CAN_RESEARCH
