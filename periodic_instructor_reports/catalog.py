"""
Every report of the instructor dashboard's Data Download tab the plugin knows how to run.

Each report is supported one of three ways:

* ``native``: the platform's function takes the upload folder keyword arguments
  (``upload_parent_dir``, ``filename``): the report is written in the schedule's folder.
* ``copied``: the platform's function takes none, so the report lands in the course's own
  platform folder; once it is generated the plugin copies it to the schedule's folder (and
  leaves the platform's file where the instructor dashboard lists it).
* ``wrapped``: the dashboard builds it inside the web request; the plugin runs it as a background
  task of its own (``wrapped.py``), submitted through the platform's task API.

For each: the platform's task type, the file name the platform gives it (before the course
prefix and the time), the arguments it needs, the personal data it holds and the platform
permission the dashboard asks for it.
"""

import re
from dataclasses import dataclass, field

from django.core.management.color import no_style
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import UsageKey

NATIVE, COPIED, WRAPPED = "native", "copied", "wrapped"

_API = "lms.djangoapps.instructor_task.api."
_WRAPPED = "periodic_instructor_reports.wrapped."

# The instructor dashboard's permissions (lms/djangoapps/instructor/permissions.py).
CAN_RESEARCH = "instructor.research"
ENROLLMENT_REPORT = "instructor.enrollment_report"
EXAM_RESULTS = "instructor.view_exam_results"
VIEW_ISSUED_CERTIFICATES = "instructor.view_issued_certificates"
EDIT_COURSE_ACCESS = "instructor.edit_course_access"
CERTIFICATE_EXCEPTION_VIEW = "instructor.certificate_exception_view"
CERTIFICATE_INVALIDATION_VIEW = "instructor.certificate_invalidation_view"
# Rules of the platform that grant the same users as ``instructor.research`` (global staff, or the
# data researcher role): asking ``instructor.research`` answers them.
SAME_AS_RESEARCH = (CAN_RESEARCH, ENROLLMENT_REPORT, VIEW_ISSUED_CERTIFICATES)

# A problem types filter: names of XBlock types, comma-separated.
PROBLEM_TYPES = re.compile(r"^[A-Za-z0-9_-]+(,[A-Za-z0-9_-]+)*$")
GRADE_REPORT = _API + "submit_calculate_grades_csv"
PROBLEM_GRADE_REPORT = _API + "submit_problem_grade_report"
PROFILE_REPORT = _API + "submit_calculate_students_features_csv"
PROBLEM_RESPONSES = _API + "submit_calculate_problem_responses_csv"
# How many problem locations one schedule may name.
MAX_LOCATIONS = 50


@dataclass(frozen=True)
class Report:
    """A Data Download report: how the plugin runs it and what it holds."""

    path: str
    name: str
    support: str
    task_type: str
    filename: str
    personal_data: str
    extension: str = "csv"
    # Arguments a schedule gives (documented; the function's signature checks them).
    arguments: str = ""
    # The profile columns the dashboard gives the course, computed per course by the dispatcher.
    site_features: bool = False
    # Arguments the dispatcher gives as the dashboard does; a schedule may only repeat them.
    fixed: dict = field(default_factory=dict)
    # The permission the dashboard asks for this report, besides ``instructor.research``.
    permission: str = CAN_RESEARCH

    @property
    def extra_permission(self):
        """Return the platform permission the owner needs on top of data access, or ""."""
        return "" if self.permission in SAME_AS_RESEARCH else self.permission


REPORTS = [
    Report(
        GRADE_REPORT, "Grade report", NATIVE, "grade_course", "grade_report",
        "user id, e-mail, username, grades per assignment, cohort, team, enrollment track, "
        "verification and certificate status",
        arguments="`filename` (optional)",
    ),
    Report(
        PROBLEM_GRADE_REPORT, "Problem grade report", NATIVE, "grade_problems",
        "problem_grade_report", "user id, e-mail, username, the grade of each problem",
        arguments="`filename` (optional)",
    ),
    Report(
        PROFILE_REPORT, "Profile information report", NATIVE,
        "profile_info_csv", "student_profile_info",
        "the columns the dashboard gives the course: by default user id, username, name, e-mail, "
        "language, location, gender, level of education, mailing address, goals, enrollment mode and "
        "date, last login, date joined, external user key, then cohort (cohorted courses), team "
        "(courses with teams), city, country",
        arguments="`features` (given per course as the dashboard computes them; a list may narrow it), "
                  "`filename` (optional)",
        site_features=True,
    ),
    Report(
        _API + "submit_calculate_may_enroll_csv", "Learners who may enroll", COPIED, "may_enroll_info_csv",
        "may_enroll_info", "e-mail of each learner allowed to enroll who has not",
        arguments="`features` = `[\"email\"]` (given, as the dashboard does)", fixed={"features": ["email"]},
    ),
    Report(
        _API + "submit_calculate_inactive_enrolled_students_csv", "Enrolled learners not activated",
        COPIED, "inactive_enrolled_students_info_csv", "inactive_enrolled_students_info",
        "e-mail of each enrolled learner whose account is not activated",
        arguments="`features` = `[\"email\"]` (given, as the dashboard does)", fixed={"features": ["email"]},
    ),
    Report(
        _API + "generate_anonymous_ids", "Anonymized learner ids", COPIED,
        "generate_anonymous_ids_for_course", "anonymized_ids",
        "user id with both anonymised ids of each enrolled learner (the key that re-identifies them)",
    ),
    Report(
        PROBLEM_RESPONSES, "Problem responses", COPIED, "problem_responses_csv",
        "student_state", "username, each learner's answers and problem state",
        arguments="`problem_locations`: usage keys, comma-separated (required; given as they are, the "
                  "platform maps each into the course); `problem_types_filter`: block types, "
                  "comma-separated (optional)",
    ),
    Report(
        _API + "submit_export_ora2_data", "ORA data", COPIED, "export_ora2_data", "ORA_data",
        "anonymised learner id (and the username where the site exports it), responses, assessments "
        "and feedback",
    ),
    Report(
        _API + "submit_export_ora2_summary", "ORA summary", COPIED, "export_ora2_summary", "ORA_summary",
        "anonymised learner id, the progress and grade of each response",
    ),
    Report(
        _API + "submit_export_ora2_submission_files", "ORA submission files", COPIED,
        "export_ora2_submission_files", "submission_files",
        "the files and texts learners submitted, in paths named after their username or external id",
        extension="zip",
    ),
    Report(
        _API + "submit_course_survey_report", "Course survey results", COPIED, "course_survey_report",
        "course_survey_results", "user id, username, e-mail and the free-text answers of each learner",
        permission=ENROLLMENT_REPORT,
    ),
    Report(
        _API + "submit_proctored_exam_results_report", "Proctored exam results", COPIED,
        "proctored_exam_results_report", "proctored_exam_results_report",
        "username, e-mail, attempt codes, times, statuses and review comments of each exam attempt",
        permission=EXAM_RESULTS,
    ),
    Report(
        _WRAPPED + "submit_issued_certificates", "Issued certificates", WRAPPED, "pir_issued_certificates",
        "issued_certificates", "none: how many certificates of each mode were issued",
        arguments="`filename` (optional)", permission=VIEW_ISSUED_CERTIFICATES,
    ),
    Report(
        _WRAPPED + "submit_enrolled_profiles", "Enrolled learners' profiles (the listing on screen)",
        WRAPPED, "pir_enrolled_profiles", "enrolled_learner_profiles",
        "the same columns as the profile information report",
        arguments="`features` (as the profile information report), `filename` (optional)",
        site_features=True,
    ),
    Report(
        _WRAPPED + "submit_grading_config", "Grading configuration", WRAPPED, "pir_grading_config",
        "grading_configuration", "none: the course's graders and graded subsections",
        arguments="`filename` (optional)",
    ),
    Report(
        _WRAPPED + "submit_course_team", "Course team and roles", WRAPPED, "pir_course_team", "course_team",
        "username, e-mail, first and last name of each member of the course team, with their role",
        arguments="`filename` (optional)", permission=EDIT_COURSE_ACCESS,
    ),
    Report(
        _WRAPPED + "submit_certificate_exceptions", "Certificate exceptions (allowlist)", WRAPPED,
        "pir_certificate_exceptions", "certificate_exceptions",
        "user id, username and e-mail of each learner allowed a certificate, with the staff's notes",
        arguments="`filename` (optional)", permission=CERTIFICATE_EXCEPTION_VIEW,
    ),
    Report(
        _WRAPPED + "submit_certificate_invalidations", "Certificate invalidations", WRAPPED,
        "pir_certificate_invalidations", "certificate_invalidations",
        "username of each learner whose certificate was invalidated, who invalidated it, the notes",
        arguments="`filename` (optional)", permission=CERTIFICATE_INVALIDATION_VIEW,
    ),
]

BY_PATH = {report.path: report for report in REPORTS}
BY_TASK_TYPE = {report.task_type: report for report in REPORTS}
PATHS = [report.path for report in REPORTS]


def register(task_model, schema_editor, reports=REPORTS):
    """
    Add a report task row for each of ``reports`` whose path has none, named as in the catalog.

    The migrations seed the task table with it, so the catalog stays the only list of reports;
    ``task_model`` is the migration's historical model (``apps.get_model``). Rows that exist keep
    their names. Every catalog function takes the request first, as the dashboard calls it.
    Rows written with explicit ids (a restored or hand-made legacy table) leave PostgreSQL's
    sequence behind them, so new ids start after the highest one (no-op on MySQL and sqlite).
    """
    for statement in schema_editor.connection.ops.sequence_reset_sql(no_style(), [task_model]):
        schema_editor.execute(statement)
    tasks = task_model.objects.using(schema_editor.connection.alias)
    for report in reports:
        if not tasks.filter(path=report.path).exists():
            tasks.create(name=report.name, path=report.path, requires_request=True)


def unregister(task_model, schema_editor, reports=REPORTS):
    """Remove the rows ``register`` would add for ``reports`` that no schedule uses (undoing it)."""
    tasks = task_model.objects.using(schema_editor.connection.alias)
    for report in reports:
        tasks.filter(name=report.name, path=report.path, schedules__isnull=True).delete()


def get(path):
    """Return the catalog's ``Report`` of ``path``, or None for a function the plugin does not know."""
    return BY_PATH.get(path)


def support(path):
    """Return how the plugin supports the report at ``path`` (native, copied, wrapped), or ""."""
    report = get(path)
    return report.support if report else ""


def filename(path, keyword_arguments):
    """
    Return the name the platform gives the report's file (before its course prefix and time), or "".

    The problem responses report's name comes from its locations and type filter, as the
    platform makes it (``student_state_from_...``).
    """
    report = get(path)
    if report is None:
        return ""
    if report.path == PROBLEM_RESPONSES:
        locations = keyword_arguments.get("problem_locations")
        if not isinstance(locations, str) or not locations:
            return ""
        parts = locations.split(",")
        name = "student_state" + (
            "_from_multiple_blocks" if len(parts) > 1 else "_from_" + re.sub(r"[:/]", "_", parts[0])
        )
        types = keyword_arguments.get("problem_types_filter")
        return name + ("_for_" + ",".join(types.split(",")) if types else "")
    return report.filename


def extension(path):
    """Return the extension of the report's file: ``csv``, or ``zip`` for the submission files."""
    report = get(path)
    return report.extension if report else "csv"


def argument_problem(path, keyword_arguments):
    """
    Return why a schedule's arguments (given by name) cannot run the report at ``path``, or "".

    Arguments the dispatcher gives as the dashboard does may only be repeated as they are; the
    problem responses report needs locations that parse as usage keys, and a filter of block types.
    """
    report = get(path)
    if report is None:
        return ""
    for name, value in report.fixed.items():
        if name in keyword_arguments and keyword_arguments[name] != value:
            return f"{name} is given as the dashboard gives it ({value!r}): leave it out"
    if report.path != PROBLEM_RESPONSES:
        return ""
    locations = keyword_arguments.get("problem_locations")
    if not isinstance(locations, str) or not locations.strip():
        return "problem_locations must be the problem usage keys, comma-separated"
    parts = locations.split(",")
    if len(parts) > MAX_LOCATIONS:
        return f"problem_locations may name at most {MAX_LOCATIONS} problems"
    for location in parts:
        try:
            UsageKey.from_string(location)
        except InvalidKeyError:
            return f"{location[:100]!r} in problem_locations is not a usage key"
    types = keyword_arguments.get("problem_types_filter")
    if types is not None and (not isinstance(types, str) or not PROBLEM_TYPES.match(types)):
        return "problem_types_filter must be block types (letters, digits, - and _), comma-separated"
    return ""

