"""Admin pages for report tasks and schedules; every write goes through ``api.py``."""

from django.contrib import admin, messages
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from periodic_instructor_reports import api, reports
from periodic_instructor_reports.exceptions import ReportFunctionError
from periodic_instructor_reports.models import PeriodicReportSchedule, PeriodicReportTask


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


@admin.register(PeriodicReportSchedule)
class PeriodicReportScheduleAdmin(admin.ModelAdmin):
    """Create, change, pause and delete report schedules."""

    list_display = (
        "id", "task", "owner_username", "interval", "course_count", "upload_folder_structure",
        "upload_folder_prefix", "enabled", "beat_row",
    )
    list_filter = ("enabled", "upload_folder_structure", "task")
    list_select_related = ("task", "owner", "interval", "celery_task")
    raw_id_fields = ("owner",)
    search_fields = ("task__name", "upload_folder_prefix")
    readonly_fields = ("beat_row", "created", "modified")
    actions = ("pause_schedules", "resume_schedules")
    fieldsets = (
        (None, {"fields": ("task", "owner", "interval", "enabled")}),
        (_("Courses"), {"fields": ("course_ids", "include_ccx", "only_ccx")}),
        (_("Report arguments"), {"fields": ("arguments", "keyword_arguments")}),
        (_("Upload folder"), {"fields": ("upload_folder_prefix", "upload_folder_structure")}),
        (_("Status"), {"fields": ("beat_row", "created", "modified")}),
    )

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("owner", request.user.pk)
        return initial

    @admin.display(description=_("Owner"), ordering="owner__username")
    def owner_username(self, obj):
        return obj.owner.username

    @admin.display(description=_("Courses"))
    def course_count(self, obj):
        return len(obj.course_ids or [])

    @admin.display(description=_("Beat row"))
    def beat_row(self, obj):
        if obj.celery_task is None:
            return _("missing: run the reconcile_report_schedules command")
        url = reverse("admin:django_celery_beat_periodictask_change", args=[obj.celery_task.pk])
        state = _("enabled") if obj.celery_task.enabled else _("disabled")
        return format_html('<a href="{}">{}</a> ({})', url, obj.celery_task.name, state)

    def save_model(self, request, obj, form, change):
        api.save_schedule(obj)

    def delete_model(self, request, obj):
        api.delete_schedule(obj)

    def delete_queryset(self, request, queryset):
        for schedule in queryset:
            api.delete_schedule(schedule)

    @admin.action(description=_("Pause selected schedules"), permissions=["change"])
    def pause_schedules(self, request, queryset):
        count = api.set_schedules_enabled(queryset, enabled=False)
        self.message_user(request, ngettext(
            "Paused %(count)d schedule.", "Paused %(count)d schedules.", count
        ) % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Resume selected schedules"), permissions=["change"])
    def resume_schedules(self, request, queryset):
        count = api.set_schedules_enabled(queryset, enabled=True)
        self.message_user(request, ngettext(
            "Resumed %(count)d schedule.", "Resumed %(count)d schedules.", count
        ) % {"count": count}, messages.SUCCESS)
