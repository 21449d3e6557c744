"""What deleting schedules or report tasks does to their beat rows and run history, in words."""

from django.db.models import Count
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from periodic_instructor_reports import conf
from periodic_instructor_reports.models import PeriodicReportSchedule, PeriodicReportTask


def _schedules_of(objects):
    """Return the schedules that deleting ``objects`` (schedules or report tasks) deletes."""
    objects = list(objects)
    schedules = PeriodicReportSchedule.objects.select_related("celery_task").order_by("pk")
    if objects and isinstance(objects[0], PeriodicReportTask):
        return schedules.filter(task__in=objects)
    return schedules.filter(pk__in=[obj.pk for obj in objects])


def deletion_note(objects):
    """
    Return an HTML note saying what happens to the beat rows and run history of ``objects``.

    The admin's confirmation page lists what the database cascade deletes; beat rows are removed
    by the plugin and runs are kept detached, so neither appears there without this note.
    """
    schedules = list(_schedules_of(objects).annotate(run_count=Count("runs")))
    rows = [schedule.celery_task.name for schedule in schedules if schedule.celery_task]
    runs = sum(schedule.run_count for schedule in schedules)
    parts = []
    if rows:
        parts.append(format_html(
            "{} {}",
            ngettext(
                "This deletes the celery beat row of %(count)d schedule, so it stops running:",
                "This deletes the celery beat rows of %(count)d schedules, so they stop running:",
                len(rows),
            ) % {"count": len(rows)},
            format_html_join(", ", "<code>{}</code>", ((name,) for name in rows)),
        ))
    else:
        parts.append(_("No celery beat row runs these schedules."))
    if runs:
        parts.append(ngettext(
            "Its %(count)d run stays in the run history, marked as of a deleted schedule, with the "
            "schedule's name, report and owner id, until it is pruned after %(days)d days.",
            "Their %(count)d runs stay in the run history, marked as of a deleted schedule, with "
            "the schedule's name, report and owner id, until they are pruned after %(days)d days.",
            runs,
        ) % {"count": runs, "days": conf.get("RUN_RETENTION_DAYS")})
    else:
        parts.append(_("There is no run history to keep."))
    return format_html(
        '<div class="pir-deletion-note"><p>{}</p></div>',
        format_html_join(" ", "{}", ((part,) for part in parts)),
    )
