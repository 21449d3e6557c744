"""
The download view of a generated report: the file, for those entitled to the course's data only.

A report holds learner data. The link in a run's e-mail and in the run history leads here; the
view asks the person asking what the schedule's owner was asked to request that report: data
access to the course (global staff, or ``instructor.research``) and the permission the instructor
dashboard asks for that report (the course team listing: ``instructor.edit_course_access``;
certificate exceptions and invalidations: their certificate rules). It logs every refusal, and streams
the file from the platform's report store (or, for storages that sign URLs such as S3,
redirects to a short-lived signed URL).

S3 with a custom domain (the report store's ``CUSTOM_DOMAIN``) signs nothing: django-storages
gives the file's plain address there unless a CloudFront key signs it. Such a link would work
for anyone who has it, so the view refuses it unless ``UNSIGNED_DOWNLOADS`` says to stream the
file itself or to redirect to the plain address.
"""

import logging
import os

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, HttpResponseForbidden, HttpResponseRedirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from periodic_instructor_reports import conf, permissions, platform
from periodic_instructor_reports.models import ReportRunCourse
from periodic_instructor_reports.states import Outcome

log = logging.getLogger(__name__)

# Seconds a signed storage URL stays valid.
SIGNED_URL_SECONDS = 300
# What ``UNSIGNED_DOWNLOADS`` may say to do with a storage whose links are not signed.
REFUSE, STREAM, REDIRECT = "refuse", "stream", "redirect"


def links_are_unsigned(storage):
    """
    Return whether the storage means to sign its links but cannot: S3 on a custom domain.

    django-storages (1.14, as the LMS pins it) returns the plain address on a custom domain
    unless a CloudFront signer is configured, query-string authentication or not.
    """
    return bool(getattr(storage, "querystring_auth", False) and getattr(storage, "custom_domain", None)
                and not getattr(storage, "cloudfront_signer", None))


@require_GET
@never_cache
@login_required
def download(request, row_id, errors=False):
    """
    Send the report file of a generated course row, if the user may have that course's data.

    With ``errors``, the grade report's errors file (the learners the platform could not grade).
    """
    field = "error_file_path" if errors else "file_path"
    row = (ReportRunCourse.objects.filter(pk=row_id, outcome=Outcome.GENERATED).exclude(**{field: ""})
           .select_related("run").first())
    if row is None:
        raise Http404("No generated report has that number.")
    path = getattr(row, field)
    try:
        course_key = CourseKey.from_string(row.course_id)
    except InvalidKeyError as err:
        raise Http404("No generated report has that number.") from err
    refusal = permissions.request_refusal(request.user, course_key, row.run.report_path)
    if refusal:
        log.warning("User %s was refused the report %s of %s: %s.",
                    request.user.pk, row.pk, row.course_id, refusal)
        return HttpResponseForbidden("You may not have the reports of this course.")
    storage = platform.report_store().storage
    unsigned = links_are_unsigned(storage)
    choice = conf.get("UNSIGNED_DOWNLOADS") if unsigned else ""
    if unsigned and choice not in (STREAM, REDIRECT):
        log.warning("User %s was refused the report %s of %s: the report store's links are not signed.",
                    request.user.pk, row.pk, row.course_id)
        return HttpResponse(_(
            "This site's report store gives links that are not signed (S3 with a custom domain and "
            "no CloudFront signing key), so the report is not sent. An administrator can set "
            "{setting} to \"stream\" (the LMS sends the file) or to \"redirect\" (the plain link)."
        ).format(setting=conf.PREFIX + "UNSIGNED_DOWNLOADS"), status=503, content_type="text/plain")
    if getattr(storage, "querystring_auth", False) and choice != STREAM:
        log.info("User %s downloads the report %s of %s (%s URL).",
                 request.user.pk, row.pk, row.course_id, "plain" if unsigned else "signed")
        return HttpResponseRedirect(storage.url(path, expire=SIGNED_URL_SECONDS))
    try:
        handle = storage.open(path, "rb")
    except (OSError, ValueError) as err:
        raise Http404("The report file is no longer in the report store.") from err
    log.info("User %s downloads the report %s of %s.", request.user.pk, row.pk, row.course_id)
    return FileResponse(handle, as_attachment=True, filename=os.path.basename(path))
