"""The schedules' admin: create, change, pause, run now and delete; every write goes through ``api.py``."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from periodic_instructor_reports import api, permissions, states, urlnames
from periodic_instructor_reports.admin.common import ADMIN_CSS, row_id
from periodic_instructor_reports.admin.forms import ScheduleForm, decode_json, search_courses
from periodic_instructor_reports.admin.preview import folder_preview
from periodic_instructor_reports.admin.schedule_display import ScheduleDisplay
from periodic_instructor_reports.exceptions import BrokerUnavailable, RunNowRefused
from periodic_instructor_reports.models import PeriodicReportSchedule, PeriodicReportTask, ReportRun
from periodic_instructor_reports.states import FolderStructure


@admin.register(PeriodicReportSchedule)
class PeriodicReportScheduleAdmin(ScheduleDisplay, admin.ModelAdmin):
    """Create, change, pause, run now and delete report schedules."""

    form = ScheduleForm

    class Media:
        css = {"screen": [ADMIN_CSS]}

    change_form_template = "admin/periodic_instructor_reports/periodicreportschedule/change_form.html"
    list_display = ("name", "task", "when_text", "courses_text", "last_run_text", "next_run")
    list_display_links = ("name",)
    list_filter = ("enabled", "task", "upload_folder_structure")
    list_select_related = ("task", "owner", "interval", "crontab", "celery_task")
    list_per_page = 50
    raw_id_fields = ("owner",)
    # Course ids are searched inside the JSON list (its text), on every database.
    search_fields = ("name", "task__name", "owner__username", "owner__email", "course_ids", "course_orgs")
    readonly_fields = ("folder_preview", "selected_courses", "beat_row", "upcoming_runs", "recent_runs",
                       "created", "modified")
    actions = ("pause_schedules", "resume_schedules", "run_now")
    fieldsets = (
        (None, {"fields": ("name", "task", "owner", "interval", "crontab", "enabled")}),
        (_("Courses"), {"fields": ("course_ids", "include_ccx", "only_ccx", "course_orgs", "course_state",
                                   "course_state_days", "selected_courses")}),
        (_("Report arguments"), {"fields": ("arguments", "keyword_arguments")}),
        (_("Upload folder"), {"fields": (
            "upload_folder_prefix", "upload_folder_structure", "folder_preview",
        )}),
        (_("Delivery"), {"fields": ("recipients", "notify")}),
        (_("Pacing"), {"fields": ("max_in_flight", "finish_within"), "description": _(
            "How many of its reports may generate at once, and when a run should be over. Runs share the "
            "site's cap fairly; a run's page shows its progress and when it is expected to end."
        )}),
        (_("Status"), {"fields": ("beat_row", "upcoming_runs", "created", "modified")}),
        (_("Recent runs"), {"fields": ("recent_runs",)}),
    )

    def get_queryset(self, request):
        runs = ReportRun.objects.filter(schedule=OuterRef("pk"))
        latest = runs.order_by("-started_at", "-pk")
        automatic = runs.filter(trigger__in=states.AUTOMATIC)
        return super().get_queryset(request).select_related(*self.list_select_related).annotate(
            _last_run_id=Subquery(latest.values("pk")[:1]),
            _last_run_at=Subquery(latest.values("started_at")[:1]),
            _last_run_status=Subquery(latest.values("status")[:1]),
            _last_run_counts=Subquery(latest.values("counts")[:1]),
            _last_due=Subquery(automatic.order_by("-planned_at").values("planned_at")[:1]),
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        name = urlnames.SCHEDULES.split(":", 1)[1]
        return [
            path("courses/", view(self.courses_view), name=f"{name}_courses"),
            path("preview/", view(self.preview_view), name=f"{name}_preview"),
            path("<int:pk>/run-now/", view(self.run_now_view), name=f"{name}_run_now"),
            path("<int:pk>/pause/", view(self.pause_view), name=f"{name}_pause"),
            path("<int:pk>/resume/", view(self.resume_view), name=f"{name}_resume"),
            *super().get_urls(),
        ]

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("owner", request.user.pk)
        return initial

    def get_form(self, request, obj=None, change=False, **kwargs):
        """For anyone but a superuser, the schedule is theirs once saved: validate it as theirs."""
        form = super().get_form(request, obj, change, **kwargs)
        if permissions.is_superuser(request.user):
            return form
        editor = request.user

        class OwnedByEditor(form):
            def __init__(self, *args, **form_kwargs):
                super().__init__(*args, **form_kwargs)
                self.instance.owner = editor

        return OwnedByEditor

    def get_readonly_fields(self, request, obj=None):
        """Only superusers choose the owner; anyone else who saves a schedule becomes its owner."""
        readonly = super().get_readonly_fields(request, obj)
        if not permissions.is_superuser(request.user):
            return (*readonly, "owner")
        return readonly

    def save_model(self, request, obj, _form, _change):
        """Save through the API (which records the history); say so on the page when the owner changed."""
        previous = PeriodicReportSchedule.objects.select_related("owner").filter(pk=obj.pk).first()
        api.save_schedule(obj, acting_user=request.user)
        if previous is not None and previous.owner_id != obj.owner_id:
            self.message_user(request, _(
                "The owner changed from %(old)s to %(new)s: the reports are now requested as %(new)s."
            ) % {"old": previous.owner.username, "new": obj.owner.username}, messages.WARNING)

    def delete_model(self, request, obj):
        api.delete_schedule(obj, acting_user=request.user)

    def delete_queryset(self, request, queryset):
        for schedule in queryset:
            api.delete_schedule(schedule, acting_user=request.user)

    # The API records every write in the schedule's history: the admin adds no entries of its own.

    def log_addition(self, _request, _obj, _message):
        return None

    def log_change(self, _request, _obj, _message):
        return None

    def log_deletion(self, _request, _obj, _object_repr):
        return None

    def log_deletions(self, _request, _queryset):
        return None

    # Views behind the page's course picker, folder preview and buttons.

    def courses_view(self, request):
        """Find courses by id or name for the course picker (JSON, as select2 reads it)."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return JsonResponse(search_courses(request.GET.get("term", "")[:200]))

    def preview_view(self, request):
        """Render the folder preview of the form's current values; malformed values get a message."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        problem, schedule = preview_schedule(request)
        if problem:
            return HttpResponse(format_html('<p class="pir-warning">{}</p>', problem))
        return HttpResponse(folder_preview(schedule, request.GET.getlist("course_ids[]")[:20]))

    def _button(self, request, pk, act):
        if request.method != "POST" or not self.has_change_permission(request):
            raise PermissionDenied
        schedule = PeriodicReportSchedule.objects.filter(pk=row_id(str(pk)) or 0).first()
        if schedule is None:
            self.message_user(request, _("No schedule has the id “%(id)s”; perhaps it was deleted.") % {
                "id": pk,
            }, messages.WARNING)
            return HttpResponseRedirect(reverse(f"{urlnames.SCHEDULES}_changelist"))
        act(request, PeriodicReportSchedule.objects.filter(pk=schedule.pk))
        return HttpResponseRedirect(reverse(f"{urlnames.SCHEDULES}_change", args=[schedule.pk]))

    def run_now_view(self, request, pk):
        return self._button(request, pk, self.run_now)

    def pause_view(self, request, pk):
        return self._button(request, pk, self.pause_schedules)

    def resume_view(self, request, pk):
        return self._button(request, pk, self.resume_schedules)

    # Actions, for the list and the page's buttons.

    @admin.action(description=_("Pause selected schedules"), permissions=["change"])
    def pause_schedules(self, request, queryset):
        count = api.pause_schedules(queryset, acting_user=request.user)
        self.message_user(request, ngettext(
            "Paused %(count)d schedule.", "Paused %(count)d schedules.", count
        ) % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Resume selected schedules"), permissions=["change"])
    def resume_schedules(self, request, queryset):
        count = api.resume_schedules(queryset, acting_user=request.user)
        self.message_user(request, ngettext(
            "Resumed %(count)d schedule.", "Resumed %(count)d schedules.", count
        ) % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Run selected schedules now"), permissions=["change"])
    def run_now(self, request, queryset):
        try:
            count = api.run_schedules_now(queryset, acting_user=request.user)
        except RunNowRefused as err:
            self.message_user(request, _("Nothing was queued. %(why)s") % {"why": err}, messages.ERROR)
            return
        except BrokerUnavailable as err:
            self.message_user(request, str(err), messages.ERROR)
            return
        self.message_user(request, format_html(
            '{} <a href="{}">{}</a>',
            ngettext(
                "Queued a run of %(count)d schedule.", "Queued a run of %(count)d schedules.", count
            ) % {"count": count},
            reverse(urlnames.RUNS),
            _("See the run history."),
        ), messages.SUCCESS)


def preview_schedule(request):
    """
    Return ``(problem, schedule)``: the unsaved schedule of the preview's query, or why it cannot be built.

    The query comes from the page's script, but anyone with the page can send another: an unknown
    report task, an unknown structure and keyword arguments that are not a JSON object of
    acceptable depth are answered with a message.
    """
    structure = request.GET.get("structure") or FolderStructure.REGULAR
    if structure not in dict(FolderStructure.choices):
        return _("Unknown folder structure “%(structure)s”.") % {"structure": structure[:50]}, None
    schedule = PeriodicReportSchedule(
        owner=request.user, upload_folder_prefix=request.GET.get("prefix", "")[:300],
        upload_folder_structure=structure,
    )
    given = request.GET.get("task", "")
    if given:
        task = PeriodicReportTask.objects.filter(pk=row_id(given) or 0).first()
        if task is None:
            return _("No report task has the id “%(id)s”.") % {"id": given[:50]}, None
        schedule.task = task
    try:
        keyword_arguments = decode_json(request.GET.get("keyword_arguments") or "{}")
    except ValidationError as err:
        return _("Keyword arguments: %(error)s") % {"error": " ".join(err.messages)}, None
    if not isinstance(keyword_arguments, dict):
        return _("Keyword arguments: enter a JSON object, for example {} or {\"a\": 2}."), None
    schedule.keyword_arguments = keyword_arguments
    return "", schedule
