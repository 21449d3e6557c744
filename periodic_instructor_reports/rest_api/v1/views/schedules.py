"""The course's schedules: list and create them; read, change and delete one."""

import logging

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from periodic_instructor_reports import api, catalog
from periodic_instructor_reports.models import PeriodicReportTask
from periodic_instructor_reports.rest_api.v1 import limits, permissions, serializers
from periodic_instructor_reports.rest_api.v1.views.course import CourseView, course_schedules
from periodic_instructor_reports.rest_api.v1.views.docs import ERROR_RESPONSES, docs
from periodic_instructor_reports.rest_api.v1.views.errors import Conflict

log = logging.getLogger(__name__)


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

    def get(self, request, **_kwargs):
        schedules = list(
            course_schedules(request.course_key)
            .filter(task__path__in=request.allowed_paths)
            .select_related("task", "owner", "interval", "crontab")
            .order_by("name", "pk")
        )
        context = self._schedule_context(schedules)
        return Response(serializers.ScheduleSerializer(schedules, many=True, context=context).data)

    def post(self, request, **_kwargs):
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

    def get(self, _request, **_kwargs):
        return self.schedule_response(self.get_schedule())

    def patch(self, request, **_kwargs):
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

    def delete(self, request, schedule_id, **_kwargs):
        schedule = self.get_manageable_schedule(_("delete"))
        api.delete_schedule(schedule, acting_user=request.user)
        log.info(
            "Course-team API: user %s deleted periodic report schedule %s on %s.",
            request.user.pk,
            schedule_id,
            request.course_key,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
