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
