"""The admin pages: forms with clear errors, writes through api.py, lists without N+1 queries."""

from django.contrib.auth import get_user_model
from django.test import TestCase, override_settings
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from periodic_instructor_reports import catalog
from periodic_instructor_reports.models import PeriodicReportSchedule, PeriodicReportTask
from tests import factories
from tests.base import QueryCountMixin

SCHEDULES = "admin:periodic_instructor_reports_periodicreportschedule"
TASKS = "admin:periodic_instructor_reports_periodicreporttask"


class AdminTestCase(QueryCountMixin, TestCase):
    """Admin tests count their pages' queries."""

    def setUp(self):
        self.admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
        self.client.force_login(self.admin)
        factories.course(factories.COURSE)

    def schedule_form(self, **overrides):
        data = {
            "task": factories.report_task().pk,
            "owner": self.admin.pk,
            "interval": factories.interval().pk,
            "enabled": "on",
            "name": "Weekly grades",
            "course_ids": ["course-v1:edX+DemoX+Demo_Course"],
            "course_orgs": [], "course_state": "", "course_state_days": "30",
            "arguments": "[]",
            "keyword_arguments": "{}",
            "upload_folder_prefix": "periodic-reports/",
            "upload_folder_structure": "regular", "recipients": "[]", "notify": "failures",
        }
        data.update(overrides)
        return data


class ScheduleAdminTests(AdminTestCase):
    def test_owner_defaults_to_the_signed_in_user(self):
        response = self.client.get(reverse(f"{SCHEDULES}_add"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.context["adminform"].form.initial["owner"], self.admin.pk)
        self.assertContains(response, "made when the schedule is saved")
        self.assertNotContains(response, "reconcile_report_schedules")

    def test_add_creates_schedule_and_beat_row(self):
        response = self.client.post(reverse(f"{SCHEDULES}_add"), self.schedule_form())
        self.assertEqual(response.status_code, 302, response.content[:2000])
        schedule = PeriodicReportSchedule.objects.get()
        self.assertEqual(schedule.owner, self.admin)
        self.assertEqual(PeriodicTask.objects.get(), schedule.celery_task)
        page = self.client.get(reverse(f"{SCHEDULES}_changelist"))
        self.assertContains(page, "Weekly grades")
        page = self.client.get(reverse(f"{SCHEDULES}_change", args=[schedule.pk]))
        self.assertContains(page, schedule.celery_task.name)

    def test_bad_course_id_and_prefix_are_shown_and_nothing_is_saved(self):
        response = self.client.post(reverse(f"{SCHEDULES}_add"), self.schedule_form(
            course_ids=["not-a-course"], upload_folder_prefix="../up/",
        ))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "“not-a-course” is not a valid course or CCX id.")
        self.assertContains(response, "“..” does not")
        self.assertFalse(PeriodicReportSchedule.objects.exists())
        self.assertFalse(PeriodicTask.objects.exists())

    def test_upload_parent_dir_in_keyword_arguments_is_refused(self):
        response = self.client.post(reverse(f"{SCHEDULES}_add"), self.schedule_form(
            keyword_arguments='{"upload_parent_dir": "x"}',
        ))
        self.assertContains(response, "upload_parent_dir is set from the upload folder fields")

    def test_change_updates_beat_row(self):
        schedule = factories.schedule(owner=self.admin)
        longer = factories.interval(7, "days")
        response = self.client.post(
            reverse(f"{SCHEDULES}_change", args=[schedule.pk]),
            self.schedule_form(task=schedule.task_id, interval=longer.pk, enabled=""),
        )
        self.assertEqual(response.status_code, 302)
        row = PeriodicTask.objects.get()
        self.assertEqual((row.interval, row.enabled), (longer, False))

    def test_delete_removes_beat_row(self):
        schedule = factories.schedule()
        response = self.client.post(reverse(f"{SCHEDULES}_delete", args=[schedule.pk]), {"post": "yes"})
        self.assertEqual(response.status_code, 302)
        self.assertFalse(PeriodicTask.objects.exists())

    def test_bulk_delete_removes_beat_rows(self):
        schedules = [factories.schedule() for _ in range(2)]
        self.client.post(reverse(f"{SCHEDULES}_changelist"), {
            "action": "delete_selected", "_selected_action": [s.pk for s in schedules], "post": "yes",
        })
        self.assertFalse(PeriodicReportSchedule.objects.exists())
        self.assertFalse(PeriodicTask.objects.exists())

    def test_pause_and_resume_actions(self):
        schedules = [factories.schedule() for _ in range(2)]
        url = reverse(f"{SCHEDULES}_changelist")
        ids = [s.pk for s in schedules]
        response = self.client.post(url, {"action": "pause_schedules", "_selected_action": ids}, follow=True)
        self.assertContains(response, "Paused 2 schedules.")
        self.assertFalse(PeriodicTask.objects.filter(enabled=True).exists())
        response = self.client.post(url, {"action": "resume_schedules", "_selected_action": ids}, follow=True)
        self.assertContains(response, "Resumed 2 schedules.")
        self.assertEqual(PeriodicTask.objects.filter(enabled=True).count(), 2)

    def test_changelist_queries_do_not_grow_with_rows(self):
        url = reverse(f"{SCHEDULES}_changelist")
        factories.schedule()
        one_row = self.queries_for(url)
        for _ in range(4):
            factories.schedule(owner=factories.user(is_staff=True))
        with self.assertNumQueries(one_row):
            response = self.client.get(url)
        self.assertContains(response, '<td class="field-when_text">every hour</td>', count=5, html=True)


@override_settings(PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS=[
    catalog.GRADE_REPORT, "lms.djangoapps.instructor_task.api.submit_export_ora2_data",
])
class TaskAdminTests(AdminTestCase):
    def test_add_task(self):
        response = self.client.post(reverse(f"{TASKS}_add"), {
            "name": "Grades", "path": catalog.GRADE_REPORT, "requires_request": "on",
        }, follow=True)
        self.assertEqual(response.status_code, 200)
        self.assertTrue(PeriodicReportTask.objects.filter(name="Grades").exists())

    def test_disallowed_path_is_explained(self):
        response = self.client.post(reverse(f"{TASKS}_add"), {"name": "Shell", "path": "os.system"})
        self.assertContains(response, "os.system is not an allowed report function")
        self.assertFalse(PeriodicReportTask.objects.filter(name="Shell").exists())

    def test_report_without_upload_kwargs_warns(self):
        response = self.client.post(reverse(f"{TASKS}_add"), {
            "name": "ORA", "path": "lms.djangoapps.instructor_task.api.submit_export_ora2_data",
            "requires_request": "on",
        }, follow=True)
        self.assertContains(response, "does not accept upload_parent_dir")

    def test_changelist_counts_schedules_in_one_query(self):
        url = reverse(f"{TASKS}_changelist")
        before = self.queries_for(url)
        task = factories.report_task()
        for _ in range(3):
            factories.schedule(task=task)
        with self.assertNumQueries(before):
            response = self.client.get(url)
        self.assertContains(response, '<td class="field-schedule_count">3</td>', html=True)
