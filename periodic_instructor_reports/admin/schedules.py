"""The schedules' admin: create, change, pause, run now and delete; every write goes through ``api.py``."""

import datetime
import json

from django.contrib import admin, messages
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from periodic_instructor_reports import api, beat, permissions, schedules
from periodic_instructor_reports.admin.common import RUN_COURSES_ADMIN, RUNS_ADMIN, counts_text, local_time
from periodic_instructor_reports.exceptions import BrokerUnavailable
from periodic_instructor_reports.models import PeriodicReportSchedule, ReportRun

RECENT_RUNS = 10
PREVIEW_COUNT = 5

@admin.register(PeriodicReportSchedule)
class PeriodicReportScheduleAdmin(admin.ModelAdmin):
    """Create, change, pause and delete report schedules."""

    list_display = (
        "id", "task", "owner_username", "when", "course_count", "upload_folder_structure",
        "upload_folder_prefix", "enabled", "last_run", "last_outcome", "next_run", "beat_row",
    )
    list_filter = ("enabled", "upload_folder_structure", "task")
    list_select_related = ("task", "owner", "interval", "crontab", "celery_task")
    raw_id_fields = ("owner",)
    search_fields = ("task__name", "upload_folder_prefix")
    readonly_fields = ("beat_row", "upcoming_runs", "recent_runs", "created", "modified")
    actions = ("pause_schedules", "resume_schedules", "run_now")
    fieldsets = (
        (None, {"fields": ("task", "owner", "interval", "crontab", "enabled")}),
        (_("Courses"), {"fields": ("course_ids", "include_ccx", "only_ccx")}),
        (_("Report arguments"), {"fields": ("arguments", "keyword_arguments")}),
        (_("Upload folder"), {"fields": ("upload_folder_prefix", "upload_folder_structure")}),
        (_("Delivery"), {"fields": ("recipients", "notify")}),
        (_("Status"), {"fields": ("beat_row", "upcoming_runs", "created", "modified")}),
        (_("Recent runs"), {"fields": ("recent_runs",)}),
    )

    def get_queryset(self, request):
        runs = ReportRun.objects.filter(schedule=OuterRef("pk"))
        latest = runs.order_by("-started_at", "-pk")
        automatic = runs.filter(trigger__in=[ReportRun.TRIGGER_BEAT, ReportRun.TRIGGER_CRON])
        return super().get_queryset(request).select_related(*self.list_select_related).annotate(
            _last_run_id=Subquery(latest.values("pk")[:1]),
            _last_run_at=Subquery(latest.values("started_at")[:1]),
            _last_run_status=Subquery(latest.values("status")[:1]),
            _last_run_counts=Subquery(latest.values("counts")[:1]),
            _last_due=Subquery(automatic.order_by("-planned_at").values("planned_at")[:1]),
        )

    @admin.display(description=_("When"))
    def when(self, obj):
        return obj.crontab or obj.interval

    @admin.display(description=_("Last run"), ordering="_last_run_at")
    def last_run(self, obj):
        """Link the last run's start time to its course records."""
        started = obj._last_run_at  # pylint: disable=protected-access
        if started is None:
            return "-"
        url = reverse(RUN_COURSES_ADMIN) + f"?run__id__exact={obj._last_run_id}"  # pylint: disable=protected-access
        return format_html('<a href="{}">{}</a>', url, local_time(started, schedules.time_zone(obj)))

    @admin.display(description=_("Last outcome"))
    def last_outcome(self, obj):
        status = obj._last_run_status  # pylint: disable=protected-access
        if not status:
            return "-"
        counts = obj._last_run_counts  # pylint: disable=protected-access
        if isinstance(counts, str):  # a Subquery of a JSON field is text on some databases
            counts = json.loads(counts)
        text = counts_text(counts)
        return f"{status}: {text}" if text else status

    def _next_run(self, obj, now):
        return schedules.next_run(obj, last_due=getattr(obj, "_last_due", None), now=now)

    @admin.display(description=_("Next run"))
    def next_run(self, obj):
        if not obj.enabled:
            return _("paused")
        if self._not_running(obj):
            return _("not running")
        upcoming = self._next_run(obj, timezone.now())
        return local_time(upcoming, schedules.time_zone(obj)) if upcoming else "-"

    @admin.display(description=_("Next run times"))
    def upcoming_runs(self, obj):
        if not obj.pk or not (obj.interval_id or obj.crontab_id):
            return _("Save the schedule to see its next run times.")
        if obj.enabled and self._not_running(obj):
            return _("None: beat does not run this schedule until its beat row is put back (see Beat row).")
        now = timezone.now()
        first = self._next_run(obj, now) if obj.enabled else None
        if first is None:
            first = schedules.next_after(obj, now)
        times = [first] + schedules.next_runs(obj, after=first, count=PREVIEW_COUNT - 1)
        zone = schedules.time_zone(obj)
        seconds = any(moment.second for moment in times)
        if str(zone) == "UTC":
            rows = format_html_join("", "<li>{}</li>", ((local_time(m, zone, seconds),) for m in times))
        else:
            rows = format_html_join("", "<li>{} ({} UTC)</li>", (
                (local_time(moment, zone, seconds), f"{moment.astimezone(datetime.UTC):%H:%M}")
                for moment in times
            ))
        note = "" if obj.enabled else _("Paused: it runs at these times once resumed. ")
        return format_html("{}<ul>{}</ul>", note, rows)

    @admin.display(description=_("Recent runs"))
    def recent_runs(self, obj):
        """Show the latest runs (read-only, newest first) and link to all of them."""
        if not obj.pk:
            return "-"
        runs = obj.runs.order_by("-started_at", "-pk")[:RECENT_RUNS]
        rows = format_html_join("", (
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>'
            '<td><a href="{}">{}</a></td></tr>'
        ), (
            (
                reverse("admin:periodic_instructor_reports_reportrun_change", args=[run.pk]), run.pk,
                local_time(run.started_at, schedules.time_zone(obj), seconds=True), run.get_trigger_display(),
                run.get_status_display(), counts_text(run.counts),
                reverse(RUN_COURSES_ADMIN) + f"?run__id__exact={run.pk}", _("courses"),
            )
            for run in runs
        ))
        link = format_html(
            '<a href="{}">{}</a>', reverse(RUNS_ADMIN) + f"?schedule={obj.pk}",
            _("All runs of this schedule"),
        )
        if not rows:
            return format_html("{} {}", _("No runs yet."), link)
        head = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th></th></tr>",
            _("Run"), _("Started"), _("Trigger"), _("Status"), _("Outcomes"),
        )
        return format_html('<table class="pir-recent-runs">{}{}</table>{}', head, rows, link)

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

    @admin.display(description=_("Owner"), ordering="owner__username")
    def owner_username(self, obj):
        return obj.owner.username

    @admin.display(description=_("Courses"))
    def course_count(self, obj):
        return len(obj.course_ids or [])

    @admin.display(description=_("Beat row"))
    def beat_row(self, obj):
        if obj.pk is None:
            return _("made when the schedule is saved")
        problem = beat.row_problem(obj)
        if problem == ["missing"]:
            return _(
                "not running: its beat row was deleted outside the plugin. It is put back at the daily "
                "reconcile, or now with the reconcile_report_schedules command."
            )
        url = reverse("admin:django_celery_beat_periodictask_change", args=[obj.celery_task.pk])
        state = _("enabled") if obj.celery_task.enabled else _("disabled")
        link = format_html('<a href="{}">{}</a> ({})', url, obj.celery_task.name, state)
        if problem:
            return format_html(
                '{} <strong class="pir-drift">{}</strong>', link,
                _("changed outside the plugin (%(fields)s): it is put back at the next run and the daily "
                  "reconcile.") % {"fields": ", ".join(problem)},
            )
        return link

    def _not_running(self, obj):
        """Return whether beat does not run the schedule as it is: its row is missing, disabled or changed."""
        problem = beat.row_problem(obj)
        return bool(problem) and not set(problem) <= {"description", "queue", "expire_seconds"}

    def save_model(self, request, obj, form, change):
        api.save_schedule(obj, acting_user=request.user)

    def delete_model(self, request, obj):
        api.delete_schedule(obj)

    def delete_queryset(self, request, queryset):
        for schedule in queryset:
            api.delete_schedule(schedule)

    @admin.action(description=_("Pause selected schedules"), permissions=["change"])
    def pause_schedules(self, request, queryset):
        count = api.pause_schedules(queryset)
        self.message_user(request, ngettext(
            "Paused %(count)d schedule.", "Paused %(count)d schedules.", count
        ) % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Resume selected schedules"), permissions=["change"])
    def resume_schedules(self, request, queryset):
        count = api.resume_schedules(queryset)
        self.message_user(request, ngettext(
            "Resumed %(count)d schedule.", "Resumed %(count)d schedules.", count
        ) % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Run selected schedules now"), permissions=["change"])
    def run_now(self, request, queryset):
        try:
            count = api.run_schedules_now(queryset)
        except BrokerUnavailable as err:
            self.message_user(request, str(err), messages.ERROR)
            return
        self.message_user(request, format_html(
            '{} <a href="{}">{}</a>',
            ngettext(
                "Queued a run of %(count)d schedule.", "Queued a run of %(count)d schedules.", count
            ) % {"count": count},
            reverse(RUNS_ADMIN),
            _("See the run history."),
        ), messages.SUCCESS)


