"""
The one place that imports the Open edX platform, always lazily.

The plugin's modules are imported before the LMS has finished loading, and tests run without
the platform; every piece of it the plugin uses is reached through a function here, and a missing
piece is answered here once.
"""

from django.apps import apps


def report_errors():
    """Return the platform's ``(AlreadyRunningError, QueueConnectionError)``, or empty tuples."""
    try:
        from lms.djangoapps.instructor_task.api_helper import (  # pylint: disable=import-outside-toplevel
            AlreadyRunningError,
            QueueConnectionError,
        )
    except ImportError:
        return (), ()
    return AlreadyRunningError, QueueConnectionError


def instructor_task_model():
    """Return the platform's ``InstructorTask`` model, or None outside the LMS."""
    try:
        return apps.get_model("instructor_task", "InstructorTask")
    except LookupError:
        return None


def ccx_model():
    """Return the platform's ``CustomCourseForEdX`` model, or None when the CCX app is absent."""
    try:
        return apps.get_model("ccx", "CustomCourseForEdX")
    except LookupError:
        return None


# The instructor dashboard's permission for the Data Download tab's reports.
RESEARCH_PERMISSION = "instructor.research"


def has_research_permission(user, course_key):
    """
    Return whether ``user`` holds the platform's ``instructor.research`` permission on the course.

    The platform answers it through bridgekeeper's authentication backend (global staff, or the
    course's or its organisation's data researcher role); the rule accepts a course key. Without
    the platform no backend knows the permission, and Django answers True for active superusers only.
    """
    return user.has_perm(RESEARCH_PERMISSION, course_key)


def site_value_for_org(org, name, default=None):
    """Return the site configuration value ``name`` of the site serving ``org``, or ``default``."""
    try:
        from openedx.core.djangoapps.site_configuration.helpers import (  # pylint: disable=import-outside-toplevel
            get_value_for_org,
        )
    except ImportError:
        return default
    return get_value_for_org(org, name, default)


def report_store():
    """Return the platform's report store of ``GRADES_DOWNLOAD``, where report files are."""
    from lms.djangoapps.instructor_task.models import ReportStore  # pylint: disable=import-outside-toplevel

    return ReportStore.from_config("GRADES_DOWNLOAD")


def course_filename_prefix(course_key):
    """Return how the platform starts a course's report file names: ``org_course_run``, made file-safe."""
    try:
        from common.djangoapps.util.file import (  # pylint: disable=import-outside-toplevel
            course_filename_prefix_generator,
        )
    except ImportError:
        from django.utils.text import get_valid_filename  # pylint: disable=import-outside-toplevel

        return get_valid_filename("_".join([course_key.org, course_key.course, course_key.run]))
    return course_filename_prefix_generator(course_key)


def course_overview_model():
    """Return the platform's ``CourseOverview`` model (its list of courses), or None outside the LMS."""
    try:
        return apps.get_model("course_overviews", "CourseOverview")
    except LookupError:
        return None
