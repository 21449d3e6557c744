"""Stand-in of the ``certificates`` app configuration for tests."""
from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    """App config with the platform's label."""

    name = "lms.djangoapps.certificates"
    label = "certificates"
    default_auto_field = "django.db.models.AutoField"
