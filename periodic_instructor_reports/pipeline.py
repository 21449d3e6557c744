"""
The openedx-filters pipeline step that adds the "Scheduled reports" tab to the instructor dashboard.

The dashboard (a micro-frontend) asks the LMS for a course's tabs; the LMS builds them in
``CourseInformationSerializerV2.get_tabs`` (lms/djangoapps/instructor/views/serializers_v2.py) and
runs the filter ``InstructorDashboardTabsRequested`` (openedx-filters 3.4.0 and later) on them. The
tab's page itself comes from the front-end package in ``frontend/``, installed in the dashboard's
routes slot; this step only decides who sees the tab. Settings register it by dotted path, so this
module is imported only where the filter runs: with an older openedx-filters nothing calls it.
"""

from urllib.parse import urlparse

from django.conf import settings
from django.utils.translation import gettext as _
from openedx_filters import PipelineStep

from periodic_instructor_reports import courses
from periodic_instructor_reports.rest_api.v1 import permissions

TAB_ID = "scheduled_reports"
# Data Downloads is 60 and Open Responses 70: the tab comes right after Data Downloads.
SORT_ORDER = 65
# Where the dashboard's routes live when the LMS does not say (the dashboard's own route path).
DEFAULT_DASHBOARD_PATH = "/instructor-dashboard"


def tab_url(course_key):
    """
    Return the tab's URL as the platform builds its own tabs' (``_build_tab_url``).

    The path of ``INSTRUCTOR_MICROFRONTEND_URL``, then the course id and the tab id: a path that
    starts with "/" is a route of the dashboard, which it opens without reloading the page.
    """
    base = getattr(settings, "INSTRUCTOR_MICROFRONTEND_URL", None)
    path = (urlparse(base).path if base else "") or DEFAULT_DASHBOARD_PATH
    return "/".join([path.rstrip("/"), str(course_key), TAB_ID])


def may_see_tab(user, course_key):
    """
    Return whether ``user`` sees the tab: the course-team API's own gate on the course.

    That is the permission the dashboard asks for a report (the data researcher role for most),
    for at least one report the site allows; a CCX's reports are scheduled on its master course.
    """
    if user is None or not getattr(user, "is_authenticated", False) or courses.is_ccx(course_key):
        return False
    return bool(permissions.allowed_paths(user, course_key))


class AddScheduledReportsTab(PipelineStep):
    """Add the "Scheduled reports" tab ``{tab_id, title, url, sort_order}`` for those who may use it."""

    def run_filter(self, tabs, user, course_key, **kwargs):  # noqa: ARG002 (the filter passes its data by name)  # pylint: disable=arguments-differ
        tabs = list(tabs or [])
        if any(tab.get("tab_id") == TAB_ID for tab in tabs) or not may_see_tab(user, course_key):
            return {"tabs": tabs, "user": user, "course_key": course_key}
        tabs.append(
            {
                "tab_id": TAB_ID,
                "title": _("Scheduled reports"),
                "url": tab_url(course_key),
                "sort_order": SORT_ORDER,
            }
        )
        return {"tabs": tabs, "user": user, "course_key": course_key}
