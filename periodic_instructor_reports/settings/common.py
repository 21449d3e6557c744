"""Settings for every LMS environment."""

import copy

from periodic_instructor_reports.conf import DATABASE_SCHEDULER, DEFAULTS, PREFIX

# The filter the instructor dashboard's tabs go through (openedx-filters 3.4.0 and later).
TABS_FILTER = "org.openedx.learning.instructor.dashboard.tabs.requested.v1"
TAB_STEP = "periodic_instructor_reports.pipeline.AddScheduledReportsTab"


def register_tab_step(settings):
    """
    Add the "Scheduled reports" tab's step to ``OPEN_EDX_FILTERS_CONFIG``, keeping everything there.

    Other filters and other steps of the tabs filter stay as they are, in their order; a filter
    the plugin adds fails silently (a broken step must not break the dashboard). Running it twice
    changes nothing. The LMS's production settings replace ``OPEN_EDX_FILTERS_CONFIG`` with the
    operator's YAML before plugin settings run, so production applies it too.
    """
    config = copy.deepcopy(getattr(settings, "OPEN_EDX_FILTERS_CONFIG", None) or {})
    entry = config.setdefault(TABS_FILTER, {"fail_silently": True, "pipeline": []})
    pipeline = entry.get("pipeline") or []
    if isinstance(pipeline, str):  # openedx-filters also takes a single dotted path
        pipeline = [pipeline]
    if TAB_STEP not in pipeline:
        pipeline = [*pipeline, TAB_STEP]
    entry["pipeline"] = list(pipeline)
    settings.OPEN_EDX_FILTERS_CONFIG = config


def plugin_settings(settings):
    """Install django-celery-beat, default beat to the database scheduler, add plugin defaults and the tab."""
    if "django_celery_beat" not in settings.INSTALLED_APPS:
        settings.INSTALLED_APPS = list(settings.INSTALLED_APPS) + ["django_celery_beat"]
    if not getattr(settings, "CELERYBEAT_SCHEDULER", None):
        settings.CELERYBEAT_SCHEDULER = DATABASE_SCHEDULER
    for name, default in DEFAULTS.items():
        if not hasattr(settings, PREFIX + name):
            setattr(settings, PREFIX + name, list(default) if isinstance(default, list) else default)
    register_tab_step(settings)
