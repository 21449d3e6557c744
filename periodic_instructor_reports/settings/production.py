"""Settings for production LMS environments: operators may override the defaults in YAML."""

from periodic_instructor_reports.conf import DEFAULTS, PREFIX
from periodic_instructor_reports.settings import common


def plugin_settings(settings):
    """
    Apply the common settings, then any ``PERIODIC_INSTRUCTOR_REPORTS_*`` from ENV_TOKENS.

    The dashboard tab's filter step is registered again on what production's
    ``OPEN_EDX_FILTERS_CONFIG`` holds now (production replaces that setting wholesale).
    """
    common.plugin_settings(settings)
    env_tokens = getattr(settings, "ENV_TOKENS", None) or {}
    for name in DEFAULTS:
        if PREFIX + name in env_tokens:
            setattr(settings, PREFIX + name, env_tokens[PREFIX + name])
    common.register_tab_step(settings)
