"""
What the schedules' admin shows of a schedule: the list's columns and the page's read-only fields.

The list is what an operator reads at a glance; the page adds the next run times, where the files
go, the courses selected today, the recent runs and the beat row.
"""

import json

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from periodic_instructor_reports import beat, courses, describe, timing, urlnames
from periodic_instructor_reports.admin.common import (
    counts_text,
    local_time,
    time_cell,
)
from periodic_instructor_reports.admin.preview import folder_preview
from periodic_instructor_reports.states import CourseState, RunStatus

RECENT_RUNS = 10
PREVIEW_COUNT = 5
# Course ids the list shows of a schedule before "+N more".
LISTED_COURSES = 1
# Courses of a selection the schedule page lists.
SELECTED_SHOWN = 20


class ScheduleDisplay:
    """
    The schedule admin's columns and read-only fields (a mixin of ``PeriodicReportScheduleAdmin``).

    The list's columns read the last run its ``get_queryset`` annotates each schedule with.
    """

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
        url = reverse(urlnames.RUN, args=[obj._last_run_id])  # pylint: disable=protected-access
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
        """
        The next due time, or why there is none: the schedule is paused or beat does not run it.

        Under it, in short, the schedule's own cap and window when it has them (in words in the
        tooltip): the time takes two lines, so the row stays within three.
        """
        if not obj.enabled:
            cell = _("paused")
        elif self._not_running(obj):
            cell = _("not running")
        else:
            upcoming = self._next_run(obj, timezone.now())
            cell = time_cell(upcoming, timing.time_zone(obj)) if upcoming else "-"
        short, words = pacing_text(obj)
        if not short:
            return cell
        return format_html('{}<span class="pir-line pir-muted pir-pacing" title="{}">{}</span>',
                           cell, words, short)

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
        url = reverse(f"{urlnames.SCHEDULES}_preview")
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
                reverse(urlnames.RUN, args=[run.pk]), run.pk,
                local_time(run.started_at, zone), run.get_trigger_display(), run.get_status_display(),
                counts_text(run.counts),
            )
            for run in runs
        ))
        link = format_html(
            '<a href="{}">{}</a>', reverse(urlnames.RUNS) + f"?schedule={obj.pk}",
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
        url = reverse(urlnames.BEAT_ROW, args=[obj.celery_task.pk])
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


def pacing_text(schedule):
    """Return ``(short, words)``: a schedule's own cap and window, as ``cap 2 · 4h`` and in words."""
    short, words = [], []
    if schedule.max_in_flight:
        short.append(_("cap %(cap)d") % {"cap": schedule.max_in_flight})
        words.append(_("at most %(cap)d of its reports at once") % {"cap": schedule.max_in_flight})
    if schedule.finish_within:
        seconds = schedule.finish_within.total_seconds()
        short.append(short_duration(seconds))
        words.append(_("a run ends within %(window)s of its due time") % {
            "window": describe.duration_text(seconds),
        })
    return " · ".join(str(part) for part in short), "; ".join(str(part) for part in words)


def short_duration(seconds):
    """Return a duration in the fewest characters: ``4h``, ``1h30m``, ``2d``, ``45s``."""
    seconds, parts = int(seconds), []
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m"), (1, "s")):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


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

