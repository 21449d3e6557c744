"""Stand-in of the ``course_overviews`` app configuration for tests."""
from django.apps import AppConfig


class CourseOverviewsConfig(AppConfig):
    """App config with the platform's label."""

    name = "openedx.core.djangoapps.content.course_overviews"
    label = "course_overviews"
