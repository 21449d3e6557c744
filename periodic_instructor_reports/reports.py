"""Report functions: the allowlist, importing a dotted path, and fitting a call to its signature."""

import inspect
import json
from importlib import import_module

from periodic_instructor_reports import conf
from periodic_instructor_reports.exceptions import ReportFunctionError

UPLOAD_PARENT_DIR = "upload_parent_dir"
# The platform refuses a task_input longer than this many characters.
TASK_INPUT_LIMIT = 10000
# A sha1 hex digest: the longest folder name a structure appends to the prefix.
FOLDER_NAME_LENGTH = 40

DEFAULT_PROFILE_FEATURES = [
    "id", "username", "name", "email", "language", "location", "year_of_birth",
    "gender", "level_of_education", "mailing_address", "goals",
]
# Keyword arguments a report gets when its schedule does not give them.
DEFAULT_KEYWORD_ARGUMENTS = {conf.PROFILE_REPORT: {"features": DEFAULT_PROFILE_FEATURES}}
# The platform's file name of each supported report (before its course prefix and timestamp).
DEFAULT_FILENAMES = {
    conf.GRADE_REPORT: "grade_report",
    conf.PROBLEM_GRADE_REPORT: "problem_grade_report",
    conf.PROFILE_REPORT: "student_profile_info",
}

_API = "lms.djangoapps.instructor_task.api."
# The platform's InstructorTask.task_type each report function creates its task row with.
TASK_TYPES = {
    conf.GRADE_REPORT: "grade_course",
    conf.PROBLEM_GRADE_REPORT: "grade_problems",
    conf.PROFILE_REPORT: "profile_info_csv",
    _API + "submit_calculate_may_enroll_csv": "may_enroll_info_csv",
    _API + "submit_calculate_inactive_enrolled_students_csv": "inactive_enrolled_students_info_csv",
    _API + "submit_calculate_problem_responses_csv": "problem_responses_csv",
    _API + "submit_course_survey_report": "course_survey_report",
    _API + "submit_proctored_exam_results_report": "proctored_exam_results_report",
    _API + "submit_export_ora2_data": "export_ora2_data",
    _API + "submit_export_ora2_summary": "export_ora2_summary",
    _API + "submit_export_ora2_submission_files": "export_ora2_submission_files",
    _API + "generate_anonymous_ids": "generate_anonymous_ids_for_course",
}

_REQUEST = object()
_COURSE_KEY = object()


def is_allowed(path):
    """Return whether ``path`` is in the allowlist setting."""
    return path in conf.get("ALLOWED_PATHS")


def load(path):
    """
    Import the allowed report function at ``path``.

    Raises:
        ReportFunctionError: the path is not allowed, does not import, or is not callable.
    """
    if not is_allowed(path):
        raise ReportFunctionError(
            f"{path} is not an allowed report function "
            f"(see the {conf.PREFIX}ALLOWED_PATHS setting)."
        )
    module_name, _, attribute = path.rpartition(".")
    try:
        function = getattr(import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError) as err:
        raise ReportFunctionError(f"{path} cannot be imported: {err}") from err
    if not callable(function):
        raise ReportFunctionError(f"{path} is not callable.")
    return function


def task_type(path):
    """Return the platform task type the report at ``path`` records, or None if it is not known."""
    return TASK_TYPES.get(path)


def takes_request(function):
    """Return whether the function's first parameter is a request, as the platform names it."""
    parameters = list(inspect.signature(function).parameters)
    return bool(parameters) and parameters[0] == "request"


def accepts_upload_dir(function):
    """Return whether the function accepts ``upload_parent_dir`` (named or through **kwargs)."""
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind == parameter.VAR_KEYWORD or parameter.name == UPLOAD_PARENT_DIR:
            return True
    return False


def _leading(requires_request):
    return (_REQUEST, _COURSE_KEY) if requires_request else (_COURSE_KEY,)


def with_defaults(function, path, *, requires_request, arguments, keyword_arguments):
    """Return the keyword arguments with the report's defaults for parameters not yet given."""
    defaults = DEFAULT_KEYWORD_ARGUMENTS.get(path, {})
    try:
        bound = inspect.signature(function).bind_partial(
            *_leading(requires_request), *arguments, **keyword_arguments
        )
    except TypeError:
        return dict(keyword_arguments)
    missing = {name: value for name, value in defaults.items() if name not in bound.arguments}
    return {**missing, **keyword_arguments}


def check_call(function, *, requires_request, arguments, keyword_arguments, upload):
    """
    Check that a call with these arguments fits the function's signature.

    Raises:
        TypeError: the call would fail; the message says why.
    """
    extra = {UPLOAD_PARENT_DIR: ""} if upload else {}
    inspect.signature(function).bind(
        *_leading(requires_request), *arguments, **keyword_arguments, **extra
    )


def task_input_size(arguments, keyword_arguments, prefix):
    """Return an upper bound of the task_input length the platform will store for one course."""
    task_input = {
        "arguments": arguments,
        **keyword_arguments,
        UPLOAD_PARENT_DIR: prefix + "x" * FOLDER_NAME_LENGTH,
    }
    return len(json.dumps(task_input))


def ccx_filename(path, course_key, keyword_arguments):
    """
    Return a file name that tells a CCX's report from its master's, or None to keep the default.

    The platform names files after org, course and run, which a CCX shares with its master
    course: in a shared folder (``by_date``, ``flat``) their reports would take the same name.
    """
    base = keyword_arguments.get("filename") or DEFAULT_FILENAMES.get(path)
    if base is None or not hasattr(course_key, "ccx"):
        return None
    return f"{base}_ccx{course_key.ccx}"
