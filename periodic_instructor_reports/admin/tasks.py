"""The report task registry's admin: the report functions schedules may run."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from periodic_instructor_reports import api, permissions, reports, schedule_rules
from periodic_instructor_reports.exceptions import ReportFunctionError
from periodic_instructor_reports.models import PeriodicReportTask


class ReportTaskForm(forms.ModelForm):
    """A report task's name and path; whether it takes a request follows the function's signature."""

    class Meta:
        model = PeriodicReportTask
        fields = ("name", "path")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("path"):
            self.instance.requires_request = reports.signature_requires_request(cleaned["path"])
        return cleaned

    def _post_clean(self):
        """Check the task's rules on the form too (they are not the model's), as ``api.py`` will."""
        super()._post_clean()
        try:
            schedule_rules.validate_report_task(self.instance)
        except ValidationError as err:
            self._update_errors(err)


@admin.register(PeriodicReportTask)
class PeriodicReportTaskAdmin(admin.ModelAdmin):
    """
    Register the report functions schedules may run: superusers only, whatever a staff user's permissions.

    The registry decides which platform functions run with learner data; staff with model
    permissions may still look at it.
    """

    list_display = ("name", "path", "requires_request", "schedule_count")
    search_fields = ("name", "path")
    # Set from the function's signature when the task is saved; shown, not chosen.
    readonly_fields = ("requires_request",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_schedule_count=Count("schedules"))

    @admin.display(description=_("Schedules"), ordering="_schedule_count")
    def schedule_count(self, obj):
        return obj._schedule_count  # pylint: disable=protected-access

    def has_add_permission(self, request):
        return permissions.may_manage_report_tasks(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        allowed = permissions.may_manage_report_tasks(request.user)
        return allowed and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        allowed = permissions.may_manage_report_tasks(request.user)
        return allowed and super().has_delete_permission(request, obj)

    form = ReportTaskForm

    def save_model(self, request, obj, _form, _change):
        api.save_report_task(obj, acting_user=request.user)
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
        api.delete_report_task(obj, acting_user=request.user)

    def delete_queryset(self, request, queryset):
        for task in queryset:
            api.delete_report_task(task, acting_user=request.user)


