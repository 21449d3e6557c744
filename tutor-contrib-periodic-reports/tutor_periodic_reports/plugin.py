"""
Install periodic-instructor-reports in the LMS image and run its one celery beat.

Tutor runs LMS workers but no beat; ``--beat`` on the worker would start one beat per worker
replica and send every report once per replica. This plugin adds a separate ``lms-beat`` service
with exactly one replica to ``tutor local``, ``tutor dev`` and ``tutor k8s``, running
django-celery-beat's ``DatabaseScheduler`` with the LMS image and settings. It also installs the
plugin in the ``openedx`` image and writes ``PERIODIC_REPORTS_SETTINGS`` into the LMS settings.
With Tutor's MFE plugin and its instructor dashboard, it installs the "Scheduled reports" tab's
front-end package into the MFE image and adds its App to the site configuration.
"""

import importlib
import shutil
from importlib import resources
from pathlib import Path

from tutor import exceptions, hooks

from tutor_periodic_reports.__about__ import __version__

PACKAGE = "periodic-instructor-reports"
SETTING_PREFIX = "PERIODIC_INSTRUCTOR_REPORTS_"
# The plugin's settings (periodic_instructor_reports/conf.py's DEFAULTS, without the prefix).
SETTING_NAMES = (
    "ALLOWED_PATHS", "QUEUE", "REMOTE_ADDR", "SERVER_NAME", "RUN_RETENTION_DAYS", "PRUNE_BATCH_SIZE",
    "RETRY_ATTEMPTS", "RETRY_DELAY", "RESUME_AFTER", "MAX_RESUMPTIONS", "MAX_IN_FLIGHT", "PACE_SECONDS",
    "OUTAGE_DELAY",
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
    # The "Scheduled reports" tab in the instructor dashboard MFE (with Tutor's MFE plugin).
    ("PERIODIC_REPORTS_DASHBOARD_TAB", True),
    # What npm installs in the MFE image for the tab: empty for the tarball this package ships,
    # or an npm spec (a tarball's URL, or a version from a registry that has the package).
    ("PERIODIC_REPORTS_MFE_PACKAGE", ""),
])

# Where this package keeps the front-end package's tarball (`npm pack` of frontend/), and where
# it goes in the MFE image's build context (tutor-mfe builds env/plugins/mfe/build/mfe).
BUNDLED_FOLDER = Path(__file__).resolve().parent / "mfe"
MFE_CONTEXT_FOLDER = ("plugins", "mfe", "build", "mfe", "periodic-reports")


def bundled_tarball():
    """Return the front-end tarball this package ships, or None when it was built without one."""
    found = sorted(BUNDLED_FOLDER.glob("*.tgz"))
    return found[-1] if found else None


def wants_dashboard_tab(config):
    """
    Tell whether the MFE image gets the tab: the MFE plugin and its instructor dashboard app on.

    The condition is the one the patches use, and the one under which tutor-mfe's site
    configuration adds the instructor dashboard's own App (``get_frontend_app``).
    """
    if not config.get("PERIODIC_REPORTS_DASHBOARD_TAB") or "mfe" not in config.get("PLUGINS", []):
        return False
    try:
        tutormfe = importlib.import_module("tutormfe.plugin")
    except ImportError:
        return False
    return bool(tutormfe.get_frontend_app("instructor-dashboard"))


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
    shipped = not config.get("PERIODIC_REPORTS_MFE_PACKAGE")
    if wants_dashboard_tab(config) and shipped and not bundled_tarball():
        raise exceptions.TutorError(
            "PERIODIC_REPORTS_MFE_PACKAGE is empty and this tutor-contrib-periodic-reports has no "
            f"front-end tarball in {BUNDLED_FOLDER} (it was installed from source without `make "
            "tutor-frontend-tarball`): set PERIODIC_REPORTS_MFE_PACKAGE to the tarball's URL, or turn "
            "the tab off with `tutor config save --set PERIODIC_REPORTS_DASHBOARD_TAB=false`"
        )


@hooks.Actions.ENV_SAVED.add()
def _copy_tarball_to_mfe_build_context(root_env, config):
    """
    Put the shipped tarball where the MFE Dockerfile copies it from, or remove a stale copy.

    Tutor renders templates as text (binary files only by extension, not .tgz), so the tarball
    is copied here rather than rendered.
    """
    folder = Path(root_env).joinpath(*MFE_CONTEXT_FOLDER)
    shutil.rmtree(folder, ignore_errors=True)
    if wants_dashboard_tab(config) and not config.get("PERIODIC_REPORTS_MFE_PACKAGE"):
        folder.mkdir(parents=True)
        shutil.copy2(bundled_tarball(), folder)


hooks.Filters.ENV_TEMPLATE_FILTERS.add_item(("periodic_reports_settings", settings_lines))
hooks.Filters.ENV_TEMPLATE_VARIABLES.add_item(
    ("periodic_reports_bundled_tarball", (bundled_tarball() or Path("")).name)
)

for patch in resources.files("tutor_periodic_reports").joinpath("patches").iterdir():
    hooks.Filters.ENV_PATCHES.add_item((patch.name, patch.read_text(encoding="utf-8")))
