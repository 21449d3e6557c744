"""Deleting schedules, report tasks and owners from the admin once schedules have run."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import TestCase, override_settings
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from periodic_instructor_reports import catalog
from periodic_instructor_reports.models import PeriodicReportSchedule, PeriodicReportTask, ReportRun
from periodic_instructor_reports.runs import dispatch
from periodic_instructor_reports.states import Trigger
from tests import factories, reports

SCHEDULES = "admin:periodic_instructor_reports_periodicreportschedule"
TASKS = "admin:periodic_instructor_reports_periodicreporttask"
RUNS = "admin:periodic_instructor_reports_reportrun"


@override_settings(PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS=reports.ALL + [catalog.GRADE_REPORT])
class DeleteAfterRunsTests(TestCase):
    def setUp(self):
        self.admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
        self.client.force_login(self.admin)
        self.task = factories.report_task("tests.reports.recording_report", name="Recorded report")
        self.owner = factories.user(is_staff=True)

    def ran(self, **fields):
        """Return a schedule that has run twice."""
        schedule = factories.schedule(task=self.task, owner=self.owner, **fields)
        for _ in range(2):
            dispatch.run_schedule(schedule.pk, trigger=Trigger.MANUAL)
        return schedule

    def assert_detached(self, runs, name):
        runs = ReportRun.objects.filter(pk__in=[run.pk for run in runs])
        self.assertEqual(len(runs), 2)
        for run in runs:
            self.assertEqual(
                (run.schedule_id, run.schedule_name, run.report_name, run.report_path, run.owner_user_id),
                (None, name, "Recorded report", "tests.reports.recording_report", self.owner.pk),
            )
            self.assertTrue(run.courses.exists())

    def test_delete_a_schedule_from_its_page(self):
        schedule = self.ran()
        runs, name, row = list(schedule.runs.all()), str(schedule), schedule.celery_task.name
        page = self.client.get(reverse(f"{SCHEDULES}_delete", args=[schedule.pk]))
        self.assertContains(page, "This deletes the celery beat row of 1 schedule")
        self.assertContains(page, f"<code>{row}</code>")
        self.assertContains(page, "Their 2 runs stay in the run history, marked as of a deleted schedule")
        self.assertNotContains(page, "permission to delete")
        response = self.client.post(reverse(f"{SCHEDULES}_delete", args=[schedule.pk]), {"post": "yes"})
        self.assertRedirects(response, reverse(f"{SCHEDULES}_changelist"))
        self.assertFalse(PeriodicReportSchedule.objects.exists())
        self.assertFalse(PeriodicTask.objects.filter(name=row).exists())
        self.assert_detached(runs, name)
        self.assertContains(self.client.get(reverse(f"{RUNS}_changelist")), f"{name} (deleted)")

    def test_delete_schedules_with_the_list_action(self):
        schedules = [self.ran(), self.ran()]
        data = {"action": "delete_selected", "_selected_action": [s.pk for s in schedules]}
        page = self.client.post(reverse(f"{SCHEDULES}_changelist"), data)
        self.assertContains(page, "This deletes the celery beat rows of 2 schedules")
        self.assertContains(page, "Their 4 runs stay in the run history")
        self.assertNotContains(page, "permission to delete")
        self.client.post(reverse(f"{SCHEDULES}_changelist"), {**data, "post": "yes"})
        self.assertFalse(PeriodicReportSchedule.objects.exists())
        self.assertFalse(PeriodicTask.objects.filter(task__startswith="periodic_instructor_reports.tasks.dispatch")
                         .exists())
        self.assertEqual(ReportRun.objects.filter(schedule__isnull=True).count(), 4)

    def test_delete_a_report_task_whose_schedules_ran(self):
        schedule = self.ran()
        runs, name = list(schedule.runs.all()), str(schedule)
        page = self.client.get(reverse(f"{TASKS}_delete", args=[self.task.pk]))
        self.assertContains(page, "This deletes the celery beat row of 1 schedule")
        self.assertNotContains(page, "permission to delete")
        self.client.post(reverse(f"{TASKS}_delete", args=[self.task.pk]), {"post": "yes"})
        self.assertFalse(PeriodicReportTask.objects.filter(pk=self.task.pk).exists())
        self.assertFalse(PeriodicTask.objects.filter(name=schedule.celery_task.name).exists())
        self.assert_detached(runs, name)

    def test_delete_the_owner_in_the_user_admin(self):
        schedule = self.ran()
        runs, name = list(schedule.runs.all()), str(schedule)
        url = reverse("admin:auth_user_delete", args=[self.owner.pk])
        self.assertNotContains(self.client.get(url), "permission to delete")
        self.client.post(url, {"post": "yes"})
        self.assertFalse(get_user_model().objects.filter(pk=self.owner.pk).exists())
        self.assertFalse(PeriodicReportSchedule.objects.exists())
        self.assertFalse(PeriodicTask.objects.filter(name=schedule.celery_task.name).exists())
        self.assert_detached(runs, name)

    def test_a_staff_user_with_delete_permission_deletes_a_schedule_that_ran(self):
        staff = factories.user(is_staff=True)
        staff.user_permissions.add(*Permission.objects.filter(
            codename__in=["view_periodicreportschedule", "delete_periodicreportschedule"]
        ))
        schedule = self.ran()
        self.client.force_login(staff)
        response = self.client.post(reverse(f"{SCHEDULES}_delete", args=[schedule.pk]), {"post": "yes"})
        self.assertEqual(response.status_code, 302)
        self.assertFalse(PeriodicReportSchedule.objects.exists())

    def test_a_staff_user_without_delete_permission_is_refused(self):
        staff = factories.user(is_staff=True)
        staff.user_permissions.add(Permission.objects.get(codename="view_periodicreportschedule"))
        schedule = self.ran()
        self.client.force_login(staff)
        response = self.client.post(reverse(f"{SCHEDULES}_delete", args=[schedule.pk]), {"post": "yes"})
        self.assertEqual(response.status_code, 403)
        self.assertTrue(PeriodicReportSchedule.objects.exists())
