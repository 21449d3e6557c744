"""Validation of report tasks and schedules, shared by the admin and ``api.py``."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey

from periodic_instructor_reports import conf, platform, reports, schedules
from periodic_instructor_reports.exceptions import ReportFunctionError

PREFIX_MAX_LENGTH = 254
# The platform's course id columns (CourseKeyField) hold at most this many characters.
COURSE_ID_MAX_LENGTH = 255
COURSE_IDS_MESSAGE = gettext_lazy(
    'Enter a non-empty JSON list of course ids, for example ["course-v1:edX+DemoX+Demo"].'
)


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
    """Require a non-empty JSON list of distinct, valid course or CCX ids."""
    if not isinstance(value, list) or not value:
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


def validate_upload_folder_prefix(value):
    """Require a relative storage prefix that cannot escape the reports folder."""
    problems = []
    if value.startswith("/"):
        problems.append(_("The upload folder prefix must be relative: remove the leading slash."))
    if "\\" in value:
        problems.append(_("The upload folder prefix must not contain a backslash."))
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        problems.append(_("The upload folder prefix must not contain control characters."))
    if ".." in value.split("/"):
        problems.append(_("The upload folder prefix must not contain a “..” folder."))
    if "//" in value:
        problems.append(_("The upload folder prefix must not contain empty folder names (//)."))
    if len(value) > PREFIX_MAX_LENGTH:
        problems.append(_("The upload folder prefix must be at most %(limit)s characters.") % {
            "limit": PREFIX_MAX_LENGTH,
        })
    if problems:
        raise ValidationError(problems, code="invalid_prefix")


def validate_report_task(task):
    """Require an allowed, importable path that fits the task's request setting and schedules."""
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
    gap = schedules.shortest_gap(schedule)
    if gap is None:
        return _("This crontab never matches a date, so the schedule would never run.")
    minimum = conf.get("MIN_INTERVAL")
    if gap.total_seconds() <= 0 or gap.total_seconds() < minimum:
        return _(
            "This schedule could run every %(gap)s; schedules run at most once every %(minimum)s "
            "(the PERIODIC_INSTRUCTOR_REPORTS_MIN_INTERVAL setting). Choose a longer interval or "
            "a crontab with fewer times."
        ) % {"gap": schedules.duration_text(gap.total_seconds()), "minimum": schedules.duration_text(minimum)}
    return None


def validate_schedule(schedule):
    """Require a schedule whose report, arguments, folders and CCX options can all run."""
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
    if (schedule.include_ccx or schedule.only_ccx) and not platform.ccx_model():
        errors["include_ccx"] = _(
            "CCX is not enabled on this site (the lms.djangoapps.ccx app is not installed)."
        )
    if schedule.task_id and not errors:
        errors.update(_report_problems(schedule, arguments, keyword_arguments))
    if errors:
        raise ValidationError(errors)


def _report_problems(schedule, arguments, keyword_arguments):
    task = schedule.task
    try:
        function = reports.load(task.path)
    except ReportFunctionError as err:
        return {"task": str(err)}
    upload = reports.accepts_upload_dir(function)
    if not upload and (schedule.upload_folder_prefix or schedule.upload_folder_structure != "regular"):
        return {"upload_folder_structure": _(
            "%(path)s does not accept upload_parent_dir, so its reports always go to the "
            "platform's own folder: leave the prefix empty and the structure regular."
        ) % {"path": task.path}}
    problem = _call_problem(function, task, schedule)
    if problem:
        return {"arguments": _("The arguments do not fit %(path)s: %(error)s.") % {
            "path": task.path, "error": problem,
        }}
    size = reports.task_input_size(arguments, keyword_arguments, schedule.upload_folder_prefix)
    if size > reports.TASK_INPUT_LIMIT:
        return {"keyword_arguments": _(
            "The arguments make a task input of about %(size)s characters; the platform "
            "accepts at most %(limit)s."
        ) % {"size": size, "limit": reports.TASK_INPUT_LIMIT}}
    return {}
