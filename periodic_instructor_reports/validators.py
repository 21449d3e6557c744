"""Validation of report tasks and schedules, shared by the admin and ``api.py``: bad input changes nothing."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from periodic_instructor_reports import (
    catalog,
    conf,
    courses,
    describe,
    folders,
    permissions,
    platform,
    reports,
    timing,
)
from periodic_instructor_reports.exceptions import ProfileColumnsError, ReportFunctionError
from periodic_instructor_reports.states import CourseState

PREFIX_MAX_LENGTH = 254
# The platform's course id columns (CourseKeyField) hold at most this many characters.
COURSE_ID_MAX_LENGTH = 255
COURSE_IDS_MESSAGE = gettext_lazy(
    'Enter a JSON list of course ids, for example ["course-v1:edX+DemoX+Demo"].'
)
# An organisation as the platform's course keys spell it.
ORG_NAME = re.compile(r"^[A-Za-z0-9_.~-]{1,255}$")


def parse_course_id(course_id):
    """Return the course or CCX key, or raise ValidationError naming the bad id."""
    try:
        return CourseKey.from_string(course_id)
    except InvalidKeyError as err:
        raise ValidationError(
            _("“%(course_id)s” is not a valid course or CCX id."),
            code="invalid_course_id",
            params={"course_id": course_id},
        ) from err


def validate_course_ids(value):
    """Require a JSON list of distinct, valid course or CCX ids (it may be empty if courses are selected)."""
    if not isinstance(value, list):
        raise ValidationError(COURSE_IDS_MESSAGE, code="invalid_course_ids")
    errors, seen = [], set()
    for course_id in value:
        if not isinstance(course_id, str):
            errors.append(ValidationError(
                _("%(value)s is not a string; course ids are quoted strings."),
                code="invalid_course_id",
                params={"value": course_id},
            ))
            continue
        char = unsafe_character(course_id)
        if char:
            errors.append(ValidationError(unsafe_message(char), code="invalid_course_id"))
            continue
        if len(course_id) > COURSE_ID_MAX_LENGTH:
            errors.append(ValidationError(
                _("A course id of %(length)s characters is too long: the platform stores at most %(limit)s."),
                code="invalid_course_id",
                params={"length": len(course_id), "limit": COURSE_ID_MAX_LENGTH},
            ))
            continue
        try:
            key = str(parse_course_id(course_id))
        except ValidationError as err:
            errors.append(err)
            continue
        if key in seen:
            errors.append(ValidationError(
                _("“%(course_id)s” is listed more than once."),
                code="duplicate_course_id",
                params={"course_id": course_id},
            ))
        seen.add(key)
    if errors:
        raise ValidationError(errors)


# Folder names of a prefix: ASCII letters, digits, "-", "_" and "." (not first), "/" between them.
PREFIX_SEGMENT = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$")
# A file name the platform may use as given: no folders, no dots first, nothing to escape.
SAFE_FILENAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}$")
# Keyword arguments the platform turns into a file name.
FILENAME_ARGUMENTS = ("filename",)
JSON_FIELDS = ("arguments", "keyword_arguments", "course_ids", "course_orgs", "recipients")
# How deep a schedule's JSON values may nest: reports take flat lists and objects.
MAX_JSON_DEPTH = 10


def unsafe_character(text):
    """
    Return the first character of ``text`` that must never reach the database, logs or e-mail, or None.

    Control characters (NUL, CR, LF...), format characters such as bidi overrides and
    zero-width joiners, and line or paragraph separators.
    """
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            return char
    return None


def json_depth(value):
    """Return how deep a JSON value nests (a scalar is 0, ``[]`` is 1), walked without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        else:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > MAX_JSON_DEPTH:
            break
    return deepest


def too_deep_message():
    """Return the message refusing JSON that nests too deep."""
    return _("This JSON nests deeper than %(depth)d levels; reports take flat lists and objects.") % {
        "depth": MAX_JSON_DEPTH,
    }


def validate_json_depth(schedule):
    """
    Refuse JSON fields of ``schedule`` that nest deeper than ``MAX_JSON_DEPTH``.

    Checked before the other validators, which walk the values recursively and would otherwise
    run out of stack on JSON nested thousands deep.
    """
    deep = [name for name in JSON_FIELDS if json_depth(getattr(schedule, name)) > MAX_JSON_DEPTH]
    if deep:
        raise ValidationError({name: too_deep_message() for name in deep})


def _unsafe_in(value):
    """Return the first unsafe character in a JSON value (its strings and keys), or None."""
    if isinstance(value, str):
        return unsafe_character(value)
    if isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    elif isinstance(value, list):
        items = value
    else:
        return None
    for item in items:
        found = _unsafe_in(item)
        if found:
            return found
    return None


def unsafe_message(char):
    """Return the message refusing the character ``char``, shown by its code point."""
    return _("It must not contain control or formatting characters (found U+%(code)04X).") % {
        "code": ord(char),
    }


def validate_safe_text(value):
    """Refuse text with control or formatting characters (names, e-mail subjects)."""
    char = unsafe_character(value or "")
    if char:
        raise ValidationError(unsafe_message(char), code="unsafe_text")


def validate_upload_folder_prefix(value):
    """
    Require a relative storage prefix of safe folder names that cannot escape the reports folder.

    Letters, digits, ``-``, ``_`` and ``.`` (not first) in each folder name, ``/`` between them;
    so no ``.``/``..`` folder, no ``~``, no drive letter, no backslash, no percent-encoding, no
    control or bidi characters, nothing that needs escaping in a URL or in HTML.
    """
    problems = []
    if value.startswith("/"):
        problems.append(_("The upload folder prefix must be relative: remove the leading slash."))
    if "//" in value:
        problems.append(_("The upload folder prefix must not contain empty folder names (//)."))
    segments = [segment for segment in value.strip("/").split("/") if segment]
    bad = [segment for segment in segments if not PREFIX_SEGMENT.match(segment)]
    if bad:
        problems.append(_(
            "Folder names of the upload folder prefix may use only letters, digits, “-”, “_” and "
            "“.” (not first): “%(segment)s” does not."
        ) % {"segment": bad[0][:80].encode("unicode_escape").decode("ascii")})
    if len(value) > PREFIX_MAX_LENGTH:
        problems.append(_("The upload folder prefix must be at most %(limit)s characters.") % {
            "limit": PREFIX_MAX_LENGTH,
        })
    if problems:
        raise ValidationError(problems, code="invalid_prefix")


def validate_report_task(task):
    """Require a safe name, and an allowed, importable path that fits the request setting and schedules."""
    char = unsafe_character(task.name or "")
    if char:
        raise ValidationError({"name": unsafe_message(char)}, code="unsafe_text")
    try:
        function = reports.load(task.path)
    except ReportFunctionError as err:
        raise ValidationError({"path": str(err)}, code="invalid_path") from err
    takes_request = reports.takes_request(function)
    if task.requires_request and not takes_request:
        raise ValidationError({"requires_request": _(
            "%(path)s does not take a request as its first argument: untick “Requires request”."
        ) % {"path": task.path}})
    if takes_request and not task.requires_request:
        raise ValidationError({"requires_request": _(
            "%(path)s takes a request as its first argument: tick “Requires request”."
        ) % {"path": task.path}})
    if task.pk:
        misfits = [
            str(schedule.pk) for schedule in task.schedules.all()
            if _call_problem(function, task, schedule)
        ]
        if misfits:
            raise ValidationError({"path": _(
                "%(path)s does not fit the arguments of schedules %(ids)s: change them first."
            ) % {"path": task.path, "ids": ", ".join(misfits)}})


def _call_problem(function, task, schedule):
    upload = reports.accepts_upload_dir(function)
    try:
        reports.check_call(
            function,
            task.path,
            requires_request=task.requires_request,
            arguments=schedule.arguments or [],
            keyword_arguments=schedule.keyword_arguments or {},
            upload=upload,
        )
    except TypeError as err:
        return str(err)
    return None


def frequency_problem(schedule):
    """Return why the schedule's interval or crontab runs it too often (or never), or None."""
    gap = timing.shortest_gap(schedule)
    if gap is None:
        return _("This crontab never matches a date, so the schedule would never run.")
    minimum = conf.get("MIN_INTERVAL")
    if gap.total_seconds() <= 0 or gap.total_seconds() < minimum:
        return _(
            "This schedule could run every %(gap)s; schedules run at most once every %(minimum)s "
            "(the PERIODIC_INSTRUCTOR_REPORTS_MIN_INTERVAL setting). Choose a longer interval or "
            "a crontab with fewer times."
        ) % {"gap": describe.duration_text(gap.total_seconds()), "minimum": describe.duration_text(minimum)}
    return None


def validate_recipients(value):
    """Require a JSON list of distinct, valid e-mail addresses, at most ``MAX_RECIPIENTS`` of them."""
    if not isinstance(value, list) or not all(isinstance(address, str) for address in value):
        raise ValidationError(_('Enter a JSON list of e-mail addresses, for example ["data@example.com"].'),
                              code="invalid_recipients")
    limit = conf.get("MAX_RECIPIENTS")
    if len(value) > limit:
        raise ValidationError(_("At most %(limit)d recipients: use a mailing list for more people.") % {
            "limit": limit,
        }, code="too_many_recipients")
    errors = []
    for address in value:
        try:
            validate_email(address)
        except ValidationError:
            errors.append(ValidationError(
                _("“%(address)s” is not an e-mail address."), code="invalid_recipient",
                params={"address": address[:100].encode("unicode_escape").decode("ascii")},
            ))
    if len({address.lower() for address in value}) != len(value):
        errors.append(ValidationError(_("An address is listed more than once."), code="duplicate_recipient"))
    if errors:
        raise ValidationError(errors)


def validate_schedule(schedule):
    """Require a schedule whose report, arguments, folders and CCX options can all run."""
    validate_json_depth(schedule)
    errors = {}
    if bool(schedule.interval_id) == bool(schedule.crontab_id):
        errors["interval"] = (
            _("Choose an interval or a crontab, not both.") if schedule.interval_id
            else _("Choose an interval or a crontab: the schedule needs one of them.")
        )
    else:
        problem = frequency_problem(schedule)
        if problem:
            errors["crontab" if schedule.crontab_id else "interval"] = problem
    arguments = schedule.arguments if schedule.arguments is not None else []
    keyword_arguments = schedule.keyword_arguments if schedule.keyword_arguments is not None else {}
    if not isinstance(arguments, list):
        errors["arguments"] = _("Enter a JSON list, for example [] or [\"a\", 2].")
    if not isinstance(keyword_arguments, dict):
        errors["keyword_arguments"] = _("Enter a JSON object, for example {} or {\"a\": 2}.")
    elif reports.UPLOAD_PARENT_DIR in keyword_arguments:
        errors["keyword_arguments"] = _(
            "upload_parent_dir is set from the upload folder fields: remove it here."
        )
    else:
        problem = _keyword_problem(keyword_arguments)
        if problem:
            errors["keyword_arguments"] = problem
    for name, value in (("arguments", arguments), ("course_ids", schedule.course_ids)):
        char = _unsafe_in(value)
        if char and name not in errors:
            errors[name] = unsafe_message(char)
    if (schedule.include_ccx or schedule.only_ccx) and not platform.ccx_model():
        errors["include_ccx"] = _(
            "CCX is not enabled on this site (the lms.djangoapps.ccx app is not installed)."
        )
    if schedule.task_id and not errors:
        errors.update(_report_problems(schedule, arguments, keyword_arguments))
    if not errors:
        errors.update(_selection_problems(schedule))
    if not errors:
        errors.update(_course_problems(schedule))
    if errors:
        raise ValidationError(errors)


def _keyword_problem(keyword_arguments):
    """Return why the keyword arguments cannot be used (unsafe text, an unsafe file name), or None."""
    char = _unsafe_in(keyword_arguments)
    if char:
        return unsafe_message(char)
    for name in FILENAME_ARGUMENTS:
        if name not in keyword_arguments:
            continue
        try:
            validate_schedule_filename(keyword_arguments[name])
        except ValidationError:
            return _(
                "%(name)s must be a file name of at most 100 letters, digits, “-”, “_” and “.” (not "
                "first, no “..”): the platform writes the report under that name."
            ) % {"name": name}
    return None


def validate_schedule_filename(value):
    """Require a file name the platform can use as given: safe characters, no folder, no “..”."""
    if not isinstance(value, str) or not SAFE_FILENAME.match(value) or ".." in value:
        raise ValidationError(_("Enter a safe file name."), code="unsafe_filename")


# Courses a refusal lists by id at most; the message counts the rest.
LISTED_COURSES = 10


def _listed(course_ids):
    shown = ", ".join(course_ids[:LISTED_COURSES])
    more = len(course_ids) - LISTED_COURSES
    return shown + (_(" and %(more)d more") % {"more": more} if more > 0 else "")


def _selection_problems(schedule):
    """Return what is wrong with how the schedule chooses its courses: none at all, bad organisations."""
    orgs = schedule.course_orgs
    if not isinstance(orgs, list) or not all(isinstance(org, str) and ORG_NAME.match(org) for org in orgs):
        return {"course_orgs": _('Enter a JSON list of organisations, for example ["edX", "MITx"].')}
    if not schedule.course_ids and not schedule.selects_courses:
        return {"course_ids": _("Choose the courses: list them, or select them by organisation or state.")}
    within = schedule.course_state in (CourseState.STARTING, CourseState.ENDED)
    if within and not schedule.course_state_days:
        return {"course_state_days": _("Enter how many days “within” means.")}
    if (schedule.course_state_days or 0) > courses.MAX_STATE_DAYS:
        return {"course_state_days": _("Enter at most %(days)d days (a century).") % {
            "days": courses.MAX_STATE_DAYS,
        }}
    return {}


def _course_problems(schedule):
    """
    Return what the courses refuse: a listed id naming no course, the owner's access, the folders.

    The courses a selection chooses today are checked like listed ones (they are checked again
    at every run, since they change).
    """
    keys = []
    for course_id in schedule.course_ids if isinstance(schedule.course_ids, list) else []:
        try:
            keys.append(CourseKey.from_string(course_id))
        except (InvalidKeyError, TypeError, AttributeError):
            continue
    missing = courses.missing_courses(keys)
    if missing:
        return {"course_ids": _(
            "These ids name no course or CCX of this site: %(courses)s."
        ) % {"courses": _listed([str(key) for key in missing])}}
    keys += [key for key in courses.selected_courses(schedule) if key not in keys]
    path = schedule.task.path if schedule.task_id else None
    if schedule.owner_id and keys:
        refused = permissions.courses_without_access(schedule.owner, keys, path)
        if refused:
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
    features, field = _requested_features(schedule)
    if field:
        problem = _features_problem(keys, features, field)
        if problem:
            return problem
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
    return {}


# The profile columns the dashboard adds for some courses only.
COURSE_FEATURES = {"cohort", "team"}


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


def _features_problem(keys, features, field):
    """
    Return why a schedule's profile columns are refused, or None: each must be one the dashboard gives.

    The site's columns are checked once per organisation; a column the dashboard gives only
    some courses (cohort, team) for each course.
    """
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


def _report_problems(schedule, arguments, keyword_arguments):
    task = schedule.task
    try:
        function = reports.load(task.path)
    except ReportFunctionError as err:
        return {"task": str(err)}
    upload = reports.accepts_upload_dir(function)
    copied = catalog.support(task.path) == catalog.COPIED
    if not upload and not copied and (
        schedule.upload_folder_prefix or schedule.upload_folder_structure != "regular"
    ):
        return {"upload_folder_structure": _(
            "%(path)s does not accept upload_parent_dir, so its reports always go to the "
            "platform's own folder: leave the prefix empty and the structure regular."
        ) % {"path": task.path}}
    problem = _call_problem(function, task, schedule)
    if problem:
        return {"arguments": _("The arguments do not fit %(path)s: %(error)s.") % {
            "path": task.path, "error": problem,
        }}
    keywords = reports.as_keywords(
        function, requires_request=task.requires_request, arguments=arguments,
        keyword_arguments=keyword_arguments,
    )[1]
    problem = catalog.argument_problem(task.path, keywords)
    if problem:
        return {"arguments" if arguments else "keyword_arguments": _(
            "The arguments do not fit %(path)s: %(error)s."
        ) % {"path": task.path, "error": problem}}
    size = reports.task_input_size(task.path, arguments, keyword_arguments, schedule.upload_folder_prefix)
    if size > reports.TASK_INPUT_LIMIT:
        return {"keyword_arguments": _(
            "The arguments make a task input of about %(size)s characters; the platform "
            "accepts at most %(limit)s."
        ) % {"size": size, "limit": reports.TASK_INPUT_LIMIT}}
    return {}
