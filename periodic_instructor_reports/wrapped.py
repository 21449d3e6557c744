"""
The reports the instructor dashboard builds inside the web request, run as background tasks.

The dashboard computes these listings while the page waits and sends no file anywhere: the
issued certificates count, the enrolled learners' profiles shown on screen, the grading
configuration, the course team, and the certificates tab's exceptions and invalidations. Here
each is a report function like the platform's (``submit_*(request, course_key, ...)``) that
submits one Celery task of the plugin through the platform's own ``submit_task``: the platform
records an ``InstructorTask`` row (task types ``pir_*``), refuses a second one for the course
while one runs, and the follow-up job follows it like any other report. The task computes the
rows with the platform's own functions and writes a CSV through the platform's report store
into the schedule's folder.

The platform is only reached through ``platform.py``, inside the functions.
"""

import datetime
import html
import json
import time

from django.core.exceptions import PermissionDenied

from periodic_instructor_reports import catalog, permissions, platform, reports, sending

TASK_NAME = "periodic_instructor_reports.tasks.run_wrapped_report"
PROGRESS = "PROGRESS"

# The dashboard's issued certificates listing: its columns, and their titles in its CSV download.
CERTIFICATE_FEATURES = ["course_id", "mode", "total_issued_certificate", "report_run_date"]
CERTIFICATE_TITLES = ["CourseID", "Certificate Type", "Total Certificates Issued", "Date Report Run"]
TEAM_HEADER = ["role", "username", "email", "first_name", "last_name"]
GRADING_HEADER = ["Grading configuration"]
# The keys of the certificates tab's allowlist and invalidation entries.
ALLOWLIST_FEATURES = [
    "id", "user_id", "user_name", "user_email", "course_id", "created", "certificate_generated", "notes",
]
INVALIDATION_FEATURES = ["id", "user", "invalidated_by", "created", "notes"]

_PATH = "periodic_instructor_reports.wrapped."


def _submit(request, course_key, path, task_input, upload_parent_dir, filename):
    """
    Check the request as the dashboard does, then submit the plugin's task for the report.

    The requester's right to the report, and for a listing of profile columns (``features``),
    that each is one the dashboard lists for the course (``reports.profile_features``): the
    dashboard works them out itself, whoever gives the list here.

    Raises:
        PermissionDenied: the requester may not have the report.
        ValueError: a column the dashboard does not list for the course.
    """
    refusal = permissions.request_refusal(request.user, course_key, path)
    if refusal:
        raise PermissionDenied(f"{path}: {refusal}")
    if "features" in task_input:
        left_out = reports.profile_features(course_key, task_input["features"])[1]
        if left_out:
            raise ValueError(f"The instructor dashboard does not list these columns for {course_key}: "
                             f"{', '.join(map(str, left_out))}.")
    if upload_parent_dir:
        task_input["upload_parent_dir"] = upload_parent_dir
    if filename:
        task_input["filename"] = filename
    return platform.submit_instructor_task(
        request, catalog.get(path).task_type, WrappedReportTask, course_key, task_input,
    )


class WrappedReportTask:
    """
    The plugin's report task as the platform's ``submit_task`` uses it: its name, and ``apply_async``.

    Queued by name, so no module imports the task module (``tasks.run_wrapped_report``).
    """

    name = TASK_NAME

    @staticmethod
    def apply_async(args, **options):
        """Queue the task with the platform's arguments (the task row's id and the request's details)."""
        return sending.send(TASK_NAME, args=args, **options)


def submit_issued_certificates(request, course_key, *, upload_parent_dir="", filename=None):
    """Issued certificates: how many of each mode (the Data Download tab's listing and CSV)."""
    return _submit(request, course_key, _PATH + "submit_issued_certificates", {}, upload_parent_dir, filename)


def submit_enrolled_profiles(request, course_key, features, *, upload_parent_dir="", filename=None):
    """The enrolled learners' profiles the Data Download tab lists on screen, in the ``features`` columns."""
    return _submit(request, course_key, _PATH + "submit_enrolled_profiles", {"features": list(features)},
                   upload_parent_dir, filename)


def submit_grading_config(request, course_key, *, upload_parent_dir="", filename=None):
    """The course's grading configuration, as the Data Download tab shows it."""
    return _submit(request, course_key, _PATH + "submit_grading_config", {}, upload_parent_dir, filename)


def submit_course_team(request, course_key, *, upload_parent_dir="", filename=None):
    """The course team: the members of each course role the membership tab lists."""
    return _submit(request, course_key, _PATH + "submit_course_team", {}, upload_parent_dir, filename)


def submit_certificate_exceptions(request, course_key, *, upload_parent_dir="", filename=None):
    """The certificate exceptions (allowlist) the certificates tab lists."""
    return _submit(request, course_key, _PATH + "submit_certificate_exceptions", {}, upload_parent_dir,
                   filename)


def submit_certificate_invalidations(request, course_key, *, upload_parent_dir="", filename=None):
    """The certificate invalidations the certificates tab lists."""
    return _submit(request, course_key, _PATH + "submit_certificate_invalidations", {}, upload_parent_dir,
                   filename)


def issued_certificate_rows(course_key, _task_input):
    """The dashboard's issued certificates CSV: a row per certificate mode."""
    data = platform.analytics_basic().issued_certificates(course_key, CERTIFICATE_FEATURES)
    _, rows = platform.format_dictlist(data, CERTIFICATE_FEATURES)
    return [CERTIFICATE_TITLES] + rows


def enrolled_profile_rows(course_key, task_input):
    """The enrolled learners' profiles: the features as header, a row per active enrollment."""
    features = list(task_input["features"])
    data = platform.analytics_basic().enrolled_students_features(course_key, features)
    header, rows = platform.format_dictlist(data, features)
    return [list(header)] + rows


def grading_config_rows(course_key, _task_input):
    """The grading configuration the dashboard shows (its ``<pre>`` text), a row per line."""
    dump = str(platform.analytics_basic().dump_grading_context(platform.course_by_id(course_key)))
    text = html.unescape(dump.strip().removeprefix("<pre>").removesuffix("</pre>"))
    return [GRADING_HEADER] + [[line] for line in text.splitlines()]


def course_team_rows(course_key, _task_input):
    """A row per member of each course role (beta testers, staff, instructors, data researchers...)."""
    roles, list_with_level = platform.course_roles()
    rows = [TEAM_HEADER]
    for role in roles:
        for user in list_with_level(course_key, role):
            rows.append([role, user.username, user.email, user.first_name, user.last_name])
    return rows


def certificate_exception_rows(course_key, _task_input):
    """A row per certificate exception: the keys of the platform's allowlist entries."""
    return _dict_rows(platform.certificates_api().get_allowlist(course_key), ALLOWLIST_FEATURES)


def certificate_invalidation_rows(course_key, _task_input):
    """A row per active certificate invalidation: the keys of the platform's entries."""
    return _dict_rows(platform.certificates_api().get_cert_invalidations_for_course(course_key),
                      INVALIDATION_FEATURES)


def _dict_rows(data, features):
    _, rows = platform.format_dictlist(data, features)
    return [list(features)] + rows


ROWS = {
    "pir_issued_certificates": issued_certificate_rows,
    "pir_enrolled_profiles": enrolled_profile_rows,
    "pir_grading_config": grading_config_rows,
    "pir_course_team": course_team_rows,
    "pir_certificate_exceptions": certificate_exception_rows,
    "pir_certificate_invalidations": certificate_invalidation_rows,
}


def run(entry_id, task_id=None):
    """
    Produce the report of the platform's task row ``entry_id``; return the progress to record.

    As the platform's report tasks: the row is marked ``PROGRESS`` and a task id that is not the
    row's is refused. The task's base class, the platform's ``BaseInstructorTask``, then records
    the returned progress (counts, and the file's name) as ``SUCCESS``, or anything raised,
    wherever it is raised, as ``FAILURE`` with its exception and message: the row is what the
    plugin follows, and an unfinished row would refuse the next report of its type.
    """
    model = platform.instructor_task_model()
    entry = model.objects.get(pk=entry_id)
    entry.task_state = PROGRESS
    entry.save()
    if task_id and task_id != entry.task_id:
        raise ValueError(f"Requested task did not match actual task {task_id!r}")
    started = time.monotonic()
    report = catalog.BY_TASK_TYPE[entry.task_type]
    task_input = json.loads(entry.task_input)
    rows = ROWS[entry.task_type](entry.course_id, task_input)
    name = platform.upload_csv(
        rows, task_input.get("filename") or report.filename, entry.course_id,
        datetime.datetime.now(datetime.UTC), parent_dir=task_input.get("upload_parent_dir", ""),
    )
    count = len(rows) - 1
    return {
        "action_name": "generated", "attempted": count, "succeeded": count, "skipped": 0, "failed": 0,
        "total": count, "preassigned": 0, "duration_ms": int((time.monotonic() - started) * 1000),
        "step": "Uploading CSV", "report_name": name,
    }
