"""The run history's admin: read-only pages of runs and of their courses."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from periodic_instructor_reports.admin.common import (
    RUN_COURSES_ADMIN,
    ReadOnlyAdmin,
    RunCourseScheduleFilter,
    ScheduleFilter,
    counts_text,
)
from periodic_instructor_reports.models import ReportRun, ReportRunCourse


@admin.register(ReportRun)
class ReportRunAdmin(ReadOnlyAdmin):
    """Run history: one row per dispatch of a schedule."""

    list_display = (
        "id", "schedule_link", "trigger", "planned_at", "started_at", "finished_at", "status",
        "outcome_counts", "course_records",
    )
    list_filter = (ScheduleFilter, "status", "trigger", "started_at")
    date_hierarchy = "started_at"
    ordering = ("-started_at", "-pk")
    fields = ("schedule_link", "report_name", "owner_user_id", "trigger", "planned_at", "started_at",
              "finished_at", "status", "outcome_counts", "error", "notified_at", "course_records")
    readonly_fields = fields

    @admin.display(description=_("Schedule"), ordering="schedule_id")
    def schedule_link(self, obj):
        return schedule_link(obj)

    @admin.display(description=_("Outcomes"))
    def outcome_counts(self, obj):
        return counts_text(obj.counts)

    @admin.display(description=_("Courses"))
    def course_records(self, obj):
        url = reverse(RUN_COURSES_ADMIN) + f"?run__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("course records"))


@admin.register(ReportRunCourse)
class ReportRunCourseAdmin(ReadOnlyAdmin):
    """Run history per course: each attempt's outcome, platform task id and error summary."""

    list_display = (
        "course_id", "run_link", "schedule", "attempt", "outcome", "task_id", "upload_parent_dir",
        "error", "started_at",
    )
    list_filter = (RunCourseScheduleFilter, "outcome", "course_id", "started_at")
    list_select_related = ("run",)
    search_fields = ("=course_id", "=task_id")
    date_hierarchy = "started_at"
    ordering = ("-started_at", "-pk")
    fields = ("run_link", "schedule", "course_id", "attempt", "outcome", "task_id",
              "upload_parent_dir", "error", "started_at", "finished_at")
    readonly_fields = fields

    @admin.display(description=_("Run"), ordering="run_id")
    def run_link(self, obj):
        url = reverse("admin:periodic_instructor_reports_reportrun_change", args=[obj.run_id])
        return format_html('<a href="{}">{}</a>', url, obj.run_id)

    @admin.display(description=_("Schedule"))
    def schedule(self, obj):
        return schedule_link(obj.run)


def schedule_link(run):
    """Link a run to its schedule's page, or name the schedule it had once that was deleted."""
    if run.schedule_id is None:
        return run.schedule_label
    url = reverse("admin:periodic_instructor_reports_periodicreportschedule_change", args=[run.schedule_id])
    return format_html('<a href="{}">{}</a>', url, run.schedule_label)
