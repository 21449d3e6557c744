"""Stand-in of the ``instructor_task`` app configuration for tests."""
from django.apps import AppConfig


class InstructorTaskConfig(AppConfig):
    """App config with the platform's label."""

    name = "lms.djangoapps.instructor_task"
    label = "instructor_task"
    default_auto_field = "django.db.models.AutoField"
