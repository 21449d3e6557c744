"""
The course-team API's views: one course's reports, schedules and runs, through ``api.py``.

Authentication is the platform's: a JWT (the micro-frontends' cookie, or ``Authorization: JWT``)
or a session with its CSRF token. Every view answers JSON, errors included, with a message a
person can act on.
"""

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from edx_rest_framework_extensions.auth.jwt.authentication import JwtAuthentication
from edx_rest_framework_extensions.paginators import DefaultPagination
from edx_rest_framework_extensions.permissions import NotJwtRestrictedApplication
from rest_framework import exceptions, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler

from periodic_instructor_reports import api, catalog, conf, courses, states
from periodic_instructor_reports.exceptions import BrokerUnavailable, RunNowRefused
from periodic_instructor_reports.models import (
    PeriodicReportSchedule,
    PeriodicReportTask,
    ReportRun,
    ReportRunCourse,
)
from periodic_instructor_reports.rest_api.v1 import limits, permissions, serializers

log = logging.getLogger(__name__)

# Schedule and run ids are 32-bit: a larger number in a URL names nothing.
MAX_ID = 2**31 - 1
# The API's names of the schedule fields ``api.py`` reports errors on.
FIELD_NAMES = {
    "keyword_arguments": "arguments",
    "task": "report",
    "course_ids": "course_id",
    "__all__": "non_field_errors",
}
ERROR_RESPONSES = {
    400: serializers.ErrorSerializer,
    401: serializers.ErrorSerializer,
    403: serializers.ErrorSerializer,
    404: serializers.ErrorSerializer,
}


class Conflict(exceptions.APIException):
    """Another request changed the same rows first (a unique name taken meanwhile): try again."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class SafeJSONParser(JSONParser):
    """DRF's JSON parser, which also answers JSON nested too deep to parse with a 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as err:
            raise exceptions.ParseError(_("JSON parse error: the body nests too deep.")) from err


def error_handler(exc, context):
    """Answer every error as ``{"message", "code"}`` (and ``errors`` by field for invalid input)."""
    if isinstance(exc, DjangoValidationError):
        errors = (
            {FIELD_NAMES.get(name, name): messages for name, messages in exc.message_dict.items()}
            if hasattr(exc, "error_dict")
            else {"non_field_errors": exc.messages}
        )
        exc = exceptions.ValidationError(errors)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        errors = {name: _flatten(messages) for name, messages in detail.items()}
        first = next(iter(errors.items()), ("non_field_errors", []))
        response.data = {
            "message": _("The request is not valid: %(field)s: %(error)s")
            % {
                "field": first[0],
                "error": first[1][0] if first[1] else "",
            },
            "code": "invalid",
            "errors": errors,
        }
    elif isinstance(exc, exceptions.NotAuthenticated):
        response.data = {
            "message": _(
                "Log in first, or send a JWT as the platform issues them (Authorization: JWT <token>, or "
                "the JWT cookie with the USE-JWT-COOKIE header)."
            ),
            "code": exc.get_codes(),
        }
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        response.data = {"message": str(detail), "code": getattr(detail, "code", "error")}
    return response


def _flatten(messages):
    if isinstance(messages, dict):
        return [f"{name}: {text}" for name, inner in messages.items() for text in _flatten(inner)]
    if isinstance(messages, list):
        return [text for item in messages for text in _flatten(item)]
    return [str(messages)]


class RunPagination(DefaultPagination):
    """The platform's pagination (``page``, ``page_size`` up to 100), 20 runs a page."""

    page_size = 20

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"].update(
            {
                "num_pages": {"type": "integer"},
                "current_page": {"type": "integer"},
                "start": {"type": "integer"},
            }
        )
        return response


def course_schedules(course_key):
    """Return the schedules of the course: they run that course alone (and its CCXs), chosen by id."""
    return PeriodicReportSchedule.objects.filter(
        course_ids=[str(course_key)], course_orgs=[], course_state=""
    )


def course_rows_q(course_key, prefix=""):
    """Return the filter of a run's rows of this course and its CCXs."""
    ccx_prefix = "ccx-v1:" + str(course_key).split(":", 1)[1] + "+ccx@"
    return Q(**{prefix + "course_id": str(course_key)}) | Q(**{prefix + "course_id__startswith": ccx_prefix})


COURSE_ID = OpenApiParameter(
    "course_id",
    str,
    OpenApiParameter.PATH,
    description="The course's id, e.g. course-v1:edX+DemoX+Demo_Course.",
)
SCHEDULE_ID = OpenApiParameter("schedule_id", int, OpenApiParameter.PATH, description="The schedule's id.")


class CourseTeamSchema(AutoSchema):
    """
    drf-spectacular's schema of a view, read from the view's ``docs`` (by HTTP method).

    Decorators on methods would take the LMS's own ``DEFAULT_SCHEMA_CLASS`` (not drf-spectacular's);
    this keeps the API's schema independent of the site's REST framework settings.
    """

    def _doc(self):
        return getattr(self.view, "docs", {}).get(self.method.lower(), {})

    def get_summary(self):
        return self._doc().get("summary") or super().get_summary()

    def get_override_parameters(self):
        ids = [COURSE_ID, SCHEDULE_ID] if "{schedule_id}" in self.path else [COURSE_ID]
        return ids + self._doc().get("parameters", [])

    def get_request_serializer(self):
        doc = self._doc()
        return doc["request"] if "request" in doc else super().get_request_serializer()

    def get_response_serializers(self):
        doc = self._doc()
        return (
            {**doc["responses"], **ERROR_RESPONSES}
            if "responses" in doc
            else super().get_response_serializers()
        )


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

    def permission_denied(self, request, message=None, code=None):
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


def docs(**methods):
    """Give a view the schema of each of its HTTP methods (``CourseTeamSchema`` reads them)."""

    def decorate(view):
        view.docs = methods
        return view

    return decorate


@docs(
    get=dict(
        summary="What the site allows the course's team: time zone, limits, how many schedules it has",
        responses={200: serializers.CourseSettingsSerializer, **ERROR_RESPONSES},
    )
)
class CourseSettingsView(CourseView):
    """The site's time zone and the limits a course team's schedules meet, for its forms."""

    def get(self, request, course_id):
        data = {
            "time_zone": str(timezone.get_default_timezone()),
            "min_interval_seconds": int(conf.get("MIN_INTERVAL") or 0),
            "max_schedules": conf.get("MAX_SCHEDULES_PER_COURSE"),
            "schedules": course_schedules(request.course_key).count(),
            "max_recipients": conf.get("MAX_RECIPIENTS"),
            "run_now_cooldown_seconds": int(conf.run_now_cooldown()),
        }
        return Response(serializers.CourseSettingsSerializer(data).data)


@docs(
    get=dict(
        summary="The reports you may schedule on the course",
        responses={200: serializers.ReportSerializer(many=True), **ERROR_RESPONSES},
    )
)
class ReportListView(CourseView):
    """The catalog's reports the caller may schedule on the course and this site has registered."""

    def get(self, request, course_id):
        registered = set(
            PeriodicReportTask.objects.filter(path__in=request.allowed_paths).values_list("path", flat=True)
        )
        reports = [catalog.get(path) for path in request.allowed_paths if path in registered]
        return Response(serializers.ReportSerializer(reports, many=True).data)


@docs(
    get=dict(
        summary="The course's schedules",
        responses={200: serializers.ScheduleSerializer(many=True), **ERROR_RESPONSES},
    ),
    post=dict(
        summary="Create a schedule of the course, owned by you",
        request=serializers.ScheduleInputSerializer,
        responses={201: serializers.ScheduleSerializer, 409: serializers.ErrorSerializer, **ERROR_RESPONSES},
    ),
)
class ScheduleListView(CourseView):
    """List the course's schedules (those of reports the caller may have); create one."""

    def get(self, request, course_id):
        schedules = list(
            course_schedules(request.course_key)
            .filter(task__path__in=request.allowed_paths)
            .select_related("task", "owner", "interval", "crontab")
            .order_by("name", "pk")
        )
        context = self._schedule_context(schedules)
        return Response(serializers.ScheduleSerializer(schedules, many=True, context=context).data)

    def post(self, request, course_id):
        data = serializers.ScheduleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = catalog.BY_TASK_TYPE[data.validated_data["report"]]
        if report.path not in request.allowed_paths:
            permissions.refuse(
                request,
                request.course_key,
                _(
                    "You may not schedule the report %(report)s on this course: it needs the permission "
                    "%(permission)s."
                )
                % {"report": report.task_type, "permission": report.permission},
            )
        serializers.check_argument_names(report, data.validated_data.get("arguments"))
        task = PeriodicReportTask.objects.filter(path=report.path).order_by("pk").first()
        if task is None:
            raise exceptions.ValidationError(
                {
                    "report": [
                        _(
                            "This site has not registered the report %(report)s: ask an administrator "
                            "to add it to the periodic report tasks."
                        )
                        % {"report": report.task_type}
                    ]
                }
            )
        try:
            with transaction.atomic():
                key = request.course_key
                refusal = limits.schedule_cap_refusal(key, course_schedules(key))
                if refusal:
                    return Response(
                        {"message": refusal, "code": "too_many_schedules"}, status=status.HTTP_409_CONFLICT
                    )
                schedule = api.create_schedule(
                    acting_user=request.user,
                    owner=request.user,
                    task=task,
                    course_ids=[str(request.course_key)],
                    **data.schedule_fields(),
                )
        except IntegrityError as err:
            raise Conflict(
                _("Another change of this schedule came first: try again.")
            ) from err
        log.info(
            "Course-team API: user %s created periodic report schedule %s on %s.",
            request.user.pk,
            schedule.pk,
            request.course_key,
        )
        return self.schedule_response(schedule, status.HTTP_201_CREATED)


@docs(
    get=dict(
        summary="One schedule of the course",
        responses={200: serializers.ScheduleSerializer, **ERROR_RESPONSES},
    ),
    patch=dict(
        summary="Change a schedule (you become its owner)",
        request=serializers.ScheduleInputSerializer,
        responses={200: serializers.ScheduleSerializer, **ERROR_RESPONSES},
    ),
    delete=dict(
        summary="Delete a schedule (its runs stay in the history)", responses={204: None, **ERROR_RESPONSES}
    ),
)
class ScheduleDetailView(CourseView):
    """Read, change or delete one of the course's schedules."""

    def get(self, request, course_id, schedule_id):
        return self.schedule_response(self.get_schedule())

    def patch(self, request, course_id, schedule_id):
        schedule = self.get_manageable_schedule(_("change"))
        data = serializers.ScheduleInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = {}
        if "report" in data.validated_data:
            report = catalog.BY_TASK_TYPE[data.validated_data["report"]]
            task = PeriodicReportTask.objects.filter(path=report.path).order_by("pk").first()
            if report.path not in request.allowed_paths or task is None:
                permissions.refuse(
                    request,
                    request.course_key,
                    _("You may not schedule the report %(report)s on this course.")
                    % {"report": report.task_type},
                )
            changes["task"] = task
        report = catalog.get(changes["task"].path if "task" in changes else schedule.task.path)
        if report is not None:
            arguments = data.validated_data.get("arguments", schedule.keyword_arguments)
            serializers.check_argument_names(report, arguments)
        try:
            with transaction.atomic():
                changes.update(data.schedule_fields())
                api.update_schedule(schedule, acting_user=request.user, owner=request.user, **changes)
        except IntegrityError as err:
            raise Conflict(
                _("Another change of this schedule came first: try again.")
            ) from err
        log.info(
            "Course-team API: user %s changed periodic report schedule %s on %s.",
            request.user.pk,
            schedule.pk,
            request.course_key,
        )
        return self.schedule_response(schedule)

    def delete(self, request, course_id, schedule_id):
        schedule = self.get_manageable_schedule(_("delete"))
        api.delete_schedule(schedule, acting_user=request.user)
        log.info(
            "Course-team API: user %s deleted periodic report schedule %s on %s.",
            request.user.pk,
            schedule_id,
            request.course_key,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ScheduleActionView(CourseView):
    """Base of the schedule's actions: POST without a body."""

    action_name = ""

    def post(self, request, course_id, schedule_id):
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


@docs(
    get=dict(
        summary="The course's runs, newest first",
        parameters=[
            OpenApiParameter("schedule", int, description="Only the runs of this schedule of the course."),
        ],
        responses={200: serializers.RunSerializer(many=True), **ERROR_RESPONSES},
    )
)
class RunListView(CourseView):
    """
    The runs that had this course, newest first, each with this course's rows (and its CCXs').

    Runs of the course's own schedules, and read-only the runs of schedules an administrator made
    for many courses or an organisation; only runs of reports the caller may have.
    """

    pagination_class = RunPagination

    def get(self, request, course_id):
        key = request.course_key
        schedule_ids = set(course_schedules(key).values_list("pk", flat=True))
        runs = ReportRun.objects.filter(
            Q(schedule_id__in=schedule_ids)
            | Q(pk__in=ReportRunCourse.objects.filter(course_rows_q(key)).values("run_id"))
        ).filter(report_path__in=request.allowed_paths)
        wanted = request.query_params.get("schedule")
        if wanted is not None:
            if not wanted.isdigit() or int(wanted) not in schedule_ids:
                raise exceptions.ValidationError(
                    {"schedule": [_("Give the id of one of the course's schedules.")]}
                )
            runs = runs.filter(schedule_id=int(wanted))
        runs = runs.order_by("-started_at", "-pk").prefetch_related(
            Prefetch(
                "courses",
                queryset=ReportRunCourse.objects.filter(course_rows_q(key)).order_by("pk"),
                to_attr="course_rows",
            )
        )
        page = self.paginate_queryset(runs)
        context = {"request": request, "course_schedule_ids": schedule_ids}
        return self.get_paginated_response(serializers.RunSerializer(page, many=True, context=context).data)
