"""
The one place that imports the Open edX platform, always lazily.

The plugin's modules are imported before the LMS has finished loading, and tests run without
the platform; every piece of it the plugin uses is reached through a function here, and a missing
piece is answered here once.
"""

import functools

from django.apps import apps
from django.conf import settings

from periodic_instructor_reports import catalog


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


def load_permission_rules():
    """
    Register the instructor dashboard's permission rules with bridgekeeper, if not yet done.

    The platform registers them when its instructor views are imported (``views/api.py``), not
    in the instructor app's ``ready()``: a process that never loads the URLs, such as a worker
    started with ``--skip-checks``, would have no rule, and every permission would be refused
    to all but superusers. Outside the LMS there are none to load.
    """
    try:
        import lms.djangoapps.instructor.permissions  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
    except ImportError:
        pass


def has_research_permission(user, course_key):
    """
    Return whether ``user`` holds the platform's ``instructor.research`` permission on the course.

    The platform answers it through bridgekeeper's authentication backend (global staff, or the
    course's or its organisation's data researcher role); the rule accepts a course key. Without
    the platform no backend knows the permission, and Django answers True for active superusers only.
    """
    return has_permission(user, catalog.CAN_RESEARCH, course_key)


def has_permission(user, permission, course_key):
    """Return whether ``user`` holds the instructor dashboard's ``permission`` on the course (as above)."""
    load_permission_rules()
    return user.has_perm(permission, course_key)


def site_configuration_serving(org):
    """
    Return the site configuration of the site that serves the courses of ``org``, or None.

    The dashboard reads ``configuration_helpers.get_value`` from the site of the request (the site
    whose domain the request is on, else the ``SITE_ID`` site); a worker has no request, and
    there the platform's ``get_value`` answers only its default. A person managing the course
    works on the site that serves it: the enabled configuration whose ``course_org_filter`` names
    the organisation (the one ``get_value_for_org`` reads), else the configuration of the LMS's
    default site ``SITE_ID`` (the one ``Site.objects.get_current()`` gives without a request),
    read from the database at each call.
    """
    try:
        model = apps.get_model("site_configuration", "SiteConfiguration")
    except LookupError:
        return None
    configuration = model.get_configuration_for_org(org)
    if configuration is None:
        site_id = getattr(settings, "SITE_ID", None)
        configuration = model.objects.filter(site_id=site_id).first() if site_id else None
    return configuration


def site_value(configuration, name, default=None):
    """
    Return what the platform's ``configuration_helpers.get_value(name, default)`` answers on that site.

    The configuration's value while it is enabled, else ``default``; then, as the helper does,
    merged into a copy of ``default`` when ``dict()`` and ``update()`` take the two (so the
    dashboard's ``[]`` default turns a list of two-character names into a mapping), else as it is.
    """
    value = configuration.get_value(name, default) if configuration is not None else default
    if default == "":
        return value
    try:
        merged = dict(default)
        merged.update(value)
    except (TypeError, ValueError, AttributeError):
        return value
    return merged


def is_course_cohorted(course_key):
    """Return whether the course is cohorted, as the platform's cohorts module says."""
    from openedx.core.djangoapps.course_groups.cohorts import (  # pylint: disable=import-outside-toplevel
        is_course_cohorted as platform_is_course_cohorted,
    )

    return platform_is_course_cohorted(course_key)


def teams_enabled(course_key):
    """Return whether teams are enabled in the course (the modulestore course's ``teams_enabled``)."""
    return course_by_id(course_key).teams_enabled


def is_course_instructor(user, course_key):
    """
    Return whether ``user`` holds the platform's instructor role on the course (``CourseInstructorRole``).

    Outside the LMS no one does.
    """
    try:
        from common.djangoapps.student.roles import CourseInstructorRole  # pylint: disable=import-outside-toplevel
    except ImportError:
        return False
    return CourseInstructorRole(course_key).has_user(user)


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
    return _filename_prefix_generator()(course_key)


@functools.cache
def _filename_prefix_generator():
    """
    Return the platform's ``course_filename_prefix_generator``, or its rule outside the LMS.

    Looked up once: a run asks for every course's prefix, and the import statement alone was a
    fifth of the time of a lookup (ADR 0030).
    """
    try:
        from common.djangoapps.util.file import (  # pylint: disable=import-outside-toplevel
            course_filename_prefix_generator,
        )
    except ImportError:
        from django.utils.text import get_valid_filename  # pylint: disable=import-outside-toplevel

        return lambda key: get_valid_filename("_".join([key.org, key.course, key.run]))
    return course_filename_prefix_generator


def course_overview_model():
    """Return the platform's ``CourseOverview`` model (its list of courses), or None outside the LMS."""
    try:
        return apps.get_model("course_overviews", "CourseOverview")
    except LookupError:
        return None


def instructor_task_base():
    """
    Return the platform's ``BaseInstructorTask``, the base class of its report tasks.

    Once a task of that class returns, it records the returned progress on the task's
    ``InstructorTask`` row as SUCCESS; when the task raises, wherever, it records the exception
    as FAILURE. Outside the LMS (no row to end): Celery's ``Task``.
    """
    try:
        from lms.djangoapps.instructor_task.tasks_base import (  # pylint: disable=import-outside-toplevel
            BaseInstructorTask,
        )
    except ImportError:
        from celery import Task  # pylint: disable=import-outside-toplevel

        return Task
    return BaseInstructorTask


def is_report_task(task):
    """Return whether ``task`` is one of the platform's report tasks (never outside the LMS)."""
    base = instructor_task_base()
    return base.__module__ != "celery.app.task" and isinstance(task, base)


def submit_instructor_task(request, task_type, task_class, course_key, task_input):
    """
    Submit a report task through the platform's ``submit_task``; return its ``InstructorTask`` row.

    The platform records the row (refusing with ``AlreadyRunningError`` while a task of the same
    type runs for the course: reports use an empty task key) and queues ``task_class``.
    """
    from lms.djangoapps.instructor_task.api_helper import submit_task  # pylint: disable=import-outside-toplevel

    return submit_task(request, task_type, task_class, course_key, task_input, "")


def upload_csv(rows, csv_name, course_key, timestamp, parent_dir=""):
    """Write ``rows`` as a report CSV through the platform's report store; return the file's name."""
    from lms.djangoapps.instructor_task.tasks_helper.utils import (  # pylint: disable=import-outside-toplevel
        upload_csv_to_report_store,
    )

    return upload_csv_to_report_store(rows, csv_name, course_key, timestamp, parent_dir=parent_dir)


def analytics_basic():
    """Return the platform's ``instructor_analytics.basic`` module (the dashboard's listings)."""
    from lms.djangoapps.instructor_analytics import basic  # pylint: disable=import-outside-toplevel

    return basic


def format_dictlist(dictlist, features):
    """Return ``(header, rows)`` of the dashboard's listing ``dictlist``, as its CSV downloads make them."""
    from lms.djangoapps.instructor_analytics.csvs import (  # pylint: disable=import-outside-toplevel
        format_dictlist as platform_format_dictlist,
    )

    return platform_format_dictlist(dictlist, features)


def course_roles():
    """Return the course roles the membership tab lists, and the function listing their users."""
    from lms.djangoapps.instructor.access import ROLES, list_with_level  # pylint: disable=import-outside-toplevel

    return list(ROLES), list_with_level


def course_by_id(course_key):
    """Return the course (the modulestore's block) of ``course_key``."""
    from openedx.core.lib.courses import get_course_by_id  # pylint: disable=import-outside-toplevel

    return get_course_by_id(course_key)


def certificates_api():
    """Return the platform's ``certificates.api`` module (the certificates tab's listings)."""
    from lms.djangoapps.certificates import api  # pylint: disable=import-outside-toplevel

    return api
