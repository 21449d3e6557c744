"""
Who may do what: own a schedule for a course's data, make someone else the owner, edit the registry.

A schedule's reports are requested as its owner and hold the course's learner data, so its owner
must be entitled to that data the way the instructor dashboard requires for these reports:
global staff, or the ``instructor.research`` permission on the course (its data researcher role).
"""

from django.core.exceptions import PermissionDenied

from periodic_instructor_reports import catalog, platform

NO_DATA_ACCESS = "owner has no data access to this course"


def may_access_course_data(user, course_key):
    """Return whether ``user`` may have the reports of ``course_key``: active, and staff or researcher."""
    if not user.is_active:
        return False
    return bool(user.is_staff or platform.has_research_permission(user, course_key))


def request_refusal(user, course_key, path):
    """
    Return why ``user`` may not request the report at ``path`` for ``course_key``, or "".

    Data access to the course (global staff or ``instructor.research``), as for every report; and
    where the instructor dashboard asks another permission for this report (the proctored exam
    results: course staff; the course team: the course's instructors; certificate exceptions and
    invalidations: their certificate rules), that permission too. The one rule for a schedule's
    owner at save and at every run, and for whoever downloads the report.
    """
    if not may_access_course_data(user, course_key):
        return NO_DATA_ACCESS
    report = catalog.get(path)
    permission = report.extra_permission if report else ""
    if permission and not platform.has_permission(user, permission, course_key):
        return f"owner lacks the platform permission {permission} this report needs on this course"
    return ""


def courses_without_access(user, course_keys, path=None):
    """Return the course keys (of ``course_keys``) whose report at ``path`` ``user`` may not request."""
    return [key for key in course_keys if request_refusal(user, key, path)]


def is_superuser(user):
    """Return whether ``user`` is an active superuser."""
    return bool(user.is_active and user.is_superuser)


def may_manage_report_tasks(user):
    """Return whether ``user`` may register, change or delete report tasks: superusers only."""
    return is_superuser(user)


def check_report_task_change(acting_user):
    """
    Refuse a change to the report task registry by anyone but a superuser.

    Raises:
        PermissionDenied: ``acting_user`` is not an active superuser.
    """
    if not may_manage_report_tasks(acting_user):
        raise PermissionDenied("Only superusers may register, change or delete report tasks.")


def apply_owner_rule(schedule, acting_user):
    """
    Make the schedule's owner follow the rule: only superusers may make someone else the owner.

    Anyone else who saves a schedule becomes its owner; giving another user explicitly is refused.

    Raises:
        PermissionDenied: a non-superuser named someone else as the owner of a new schedule.
    """
    if is_superuser(acting_user):
        return
    if schedule.pk is None and schedule.owner_id not in (None, acting_user.pk):
        raise PermissionDenied("Only superusers may make someone else the owner of a schedule.")
    schedule.owner = acting_user
