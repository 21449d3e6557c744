"""What the course's team may do: the site's time zone and limits, and the reports it may schedule."""

from django.utils import timezone
from rest_framework.response import Response

from periodic_instructor_reports import catalog, conf
from periodic_instructor_reports.models import PeriodicReportTask
from periodic_instructor_reports.rest_api.v1 import serializers
from periodic_instructor_reports.rest_api.v1.views.course import CourseView, course_schedules
from periodic_instructor_reports.rest_api.v1.views.docs import ERROR_RESPONSES, docs


@docs(
    get=dict(
        summary="What the site allows the course's team: time zone, limits, how many schedules it has",
        responses={200: serializers.CourseSettingsSerializer, **ERROR_RESPONSES},
    )
)
class CourseSettingsView(CourseView):
    """The site's time zone and the limits a course team's schedules meet, for its forms."""

    def get(self, request, **_kwargs):
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

    def get(self, request, **_kwargs):
        registered = set(
            PeriodicReportTask.objects.filter(path__in=request.allowed_paths).values_list("path", flat=True)
        )
        reports = [catalog.get(path) for path in request.allowed_paths if path in registered]
        return Response(serializers.ReportSerializer(reports, many=True).data)
