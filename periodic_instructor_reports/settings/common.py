"""Settings for every LMS environment."""

from periodic_instructor_reports.conf import DATABASE_SCHEDULER, DEFAULTS, PREFIX


def plugin_settings(settings):
    """Install django-celery-beat, default beat to the database scheduler, add plugin defaults."""
    if "django_celery_beat" not in settings.INSTALLED_APPS:
        settings.INSTALLED_APPS = list(settings.INSTALLED_APPS) + ["django_celery_beat"]
    if not getattr(settings, "CELERYBEAT_SCHEDULER", None):
        settings.CELERYBEAT_SCHEDULER = DATABASE_SCHEDULER
    for name, default in DEFAULTS.items():
        if not hasattr(settings, PREFIX + name):
            setattr(settings, PREFIX + name, list(default) if isinstance(default, list) else default)
