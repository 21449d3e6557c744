"""System checks for deployments that would silently never run a schedule."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register  # pylint: disable=redefined-builtin

from periodic_instructor_reports import conf, reports
from periodic_instructor_reports.exceptions import ReportFunctionError


@register(Tags.compatibility)
def check_beat_scheduler(app_configs, **kwargs):  # noqa: ARG001 (Django passes them by name)  # pylint: disable=unused-argument
    """Warn when celery beat would not read schedules from the database."""
    scheduler = getattr(settings, "CELERYBEAT_SCHEDULER", None)
    accepted = {conf.DATABASE_SCHEDULER, "django_celery_beat.schedulers.DatabaseScheduler"}
    if scheduler in accepted:
        return []
    return [Warning(
        f"CELERYBEAT_SCHEDULER is {scheduler!r}, so celery beat will not run periodic report "
        "schedules.",
        hint=f"Set CELERYBEAT_SCHEDULER = {conf.DATABASE_SCHEDULER!r}.",
        id="periodic_instructor_reports.W001",
    )]


@register(Tags.compatibility)
def check_installed_apps(app_configs, **kwargs):  # noqa: ARG001 (Django passes them by name)  # pylint: disable=unused-argument
    """Require django-celery-beat, whose tables hold the beat rows."""
    if "django_celery_beat" in settings.INSTALLED_APPS:
        return []
    return [Error(
        "django_celery_beat is not in INSTALLED_APPS.",
        hint="Add 'django_celery_beat' to INSTALLED_APPS (the plugin settings do so in the LMS).",
        id="periodic_instructor_reports.E001",
    )]


@register(Tags.compatibility)
def check_allowed_paths(app_configs, **kwargs):  # noqa: ARG001 (Django passes them by name)  # pylint: disable=unused-argument
    """Warn about allowlisted report paths that do not import on this site."""
    problems = []
    for path in conf.get("ALLOWED_PATHS"):
        try:
            reports.load(path)
        except ReportFunctionError as err:
            problems.append(Warning(
                str(err),
                hint=f"Remove it from {conf.PREFIX}ALLOWED_PATHS or install what provides it.",
                id="periodic_instructor_reports.W002",
            ))
    return problems
