"""What the plugin's admin pages share: links, time and count formats, filters, read-only pages."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from periodic_instructor_reports.models import PeriodicReportSchedule

RUNS_ADMIN = "admin:periodic_instructor_reports_reportrun_changelist"
RUN_COURSES_ADMIN = "admin:periodic_instructor_reports_reportruncourse_changelist"


def counts_text(counts):
    """Return a run's counts per outcome as text, e.g. ``2 failed, 5 submitted``."""
    return ", ".join(f"{count} {outcome}" for outcome, count in sorted((counts or {}).items()))


def local_time(moment, zone, seconds=False):
    """Return ``moment`` as text in ``zone``, with the zone's name."""
    return f"{timezone.localtime(moment, zone):%a %Y-%m-%d %H:%M{':%S' if seconds else ''}} {zone}"


class ScheduleFilter(admin.SimpleListFilter):
    """Filter by schedule, listing the schedules with their report names in one query."""

    title = _("schedule")
    parameter_name = "schedule"
    field_path = "schedule_id"

    def lookups(self, request, model_admin):
        rows = PeriodicReportSchedule.objects.select_related("task").order_by("pk")
        return [(str(schedule.pk), str(schedule)) for schedule in rows]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(**{self.field_path: self.value()})
        return queryset


class RunCourseScheduleFilter(ScheduleFilter):
    """Filter course records by their run's schedule."""

    field_path = "run__schedule_id"


class ReadOnlyAdmin(admin.ModelAdmin):
    """History is written by the dispatcher only: it can be viewed, not added, changed or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


