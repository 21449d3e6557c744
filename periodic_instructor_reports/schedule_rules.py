"""
Whether a report task or a schedule can run on this site: the rules that ask beyond their fields.

They ask the report registry, the platform, the database and the settings, so the models do not
run them: the write path (``api.py``) does with ``check_report_task`` and ``check_schedule``,
and the admin forms do. Bad input changes nothing.
"""

import datetime
import re
from functools import partial

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _

from periodic_instructor_reports import (
    catalog,
    conf,
    course_rules,
    courses,
    describe,
    platform,
    reports,
    timing,
    validators,
)
from periodic_instructor_reports.exceptions import ReportFunctionError
from periodic_instructor_reports.states import CourseState

# An organisation as the platform's course keys spell it.
ORG_NAME = re.compile(r"^[A-Za-z0-9_.~-]{1,255}$")
# Keyword arguments the platform turns into a file name.
FILENAME_ARGUMENTS = ("filename",)
# The shortest window a schedule's run may be given to finish in.
MIN_WINDOW = datetime.timedelta(minutes=1)


def check_report_task(task):
    """Validate a report task's fields and its rules, as one ``ValidationError``."""
    _full_clean(task, validate_report_task)


def check_schedule(schedule):
    """Validate a schedule's fields and its rules, as one ``ValidationError``."""
    _full_clean(schedule, validate_schedule)


def _full_clean(instance, rules):
    """
    Run ``instance.full_clean()`` with ``rules(instance)`` where the model's ``clean()`` would run.

    As Django does with ``clean()``: the rules run even when a field is invalid, all errors are
    raised together, and fields with errors are left out of the uniqueness checks.
    """
    errors = {}
    for check in (
        partial(instance.full_clean, validate_unique=False, validate_constraints=False),
        partial(rules, instance),
    ):
        errors = _collect(errors, check)
    for check in (instance.validate_unique, instance.validate_constraints):
        invalid = {name for name in errors if name != NON_FIELD_ERRORS}
        errors = _collect(errors, partial(check, exclude=invalid))
    if errors:
        raise ValidationError(errors)


def _collect(errors, check):
    """Return ``errors`` (a dict of lists) with those ``check()`` raises added."""
    try:
        check()
    except ValidationError as err:
        return err.update_error_dict(errors)
    return errors


def validate_report_task(task):
    """Require a safe name, and an allowed, importable path that fits the request setting and schedules."""
    char = validators.unsafe_character(task.name or "")
    if char:
        raise ValidationError({"name": validators.unsafe_message(char)}, code="unsafe_text")
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


def validate_schedule(schedule):
    """Require a schedule whose report, arguments, folders and CCX options can all run."""
    validators.validate_json_depth(schedule)
    arguments = schedule.arguments if schedule.arguments is not None else []
    keyword_arguments = schedule.keyword_arguments if schedule.keyword_arguments is not None else {}
    errors = {**_timing_problems(schedule), **_argument_problems(schedule, arguments, keyword_arguments)}
    if not errors.get("interval") and not errors.get("crontab"):
        errors.update(pacing_problems(schedule))
    if (schedule.include_ccx or schedule.only_ccx) and not platform.ccx_model():
        errors["include_ccx"] = _(
            "CCX is not enabled on this site (the lms.djangoapps.ccx app is not installed)."
        )
    if schedule.task_id and not errors:
        errors.update(_report_problems(schedule, arguments, keyword_arguments))
    if not errors:
        errors.update(_selection_problems(schedule))
    if not errors:
        errors.update(course_rules.course_problems(schedule))
    if errors:
        raise ValidationError(errors)


def _timing_problems(schedule):
    """Return why the schedule's interval or crontab cannot be used: none or both, or too often."""
    if bool(schedule.interval_id) == bool(schedule.crontab_id):
        return {"interval": (
            _("Choose an interval or a crontab, not both.") if schedule.interval_id
            else _("Choose an interval or a crontab: the schedule needs one of them.")
        )}
    problem = frequency_problem(schedule)
    if problem:
        return {"crontab" if schedule.crontab_id else "interval": problem}
    return {}


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


def pacing_problems(schedule):
    """
    Return what is wrong with the schedule's own cap and window.

    A cap of 0 would be no cap at all, so at least 1 (empty: none). The window ends the run
    early enough to be useful: at least a minute, at most the time between two runs (a longer one
    would still be open when the next run is due).
    """
    errors = {}
    if schedule.max_in_flight is not None and schedule.max_in_flight < 1:
        errors["max_in_flight"] = _("Enter at least 1, or leave it empty: the site's cap alone then applies.")
    window = schedule.finish_within
    if window is None:
        return errors
    if window < MIN_WINDOW:
        errors["finish_within"] = _(
            "Enter a window of at least a minute, for example 4:00:00 for four hours."
        )
        return errors
    gap = timing.shortest_gap(schedule)
    if gap is not None and window > gap:
        errors["finish_within"] = _(
            "Enter at most %(gap)s, the time between two runs of this schedule: a run should be over "
            "before the next is due (%(window)s was given)."
        ) % {"gap": describe.duration_text(gap.total_seconds()),
             "window": describe.duration_text(window.total_seconds())}
    return errors


def _argument_problems(schedule, arguments, keyword_arguments):
    """Return what is wrong with the shapes and text of the arguments and course ids."""
    errors = {}
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
        char = validators.unsafe_in(value)
        if char and name not in errors:
            errors[name] = validators.unsafe_message(char)
    return errors


def _keyword_problem(keyword_arguments):
    """Return why the keyword arguments cannot be used (unsafe text, an unsafe file name), or None."""
    char = validators.unsafe_in(keyword_arguments)
    if char:
        return validators.unsafe_message(char)
    for name in FILENAME_ARGUMENTS:
        if name not in keyword_arguments:
            continue
        try:
            validators.validate_schedule_filename(keyword_arguments[name])
        except ValidationError:
            return _(
                "%(name)s must be a file name of at most 100 letters, digits, “-”, “_” and “.” (not "
                "first, no “..”): the platform writes the report under that name."
            ) % {"name": name}
    return None


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


def _report_problems(schedule, arguments, keyword_arguments):
    """Return what the schedule's report refuses: upload folders it ignores, arguments that do not fit."""
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
    return _argument_fit_problems(function, schedule, arguments, keyword_arguments)


def _argument_fit_problems(function, schedule, arguments, keyword_arguments):
    """Return what the report's catalog entry or the platform's task input limit refuses in the arguments."""
    task = schedule.task
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
