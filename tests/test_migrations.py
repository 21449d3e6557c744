"""Migrations match the models, and a database of the earlier implementation upgrades in place."""

import io
import json

from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.test import TestCase, TransactionTestCase

from periodic_instructor_reports import beat, conf
from periodic_instructor_reports.models import PeriodicReportSchedule, PeriodicReportTask

APP = "periodic_instructor_reports"
LEGACY = ["0001_initial", "0002_periodicreportschedule_upload_folder_prefix", "0003_auto_20210723_0330"]


class MigrationsMatchModelsTests(TestCase):
    def test_no_missing_migrations(self):
        out = io.StringIO()
        try:
            call_command("makemigrations", APP, "--check", "--dry-run", stdout=out)
        except SystemExit:
            self.fail(f"Models and migrations differ:\n{out.getvalue()}")

    def test_supported_reports_exist_after_migrate(self):
        self.assertEqual(
            sorted(PeriodicReportTask.objects.values_list("path", "requires_request")),
            sorted((path, True) for path in conf.DEFAULTS["ALLOWED_PATHS"]),
        )


class LegacyUpgradeTests(TransactionTestCase):
    """Make the earlier implementation's tables and migration records, then migrate forward."""

    def migrate(self, targets):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(targets)

    def leaf(self):
        return MigrationExecutor(connection).loader.graph.leaf_nodes(APP)

    def tearDown(self):
        self.migrate(self.leaf())
        super().tearDown()

    def test_upgrade_keeps_tasks_and_schedules(self):
        self.migrate([(APP, None)])
        self.migrate([(APP, "0001_squashed_legacy")])
        recorder = MigrationRecorder(connection)
        recorder.migration_qs.filter(app=APP).delete()
        for name in LEGACY:
            recorder.record_applied(APP, name)

        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM auth_user")
            self.assertEqual(list(cursor.fetchall()), [])
            cursor.execute(
                "INSERT INTO auth_user (id, password, is_superuser, username, first_name, last_name, "
                "email, is_staff, is_active, date_joined) VALUES "
                "(7, '', %s, 'staff', '', '', 'staff@example.com', %s, %s, '2021-01-01 00:00:00')",
                [True, True, True],
            )
            cursor.execute(
                "INSERT INTO django_celery_beat_intervalschedule (id, every, period) "
                "VALUES (3, 1, 'days')"
            )
            cursor.execute(
                "INSERT INTO periodic_instructor_reports_periodicreporttask "
                "(id, name, path, requires_request) VALUES (5, 'Grades (old)', %s, %s)",
                [conf.GRADE_REPORT, True],
            )
            cursor.execute(
                "INSERT INTO django_celery_beat_periodictask (id, name, task, args, kwargs, enabled, "
                "total_run_count, date_changed, description, one_off, headers, interval_id) VALUES "
                "(11, 'Grades (old)', %s, '[21]', '{}', %s, 0, '2021-01-01 00:00:00', '', %s, '{}', 3)",
                [beat.LEGACY_DISPATCH_TASK, True, False],
            )
            for schedule_id, course_ids, arguments, kwargs in [
                (21, '["course-v1:A+B+C","ccx-v1:A+B+C+ccx@2"]', None, None),
                (22, '["course-v1:D+E+F"]', "[]", '{"filename":"nightly"}'),
            ]:
                cursor.execute(
                    "INSERT INTO periodic_instructor_reports_periodicreportschedule (id, course_ids, "
                    "arguments, keyword_arguments, include_ccx, only_ccx, upload_folder_prefix, "
                    "upload_folder_structure, celery_task_id, interval_id, owner_id, task_id) VALUES "
                    "(%s, %s, %s, %s, %s, %s, 'periodic/', 'by_date', 11, 3, 7, 5)",
                    [schedule_id, course_ids, arguments, kwargs, False, False],
                )

        self.migrate(self.leaf())

        applied = set(MigrationRecorder(connection).applied_migrations())
        self.assertIn((APP, "0003_supported_reports"), applied)
        first, second = PeriodicReportSchedule.objects.order_by("pk")
        self.assertEqual(first.course_ids, ["course-v1:A+B+C", "ccx-v1:A+B+C+ccx@2"])
        self.assertIsNone(first.arguments)
        self.assertEqual(second.keyword_arguments, {"filename": "nightly"})
        self.assertEqual(first.upload_folder_structure, "by_date")
        self.assertEqual(first.upload_folder_prefix, "periodic/")
        self.assertTrue(first.enabled)
        self.assertEqual(first.owner.username, "staff")
        self.assertEqual(PeriodicReportTask.objects.filter(path=conf.GRADE_REPORT).count(), 1)
        self.assertEqual(PeriodicReportTask.objects.get(path=conf.GRADE_REPORT).name, "Grades (old)")
        self.assertEqual(PeriodicReportTask.objects.count(), 3)

        out = io.StringIO()
        call_command("reconcile_report_schedules", stdout=out)
        self.assertIn("updated beat row of schedule 21", out.getvalue())
        self.assertIn("created beat row for schedule 22", out.getvalue())
        for schedule in PeriodicReportSchedule.objects.select_related("celery_task"):
            self.assertEqual(schedule.celery_task.task, beat.DISPATCH_TASK)
            self.assertEqual(json.loads(schedule.celery_task.args), [schedule.pk])
