"""
Who may do what: own a schedule for a course's data, make someone else the owner, edit the registry.

A schedule's reports are requested as its owner and hold the course's learner data, so its owner
must be entitled to that data the way the instructor dashboard requires for these reports:
global staff, or the ``instructor.research`` permission on the course (its data researcher role).
"""

from django.core.exceptions import PermissionDenied

from periodic_instructor_reports import platform


def may_access_course_data(user, course_key):
    """Return whether ``user`` may have the reports of ``course_key``: active, and staff or researcher."""
    if not user.is_active:
        return False
    return bool(user.is_staff or platform.has_research_permission(user, course_key))


def courses_without_access(user, course_keys):
    """Return the course keys (of ``course_keys``) whose data ``user`` may not have, in order."""
    return [key for key in course_keys if not may_access_course_data(user, key)]


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
