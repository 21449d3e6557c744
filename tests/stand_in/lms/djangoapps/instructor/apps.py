"""Stand-in of the ``instructor`` app configuration: it registers the dashboard's permission rules."""
from django.apps import AppConfig


class InstructorConfig(AppConfig):
    """App config with the platform's label."""

    name = "lms.djangoapps.instructor"
    label = "instructor"

    def ready(self):
        from lms.djangoapps.instructor import permissions  # noqa: F401  (registers the rules)
