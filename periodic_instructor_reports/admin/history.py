"""The run history's admin: read-only pages of runs and of their courses."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from periodic_instructor_reports import describe, urlnames
from periodic_instructor_reports.admin.common import (
    ReadOnlyAdmin,
    RunCourseScheduleFilter,
    ScheduleFilter,
    counts_text,
    time_cell,
)
from periodic_instructor_reports.admin.run_progress import progress_block
from periodic_instructor_reports.models import ReportRun, ReportRunCourse
from periodic_instructor_reports.states import Outcome

# Courses the run page lists; the course list has them all.
COURSE_TABLE_ROWS = 100


class StartEndCells:
    """The start and end time columns that runs and their courses share."""

    @admin.display(description=_("Started"), ordering="started_at")
    def started(self, obj):
        return time_cell(obj.started_at)

    @admin.display(description=_("Finished"), ordering="finished_at")
    def finished(self, obj):
        return time_cell(obj.finished_at)


@admin.register(ReportRun)
class ReportRunAdmin(StartEndCells, ReadOnlyAdmin):
    """Run history: one row per dispatch of a schedule."""

    list_display = ("id", "schedule_link", "trigger", "due", "status", "outcome_counts", "duration")
    list_filter = (ScheduleFilter, "status", "trigger", "started_at")
    date_hierarchy = "started_at"
    ordering = ("-started_at", "-pk")
    fields = ("schedule_link", "report_name", "owner", "trigger", "requested_by", "due", "started",
              "finished", "duration", "status", "outcome_counts", "progress", "missed", "error", "notified",
              "note", "course_table")
    readonly_fields = fields

    @admin.display(description=_("Schedule"), ordering="schedule_id")
    def schedule_link(self, obj):
        return schedule_link(obj)

    @admin.display(description=_("Owner"))
    def owner(self, obj):
        """The user the reports were requested as, by username; the run keeps the id (users may go)."""
        return username_cell(obj.owner_user_id)

    @admin.display(description=_("Requested by"))
    def requested_by(self, obj):
        """Who asked for a manual run, by username."""
        return username_cell(obj.requested_by_user_id)

    @admin.display(description=_("Due time"), ordering="planned_at")
    def due(self, obj):
        return time_cell(obj.planned_at)

    @admin.display(description=_("E-mailed"))
    def notified(self, obj):
        return time_cell(obj.notified_at)

    @admin.display(description=_("Duration"))
    def duration(self, obj):
        """How long the run took, from its start to its end (the last report's end), or "-"."""
        if obj.finished_at is None:
            return "-"
        return describe.duration_text(max(0, (obj.finished_at - obj.started_at).total_seconds()))

    @admin.display(description=_("Courses"))
    def course_table(self, obj):
        """List the run's courses with their outcome and report (the first ones; all of them a click away)."""
        rows = list(obj.courses.order_by("pk")[:COURSE_TABLE_ROWS])
        url = reverse(urlnames.RUN_COURSES) + f"?run__id__exact={obj.pk}"
        total = obj.course_total if obj.course_total is not None else len(rows)
        link = format_html('<a href="{}">{}</a>', url, ngettext(
            "All %(count)d course of this run", "All %(count)d courses of this run", total,
        ) % {"count": total})
        if not rows:
            return link
        body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (row.course_id, row.get_outcome_display(), row.attempt, report_cell(row)) for row in rows
        ))
        head = format_html("<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
                           _("Course"), _("Outcome"), _("Attempts"), _("Report or error"))
        return format_html('<table class="pir-run-courses">{}{}</table>{}', head, body, link)

    @admin.display(description=_("Outcomes"))
    def outcome_counts(self, obj):
        return counts_text(obj.counts)

    @admin.display(description=_("Progress"))
    def progress(self, obj):
        """Its courses waiting, in flight and finished, its expected end and window, its pacing."""
        return progress_block(obj)


@admin.register(ReportRunCourse)
class ReportRunCourseAdmin(StartEndCells, ReadOnlyAdmin):
    """Run history per course: each attempt's outcome, platform task id and error summary."""

    list_display = ("course_id", "run_cell", "outcome", "attempt", "report", "started")
    # No filter by course: on a run of 100,000 courses it would list them all; search finds one.
    list_filter = (RunCourseScheduleFilter, "outcome", "started_at")
    list_select_related = ("run",)
    search_fields = ("=course_id", "=task_id")
    date_hierarchy = "started_at"
    ordering = ("-started_at", "-pk")
    fields = ("run_link", "schedule", "course_id", "attempt", "outcome", "report", "task_id",
              "upload_parent_dir", "file_path", "file_size", "platform_path", "error_file_path", "ungraded",
              "error", "started", "finished")
    readonly_fields = fields

    @admin.display(description=_("Report or error"))
    def report(self, obj):
        return report_cell(obj)

    @admin.display(description=_("Run"), ordering="run_id")
    def run_link(self, obj):
        url = reverse(urlnames.RUN, args=[obj.run_id])
        return format_html('<a href="{}">{}</a>', url, obj.run_id)

    @admin.display(description=_("Run"), ordering="run_id")
    def run_cell(self, obj):
        """The run (a link) and its schedule's name, in one narrow cell."""
        label = obj.run.schedule_label
        return format_html('{}<br><span class="pir-muted">{}</span>', self.run_link(obj), label)

    @admin.display(description=_("Schedule"))
    def schedule(self, obj):
        return schedule_link(obj.run)


def username_cell(user_id):
    """A user kept by id, shown by username (or as a deleted id), or "-"."""
    if user_id is None:
        return "-"
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return _("user id %(id)s (deleted)") % {"id": user_id}
    return user.get_username()


def report_cell(row):
    """Link a generated report to its download (and its errors file), or show the course's error."""
    if row.outcome == Outcome.GENERATED and row.file_path:
        cell = format_html(
            '<a href="{}" class="pir-download">{}</a> ({})',
            reverse(urlnames.DOWNLOAD, args=[row.pk]), row.file_name,
            filesizeformat(row.file_size) if row.file_size is not None else _("size unknown"),
        )
        if not row.ungraded:
            return cell
        errors = format_html(
            '<a href="{}" class="pir-download">{}</a>',
            reverse(urlnames.DOWNLOAD_ERRORS, args=[row.pk]), _("errors file"),
        ) if row.error_file_path else _("errors file not found")
        missing = ngettext("generated with errors: %(count)d learner could not be graded",
                           "generated with errors: %(count)d learners could not be graded",
                           row.ungraded) % {"count": row.ungraded}
        return format_html('{}<br><span class="pir-warning">{}</span> ({})', cell, missing, errors)
    return Truncator(row.error).chars(160) if row.error else "-"


def schedule_link(run):
    """Link a run to its schedule's page, or name the schedule it had once that was deleted."""
    if run.schedule_id is None:
        return run.schedule_label
    url = reverse(urlnames.SCHEDULE, args=[run.schedule_id])
    return format_html('<a href="{}">{}</a>', url, run.schedule_label)
