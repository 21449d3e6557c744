"""Migrations match the models, and a database of the earlier implementation upgrades in place."""

import io
import json

from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.test import TestCase, TransactionTestCase
from django_celery_beat.models import PeriodicTask

from periodic_instructor_reports import beat, catalog, conf
from periodic_instructor_reports.models import PeriodicReportSchedule, PeriodicReportTask

APP = "periodic_instructor_reports"
LEGACY = ["0001_initial", "0002_periodicreportschedule_upload_folder_prefix", "0003_auto_20210723_0330"]
TASK_TABLE = "periodic_instructor_reports_periodicreporttask"
SCHEDULE_TABLE = "periodic_instructor_reports_periodicreportschedule"
# The schedule table's columns after the earlier implementation's first migration: no prefix yet.
LEGACY_0001_COLUMNS = {
    "id", "course_ids", "arguments", "keyword_arguments", "include_ccx", "only_ccx",
    "upload_folder_structure", "celery_task_id", "interval_id", "owner_id", "task_id",
}


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


class MigrationTestCase(TransactionTestCase):
    """Migrate the app's tables back and forth, and read what the database holds."""

    def migrate(self, targets, replace=True):
        executor = MigrationExecutor(connection)
        if not replace:
            # Keep the replaced migrations in the graph so that they can be targets on a
            # database where none ran yet (Django would use the squashed one there).
            executor.loader = MigrationLoader(connection, replace_migrations=False)
        executor.loader.build_graph()
        executor.migrate(targets)

    def leaf(self):
        return MigrationExecutor(connection).loader.graph.leaf_nodes(APP)

    def tearDown(self):
        self.migrate(self.leaf())
        super().tearDown()

    def applied(self):
        return {name for app, name in MigrationRecorder(connection).applied_migrations() if app == APP}

    def columns(self, table):
        with connection.cursor() as cursor:
            return {column.name for column in connection.introspection.get_table_description(cursor, table)}

    def schema(self, tables=(TASK_TABLE, SCHEDULE_TABLE)):
        """Columns and constraints of the app's ``tables``, without names or column order."""
        with connection.cursor() as cursor:
            schema = {}
            for table in tables:
                columns = {
                    column.name: (column.type_code, column.internal_size, column.null_ok, column.default)
                    for column in connection.introspection.get_table_description(cursor, table)
                }
                constraints = sorted(
                    (tuple(c["columns"]), c["primary_key"], c["unique"], bool(c["foreign_key"]),
                     tuple(c["foreign_key"] or ()), c["index"], bool(c["check"]))
                    for c in connection.introspection.get_constraints(cursor, table).values()
                )
                schema[table] = (columns, constraints)
            return schema


class LegacyUpgradeTests(MigrationTestCase):
    """Make the earlier implementation's tables and migration records, then migrate forward."""

    def legacy_database(self, last):
        """Drop the app's tables, then run the earlier implementation's migrations up to ``last``."""
        self.migrate([(APP, None)])
        self.assertEqual(self.applied(), set())
        self.migrate([(APP, last)], replace=False)
        self.assertEqual(self.applied(), set(LEGACY[: LEGACY.index(last) + 1]))

    def insert_owner_interval_and_task(self, cursor):
        """The rows every legacy schedule points at: its owner, interval and report task."""
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
            f"INSERT INTO {TASK_TABLE} "
            "(id, name, path, requires_request) VALUES (5, 'Grades (old)', %s, %s)",
            [catalog.GRADE_REPORT, True],
        )

    def insert_legacy_beat_row(self, cursor, row_id, schedule_id):
        """A beat row the way the earlier implementation wrote it (its own task name)."""
        cursor.execute(
            "INSERT INTO django_celery_beat_periodictask (id, name, task, args, kwargs, enabled, "
            "total_run_count, date_changed, description, one_off, headers, interval_id) VALUES "
            "(%s, %s, %s, %s, '{}', %s, 0, '2021-01-01 00:00:00', '', %s, '{}', 3)",
            [
                row_id, f"Grades (old) {schedule_id}", beat.LEGACY_DISPATCH_TASK, f"[{schedule_id}]",
                True, False,
            ],
        )

    def insert_schedule_before_prefix(self, cursor, schedule_id, course_ids, arguments, kwargs,
                                      include_ccx, only_ccx, structure, beat_row_id):
        """
        A schedule row as written before the prefix column existed.

        The ``jsonfield`` package stored compact JSON text, and NULL for a nullable field left empty.
        """
        cursor.execute(
            f"INSERT INTO {SCHEDULE_TABLE} (id, course_ids, arguments, keyword_arguments, include_ccx, "
            "only_ccx, upload_folder_structure, celery_task_id, interval_id, owner_id, task_id) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, 3, 7, 5)",
            [schedule_id, course_ids, arguments, kwargs, include_ccx, only_ccx, structure, beat_row_id],
        )

    def assert_reconciled(self, created, updated):
        out = io.StringIO()
        call_command("reconcile_report_schedules", stdout=out)
        for pk in created:
            self.assertIn(f"created beat row for schedule {pk}", out.getvalue())
        for pk in updated:
            self.assertIn(f"updated beat row of schedule {pk}", out.getvalue())
        schedules = PeriodicReportSchedule.objects.select_related("celery_task")
        self.assertEqual(sorted(s.pk for s in schedules), sorted([*created, *updated]))
        for schedule in schedules:
            self.assertEqual(schedule.celery_task.task, beat.DISPATCH_TASK)
            self.assertEqual(json.loads(schedule.celery_task.args), [schedule.pk])
            self.assertTrue(schedule.celery_task.enabled)
        self.assertFalse(PeriodicTask.objects.filter(task=beat.LEGACY_DISPATCH_TASK).exists())

    def assert_whole_history_applied(self):
        applied = self.applied()
        self.assertTrue(set(LEGACY) <= applied)
        self.assertIn("0001_squashed_legacy", applied)
        self.assertTrue({name for _, name in self.leaf()} <= applied)
        # With all three replaced ones recorded, Django uses the squashed migration again.
        self.assertIn((APP, "0001_squashed_legacy"), MigrationLoader(connection).graph.nodes)

    def test_legacy_migrations_make_the_squashed_schema(self):
        self.legacy_database(LEGACY[0])
        self.assertEqual(self.columns(SCHEDULE_TABLE), LEGACY_0001_COLUMNS)
        self.assertEqual(self.columns(TASK_TABLE), {"id", "name", "path", "requires_request"})
        self.migrate([(APP, LEGACY[2])], replace=False)
        self.assertEqual(self.columns(SCHEDULE_TABLE), LEGACY_0001_COLUMNS | {"upload_folder_prefix"})
        from_legacy = self.schema()

        self.migrate([(APP, None)])
        self.assertEqual(self.applied(), set())
        self.migrate([(APP, "0001_squashed_legacy")])
        self.assertEqual(self.applied(), {"0001_squashed_legacy", *LEGACY})
        self.assertEqual(self.schema(), from_legacy)

    def test_upgrade_after_first_legacy_migration_only(self):
        self.legacy_database(LEGACY[0])
        self.assertNotIn((APP, "0001_squashed_legacy"), MigrationLoader(connection).graph.nodes)
        with connection.cursor() as cursor:
            self.insert_owner_interval_and_task(cursor)
            self.insert_legacy_beat_row(cursor, 11, 31)
            self.insert_schedule_before_prefix(
                cursor, 31, '["course-v1:A+B+C","ccx-v1:A+B+C+ccx@2"]', "[]", "{}", True, False,
                "by_date", 11,
            )
            self.insert_schedule_before_prefix(
                cursor, 32, '["course-v1:D+E+F"]', None, '{"filename":"nightly","depth":{"a":[1,2]}}',
                False, True, "regular", None,
            )

        self.migrate(self.leaf())

        self.assert_whole_history_applied()
        first, second = PeriodicReportSchedule.objects.order_by("pk")
        self.assertEqual(first.course_ids, ["course-v1:A+B+C", "ccx-v1:A+B+C+ccx@2"])
        self.assertEqual(first.arguments, [])
        self.assertEqual(first.keyword_arguments, {})
        self.assertEqual((first.include_ccx, first.only_ccx), (True, False))
        self.assertEqual(first.upload_folder_structure, "by_date")
        self.assertEqual(first.upload_folder_prefix, "")
        self.assertEqual(first.celery_task_id, 11)
        self.assertEqual(second.course_ids, ["course-v1:D+E+F"])
        self.assertIsNone(second.arguments)
        self.assertEqual(second.keyword_arguments, {"filename": "nightly", "depth": {"a": [1, 2]}})
        self.assertEqual((second.include_ccx, second.only_ccx), (False, True))
        self.assertEqual(second.upload_folder_structure, "regular")
        self.assertEqual(second.upload_folder_prefix, "")
        self.assertIsNone(second.celery_task_id)
        for schedule in (first, second):
            self.assertTrue(schedule.enabled)
            self.assertIsNone(schedule.crontab_id)
            self.assertEqual(schedule.interval_id, 3)
            self.assertEqual(schedule.owner.username, "staff")
            self.assertEqual(schedule.task_id, 5)
        self.assertEqual(PeriodicReportTask.objects.get(pk=5).name, "Grades (old)")
        self.assertEqual(PeriodicReportTask.objects.filter(path=catalog.GRADE_REPORT).count(), 1)
        self.assertEqual(PeriodicReportTask.objects.count(), len(catalog.PATHS))

        self.assert_reconciled(created=[32], updated=[31])

    def test_upgrade_after_first_two_legacy_migrations(self):
        self.legacy_database(LEGACY[0])
        with connection.cursor() as cursor:
            self.insert_owner_interval_and_task(cursor)
            self.insert_legacy_beat_row(cursor, 11, 41)
            self.insert_schedule_before_prefix(
                cursor, 41, '["course-v1:A+B+C"]', "[]", "{}", False, False, "regular", 11,
            )
        self.migrate([(APP, LEGACY[1])])
        self.assertEqual(self.applied(), set(LEGACY[:2]))
        self.assertNotIn((APP, "0001_squashed_legacy"), MigrationLoader(connection).graph.nodes)
        with connection.cursor() as cursor:
            self.insert_legacy_beat_row(cursor, 12, 42)
            cursor.execute(
                f"INSERT INTO {SCHEDULE_TABLE} (id, course_ids, arguments, keyword_arguments, "
                "include_ccx, only_ccx, upload_folder_prefix, upload_folder_structure, celery_task_id, "
                "interval_id, owner_id, task_id) VALUES "
                "(42, %s, NULL, NULL, %s, %s, 'periodic/', 'by_date', 12, 3, 7, 5)",
                ['["course-v1:D+E+F","ccx-v1:D+E+F+ccx@9"]', True, False],
            )

        self.migrate(self.leaf())

        self.assert_whole_history_applied()
        first, second = PeriodicReportSchedule.objects.order_by("pk")
        self.assertEqual(first.course_ids, ["course-v1:A+B+C"])
        self.assertEqual((first.arguments, first.keyword_arguments), ([], {}))
        self.assertEqual(first.upload_folder_prefix, "")
        self.assertEqual(first.upload_folder_structure, "regular")
        self.assertEqual(second.course_ids, ["course-v1:D+E+F", "ccx-v1:D+E+F+ccx@9"])
        self.assertIsNone(second.arguments)
        self.assertIsNone(second.keyword_arguments)
        self.assertEqual((second.include_ccx, second.only_ccx), (True, False))
        self.assertEqual(second.upload_folder_prefix, "periodic/")
        self.assertEqual(second.upload_folder_structure, "by_date")
        self.assertEqual((first.celery_task_id, second.celery_task_id), (11, 12))
        for schedule in (first, second):
            self.assertTrue(schedule.enabled)
            self.assertEqual(schedule.owner.username, "staff")
            self.assertEqual(schedule.task_id, 5)
        self.assertEqual(PeriodicReportTask.objects.count(), len(catalog.PATHS))

        self.assert_reconciled(created=[], updated=[41, 42])

    def test_upgrade_keeps_tasks_and_schedules(self):
        self.migrate([(APP, None)])
        self.migrate([(APP, "0001_squashed_legacy")])
        recorder = MigrationRecorder(connection)
        recorder.migration_qs.filter(app=APP).delete()
        for name in LEGACY:
            recorder.record_applied(APP, name)

        with connection.cursor() as cursor:
            self.insert_owner_interval_and_task(cursor)
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
        self.assertEqual(PeriodicReportTask.objects.filter(path=catalog.GRADE_REPORT).count(), 1)
        self.assertEqual(PeriodicReportTask.objects.get(path=catalog.GRADE_REPORT).name, "Grades (old)")
        self.assertEqual(PeriodicReportTask.objects.count(), len(catalog.PATHS))

        out = io.StringIO()
        call_command("reconcile_report_schedules", stdout=out)
        self.assertIn("updated beat row of schedule 21", out.getvalue())
        self.assertIn("created beat row for schedule 22", out.getvalue())
        for schedule in PeriodicReportSchedule.objects.select_related("celery_task"):
            self.assertEqual(schedule.celery_task.task, beat.DISPATCH_TASK)
            self.assertEqual(json.loads(schedule.celery_task.args), [schedule.pk])
