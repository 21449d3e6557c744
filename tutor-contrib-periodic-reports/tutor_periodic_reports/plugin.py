"""
Install periodic-instructor-reports in the LMS image and run its one celery beat.

Tutor runs LMS workers but no beat; ``--beat`` on the worker would start one beat per worker
replica and send every report once per replica. This plugin adds a separate ``lms-beat`` service
with exactly one replica to ``tutor local``, ``tutor dev`` and ``tutor k8s``, running
django-celery-beat's ``DatabaseScheduler`` with the LMS image and settings. It also installs the
plugin in the ``openedx`` image and writes ``PERIODIC_REPORTS_SETTINGS`` into the LMS settings.
"""

from importlib import resources

from tutor import exceptions, hooks

from tutor_periodic_reports.__about__ import __version__

PACKAGE = "periodic-instructor-reports"
SETTING_PREFIX = "PERIODIC_INSTRUCTOR_REPORTS_"
# The plugin's settings (periodic_instructor_reports/conf.py's DEFAULTS, without the prefix).
SETTING_NAMES = (
    "ALLOWED_PATHS", "QUEUE", "REMOTE_ADDR", "SERVER_NAME", "RUN_RETENTION_DAYS", "PRUNE_BATCH_SIZE",
    "RETRY_ATTEMPTS", "RETRY_DELAY", "RESUME_AFTER", "MAX_RESUMPTIONS", "OUTAGE_DELAY",
    "SECONDS_PER_COURSE", "LOST_AFTER", "FAILURE_CC", "MAX_RECIPIENTS", "FOLLOW_UP_SECONDS",
    "FAILURE_EMAILS", "FOLDER_ROOT", "MIN_INTERVAL", "RUN_NOW_COOLDOWN", "SITE_URL", "UNSIGNED_DOWNLOADS",
    "MAX_SCHEDULES_PER_COURSE", "API_WRITE_RATE",
)
# The single-file plugin this package replaces: both would define lms-beat.
OLD_PLUGIN = "periodic_reports_beat"

hooks.Filters.CONFIG_DEFAULTS.add_items([
    # The release of periodic-instructor-reports installed in the openedx image.
    ("PERIODIC_REPORTS_VERSION", __version__),
    # What pip installs: change it for a fork, a git URL or a local wheel.
    ("PERIODIC_REPORTS_PIP_REQUIREMENT", PACKAGE + "=={{ PERIODIC_REPORTS_VERSION }}"),
    # PERIODIC_INSTRUCTOR_REPORTS_* settings of the LMS, by name without the prefix.
    ("PERIODIC_REPORTS_SETTINGS", {}),
])


def settings_lines(settings):
    """
    Return the LMS settings lines for ``PERIODIC_REPORTS_SETTINGS``.

    Raises:
        TutorError: the value is not a mapping, or names a setting the plugin does not have.
    """
    if not isinstance(settings, dict):
        raise exceptions.TutorError(
            f"PERIODIC_REPORTS_SETTINGS must be a mapping of setting names to values, not {settings!r}"
        )
    unknown = sorted(set(settings) - set(SETTING_NAMES))
    if unknown:
        raise exceptions.TutorError(
            f"PERIODIC_REPORTS_SETTINGS names unknown settings: {', '.join(unknown)}. "
            f"Known (without the {SETTING_PREFIX} prefix): {', '.join(SETTING_NAMES)}"
        )
    return "\n".join(f"{SETTING_PREFIX}{name} = {value!r}" for name, value in sorted(settings.items()))


@hooks.Actions.CONFIG_LOADED.add()
def _refuse_conflicting_config(config):
    """Refuse a configuration that would install the plugin twice or run two beats."""
    if OLD_PLUGIN in config.get("PLUGINS", []):
        raise exceptions.TutorError(
            f"The plugin {OLD_PLUGIN} also adds lms-beat: run `tutor plugins disable {OLD_PLUGIN}` "
            f"and remove {OLD_PLUGIN}.py from `tutor plugins printroot`"
        )
    for requirement in config.get("OPENEDX_EXTRA_PIP_REQUIREMENTS", []):
        if str(requirement).strip().lower().replace("_", "-").startswith(PACKAGE):
            raise exceptions.TutorError(
                f"OPENEDX_EXTRA_PIP_REQUIREMENTS installs {requirement!r}, and so does this plugin "
                f"(PERIODIC_REPORTS_PIP_REQUIREMENT): run "
                f"`tutor config save --remove 'OPENEDX_EXTRA_PIP_REQUIREMENTS={requirement}'`"
            )
    settings_lines(config.get("PERIODIC_REPORTS_SETTINGS", {}))


hooks.Filters.ENV_TEMPLATE_FILTERS.add_item(("periodic_reports_settings", settings_lines))

for patch in resources.files("tutor_periodic_reports").joinpath("patches").iterdir():
    hooks.Filters.ENV_PATCHES.add_item((patch.name, patch.read_text(encoding="utf-8")))
