"""
Migrations 0002 to 0015 squashed into one: it replaces exactly those, gives the models' state and the
old chain's schema and report rows, and a database part-way through the old chain goes on through it.
"""

import datetime
import json

from django.apps import apps
from django.db import connection
from django.db.migrations.autodetector import MigrationAutodetector
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.questioner import NonInteractiveMigrationQuestioner
from django.db.migrations.state import ProjectState
from django.utils import timezone

from periodic_instructor_reports import catalog
from tests.test_migrations import APP, MigrationTestCase

SQUASHED = "0002_modern_schema_squashed_0015_audit"
FIRST, LAST = "0002_modern_schema", "0015_audit"
PROFILE_REPORT = "lms.djangoapps.instructor_task.api.submit_calculate_students_features_csv"
# The profile columns 1.0 saved on profile schedules that named none (0008 drops them).
SAVED_DEFAULT_FEATURES = [
    "id", "username", "name", "email", "language", "location", "year_of_birth",
    "gender", "level_of_education", "mailing_address", "goals",
]


def old_chain():
    """The app's migrations from FIRST to LAST, in order, read from the graph without the squash."""
    graph = MigrationLoader(None, replace_migrations=False).graph
    names = [name for app, name in graph.forwards_plan((APP, LAST)) if app == APP]
    return names[names.index(FIRST):]


def later():
    """The app's migrations after the squashed range, in order (written since the squash)."""
    graph = MigrationLoader(None).graph
    names = [name for app, name in graph.forwards_plan(graph.leaf_nodes(APP)[0]) if app == APP]
    return names[names.index(SQUASHED) + 1:]


def changes_to_models(state, graph):
    """What makemigrations would write for the app from ``state`` (empty when it is the models')."""
    detector = MigrationAutodetector(state, ProjectState.from_apps(apps), NonInteractiveMigrationQuestioner())
    return detector.changes(graph=graph, trim_to_apps={APP}).get(APP, [])


class SquashedMigrationTests(MigrationTestCase):
    def setUp(self):
        super().setUp()
        self.squashed = MigrationLoader(None, replace_migrations=False).get_migration(APP, SQUASHED)

    def app_tables(self):
        return sorted(t for t in connection.introspection.table_names() if t.startswith(APP + "_"))

    def report_rows(self):
        task_model = MigrationExecutor(connection).loader.project_state().apps.get_model(
            APP, "PeriodicReportTask"
        )
        return sorted(task_model.objects.values_list("name", "path", "requires_request"))

    def plan(self, targets):
        """The app's migrations that migrating to ``targets`` would apply."""
        executor = MigrationExecutor(connection)
        return [m.name for m, backwards in executor.migration_plan(targets) if m.app_label == APP]

    def test_replaces_exactly_the_modern_chain(self):
        self.assertEqual(self.squashed.replaces, [(APP, name) for name in old_chain()])
        self.assertEqual(self.squashed.replaces[0], (APP, FIRST))
        self.assertEqual(self.squashed.replaces[-1], (APP, LAST))
        self.assertEqual(len(self.squashed.replaces), 14)

    def test_squash_and_old_chain_both_give_the_models(self):
        loader = MigrationLoader(None, replace_migrations=False)

        def models_at(node):
            state = loader.project_state(node)
            return {name: model for (app, name), model in state.models.items() if app == APP}

        self.assertEqual(models_at((APP, SQUASHED)), models_at((APP, LAST)))
        self.assertEqual(changes_to_models(MigrationLoader(None).project_state(), loader.graph), [])

    def test_fresh_database_takes_the_squash_and_gets_the_old_chains_tables_and_rows(self):
        self.migrate([(APP, None)])
        self.migrate([(APP, LAST)], replace=False)
        self.assertTrue(set(old_chain()) <= self.applied())
        from_chain = self.schema(self.app_tables())
        rows_from_chain = self.report_rows()

        self.migrate([(APP, None)])
        self.assertEqual(self.applied(), set())
        self.assertEqual(self.plan(self.leaf()), ["0001_squashed_legacy", SQUASHED, *later()])
        self.migrate([(APP, SQUASHED)])
        self.assertTrue({SQUASHED, *old_chain()} <= self.applied())
        self.assertEqual(self.schema(self.app_tables()), from_chain)
        self.assertEqual(self.report_rows(), rows_from_chain)
        self.assertEqual(self.report_rows(), sorted((r.name, r.path, True) for r in catalog.REPORTS))

    def database_at(self, last):
        """A database migrated through the old chain up to ``last``; its models at that point."""
        self.migrate([(APP, None)])
        self.migrate([(APP, last)], replace=False)
        self.assertEqual(self.applied() & set(old_chain()), set(old_chain()[: old_chain().index(last) + 1]))
        loader = MigrationLoader(connection, replace_migrations=False)
        return loader.project_state((APP, last)).apps

    def add_schedules(self, models, names=None, **fields):
        """A grade schedule and a profile schedule with 1.0's saved columns, of one owner."""
        owner = models.get_model("auth", "User").objects.create(username="staff", email="staff@example.com")
        interval = models.get_model("django_celery_beat", "IntervalSchedule").objects.create(
            every=1, period="days"
        )
        tasks = models.get_model(APP, "PeriodicReportTask").objects
        schedules = models.get_model(APP, "PeriodicReportSchedule").objects
        common = {"owner": owner, "interval": interval, "course_ids": ["course-v1:A+B+C"], **fields}
        named = [{"name": name} for name in names] if names else [{}, {}]
        grades = schedules.create(task=tasks.get(path=catalog.PATHS[0]), **common, **named[0])
        profile = schedules.create(
            task=tasks.get(path=PROFILE_REPORT), keyword_arguments={"features": SAVED_DEFAULT_FEATURES},
            **common, **named[1],
        )
        return grades, profile

    def report_names_with_ids(self, grades, profile):
        """The names 0010 gives schedules that had none, as the admin showed them."""
        return [f"Grade report #{grades.pk}", f"Profile information report #{profile.pk}"]

    def assert_migrates_on_through_the_old_files(self, last):
        remaining = old_chain()[old_chain().index(last) + 1:]
        self.assertEqual(self.plan(self.leaf()), [*remaining, *later()])
        self.migrate(self.leaf())
        self.assertTrue({*old_chain(), SQUASHED} <= self.applied())
        # Once all the replaced ones are recorded, Django uses the squash again.
        self.assertIn((APP, SQUASHED), MigrationLoader(connection).graph.nodes)
        self.assertEqual(self.report_rows(), sorted((r.name, r.path, True) for r in catalog.REPORTS))
        return MigrationExecutor(connection).loader.project_state().apps

    def test_database_at_1_0_migrates_on_through_the_old_files(self):
        models = self.database_at("0004_run_history_and_crontab")
        created = timezone.now() - datetime.timedelta(days=30)
        grades, profile = self.add_schedules(models)
        models.get_model(APP, "PeriodicReportSchedule").objects.update(created=created)
        run = models.get_model(APP, "ReportRun").objects.create(
            schedule=grades, trigger="beat", planned_at=created, started_at=created, status="done",
        )
        for attempt in (1, 2):
            run.courses.create(
                course_id="course-v1:A+B+C", attempt=attempt, outcome="submitted",
                started_at=created, finished_at=created,
            )

        models = self.assert_migrates_on_through_the_old_files("0004_run_history_and_crontab")

        schedules = models.get_model(APP, "PeriodicReportSchedule").objects.order_by("pk")
        self.assertEqual([s.name for s in schedules], self.report_names_with_ids(grades, profile))
        self.assertEqual({s.anchor for s in schedules}, {created})
        self.assertEqual(schedules.get(pk=profile.pk).keyword_arguments, {})
        run = models.get_model(APP, "ReportRun").objects.get()
        self.assertEqual((run.schedule_name, run.report_path, run.owner_user_id),
                         (f"Grade report #{grades.pk}", catalog.PATHS[0], grades.owner_id))
        self.assertEqual(list(run.courses.values_list("attempt", flat=True)), [2])

    def test_database_at_0009_migrates_on_through_the_old_files(self):
        models = self.database_at("0009_delivery")
        grades, profile = self.add_schedules(models, recipients=["data@example.com"])

        models = self.assert_migrates_on_through_the_old_files("0009_delivery")

        schedules = models.get_model(APP, "PeriodicReportSchedule").objects.order_by("pk")
        self.assertEqual([s.name for s in schedules], self.report_names_with_ids(grades, profile))
        self.assertEqual([s.recipients for s in schedules], [["data@example.com"]] * 2)

    def test_database_at_2_0_migrates_on_through_the_old_files(self):
        models = self.database_at("0012_report_copies")
        self.add_schedules(models, names=["Weekly grades", "Weekly profiles"])

        models = self.assert_migrates_on_through_the_old_files("0012_report_copies")

        schedules = models.get_model(APP, "PeriodicReportSchedule").objects.order_by("pk")
        self.assertEqual([s.name for s in schedules], ["Weekly grades", "Weekly profiles"])

    def earlier_implementation_database(self):
        """A database of the earlier implementation with a profile schedule holding 1.0's saved columns."""
        self.migrate([(APP, None)])
        self.migrate([(APP, "0001_squashed_legacy")])
        models = MigrationLoader(connection).project_state((APP, "0001_squashed_legacy")).apps
        owner, _ = models.get_model("auth", "User").objects.get_or_create(username="staff")
        interval, _ = models.get_model("django_celery_beat", "IntervalSchedule").objects.get_or_create(
            every=1, period="days"
        )
        tasks = models.get_model(APP, "PeriodicReportTask").objects
        schedules = models.get_model(APP, "PeriodicReportSchedule").objects
        # Explicit ids: the same rows on both upgrades.
        for pk, name, path, kwargs in [
            (1, "Grades (old)", catalog.PATHS[0], None),
            (2, "Profiles (old)", PROFILE_REPORT, json.dumps({"features": SAVED_DEFAULT_FEATURES})),
        ]:
            schedules.create(
                id=pk, task=tasks.create(id=pk + 4, name=name, path=path, requires_request=True),
                owner=owner, interval=interval, course_ids='["course-v1:A+B+C"]', keyword_arguments=kwargs,
            )

    def upgraded_rows(self):
        """The app's rows at the end of the squashed range, each schedule's anchor checked and left out."""
        models = MigrationLoader(connection, replace_migrations=False).project_state((APP, LAST)).apps
        schedules = list(models.get_model(APP, "PeriodicReportSchedule").objects.order_by("pk").values())
        for schedule in schedules:
            self.assertEqual(schedule.pop("anchor"), schedule.pop("created"))
            schedule.pop("modified")
        return schedules, self.report_rows()

    def test_earlier_implementation_gets_the_same_rows_through_the_squash_as_through_the_old_chain(self):
        self.earlier_implementation_database()
        self.migrate([(APP, LAST)], replace=False)
        through_chain = self.upgraded_rows()

        self.earlier_implementation_database()
        self.assertEqual(self.plan(self.leaf()), [SQUASHED, *later()])
        self.migrate([(APP, SQUASHED)])

        self.assertEqual(self.upgraded_rows(), through_chain)
        schedules, rows = through_chain
        self.assertEqual([s["name"] for s in schedules], ["Grades (old) #1", "Profiles (old) #2"])
        self.assertEqual([s["keyword_arguments"] for s in schedules], [None, {}])
        self.assertEqual(len(rows), len(catalog.PATHS))
