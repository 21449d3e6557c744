"""Settings for LMS test environments."""

from periodic_instructor_reports.settings import common


def plugin_settings(settings):
    """Apply the common settings."""
    common.plugin_settings(settings)
