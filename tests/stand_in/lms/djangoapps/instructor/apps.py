"""
Stand-in of the ``instructor`` app configuration.

As the platform's (``lms/djangoapps/instructor/apps.py``), its ``ready()`` does not import the
dashboard's permission rules: the platform's views import them, when the URLs load.
"""
from django.apps import AppConfig


class InstructorConfig(AppConfig):
    """App config with the platform's label."""

    name = "lms.djangoapps.instructor"
    label = "instructor"
