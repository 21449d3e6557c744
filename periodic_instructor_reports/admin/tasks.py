"""The report task registry's admin: the report functions schedules may run."""

from django.contrib import admin, messages
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from periodic_instructor_reports import api, reports
from periodic_instructor_reports.exceptions import ReportFunctionError
from periodic_instructor_reports.models import PeriodicReportTask


@admin.register(PeriodicReportTask)
class PeriodicReportTaskAdmin(admin.ModelAdmin):
    """Register the report functions schedules may run."""

    list_display = ("name", "path", "requires_request", "schedule_count")
    search_fields = ("name", "path")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_schedule_count=Count("schedules"))

    @admin.display(description=_("Schedules"), ordering="_schedule_count")
    def schedule_count(self, obj):
        return obj._schedule_count  # pylint: disable=protected-access

    def save_model(self, request, obj, form, change):
        api.save_report_task(obj)
        try:
            function = reports.load(obj.path)
        except ReportFunctionError:
            return
        if not reports.accepts_upload_dir(function):
            self.message_user(request, _(
                "%(path)s does not accept upload_parent_dir: its reports always go to the "
                "platform's own folder and schedules cannot set upload folders."
            ) % {"path": obj.path}, messages.WARNING)

    def delete_model(self, request, obj):
        api.delete_report_task(obj)

    def delete_queryset(self, request, queryset):
        for task in queryset:
            api.delete_report_task(task)


