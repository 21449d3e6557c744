"""Stand-in of the ``ccx`` app configuration for tests."""
from django.apps import AppConfig


class CCXConfig(AppConfig):
    """App config with the platform's label."""

    name = "lms.djangoapps.ccx"
    label = "ccx"
    default_auto_field = "django.db.models.AutoField"
