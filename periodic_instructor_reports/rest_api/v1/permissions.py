"""
Who may use the course-team API on a course, for which reports, and which schedules they manage.

The rule for a report on a course is the plugin's one rule for owning its schedules
(``periodic_instructor_reports.permissions.request_refusal``): the permission the instructor
dashboard asks for that report, on that course. Global staff pass it everywhere.
"""

import logging

from django.utils.translation import gettext as _
from opaque_keys import InvalidKeyError
from opaque_keys.edx.keys import CourseKey
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from periodic_instructor_reports import catalog, conf, courses, platform
from periodic_instructor_reports import permissions as plugin_permissions
from periodic_instructor_reports.validators import COURSE_ID_MAX_LENGTH

log = logging.getLogger(__name__)

def parse_course_key(course_id):
    """
    Return the master course's key of the URL's ``course_id``.

    Raises:
        ValidationError (DRF, 400): not a course id, or a CCX's (schedules are made on its master course).
    """
    try:
        if len(course_id) > COURSE_ID_MAX_LENGTH:
            raise InvalidKeyError(CourseKey, course_id)
        key = CourseKey.from_string(course_id)
    except InvalidKeyError as err:
        raise exceptions.ValidationError(
            {
                "course_id": [
                    _("“%(course_id)s” is not a course id, such as course-v1:edX+DemoX+Demo_Course.")
                    % {"course_id": course_id[:100]}
                ]
            },
        ) from err
    if courses.is_ccx(key):
        raise exceptions.ValidationError(
            {
                "course_id": [
                    _(
                        "%(course_id)s is a CCX: use its master course's id; a schedule there can include "
                        "its CCXs."
                    )
                    % {"course_id": key}
                ]
            }
        )
    return key


def is_global_staff(user):
    """Return whether ``user`` is active global staff or an active superuser."""
    return bool(user.is_active and (user.is_staff or user.is_superuser))


def may_request(user, course_key, path):
    """Return whether ``user`` may schedule (and see the runs of) the report at ``path`` on the course."""
    return user.is_active and not plugin_permissions.request_refusal(user, course_key, path)


def allowed_paths(user, course_key):
    """Return the report paths ``user`` may schedule on the course: the site's allowed catalog, narrowed."""
    allowed = set(conf.get("ALLOWED_PATHS"))
    return [
        report.path
        for report in catalog.REPORTS
        if report.path in allowed and may_request(user, course_key, report.path)
    ]


def may_manage(user, course_key, schedule):
    """
    Return whether ``user`` may change, pause, resume, run or delete ``schedule`` of the course.

    Its owner, the course's instructors and global staff may, each only with the report's permission.
    """
    if not may_request(user, course_key, schedule.task.path):
        return False
    return (
        schedule.owner_id == user.pk
        or is_global_staff(user)
        or platform.is_course_instructor(user, course_key)
    )


def refuse(request, course_key, reason):
    """Log a refusal with the user's id, and raise the 403 that says ``reason``."""
    log.warning(
        "Course-team API: user %s was refused %s %s on %s: %s",
        request.user.pk,
        request.method,
        request.path,
        course_key,
        reason,
    )
    raise exceptions.PermissionDenied(reason)


class CourseTeamPermission(BasePermission):
    """
    Let in those who may schedule at least one report on the URL's course; refuse (and log) the rest.

    Puts the course's key on the request as ``course_key`` and the reports the user may
    schedule there as ``allowed_paths``.
    """

    def has_permission(self, request, view):
        course_key = parse_course_key(view.kwargs["course_id"])
        request.course_key = course_key
        request.allowed_paths = allowed_paths(request.user, course_key)
        if not request.allowed_paths:
            refuse(
                request,
                course_key,
                _(
                    "You may not schedule reports of this course: that needs the permission the instructor "
                    "dashboard asks for its reports (the data researcher role, or global staff). Ask the "
                    "course's instructor or an administrator for it."
                ),
            )
        return True
