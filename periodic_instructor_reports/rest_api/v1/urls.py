"""URLs of the course-team API, version 1 (at ``api/periodic-reports/v1/``), and its OpenAPI schema."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import AllowAny

from periodic_instructor_reports.rest_api.v1 import schema, views  # noqa: F401  (schema registers the JWT scheme)

app_name = "rest_api_v1"

COURSE = "courses/<str:course_id>/"
SCHEDULE = COURSE + "schedules/<int:schedule_id>/"

endpoints = [
    path(COURSE + "settings/", views.CourseSettingsView.as_view(), name="settings"),
    path(COURSE + "reports/", views.ReportListView.as_view(), name="reports"),
    path(COURSE + "schedules/", views.ScheduleListView.as_view(), name="schedules"),
    path(SCHEDULE, views.ScheduleDetailView.as_view(), name="schedule"),
    path(SCHEDULE + "pause/", views.PauseView.as_view(), name="schedule-pause"),
    path(SCHEDULE + "resume/", views.ResumeView.as_view(), name="schedule-resume"),
    path(SCHEDULE + "run-now/", views.RunNowView.as_view(), name="schedule-run-now"),
    path(COURSE + "runs/", views.RunListView.as_view(), name="runs"),
]

# The schema describes these endpoints only, at their full paths, whatever the LMS's own settings.
SCHEMA_SETTINGS = {
    "TITLE": "Periodic instructor reports: course-team API",
    "DESCRIPTION": (
        "A course team's scheduled Data Download reports: the reports it may schedule, its schedules, "
        "their runs and download links. Authenticate with the platform's JWT (Authorization: JWT <token>, "
        "or the JWT cookie) or a session with its CSRF token."
    ),
    "VERSION": "1",
    "COMPONENT_SPLIT_REQUEST": True,
    "AUTHENTICATION_WHITELIST": [
        "edx_rest_framework_extensions.auth.jwt.authentication.JwtAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
}

urlpatterns = [
    *endpoints,
    path(
        "schema/",
        SpectacularAPIView.as_view(
            patterns=[path("api/periodic-reports/v1/", include(endpoints))],
            custom_settings=SCHEMA_SETTINGS,
            authentication_classes=[],
            permission_classes=[AllowAny],
            api_version="1",
        ),
        name="schema",
    ),
]
