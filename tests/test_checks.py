"""System checks that catch deployments where schedules would silently never run."""

from django.core import checks
from django.test import SimpleTestCase, override_settings

from periodic_instructor_reports import catalog, conf
from periodic_instructor_reports.checks import check_allowed_paths, check_beat_scheduler, check_installed_apps


class CheckTests(SimpleTestCase):
    def test_database_scheduler_is_fine(self):
        self.assertEqual(check_beat_scheduler(None), [])
        with override_settings(CELERYBEAT_SCHEDULER="django_celery_beat.schedulers.DatabaseScheduler"):
            self.assertEqual(check_beat_scheduler(None), [])

    def test_other_scheduler_warns(self):
        with override_settings(CELERYBEAT_SCHEDULER="celery.beat:PersistentScheduler"):
            warnings = check_beat_scheduler(None)
        self.assertEqual([w.id for w in warnings], ["periodic_instructor_reports.W001"])
        self.assertIn("'celery.beat:PersistentScheduler'", warnings[0].msg)
        self.assertIn(conf.DATABASE_SCHEDULER, warnings[0].hint)

    def test_registered_with_django(self):
        with override_settings(CELERYBEAT_SCHEDULER=None):
            ids = [message.id for message in checks.run_checks()]
        self.assertIn("periodic_instructor_reports.W001", ids)

    def test_missing_django_celery_beat(self):
        with override_settings(INSTALLED_APPS=["periodic_instructor_reports"]):
            self.assertEqual([e.id for e in check_installed_apps(None)], ["periodic_instructor_reports.E001"])
        self.assertEqual(check_installed_apps(None), [])

    def test_allowed_path_that_does_not_import(self):
        self.assertEqual(check_allowed_paths(None), [])
        paths = [catalog.GRADE_REPORT, "nowhere.report"]
        with override_settings(PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS=paths):
            warnings = check_allowed_paths(None)
        self.assertEqual([w.id for w in warnings], ["periodic_instructor_reports.W002"])
        self.assertIn("nowhere.report cannot be imported", warnings[0].msg)
