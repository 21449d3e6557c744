"""Plugin registration: the settings the LMS plugin machinery applies, and the entry point."""

import ast
import pathlib
from types import SimpleNamespace

from django.apps import apps
from django.test import SimpleTestCase
from edx_django_utils.plugins.constants import PluginSettings

from periodic_instructor_reports import conf
from periodic_instructor_reports.settings import common, production

ROOT = pathlib.Path(__file__).resolve().parent.parent


class PluginSettingsTests(SimpleTestCase):
    def test_common_adds_beat_and_defaults(self):
        settings = SimpleNamespace(INSTALLED_APPS=("django.contrib.auth",))
        common.plugin_settings(settings)
        self.assertEqual(settings.INSTALLED_APPS, ["django.contrib.auth", "django_celery_beat"])
        self.assertEqual(settings.CELERYBEAT_SCHEDULER, conf.DATABASE_SCHEDULER)
        self.assertEqual(settings.PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS, conf.DEFAULTS["ALLOWED_PATHS"])
        self.assertIsNot(settings.PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS, conf.DEFAULTS["ALLOWED_PATHS"])

    def test_common_keeps_what_the_operator_set(self):
        settings = SimpleNamespace(
            INSTALLED_APPS=["django_celery_beat"],
            CELERYBEAT_SCHEDULER="custom.Scheduler",
            PERIODIC_INSTRUCTOR_REPORTS_QUEUE="edx.lms.core.default",
        )
        common.plugin_settings(settings)
        self.assertEqual(settings.INSTALLED_APPS, ["django_celery_beat"])
        self.assertEqual(settings.CELERYBEAT_SCHEDULER, "custom.Scheduler")
        self.assertEqual(settings.PERIODIC_INSTRUCTOR_REPORTS_QUEUE, "edx.lms.core.default")

    def test_production_reads_env_tokens(self):
        settings = SimpleNamespace(
            INSTALLED_APPS=[], ENV_TOKENS={"PERIODIC_INSTRUCTOR_REPORTS_SERVER_NAME": "lms.example.com"},
        )
        production.plugin_settings(settings)
        self.assertEqual(settings.PERIODIC_INSTRUCTOR_REPORTS_SERVER_NAME, "lms.example.com")
        self.assertIn("django_celery_beat", settings.INSTALLED_APPS)

    def test_plugin_app_points_at_real_settings_modules(self):
        config = apps.get_app_config("periodic_instructor_reports").plugin_app[PluginSettings.CONFIG]
        for settings_type, entry in config["lms.djangoapp"].items():
            module = __import__(
                f"periodic_instructor_reports.{entry[PluginSettings.RELATIVE_PATH]}", fromlist=["x"]
            )
            self.assertTrue(callable(module.plugin_settings), settings_type)

    def test_entry_point(self):
        tree = ast.parse((ROOT / "setup.py").read_text())
        text = ast.unparse(tree)
        self.assertIn(
            "periodic_instructor_reports = periodic_instructor_reports.apps:PeriodicInstructorReportsConfig",
            text,
        )
        self.assertIn("'lms.djangoapp'", text)

    def test_no_setting_is_read_at_import(self):
        for path in (ROOT / "periodic_instructor_reports").rglob("*.py"):
            if "migrations" in path.parts or path.name == "conf.py":
                continue
            tree = ast.parse(path.read_text())
            for node in tree.body:
                if isinstance(node, (ast.Assign, ast.AnnAssign)):
                    self.assertNotIn("settings.", ast.unparse(node), f"{path}: {ast.unparse(node)}")
