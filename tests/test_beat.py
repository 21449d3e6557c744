"""Each schedule keeps exactly one celery beat row in step with it."""

import datetime
import io
import json

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

from periodic_instructor_reports import api, beat
from periodic_instructor_reports.models import PeriodicReportSchedule
from tests import factories


def last_change():
    return PeriodicTasks.last_change()


class BeatRowLifecycleTests(TestCase):
    def test_create_makes_one_row(self):
        schedule = factories.schedule()
        row = PeriodicTask.objects.get()
        self.assertEqual(schedule.celery_task, row)
        self.assertEqual(row.name, f"periodic-instructor-reports-schedule-{schedule.pk}")
        self.assertEqual(row.task, "periodic_instructor_reports.tasks.dispatch_report_schedule")
        self.assertEqual(json.loads(row.args), [schedule.pk])
        self.assertEqual(row.interval, schedule.interval)
        self.assertTrue(row.enabled)
        self.assertIsNone(row.queue)

    def test_queue_setting(self):
        with self.settings(PERIODIC_INSTRUCTOR_REPORTS_QUEUE="edx.lms.core.default"):
            schedule = factories.schedule()
        self.assertEqual(schedule.celery_task.queue, "edx.lms.core.default")

    def test_two_schedules_of_one_report_do_not_collide(self):
        task = factories.report_task()
        first = factories.schedule(task=task)
        second = factories.schedule(task=task)
        self.assertEqual(PeriodicTask.objects.count(), 2)
        self.assertNotEqual(first.celery_task_id, second.celery_task_id)

    def test_change_interval_updates_row_and_tells_beat(self):
        schedule = factories.schedule()
        before = last_change()
        new_interval = factories.interval(5, IntervalSchedule.MINUTES)
        api.update_schedule(schedule, acting_user=factories.superuser(), interval=new_interval)
        row = PeriodicTask.objects.get()
        self.assertEqual(row.interval, new_interval)
        self.assertGreater(last_change(), before)

    def test_disable_and_enable_one(self):
        schedule = factories.schedule()
        api.update_schedule(schedule, acting_user=factories.superuser(), enabled=False)
        self.assertFalse(PeriodicTask.objects.get().enabled)
        api.update_schedule(schedule, acting_user=factories.superuser(), enabled=True)
        self.assertTrue(PeriodicTask.objects.get().enabled)

    def test_bulk_pause_and_resume_tell_beat(self):
        schedules = [factories.schedule() for _ in range(3)]
        before = last_change()
        queryset = PeriodicReportSchedule.objects.filter(pk__in=[s.pk for s in schedules[:2]])
        boss = factories.superuser()
        self.assertEqual(api.set_schedules_enabled(queryset, enabled=False, acting_user=boss), 2)
        self.assertGreater(last_change(), before)
        self.assertEqual(
            dict(PeriodicTask.objects.values_list("args", "enabled")),
            {json.dumps([schedules[0].pk]): False, json.dumps([schedules[1].pk]): False,
             json.dumps([schedules[2].pk]): True},
        )
        self.assertEqual(api.set_schedules_enabled(queryset, enabled=False, acting_user=boss), 0)
        PeriodicTask.objects.update(date_changed=timezone.now() - datetime.timedelta(days=3))
        self.assertEqual(api.set_schedules_enabled(
            PeriodicReportSchedule.objects.all(), enabled=True, acting_user=factories.superuser()), 2)
        self.assertEqual(PeriodicTask.objects.filter(enabled=True).count(), 3)
        self.assertEqual(PeriodicReportSchedule.objects.filter(enabled=True).count(), 3)
        resumed = PeriodicTask.objects.filter(args__in=[json.dumps([s.pk]) for s in schedules[:2]])
        anchors = set(PeriodicReportSchedule.objects.filter(pk__in=[s.pk for s in schedules[:2]])
                      .values_list("anchor", flat=True))
        self.assertEqual(len(anchors), 1)
        for row in resumed:
            # Beat counts the interval from last_run_at: the resume, which is the schedule's new anchor.
            self.assertEqual({row.last_run_at}, anchors)
            self.assertLess(timezone.now() - row.date_changed, datetime.timedelta(minutes=1))

    def test_resume_recreates_a_missing_row(self):
        schedule = factories.schedule(enabled=False)
        PeriodicTask.objects.all().delete()
        api.set_schedules_enabled(
            PeriodicReportSchedule.objects.all(), enabled=True, acting_user=factories.superuser())
        schedule.refresh_from_db()
        self.assertTrue(schedule.celery_task.enabled)

    def test_delete_removes_row_and_tells_beat(self):
        schedule = factories.schedule()
        before = last_change()
        api.delete_schedule(schedule, acting_user=factories.superuser())
        self.assertFalse(PeriodicTask.objects.exists())
        self.assertGreater(last_change(), before)

    def test_delete_when_row_already_gone(self):
        schedule = factories.schedule()
        schedule.celery_task.delete()
        schedule.refresh_from_db()
        self.assertIsNone(schedule.celery_task)
        api.delete_schedule(schedule, acting_user=factories.superuser())
        self.assertFalse(PeriodicReportSchedule.objects.exists())

    def test_deleting_the_beat_row_keeps_the_schedule(self):
        schedule = factories.schedule()
        PeriodicTask.objects.all().delete()
        self.assertTrue(PeriodicReportSchedule.objects.filter(pk=schedule.pk).exists())

    def test_cascade_from_task(self):
        task = factories.report_task()
        factories.schedule(task=task)
        factories.schedule(task=task)
        other = factories.schedule(task=factories.report_task(name="Another grade report"))
        api.delete_report_task(task, acting_user=factories.superuser())
        self.assertEqual(list(PeriodicTask.objects.all()), [other.celery_task])

    def test_cascade_from_owner(self):
        owner = factories.user(is_staff=True)
        factories.schedule(owner=owner)
        get_user_model().objects.filter(pk=owner.pk).delete()
        self.assertFalse(PeriodicReportSchedule.objects.exists())
        self.assertFalse(PeriodicTask.objects.exists())

    def test_interval_in_use_cannot_be_deleted(self):
        from django.db.models import ProtectedError

        schedule = factories.schedule()
        with self.assertRaises(ProtectedError):
            schedule.interval.delete()

    def test_foreign_beat_rows_are_untouched(self):
        other = PeriodicTask.objects.create(
            name="someone else's", task="some.other.task", interval=factories.interval()
        )
        schedule = factories.schedule()
        api.delete_schedule(schedule, acting_user=factories.superuser())
        self.assertEqual(list(PeriodicTask.objects.all()), [other])


class ReconcileCommandTests(TestCase):
    def reconcile(self, *args):
        out = io.StringIO()
        call_command("reconcile_report_schedules", *args, stdout=out)
        return out.getvalue()

    def test_nothing_to_do(self):
        factories.schedule()
        self.assertIn("nothing to do", self.reconcile())

    def test_recreates_fixes_and_removes(self):
        missing = factories.schedule()
        drifted = factories.schedule()
        PeriodicTask.objects.filter(pk=missing.celery_task_id).delete()
        PeriodicTask.objects.filter(pk=drifted.celery_task_id).update(enabled=False, args="[999]")
        orphan = PeriodicTask.objects.create(
            name="periodic-instructor-reports-schedule-999", task=beat.DISPATCH_TASK,
            interval=factories.interval(), args="[999]",
        )
        before = last_change()

        dry = self.reconcile("--dry-run")
        self.assertIn(f"would have created beat row for schedule {missing.pk}", dry)
        self.assertTrue(PeriodicTask.objects.filter(pk=orphan.pk).exists())
        self.assertEqual(PeriodicTask.objects.count(), 2)

        output = self.reconcile()
        self.assertIn(f"created beat row for schedule {missing.pk}", output)
        self.assertIn(f"updated beat row of schedule {drifted.pk}", output)
        self.assertIn("removed orphan beat row 'periodic-instructor-reports-schedule-999'", output)
        self.assertEqual(PeriodicTask.objects.count(), 2)
        for schedule in (missing, drifted):
            schedule.refresh_from_db()
            self.assertEqual(json.loads(schedule.celery_task.args), [schedule.pk])
            self.assertTrue(schedule.celery_task.enabled)
        self.assertGreater(last_change(), before)
        self.assertIn("nothing to do", self.reconcile())

    def test_splits_a_row_shared_by_two_schedules(self):
        task = factories.report_task()
        first = factories.schedule(task=task)
        second = factories.schedule(task=task)
        legacy = PeriodicTask.objects.get(pk=first.celery_task_id)
        legacy.name, legacy.task, legacy.args = task.name, beat.LEGACY_DISPATCH_TASK, "[1]"
        legacy.save()
        PeriodicTask.objects.filter(pk=second.celery_task_id).delete()
        PeriodicReportSchedule.objects.filter(pk=second.pk).update(celery_task=legacy)

        self.reconcile()

        first.refresh_from_db()
        second.refresh_from_db()
        self.assertNotEqual(first.celery_task_id, second.celery_task_id)
        self.assertEqual(PeriodicTask.objects.count(), 2)
        self.assertEqual(first.celery_task.task, beat.DISPATCH_TASK)
        self.assertEqual(json.loads(second.celery_task.args), [second.pk])
