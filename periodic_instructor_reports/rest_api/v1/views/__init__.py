"""
The course-team API's views: one course's reports, schedules and runs, through ``api.py``.

Authentication is the platform's: a JWT (the micro-frontends' cookie, or ``Authorization: JWT``)
or a session with its CSRF token. Every view answers JSON, errors included, with a message a
person can act on.
"""

from periodic_instructor_reports.rest_api.v1.views.actions import PauseView, ResumeView, RunNowView
from periodic_instructor_reports.rest_api.v1.views.reports import CourseSettingsView, ReportListView
from periodic_instructor_reports.rest_api.v1.views.runs import RunListView
from periodic_instructor_reports.rest_api.v1.views.schedules import ScheduleDetailView, ScheduleListView

__all__ = [
    "CourseSettingsView",
    "PauseView",
    "ReportListView",
    "ResumeView",
    "RunListView",
    "RunNowView",
    "ScheduleDetailView",
    "ScheduleListView",
]
