"""The schedules' admin: create, change, pause, run now and delete; every write goes through ``api.py``."""

import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from periodic_instructor_reports import api, beat, courses, describe, permissions, states, timing
from periodic_instructor_reports.admin.common import (
    ADMIN_CSS,
    RUNS_ADMIN,
    counts_text,
    local_time,
    row_id,
    time_cell,
)
from periodic_instructor_reports.admin.forms import ScheduleForm, decode_json, search_courses
from periodic_instructor_reports.admin.preview import folder_preview
from periodic_instructor_reports.exceptions import BrokerUnavailable, RunNowRefused
from periodic_instructor_reports.models import PeriodicReportSchedule, PeriodicReportTask, ReportRun
from periodic_instructor_reports.states import CourseState, FolderStructure, RunStatus

RECENT_RUNS = 10
PREVIEW_COUNT = 5
# Course ids the list shows of a schedule before "+N more".
LISTED_COURSES = 1
# Courses of a selection the schedule page lists.
SELECTED_SHOWN = 20
ADMIN_PREFIX = "admin:periodic_instructor_reports_periodicreportschedule"


@admin.register(PeriodicReportSchedule)
class PeriodicReportScheduleAdmin(admin.ModelAdmin):
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
        name = ADMIN_PREFIX.split(":", 1)[1]
        return [
            path("courses/", view(self.courses_view), name=f"{name}_courses"),
            path("preview/", view(self.preview_view), name=f"{name}_preview"),
            path("<int:pk>/run-now/", view(self.run_now_view), name=f"{name}_run_now"),
            path("<int:pk>/pause/", view(self.pause_view), name=f"{name}_pause"),
            path("<int:pk>/resume/", view(self.resume_view), name=f"{name}_resume"),
            *super().get_urls(),
        ]

    # The list: what an operator reads at a glance.

    @admin.display(description=_("When"))
    def when_text(self, obj):
        return describe.describe_when(obj)

    @admin.display(description=_("Courses"))
    def courses_text(self, obj):
        """
        The first course id and "+N more", then what the schedule selects by organisation and state.

        Each on one line, cut short if need be (the whole line in its tooltip): rows stay short.
        """
        listed = [str(course_id) for course_id in obj.course_ids or []]
        selected = [describe_selection(obj)]
        if obj.include_ccx or obj.only_ccx:
            selected.append(_("only their CCXs") if obj.only_ccx else _("and their CCXs"))
        selected = " ".join(str(part) for part in selected if part)
        lines = []
        if listed:
            # "+N more" stays in view; the course id gives way.
            more = ""
            if len(listed) > LISTED_COURSES:
                more = _("+%(count)d more") % {"count": len(listed) - LISTED_COURSES}
            chosen = ", ".join(listed[:LISTED_COURSES])
            lines.append(format_html(
                '<span class="pir-line pir-courses" title="{}"><span class="pir-cut">{}</span>{}</span>',
                ", ".join(listed), chosen, format_html(" <span>{}</span>", more) if more else "",
            ))
        if selected:
            lines.append(format_html('<span class="pir-line pir-muted" title="{}">{}</span>',
                                     selected, selected))
        return format_html_join("", "{}", ((line,) for line in lines)) or "-"

    @admin.display(description=_("Last run"), ordering="_last_run_at")
    def last_run_text(self, obj):
        """The last run's start (a link to it) and its counts per outcome."""
        started = obj._last_run_at  # pylint: disable=protected-access
        if started is None:
            return "-"
        url = reverse("admin:periodic_instructor_reports_reportrun_change", args=[obj._last_run_id])  # pylint: disable=protected-access
        counts = obj._last_run_counts  # pylint: disable=protected-access
        if isinstance(counts, str):  # a Subquery of a JSON field is text on some databases
            counts = json.loads(counts)
        status = dict(RunStatus.choices).get(obj._last_run_status, obj._last_run_status)  # pylint: disable=protected-access
        outcome = f"{status}: {counts_text(counts)}" if counts else str(status)
        return format_html(
            '<a href="{}">{}</a><span class="pir-line pir-muted" title="{}">{}</span>', url,
            time_cell(started, timing.time_zone(obj)), outcome, outcome,
        )

    def _next_run(self, obj, now):
        return timing.next_run(obj, last_due=getattr(obj, "_last_due", None), now=now)

    @admin.display(description=_("Next run"))
    def next_run(self, obj):
        """The next due time, or why there is none: the schedule is paused or beat does not run it."""
        if not obj.enabled:
            return _("paused")
        if self._not_running(obj):
            return _("not running")
        upcoming = self._next_run(obj, timezone.now())
        return time_cell(upcoming, timing.time_zone(obj)) if upcoming else "-"

    # The schedule page.

    @admin.display(description=_("Next run times"))
    def upcoming_runs(self, obj):
        if not obj.pk or not (obj.interval_id or obj.crontab_id):
            return _("Save the schedule to see its next run times.")
        if obj.enabled and self._not_running(obj):
            return _("None: beat does not run this schedule until its beat row is put back (see Beat row).")
        now = timezone.now()
        first = self._next_run(obj, now) if obj.enabled else None
        if first is None:
            first = timing.next_after(obj, now)
        times = [first] + timing.next_runs(obj, after=first, count=PREVIEW_COUNT - 1)
        zone = timing.time_zone(obj)
        rows = format_html_join("", "<li>{}</li>", ((local_time(moment, zone),) for moment in times))
        note = "" if obj.enabled else _("Paused: it runs at these times once resumed. ")
        return format_html("{}{}<ul>{}</ul>", note, describe.describe_when(obj), rows)

    @admin.display(description=_("Where the files go"))
    def folder_preview(self, obj):
        """The folder and an example file name of each course's report (updated as the fields change)."""
        body = folder_preview(obj, obj.course_ids or []) if obj.pk else _(
            "Fill in the report, the courses and the folder fields: the folders show here."
        )
        url = reverse(f"{ADMIN_PREFIX}_preview")
        return format_html('<div id="pir-folder-preview" data-url="{}">{}</div>', url, body)

    @admin.display(description=_("Courses selected now"))
    def selected_courses(self, obj):
        """The courses the organisation and state choose today (they are chosen again at each run)."""
        if not obj.selects_courses:
            return _("None: the schedule runs its listed courses only.")
        keys = courses.selected_courses(obj)
        if not keys:
            return _("No course matches today.")
        shown = format_html_join(", ", "{}", ((str(key),) for key in keys[:SELECTED_SHOWN]))
        more = len(keys) - SELECTED_SHOWN
        return format_html("{} ({}){}", describe_selection(obj), ngettext(
            "%(count)d course", "%(count)d courses", len(keys)) % {"count": len(keys)},
            format_html(": {}{}", shown, f" +{more}" if more > 0 else ""))

    @admin.display(description=_("Recent runs"))
    def recent_runs(self, obj):
        """Show the latest runs (read-only, newest first) and link to all of them."""
        if not obj.pk:
            return "-"
        runs = obj.runs.order_by("-started_at", "-pk")[:RECENT_RUNS]
        zone = timing.time_zone(obj)
        rows = format_html_join("", (
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>'
        ), (
            (
                reverse("admin:periodic_instructor_reports_reportrun_change", args=[run.pk]), run.pk,
                local_time(run.started_at, zone), run.get_trigger_display(), run.get_status_display(),
                counts_text(run.counts),
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
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("Run"), _("Started"), _("Trigger"), _("Status"), _("Outcomes"),
        )
        return format_html('<table class="pir-recent-runs">{}{}</table>{}', head, rows, link)

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

    def save_model(self, request, obj, form, change):
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

    def log_addition(self, request, obj, message):
        return None

    def log_change(self, request, obj, message):
        return None

    def log_deletion(self, request, obj, object_repr):
        return None

    def log_deletions(self, request, queryset):
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
            return HttpResponseRedirect(reverse(f"{ADMIN_PREFIX}_changelist"))
        act(request, PeriodicReportSchedule.objects.filter(pk=schedule.pk))
        return HttpResponseRedirect(reverse(f"{ADMIN_PREFIX}_change", args=[schedule.pk]))

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
            reverse(RUNS_ADMIN),
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


def describe_selection(schedule):
    """Return the courses a schedule selects by organisation and state, in words, or ""."""
    if not schedule.selects_courses:
        return ""
    states = {
        "": _("courses"), CourseState.ALL: _("all courses"),
        CourseState.RUNNING: _("running courses"),
        CourseState.STARTING: _("courses starting within %(days)d days"),
        CourseState.ENDED: _("courses ended within %(days)d days"),
    }
    what = str(states.get(schedule.course_state, _("courses"))) % {"days": schedule.course_state_days}
    if schedule.course_orgs:
        return _("+ %(what)s of %(orgs)s") % {"what": what, "orgs": ", ".join(schedule.course_orgs)}
    return _("+ %(what)s") % {"what": what}

