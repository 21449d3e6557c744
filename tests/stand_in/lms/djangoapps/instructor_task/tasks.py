"""
Stand-in of ``lms.djangoapps.instructor_task.tasks`` for tests.

Celery tasks with the platform's names, each called as ``task(entry_id, xblock_instance_args)``
and deriving from ``BaseInstructorTask`` as the platform's do. Each marks its ``InstructorTask``
row PROGRESS, writes a real file through ``ReportStore`` under the platform's name of that report
(``task_input['filename']`` where the platform reads one; the problem responses report's name
from its locations; the submission files report as a zip), in ``task_input['upload_parent_dir']``
where the platform reads one, and returns the platform's output (the progress dict with its
action name, or the bare string "succeeded" of the ORA and anonymised ids helpers; only the
problem responses report names its file there). The base class stores it on the row as SUCCESS,
or, when the task raised anywhere, the exception as FAILURE. Rows: one per active user.

A report of a course of the organisation ``Broken`` fails in the worker, as a report whose
generation raises does in the platform: tests and the demo use it for "report failed".

``STAND_IN_REPORT_SECONDS`` (seconds, default 0) keeps each report that long in PROGRESS before
it writes its file, as a report worker computing a large course does: with a real worker pool
it makes reports queue up as on a busy site (the pacing benchmark and scenarios).
"""
import csv
import hashlib
import io
import json
import re
import time
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime

from celery import current_task, shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from opaque_keys.edx.keys import UsageKey

from lms.djangoapps.instructor_task.models import PROGRESS, InstructorTask, ReportStore
from lms.djangoapps.instructor_task.tasks_base import BaseInstructorTask
from lms.djangoapps.instructor_task.tasks_helper.utils import report_filename, upload_zip_to_report_store

PREFIX = "lms.djangoapps.instructor_task.tasks"
# Reports of this organisation's courses fail in the worker.
FAILING_ORG = "Broken"
USER_COLUMNS = ["Student ID", "Email", "Username"]


def _users():
    return get_user_model().objects.filter(is_active=True).order_by("id")


# Learners whose username starts with this cannot be graded: grade reports list them in an errors file.
UNGRADABLE = "ungradable"


def grade_rows(task_input, course_id):  # noqa: ARG001  (the rows functions share one signature)
    """Header and one row per active user the grades backend can grade, every grade 0.0."""
    return [[*USER_COLUMNS, "Grade"]] + [
        [u.id, u.email, u.username, 0.0] for u in _users() if not u.username.startswith(UNGRADABLE)
    ]


def grade_error_rows():
    """The errors file of a grade report (tasks_helper/grades.py ``_error_headers``): learners not graded."""
    return [["Student ID", "Username", "Error"]] + [
        [u.id, u.username, "grading backend could not compute the grade"]
        for u in _users() if u.username.startswith(UNGRADABLE)
    ]


def profile_rows(task_input, course_id):  # noqa: ARG001  (the rows functions share one signature)
    """The ``features`` columns of every active user (unknown features stay empty)."""
    features = task_input["features"]
    return [list(features)] + [[_feature(user, name) for name in features] for user in _users()]


def _feature(user, name):
    if name == "name":
        return user.get_full_name()
    return getattr(user, name, "")


def run_report(entry_id, xblock_instance_args, default_filename, make_rows, kind=None):  # noqa: ARG001  (as the platform's)
    """
    Run one report for the row ``entry_id``; return its progress.

    As the platform's ``run_main_task``: the row is marked PROGRESS, a task id that is not the
    row's is refused, and anything raised goes back to Celery; ``BaseInstructorTask`` finishes
    the row either way.
    """
    kind = kind or ReportKind()
    entry = InstructorTask.objects.get(pk=entry_id)
    entry.task_state = PROGRESS
    entry.save_now()
    started = time.monotonic()
    request_id = getattr(current_task.request, "id", None) if current_task else None
    if request_id and request_id != entry.task_id:
        raise ValueError(f"Requested task did not match actual task {request_id!r}")
    if entry.course_id.org == FAILING_ORG:
        raise ReportFailed(f"Could not compute the report of {entry.course_id}: grading backend down")
    working = float(getattr(settings, "STAND_IN_REPORT_SECONDS", 0) or 0)
    if working:
        time.sleep(working)  # a report worker busy computing: the row stays PROGRESS meanwhile
    task_input = json.loads(entry.task_input)
    start = datetime.now(UTC)
    rows = make_rows(task_input, entry.course_id)
    csv_name = kind.name(task_input) if kind.name else task_input.get("filename", default_filename)
    if kind.zipped:
        report_name = upload_zip_to_report_store(_zip(rows), csv_name, entry.course_id, start)
    else:
        report_name = report_filename(entry.course_id, csv_name, start)
        store = ReportStore.from_config("GRADES_DOWNLOAD")
        store.store_rows(entry.course_id, report_name, rows, task_input.get("upload_parent_dir", ""))
    errors = grade_error_rows() if kind.grades else [[]]
    if len(errors) > 1:  # as the platform's grade reports: ``{filename}_err``, the report's own time
        name = report_filename(entry.course_id, csv_name + "_err", start)
        store.store_rows(entry.course_id, name, errors, task_input.get("upload_parent_dir", ""))
    if kind.plain_output:
        return "succeeded"  # the ORA and anonymised ids helpers return a bare status
    progress = {
        "action_name": kind.action_name,
        "attempted": len(rows) - 1 + len(errors) - 1,
        "succeeded": len(rows) - 1,
        "skipped": 0,
        "failed": len(errors) - 1,
        "total": len(rows) - 1 + len(errors) - 1,
        "preassigned": 0,
        "duration_ms": int((time.monotonic() - started) * 1000),
        "step": kind.step,
    }
    if kind.names_file:
        progress["report_name"] = report_name
    return progress


@dataclass(frozen=True)
class ReportKind:
    """How a report's helper names, writes and reports its file, where it differs from the usual CSV."""

    action_name: str = "generated"
    step: str = "Uploading CSV"
    name: object = None  # task_input -> csv name, for names computed from the arguments
    zipped: bool = False  # written with upload_zip_to_report_store (never in an upload_parent_dir)
    names_file: bool = False  # the progress names the file (report_name)
    plain_output: bool = False  # the output is the string "succeeded"
    grades: bool = False  # a grade report: learners it cannot grade go to an ``_err`` file


def _zip(rows):
    """Return a zip holding the rows as a CSV, as the submission files report holds its list."""
    text = io.StringIO(newline="")
    csv.writer(text).writerows([str(item) for item in row] for row in rows)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("downloads.csv", text.getvalue())
    buffer.seek(0)
    return buffer


def problem_responses_name(task_input):
    """The platform's name of a problem responses report, from its locations and type filter."""
    locations = task_input["problem_locations"].split(",")
    filters = task_input.get("problem_types_filter")
    name = "student_state"
    name += "_from_multiple_blocks" if len(locations) > 1 else "_from_" + re.sub(r"[:/]", "_", locations[0])
    if filters:
        name += "_for_" + ",".join(filters.split(","))
    return name


def problem_response_rows(task_input, course_id):
    """
    A row per active user and block: username, title, location, block key, state.

    As the platform's ``ProblemResponses`` does, each location of the task input is parsed and
    mapped into the course of the row: a location that does not parse fails the report.
    """
    blocks = [
        UsageKey.from_string(location).map_into_course(course_id)
        for location in task_input["problem_locations"].split(",")
    ]
    header = ["username", "title", "location", "block_key", "state"]
    users = list(_users())
    return [header] + [[user.username, block.block_id, block.block_id, str(block), "{}"]
                       for block in blocks for user in users]


def anonymous_id_rows(task_input, course_id):  # noqa: ARG001  (the rows functions share one signature)
    """User ID and two anonymised ids of every active user."""
    header = ["User ID", "Anonymized User ID", "Course Specific Anonymized User ID"]
    return [header] + [[u.id, _digest("site", u.id), _digest("course", u.id)] for u in _users()]


def _digest(scope, user_id):
    return hashlib.md5(f"{scope}-{user_id}".encode()).hexdigest()


class ReportFailed(RuntimeError):
    """A report's generation failed (the ``Broken`` organisation's courses)."""


def _report_task(func_name, default_filename, make_rows=grade_rows, name=None, kind=None):
    def task(entry_id, xblock_instance_args):
        return run_report(entry_id, xblock_instance_args, default_filename, make_rows, kind)

    task.__name__ = task.__qualname__ = func_name
    task.__doc__ = f"Write the {default_filename} report of the course of the InstructorTask row."
    return shared_task(name=name or f"{PREFIX}.{func_name}", base=BaseInstructorTask)(task)


GRADES_STEP = "InMemoryReportMixin - 4: Completed grades"
PLAIN = ReportKind(action_name="", step="", plain_output=True)

calculate_grades_csv = _report_task(
    "calculate_grades_csv", "grade_report",
    kind=ReportKind(action_name="graded", step=GRADES_STEP, grades=True),
)
calculate_problem_grade_report = _report_task(
    "calculate_problem_grade_report", "problem_grade_report",
    kind=ReportKind(action_name="problem distribution graded", step=GRADES_STEP, grades=True),
)
calculate_students_features_csv = _report_task(
    "calculate_students_features_csv", "student_profile_info", profile_rows
)
calculate_may_enroll_csv = _report_task("calculate_may_enroll_csv", "may_enroll_info", profile_rows)
calculate_inactive_enrolled_students_info_csv = _report_task(
    "calculate_inactive_enrolled_students_info_csv", "inactive_enrolled_students_info", profile_rows
)
calculate_problem_responses_csv = _report_task(
    "calculate_problem_responses_csv",
    "student_state",
    problem_response_rows,
    name=f"{PREFIX}.calculate_problem_responses_csv.v2",
    kind=ReportKind(step="CSV uploaded", name=problem_responses_name, names_file=True),
)
course_survey_report_csv = _report_task("course_survey_report_csv", "course_survey_results")
proctored_exam_results_csv = _report_task(
    "proctored_exam_results_csv", "proctored_exam_results_report",
    kind=ReportKind(action_name="generating_proctored_exam_results_report"),
)
cohort_students = _report_task("cohort_students", "cohort_results", kind=ReportKind(action_name="cohorted"))
generate_anonymous_ids_for_course = _report_task(
    "generate_anonymous_ids_for_course", "anonymized_ids", anonymous_id_rows, kind=PLAIN,
)
export_ora2_data = _report_task("export_ora2_data", "ORA_data", kind=PLAIN)
export_ora2_summary = _report_task("export_ora2_summary", "ORA_summary", kind=PLAIN)
export_ora2_submission_files = _report_task(
    "export_ora2_submission_files", "submission_files", kind=ReportKind(zipped=True, plain_output=True),
)
