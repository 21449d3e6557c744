"""Report functions: the allowlist, importing a dotted path, and fitting a call to its signature."""

import inspect
import json
from importlib import import_module

from django.conf import settings
from django.http import Http404

from periodic_instructor_reports import catalog, conf, folders, platform
from periodic_instructor_reports.exceptions import ProfileColumnsError, ReportFunctionError

UPLOAD_PARENT_DIR = "upload_parent_dir"
# The platform refuses a task_input longer than this many characters.
TASK_INPUT_LIMIT = 10000
# A sha1 hex digest: the longest folder name a structure appends to the prefix.
FOLDER_NAME_LENGTH = 40

# The profile columns the instructor dashboard requests when the site configuration names none
# (GetStudentsFeatures, and the v2 API's enrolled students report).
PLATFORM_PROFILE_FEATURES = [
    "id", "username", "name", "email", "language", "location", "year_of_birth", "gender",
    "level_of_education", "mailing_address", "goals", "enrollment_mode", "last_login", "date_joined",
    "external_user_key", "enrollment_date",
]
# The columns the dashboard always puts last.
LAST_PROFILE_FEATURES = ("city", "country")
# Arguments the dispatcher gives a report itself, per course: schedules need not give them.
PROVIDED_ARGUMENTS = {
    report.path: ("features",) for report in catalog.REPORTS if report.site_features
}
# The platform's file name of each known report (before its course prefix and timestamp).
DEFAULT_FILENAMES = {report.path: report.filename for report in catalog.REPORTS}
# The platform's InstructorTask.task_type each report function creates its task row with.
TASK_TYPES = {report.path: report.task_type for report in catalog.REPORTS}

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


def signature_requires_request(path):
    """Return whether the allowed function at ``path`` takes a request first (False if it cannot load)."""
    try:
        return takes_request(load(path))
    except (ReportFunctionError, ValueError, TypeError):
        return False


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


def site_profile_features(org):
    """
    Return the profile columns the site serving ``org`` gives every course of it, before the course's own.

    As the instructor dashboard's button computes them (``GetStudentsFeatures`` and the v2
    API's enrolled students report): the ``student_profile_download_fields`` value of the site
    (``configuration_helpers.get_value``; else the dashboard's own list), then the
    organisation's ``additional_student_profile_attributes`` (``get_value_for_org``), then the
    ``PROFILE_INFORMATION_REPORT_PRIVATE_FIELDS`` taken out. The dashboard is on the site of its
    request; a worker has none, so the site that serves the organisation's courses answers
    (``platform.site_configuration_serving``): what a person managing the course sees there.

    Raises:
        ProfileColumnsError: the site's configuration is one the dashboard refuses.
    """
    configuration = platform.site_configuration_serving(org)
    try:
        features = list(platform.site_value(configuration, "student_profile_download_fields", []))
    except TypeError as err:
        raise ProfileColumnsError(
            f"the site configuration's student_profile_download_fields is not a list: {err}"
        ) from err
    if not features:
        features = list(PLATFORM_PROFILE_FEATURES)
    additional = platform.site_value_for_org(org, "additional_student_profile_attributes")
    if additional:
        features.extend(_additional_attributes(additional))
    private = getattr(settings, "PROFILE_INFORMATION_REPORT_PRIVATE_FIELDS", ["year_of_birth"])
    return [name for name in features if name not in private]


def _additional_attributes(additional):
    """Return the organisation's extra columns, or raise the dashboard's refusal of them."""
    if not isinstance(additional, (list, tuple)):
        raise ProfileColumnsError(
            "Invalid additional student attribute configuration: expected list of strings, "
            f"got {type(additional).__name__}."
        )
    if not all(isinstance(name, str) for name in additional):
        raise ProfileColumnsError(
            "Invalid additional student attribute configuration: all entries must be strings."
        )
    if "" in additional:
        raise ProfileColumnsError(
            "Invalid additional student attribute configuration: empty attribute names are not allowed."
        )
    return list(additional)


def course_profile_features(course_key, site_features):
    """
    Return the dashboard's profile columns of the course: ``site_features`` and the course's own.

    ``cohort`` when the course is cohorted, ``team`` when teams are enabled in it, then ``city``
    and ``country``, which the dashboard always puts last.

    Raises:
        ProfileColumnsError: the platform has no such course (its modulestore answers 404).
    """
    features = list(site_features)
    try:
        cohorted = platform.is_course_cohorted(course_key)
        teams = platform.teams_enabled(course_key)
    except Http404 as err:
        raise ProfileColumnsError(f"the platform has no course {course_key} ({err})") from err
    if cohorted:
        features.append("cohort")
    if teams:
        features.append("team")
    return features + list(LAST_PROFILE_FEATURES)


def profile_features(course_key, requested=None, *, site_features=None):
    """
    Return ``(features, left out)`` of the profile report of a course.

    The dashboard's columns for the course, or the schedule's ``requested`` list narrowed to
    them: a schedule may ask for fewer columns than the dashboard gives, never more.
    ``site_features`` is ``site_profile_features`` of the course's organisation, when known.

    Raises:
        ProfileColumnsError: the site's configuration is one the dashboard refuses.
    """
    if site_features is None:
        site_features = site_profile_features(course_key.org)
    allowed = course_profile_features(course_key, site_features)
    if requested is None:
        return allowed, []
    kept = [name for name in requested if name in allowed]
    return kept, [name for name in requested if name not in allowed]


def as_keywords(function, *, requires_request, arguments, keyword_arguments):
    """
    Return ``(arguments, keyword arguments)`` with the positional arguments given by name where possible.

    So the dispatcher can see (and narrow) an argument whichever way the schedule gave it.
    """
    names = list(inspect.signature(function).parameters.values())[len(_leading(requires_request)):]
    keywords, rest = dict(keyword_arguments), list(arguments)
    for parameter, value in zip(names, arguments, strict=False):
        if parameter.kind != parameter.POSITIONAL_OR_KEYWORD or parameter.name in keywords:
            break
        keywords[parameter.name] = value
        rest.pop(0)
    return rest, keywords


def check_call(function, path, *, requires_request, arguments, keyword_arguments, upload):
    """
    Check that a call with these arguments fits the function's signature.

    Arguments the dispatcher provides (the upload folder, the profile report's features) count
    as given.

    Raises:
        TypeError: the call would fail; the message says why.
    """
    signature = inspect.signature(function)
    given = signature.bind_partial(*_leading(requires_request), *arguments, **keyword_arguments).arguments
    extra = {UPLOAD_PARENT_DIR: ""} if upload else {}
    extra.update({name: [] for name in PROVIDED_ARGUMENTS.get(path, ()) if name not in given})
    fixed = catalog.get(path).fixed if catalog.get(path) else {}
    extra.update({name: value for name, value in fixed.items() if name not in given})
    signature.bind(*_leading(requires_request), *arguments, **keyword_arguments, **extra)


def task_input_size(path, arguments, keyword_arguments, prefix):
    """Return an upper bound of the task_input length the platform will store for one course."""
    provided = {name: PLATFORM_PROFILE_FEATURES for name in PROVIDED_ARGUMENTS.get(path, ())}
    report = catalog.get(path)
    provided.update(report.fixed if report else {})
    task_input = {
        "arguments": arguments,
        **provided,
        **keyword_arguments,
        UPLOAD_PARENT_DIR: prefix + "x" * FOLDER_NAME_LENGTH,
    }
    return len(json.dumps(task_input))


def expected_name(path, course_key, keyword_arguments):
    """
    Return how the platform starts the report's file name, ``{course prefix}_{report name}``, or "".

    The platform adds ``_{YYYY-MM-DD-HHMM}.csv`` (``.zip`` for the submission files; and the
    storage a suffix when the name is taken). "" when the report's name is not known.
    """
    base = keyword_arguments.get("filename") or catalog.filename(path, keyword_arguments)
    if not base:
        return ""
    return f"{platform.course_filename_prefix(course_key)}_{base}"


def shared_folder_filename(path, course_key, keyword_arguments):
    """
    Return the report's file name in a folder shared by courses: its name and the course's token.

    The platform starts a file name with org, course and run passed through Django's
    ``get_valid_filename``, which different course ids can share (``Demo~X`` and ``DemoX``; a
    CCX and its master course): in a shared folder (``by_date``, ``flat``) two courses' files
    would be told apart by nothing but the moment they were written. The course's token makes
    every course's name its own (ADR 0017). None when the report's name is not known.
    """
    base = keyword_arguments.get("filename") or DEFAULT_FILENAMES.get(path)
    if not base:
        return None
    return f"{base}_{folders.course_token(course_key)}"
