"""
Delivering a finished run: one e-mail per run, to the people who need its reports.

The schedule's recipients are told after every run or only when a course's report was not
produced (its ``notify`` choice); the owner is always told about failures. The e-mail lists each
course with its outcome and, for a generated report, a link to the download view: never the file,
since reports hold personal data, and the link works only for someone logged in and entitled to
the course's data, so a forwarded e-mail leaks nothing.
"""

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from periodic_instructor_reports import conf, states, times, urlnames, validators
from periodic_instructor_reports.lengths import fit
from periodic_instructor_reports.models import PeriodicReportSchedule, ReportRun, ReportRunCourse
from periodic_instructor_reports.states import Notify, Outcome
from periodic_instructor_reports.timing import time_zone

log = logging.getLogger(__name__)

# Course lines one e-mail lists at most; the run history has the rest.
LISTED_LIMIT = 200


def run_history_url(run_id):
    """Return the absolute URL of the run history admin page filtered to one run."""
    try:
        path = reverse(urlnames.RUN_COURSES)
    except NoReverseMatch:
        path = "/admin/periodic_instructor_reports/reportruncourse/"
    return f"{conf.site_url()}{path}?run__id__exact={run_id}"


def download_url(row_id, *, errors=False):
    """Return the absolute URL of the download view of a generated course report (or its errors file)."""
    return conf.site_url() + reverse(urlnames.DOWNLOAD_ERRORS if errors else urlnames.DOWNLOAD, args=[row_id])


def header_text(text):
    """Return ``text`` fit for an e-mail header: control and formatting characters become spaces."""
    return "".join(" " if validators.unsafe_character(char) else char for char in text)


def addressees(schedule, failed):
    """
    Return ``(to, note)``: who the run's e-mail goes to, each address once, and what the run should note.

    Recipients by the schedule's choice; the owner when something failed. An inactive owner's
    notice goes to the recipients instead, else to the ``FAILURE_CC`` setting's addresses, and
    the run says so. An active owner without an e-mail address is noted only: ``FAILURE_CC``
    stands in for inactive owners alone. Nobody is copied.
    """
    recipients = list(schedule.recipients or [])
    to = recipients if schedule.notify == Notify.ALWAYS or (
        failed and schedule.notify == Notify.FAILURES
    ) else []
    note = ""
    if failed and conf.get("FAILURE_EMAILS"):
        owner = schedule.owner
        if not owner.is_active:
            note = f"owner (user id {owner.pk}) is inactive and was not e-mailed"
            to = to or recipients or list(conf.get("FAILURE_CC") or [])
        elif owner.email:
            to = [owner.email, *to]
        else:
            note = f"owner (user id {owner.pk}) has no e-mail address"
    return _once(to), note


def _once(addresses):
    """Return ``addresses`` in order, each once (addresses differing only in case are one)."""
    seen, once = set(), []
    for address in addresses:
        if address.lower() not in seen:
            seen.add(address.lower())
            once.append(address)
    return once


def deliver(run):
    """
    Send the run's one e-mail, if anyone is to be told; return whether it was sent.

    Never twice for one run (``notified_at`` is claimed first), nothing once the schedule is gone.
    """
    schedules = PeriodicReportSchedule.objects.select_related("owner", "task", "crontab")
    schedule = schedules.filter(pk=run.schedule_id).first()
    if schedule is None:
        return False
    rows = ReportRunCourse.objects.filter(run=run)
    failed_count = rows.filter(outcome__in=states.NOT_PRODUCED).count()
    to, note = addressees(schedule, failed_count > 0)
    if note:
        ReportRun.objects.filter(pk=run.pk).update(note=fit(ReportRun, "note", note))
        log.info("Periodic report run %s: %s.", run.pk, note)
    if not to:
        return False
    if not ReportRun.objects.filter(pk=run.pk, notified_at__isnull=True).update(notified_at=timezone.now()):
        return False
    listed = list(rows.order_by("course_id").values_list(
        "pk", "course_id", "outcome", "ungraded", "error_file_path",
    )[:LISTED_LIMIT])
    total = rows.count()
    message = EmailMessage(
        header_text(_subject(schedule, run, total, failed_count)), _body(schedule, run, listed, total),
        None, to,
    )
    try:
        message.send()
    except (OSError, smtplib.SMTPException):
        log.exception("Could not send the e-mail of periodic report run %s.", run.pk)
        ReportRun.objects.filter(pk=run.pk).update(notified_at=None)
        return False
    log.info("E-mailed %s addresses about periodic report run %s of schedule %s.",
             len(to), run.pk, schedule.pk)
    return True


def _subject(schedule, run, total, failed):
    params = {"schedule": str(schedule), "run": run.pk, "total": total, "failed": failed}
    if failed:
        return ngettext(
            "Periodic report %(schedule)s: %(failed)d of %(total)d courses not produced (run %(run)s)",
            "Periodic report %(schedule)s: %(failed)d of %(total)d courses not produced (run %(run)s)",
            failed,
        ) % params
    return ngettext(
        "Periodic report %(schedule)s: %(total)d course report ready (run %(run)s)",
        "Periodic report %(schedule)s: %(total)d course reports ready (run %(run)s)",
        total,
    ) % params


def _ungraded_text(count):
    return ngettext(
        "generated with errors, %(count)d learner missing (the platform could not grade them)",
        "generated with errors, %(count)d learners missing (the platform could not grade them)",
        count,
    ) % {"count": count}


def _body(schedule, run, listed, total):
    lines = [
        _("Run %(run)s of the periodic report %(schedule)s (due %(due)s) ended:") % {
            "run": run.pk, "schedule": schedule, "due": times.local_text(run.planned_at, time_zone(schedule)),
        },
        "",
    ]
    warning = ReportRun.objects.filter(pk=run.pk).values_list("warning", flat=True).first() or run.warning
    if warning:
        lines += [_("This run will not finish within its window: %(warning)s.") % {"warning": warning}, ""]
    for row_id, course_id, outcome, ungraded, error_file in listed:
        label = Outcome(outcome).label if outcome in Outcome.values else outcome
        if outcome == Outcome.GENERATED and ungraded:
            lines.append(f"  {course_id}: {_ungraded_text(ungraded)}: {download_url(row_id)}")
            if error_file:
                lines.append("    " + _("errors file: %(url)s") % {"url": download_url(row_id, errors=True)})
        elif outcome == Outcome.GENERATED:
            lines.append(f"  {course_id}: {label}: {download_url(row_id)}")
        else:
            lines.append(f"  {course_id}: {label}")
    if total > len(listed):
        lines.append(_("  ... and %(more)d more") % {"more": total - len(listed)})
    lines += [
        "",
        _("Downloading a report needs a login with access to the course's data (global staff, or the "
          "course's data researcher role)."),
        _("The run history says more: %(url)s") % {"url": run_history_url(run.pk)},
    ]
    if getattr(settings, "PLATFORM_NAME", None):
        lines += ["", settings.PLATFORM_NAME]
    return "\n".join(lines)
