"""The course's runs, newest first, a page at a time."""

from django.db.models import Prefetch, Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from edx_rest_framework_extensions.paginators import DefaultPagination
from rest_framework import exceptions

from periodic_instructor_reports.models import ReportRun, ReportRunCourse
from periodic_instructor_reports.progress import progress_by_run
from periodic_instructor_reports.rest_api.v1 import run_serializers
from periodic_instructor_reports.rest_api.v1.views.course import CourseView, course_rows_q, course_schedules
from periodic_instructor_reports.rest_api.v1.views.docs import ERROR_RESPONSES, docs


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


@docs(
    get=dict(
        summary="The course's runs, newest first",
        parameters=[
            OpenApiParameter("schedule", int, description="Only the runs of this schedule of the course."),
        ],
        responses={200: run_serializers.RunSerializer(many=True), **ERROR_RESPONSES},
    )
)
class RunListView(CourseView):
    """
    The runs that had this course, newest first, each with this course's rows (and its CCXs').

    Runs of the course's own schedules, and read-only the runs of schedules an administrator made
    for many courses or an organisation; only runs of reports the caller may have.
    """

    pagination_class = RunPagination

    def get(self, request, **_kwargs):
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
        context = {"request": request, "course_schedule_ids": schedule_ids, "progress": progress_by_run(page)}
        return self.get_paginated_response(
            run_serializers.RunSerializer(page, many=True, context=context).data
        )
