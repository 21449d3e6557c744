"""
What the course-team API shows of a run: its rows of the course, its window, warning and progress.

Read-only; the view hands each run's ``Progress`` (``progress.progress_by_run``, a few queries a
page) in the context.
"""

from django.urls import reverse
from rest_framework import serializers

from periodic_instructor_reports import catalog, urlnames
from periodic_instructor_reports.models import ReportRun
from periodic_instructor_reports.states import Outcome


class ProgressSerializer(serializers.Serializer):
    """How far a run is, over all its courses (not only this course's)."""

    waiting = serializers.IntegerField(help_text="Courses not submitted yet: waiting for a slot.")
    in_flight = serializers.IntegerField(help_text="Reports the platform is generating now.")
    finished = serializers.IntegerField(help_text="Courses whose outcome is final.")
    expected_end = serializers.DateTimeField(
        allow_null=True,
        help_text="When its last report is expected, from its reports so far; null until one ended "
        "and once the run is over.",
    )


class RunCourseSerializer(serializers.Serializer):
    """One course of a run (this course or one of its CCXs): its outcome and its file's link."""

    course_id = serializers.CharField()
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    outcome_display = serializers.CharField(source="get_outcome_display")
    attempt = serializers.IntegerField()
    error = serializers.CharField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    file_name = serializers.CharField()
    file_size = serializers.IntegerField(allow_null=True)
    download_url = serializers.SerializerMethodField(
        help_text="The plugin's download link of the file (asks the permission again), or null.",
    )

    def get_download_url(self, row) -> str | None:
        if row.outcome != Outcome.GENERATED or not row.file_path:
            return None
        url = reverse(urlnames.DOWNLOAD, args=[row.pk])
        return self.context["request"].build_absolute_uri(url)


class RunSerializer(serializers.ModelSerializer):
    """A run that had this course, newest first; read-only when its schedule is not one of the course's."""

    schedule = serializers.SerializerMethodField(help_text="The course's schedule it ran, or null.")
    report = serializers.SerializerMethodField()
    read_only = serializers.SerializerMethodField(
        help_text="True for runs of schedules made by administrators for many courses or an organisation.",
    )
    status_display = serializers.CharField(source="get_status_display")
    courses = RunCourseSerializer(many=True, source="course_rows")
    finish_by = serializers.DateTimeField(
        allow_null=True, help_text="When the run should be over (its schedule's window), or null.",
    )
    warning = serializers.CharField(
        help_text="What the run foresaw going wrong, such as not finishing within its window; or empty.",
    )
    progress = serializers.SerializerMethodField(help_text="How far the run is.")

    class Meta:
        model = ReportRun
        fields = [
            "id",
            "schedule",
            "schedule_name",
            "report",
            "report_name",
            "read_only",
            "trigger",
            "status",
            "status_display",
            "planned_at",
            "started_at",
            "finished_at",
            "finish_by",
            "warning",
            "progress",
            "courses",
        ]
        read_only_fields = fields

    def get_schedule(self, run) -> int | None:
        return run.schedule_id if run.schedule_id in self.context["course_schedule_ids"] else None

    def get_report(self, run) -> str | None:
        report = catalog.get(run.report_path)
        return report.task_type if report else None

    def get_read_only(self, run) -> bool:
        return run.schedule_id not in self.context["course_schedule_ids"]

    def get_progress(self, run) -> ProgressSerializer:
        return ProgressSerializer(self.context["progress"][run.pk]).data
