"""Stand-in of the ``student`` app configuration for tests."""
from django.apps import AppConfig


class StudentConfig(AppConfig):
    """App config with the platform's label."""

    name = "common.djangoapps.student"
    label = "student"
    default_auto_field = "django.db.models.AutoField"
