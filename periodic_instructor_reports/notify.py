"""Telling a schedule's owner, by one e-mail per run, which courses failed."""

import logging
import smtplib

from django.core.mail import send_mail
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from periodic_instructor_reports import conf, validators
from periodic_instructor_reports.models import ReportRun, ReportRunCourse

log = logging.getLogger(__name__)

RUN_COURSES_ADMIN = "admin:periodic_instructor_reports_reportruncourse_changelist"


def run_history_url(run_id):
    """Return the absolute URL of the run history admin page filtered to one run."""
    try:
        path = reverse(RUN_COURSES_ADMIN)
    except NoReverseMatch:
        path = "/admin/periodic_instructor_reports/reportruncourse/"
    return f"{conf.site_url()}{path}?run__id__exact={run_id}"


def header_text(text):
    """Return ``text`` fit for an e-mail header: control and formatting characters become spaces."""
    return "".join(" " if validators.unsafe_character(char) else char for char in text)


# Course lines one e-mail lists at most; the run history has the rest.
LISTED_LIMIT = 200


def notify_failures(schedule, run):
    """
    E-mail the schedule's owner once about the run's failed and refused courses; return whether sent.

    The mail names the schedule, the course ids and their outcomes, and links to the run history;
    nothing else about the courses. Nothing is sent when the ``FAILURE_EMAILS`` setting is off,
    nothing failed, the owner has no address, or the run was already notified.

    Arguments:
        schedule: the run's ``PeriodicReportSchedule``, with its task and owner.
        run: the finished ``ReportRun``.
    """
    if not conf.get("FAILURE_EMAILS"):
        return False
    failures = ReportRunCourse.objects.filter(run=run, outcome__in=ReportRunCourse.FAILURES)
    count = failures.count()
    if not count:
        return False
    failed = list(failures.order_by("course_id").values_list("course_id", "outcome")[:LISTED_LIMIT])
    address = schedule.owner.email
    if not address:
        log.info("Periodic report run %s had failures; its owner (user id %s) has no e-mail address.",
                 run.pk, schedule.owner_id)
        return False
    if not ReportRun.objects.filter(pk=run.pk, notified_at__isnull=True).update(notified_at=timezone.now()):
        return False
    params = {"schedule": str(schedule), "count": count, "run": run.pk}
    subject = ngettext(
        "Periodic report schedule %(schedule)s: %(count)d course failed in run %(run)s",
        "Periodic report schedule %(schedule)s: %(count)d courses failed in run %(run)s",
        count,
    ) % params
    lines = [
        _("Run %(run)s of periodic report schedule %(schedule)s did not generate the report for "
          "these courses:") % params,
        "",
        *(f"  {course_id}: {outcome}" for course_id, outcome in failed),
        *([_("  ... and %(more)d more") % {"more": count - len(failed)}] if count > len(failed) else []),
        "",
        _("The run history says why: %(url)s") % {"url": run_history_url(run.pk)},
    ]
    try:
        send_mail(header_text(subject), "\n".join(lines), None, [address])
    except (OSError, smtplib.SMTPException):
        log.exception("Could not e-mail the owner of periodic report schedule %s about run %s.",
                      schedule.pk, run.pk)
        return False
    log.info("E-mailed the owner of periodic report schedule %s about %s failed courses of run %s.",
             schedule.pk, count, run.pk)
    return True
