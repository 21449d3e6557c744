"""What the plugin's admin pages share: links, time and count formats, filters, read-only pages."""

import re

from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from periodic_instructor_reports import times
from periodic_instructor_reports.models import PeriodicReportSchedule

# The start of the URL names of the schedules' admin pages (``_change``, ``_preview``, ...).
# Schedules the history's schedule filter lists (each schedule's page links to all its runs).
FILTER_SCHEDULES = 30
ADMIN_CSS = "periodic_instructor_reports/admin.css"
# A row id as a URL's query gives it: ASCII digits that fit every database's integer.
ROW_ID = re.compile(r"^[0-9]{1,18}$")


def row_id(text):
    """Return ``text`` as a row id, or None when it is not one (other digits, too long, not a number)."""
    return int(text) if isinstance(text, str) and ROW_ID.match(text) else None


def counts_text(counts):
    """Return a run's counts per outcome as text, e.g. ``2 failed, 5 submitted``."""
    return ", ".join(f"{count} {outcome}" for outcome, count in sorted((counts or {}).items()))


def local_time(moment, zone=None):
    """
    Return ``moment`` as the plugin's pages show every time: date, time with seconds, and the zone.

    A schedule's own times are shown in its zone (its crontab's); other times in the site's. A
    time in a fall-back's repeated hour carries its UTC offset.
    """
    return times.local_text(moment, zone)


def time_cell(moment, zone=None):
    """Return ``local_time`` for a list cell: it may break between the date and the time, nowhere else."""
    if moment is None:
        return "-"
    weekday, date, rest = local_time(moment, zone).split(" ", 2)
    return format_html('<span class="pir-nowrap">{} {}</span> <span class="pir-nowrap">{}</span>',
                       weekday, date, rest)


class ScheduleFilter(admin.SimpleListFilter):
    """Filter by schedule, listing the schedules with their report names in one query."""

    title = _("schedule")
    parameter_name = "schedule"
    field_path = "schedule_id"

    def lookups(self, _request, _model_admin):
        """The most recently changed schedules (and the chosen one): a site may have thousands."""
        rows = list(PeriodicReportSchedule.objects.order_by("-modified")[:FILTER_SCHEDULES])
        chosen = row_id(self.value())
        if chosen is not None and all(row.pk != chosen for row in rows):
            rows += list(PeriodicReportSchedule.objects.filter(pk=chosen))
        rows.sort(key=lambda row: row.name.lower())
        return [(str(schedule.pk), str(schedule)) for schedule in rows]

    def queryset(self, _request, queryset):
        chosen = row_id(self.value())
        if chosen is not None:
            return queryset.filter(**{self.field_path: chosen})
        if self.value():
            return queryset.none()
        return queryset


class RunCourseScheduleFilter(ScheduleFilter):
    """Filter course records by their run's schedule."""

    field_path = "run__schedule_id"


class ReadOnlyAdmin(admin.ModelAdmin):
    """History is written by the dispatcher only: it can be viewed, not added, changed or deleted."""

    class Media:
        css = {"screen": [ADMIN_CSS]}

    def has_add_permission(self, request, obj=None):  # noqa: ARG002 (Django's signature)
        return False

    def has_change_permission(self, request, obj=None):  # noqa: ARG002 (Django's signature)
        return False

    def has_delete_permission(self, request, obj=None):  # noqa: ARG002 (Django's signature)
        return False


