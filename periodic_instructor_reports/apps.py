"""Django app configuration and Open edX plugin registration."""

from django.apps import AppConfig
from edx_django_utils.plugins.constants import PluginSettings, PluginURLs


class PeriodicInstructorReportsConfig(AppConfig):
    """Register the app with the LMS plugin system and wire its checks and signals."""

    name = "periodic_instructor_reports"
    verbose_name = "Periodic instructor reports"
    # The earlier implementation's tables use 32-bit ids; keep them for drop-in upgrades.
    default_auto_field = "django.db.models.AutoField"

    plugin_app = {
        PluginURLs.CONFIG: {
            "lms.djangoapp": {
                PluginURLs.NAMESPACE: "periodic_instructor_reports",
                PluginURLs.REGEX: r"^",
                PluginURLs.RELATIVE_PATH: "urls",
            },
        },
        PluginSettings.CONFIG: {
            "lms.djangoapp": {
                "common": {PluginSettings.RELATIVE_PATH: "settings.common"},
                "production": {PluginSettings.RELATIVE_PATH: "settings.production"},
                "test": {PluginSettings.RELATIVE_PATH: "settings.test"},
            },
        },
    }

    def ready(self):
        from . import checks, signals  # noqa: F401
