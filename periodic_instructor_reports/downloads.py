"""
The download view of a generated report: the file, for those entitled to the course's data only.

A report holds learner data. The link in a run's e-mail and in the run history leads here; the
view asks the person asking what the schedule's owner was asked to request that report: data
access to the course (global staff, or ``instructor.research``) and the permission the instructor
dashboard asks for that report (the course team listing: ``instructor.edit_course_access``;
certificate exceptions and invalidations: their certificate rules). It logs every refusal, and streams
the file from the platform's report store (or, for storages that sign URLs such as S3,
redirects to a short-lived signed URL).
"""

import logging
import os

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponseForbidden, HttpResponseRedirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from periodic_instructor_reports import permissions, platform
from periodic_instructor_reports.models import Outcome, ReportRunCourse

log = logging.getLogger(__name__)

# Seconds a signed storage URL stays valid.
SIGNED_URL_SECONDS = 300


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
    if getattr(storage, "querystring_auth", False):
        log.info("User %s downloads the report %s of %s (signed URL).",
                 request.user.pk, row.pk, row.course_id)
        return HttpResponseRedirect(storage.url(path, expire=SIGNED_URL_SECONDS))
    try:
        handle = storage.open(path, "rb")
    except (OSError, ValueError) as err:
        raise Http404("The report file is no longer in the report store.") from err
    log.info("User %s downloads the report %s of %s.", request.user.pk, row.pk, row.course_id)
    return FileResponse(handle, as_attachment=True, filename=os.path.basename(path))
