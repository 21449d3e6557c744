"""Stand-in of the ``site_configuration`` app configuration for tests."""
from django.apps import AppConfig


class SiteConfigurationConfig(AppConfig):
    """App config with the platform's label."""

    name = "openedx.core.djangoapps.site_configuration"
    label = "site_configuration"
    default_auto_field = "django.db.models.AutoField"
