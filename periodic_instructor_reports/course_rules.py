"""
What a schedule's courses refuse: ids naming no course, the owner's access, profile columns, folders.

Checked when a schedule is saved, against the courses it lists and those its selection chooses
today (they are checked again at every run, since they change).
"""

from django.utils import timezone
from django.utils.translation import gettext as _
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from periodic_instructor_reports import catalog, conf, courses, folders, permissions, reports
from periodic_instructor_reports.exceptions import ProfileColumnsError, ReportFunctionError

# Courses a refusal lists by id at most; the message counts the rest.
LISTED_COURSES = 10
# The profile columns the dashboard adds for some courses only.
COURSE_FEATURES = {"cohort", "team"}


def course_problems(schedule):
    """Return what the schedule's courses refuse, as ``{field: message}`` (``{}`` when nothing)."""
    keys = _listed_keys(schedule)
    missing = courses.missing_courses(keys)
    if missing:
        return {"course_ids": _(
            "These ids name no course or CCX of this site: %(courses)s."
        ) % {"courses": _listed([str(key) for key in missing])}}
    keys += [key for key in courses.selected_courses(schedule) if key not in keys]
    for check in (_owner_problem, _features_problem, _folder_problem):
        problem = check(schedule, keys)
        if problem:
            return problem
    return {}


def _listed_keys(schedule):
    """Return the keys of the schedule's listed course ids that parse."""
    keys = []
    for course_id in schedule.course_ids if isinstance(schedule.course_ids, list) else []:
        try:
            keys.append(CourseKey.from_string(course_id))
        except (InvalidKeyError, TypeError, AttributeError):
            continue
    return keys


def _listed(course_ids):
    shown = ", ".join(course_ids[:LISTED_COURSES])
    more = len(course_ids) - LISTED_COURSES
    return shown + (_(" and %(more)d more") % {"more": more} if more > 0 else "")


def _owner_problem(schedule, keys):
    """Return why the owner may not have the data of some courses, or None: reports are requested as them."""
    if not schedule.owner_id or not keys:
        return None
    path = schedule.task.path if schedule.task_id else None
    refused = permissions.courses_without_access(schedule.owner, keys, path)
    if not refused:
        return None
    report = catalog.get(path)
    extra = report.extra_permission if report else ""
    return {"course_ids": _(
        "The owner (user id %(owner)s) may not have the data of %(courses)s: reports are "
        "requested as the owner, who must be global staff or hold the data researcher role "
        "(instructor.research) in each course%(extra)s."
    ) % {
        "owner": schedule.owner_id, "courses": _listed([str(key) for key in refused]),
        "extra": _(", and the platform permission %(permission)s this report needs as on the "
                   "instructor dashboard") % {"permission": extra} if extra else "",
    }}


def _folder_problem(schedule, keys):
    """Return why reports of a course may not go to the schedule's folder, or None."""
    today = timezone.localdate()
    for key in keys:
        folder = folders.upload_parent_dir(
            structure=schedule.upload_folder_structure, prefix=schedule.upload_folder_prefix,
            course_key=key, run_date=today,
        )
        problem = folders.folder_problem(
            folder, structure=schedule.upload_folder_structure, course_key=key, root=conf.get("FOLDER_ROOT"),
        )
        if problem:
            return {"upload_folder_prefix": _(
                "Reports of %(course)s may not go there: %(problem)s. A folder named like the "
                "platform's folder of a course (40 hex digits) would show one course's learners "
                "to another course's team."
            ) % {"course": key, "problem": problem}}
    return None


def _requested_features(schedule):
    """
    Return ``(features, field)``: the profile columns a schedule asks for, and the field giving them.

    ``field`` is "" when the report takes no columns from the site or the schedule asks for none;
    a list given positionally counts as much as one given by name.
    """
    if not schedule.task_id or "features" not in reports.PROVIDED_ARGUMENTS.get(schedule.task.path, ()):
        return None, ""
    keyword_arguments = schedule.keyword_arguments or {}
    if "features" in keyword_arguments:
        return keyword_arguments["features"], "keyword_arguments"
    try:
        function = reports.load(schedule.task.path)
    except ReportFunctionError:
        return None, ""
    keywords = reports.as_keywords(
        function, requires_request=schedule.task.requires_request, arguments=schedule.arguments or [],
        keyword_arguments=keyword_arguments,
    )[1]
    return (keywords["features"], "arguments") if "features" in keywords else (None, "")


def _features_problem(schedule, keys):
    """
    Return why a schedule's profile columns are refused, or None: each must be one the dashboard gives.

    The site's columns are checked once per organisation; a column the dashboard gives only
    some courses (cohort, team) for each course.
    """
    features, field = _requested_features(schedule)
    if not field:
        return None
    if not isinstance(features, list) or not all(isinstance(name, str) for name in features):
        return {field: _("features must be a JSON list of column names.")}
    by_course = bool(COURSE_FEATURES & set(features))
    site = {}
    for key in keys:
        if key.org in site and not by_course:
            continue
        try:
            if key.org not in site:
                site[key.org] = reports.site_profile_features(key.org)
            left_out = reports.profile_features(key, features, site_features=site[key.org])[1]
        except ProfileColumnsError as err:
            return {field: _(
                "The profile columns of %(course)s cannot be worked out as the instructor dashboard "
                "does, so its profile reports would fail: %(error)s"
            ) % {"course": key, "error": err}}
        if left_out:
            return {field: _(
                "features asks for profile columns the instructor dashboard does not give for "
                "%(course)s: %(columns)s. A schedule may only narrow the dashboard's columns; leave "
                "features out to get all of them."
            ) % {"course": key, "columns": ", ".join(left_out)}}
    return None
