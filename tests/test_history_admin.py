"""The admin for operating schedules: last/next run columns, previews, run now, run history pages."""

import datetime

from django.contrib.auth import get_user_model
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from periodic_instructor_reports import catalog
from periodic_instructor_reports.models import PeriodicReportSchedule, ReportRun, ReportRunCourse
from periodic_instructor_reports.runs import dispatch
from periodic_instructor_reports.states import Trigger
from tests import factories, reports
from tests.base import QueryCountMixin, at_midday

SCHEDULES = "admin:periodic_instructor_reports_periodicreportschedule"
RUNS = "admin:periodic_instructor_reports_reportrun"
RUN_COURSES = "admin:periodic_instructor_reports_reportruncourse"
COURSE, OTHER = factories.COURSE, factories.OTHER_COURSE


@override_settings(PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS=reports.ALL + [catalog.GRADE_REPORT])
class HistoryAdminTestCase(QueryCountMixin, TestCase):
    def setUp(self):
        reports.CALLS.clear()
        self.admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
        self.client.force_login(self.admin)
        self.task = factories.report_task("tests.reports.recording_report")
        factories.course(COURSE)


    def schedule_with_runs(self, runs=2, **fields):
        fields.setdefault("task", self.task)
        schedule = factories.schedule(**fields)
        for _ in range(runs):
            dispatch.run_schedule(schedule.pk, trigger=Trigger.MANUAL)
        return schedule


class ScheduleListTests(HistoryAdminTestCase):
    def test_last_run_last_outcome_and_next_run_columns(self):
        schedule = self.schedule_with_runs(course_ids=[COURSE, OTHER])
        paused = factories.schedule(task=self.task, enabled=False)
        cron = factories.schedule(
            task=self.task, interval=None,
            crontab=factories.crontab(minute="0", hour="7", day_of_week="1", tz="Europe/Paris"),
        )
        page = self.client.get(reverse(f"{SCHEDULES}_changelist"))
        self.assertContains(page, "done: 2 submitted")
        self.assertContains(page, '<td class="field-next_run">paused</td>', html=True)
        self.assertContains(page, "Mon ")
        self.assertContains(page, ">07:00:00 Europe/Paris</span>")
        self.assertContains(page, "every Monday at 07:00 (Europe/Paris)")
        rows = {row.pk: row for row in page.context["cl"].result_list}
        latest = ReportRun.objects.filter(schedule=schedule).latest("started_at")
        self.assertEqual(rows[schedule.pk]._last_run_at, latest.started_at)
        self.assertIsNone(rows[paused.pk]._last_run_at)
        self.assertIn(cron.pk, rows)
        self.assertContains(page, reverse(f"{RUNS}_change", args=[latest.pk]))

    def test_changelist_queries_do_not_grow_with_rows_and_runs(self):
        url = reverse(f"{SCHEDULES}_changelist")
        self.schedule_with_runs()
        one_row = self.queries_for(url)
        for _ in range(3):
            self.schedule_with_runs(runs=3, owner=factories.user(is_staff=True))
        factories.schedule(task=self.task, interval=None, crontab=factories.crontab())
        with self.assertNumQueries(one_row):
            response = self.client.get(url)
        self.assertContains(response, ">done: 1 submitted</span>", count=4)

    def test_run_now_action(self):
        schedules = [factories.schedule(task=self.task), factories.schedule(task=self.task, enabled=False)]
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(reverse(f"{SCHEDULES}_changelist"), {
                "action": "run_now", "_selected_action": [s.pk for s in schedules],
            }, follow=True)
        self.assertContains(response, "Queued a run of 2 schedules.")
        self.assertContains(response, "See the run history.")
        # Celery runs eagerly here: both ran, the paused one too, recorded as manual runs.
        self.assertEqual(sorted(ReportRun.objects.values_list("schedule_id", "trigger")),
                         sorted((s.pk, "manual") for s in schedules))


class ScheduleFormTests(HistoryAdminTestCase):
    def form(self, **overrides):
        data = {
            "task": self.task.pk, "owner": self.admin.pk, "interval": "", "crontab": "",
            "enabled": "on", "name": "Crontab report", "course_ids": [COURSE], "arguments": "[]",
            "course_orgs": [], "course_state": "", "course_state_days": "30",
            "keyword_arguments": "{}", "upload_folder_prefix": "", "upload_folder_structure": "regular",
            "recipients": "[]", "notify": "failures",
        }
        data.update(overrides)
        return data

    def test_add_with_a_crontab(self):
        crontab = factories.crontab(minute="0", hour="7", day_of_week="1", tz="Europe/Paris")
        response = self.client.post(reverse(f"{SCHEDULES}_add"), self.form(crontab=crontab.pk))
        self.assertEqual(response.status_code, 302)
        schedule = PeriodicReportSchedule.objects.get()
        self.assertEqual((schedule.crontab, schedule.celery_task.crontab), (crontab, crontab))

    def test_interval_or_crontab_is_required(self):
        response = self.client.post(reverse(f"{SCHEDULES}_add"), self.form())
        self.assertContains(response, "Choose an interval or a crontab: the schedule needs one of them.")
        response = self.client.post(reverse(f"{SCHEDULES}_add"), self.form(
            interval=factories.interval().pk, crontab=factories.crontab().pk,
        ))
        self.assertContains(response, "Choose an interval or a crontab, not both.")
        self.assertFalse(PeriodicReportSchedule.objects.exists())

    def test_change_page_previews_five_run_times_in_the_time_zone(self):
        schedule = factories.schedule(
            task=self.task, interval=None,
            crontab=factories.crontab(minute="0", hour="7", day_of_week="1", tz="Europe/Paris"),
        )
        page = self.client.get(reverse(f"{SCHEDULES}_change", args=[schedule.pk]))
        content = page.content.decode()
        self.assertEqual(content.count(" 07:00:00 Europe/Paris</li>"), 5, content)
        self.assertEqual(content.count("<li>Mon "), 5)

    def test_change_page_of_an_interval_schedule_and_its_recent_runs(self):
        schedule = self.schedule_with_runs(runs=12, interval=factories.interval(6, "hours"))
        page = self.client.get(reverse(f"{SCHEDULES}_change", args=[schedule.pk]))
        self.assertContains(page, " UTC</li>", count=5)  # a UTC schedule: no second UTC time
        self.assertContains(page, "done", count=10)  # the 10 most recent runs
        newest = ReportRun.objects.latest("started_at")
        self.assertContains(page, reverse(f"{RUNS}_change", args=[newest.pk]))
        self.assertContains(page, reverse(f"{RUNS}_changelist") + f"?schedule={schedule.pk}")

    def test_add_page_has_no_preview_yet(self):
        page = self.client.get(reverse(f"{SCHEDULES}_add"))
        self.assertContains(page, "Save the schedule to see its next run times.")


@at_midday
class RunHistoryAdminTests(HistoryAdminTestCase):
    def setUp(self):
        super().setUp()
        failing = factories.report_task("tests.reports.failing_report")
        self.good = self.schedule_with_runs(runs=1, course_ids=[COURSE, OTHER])
        self.bad = factories.schedule(task=failing, course_ids=[COURSE, "course-v1:Bad+Course+Run"])
        with self.assertLogs("periodic_instructor_reports", "ERROR"):
            dispatch.run_schedule(self.bad.pk)
        self.bad_run = ReportRun.objects.get(schedule=self.bad)

    def test_runs_list_and_filters(self):
        url = reverse(f"{RUNS}_changelist")
        page = self.client.get(url)
        self.assertEqual(len(page.context["cl"].result_list), 2)
        self.assertContains(page, "1 failed, 1 submitted")
        page = self.client.get(url, {"schedule": self.bad.pk})
        self.assertEqual([run.pk for run in page.context["cl"].result_list], [self.bad_run.pk])
        page = self.client.get(url, {"schedule": "nonsense"})
        self.assertEqual(page.status_code, 200)
        page = self.client.get(url, {"trigger": "beat", "status": "done"})
        self.assertEqual([run.pk for run in page.context["cl"].result_list], [self.bad_run.pk])
        today = timezone.localdate()
        page = self.client.get(url, {"started_at__year": today.year, "started_at__month": today.month,
                                     "started_at__day": today.day})
        self.assertEqual(len(page.context["cl"].result_list), 2)

    def test_course_records_and_their_filters(self):
        url = reverse(f"{RUN_COURSES}_changelist")
        page = self.client.get(url, {"outcome": "failed"})
        self.assertEqual([row.course_id for row in page.context["cl"].result_list],
                         ["course-v1:Bad+Course+Run"])
        self.assertContains(page, "RuntimeError: the grading backend is down")
        page = self.client.get(url, {"schedule": self.good.pk})
        self.assertEqual(len(page.context["cl"].result_list), 2)
        page = self.client.get(url, {"course_id": OTHER})
        self.assertEqual([row.course_id for row in page.context["cl"].result_list], [OTHER])
        page = self.client.get(url, {"run__id__exact": self.bad_run.pk})
        self.assertEqual(len(page.context["cl"].result_list), 2)
        midnight = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
        tomorrow = midnight + datetime.timedelta(days=1)
        page = self.client.get(url, {"started_at__gte": str(tomorrow)})
        self.assertEqual(len(page.context["cl"].result_list), 0)

    def test_history_is_read_only(self):
        self.assertEqual(self.client.get(reverse(f"{RUNS}_add")).status_code, 403)
        self.assertEqual(self.client.get(reverse(f"{RUN_COURSES}_add")).status_code, 403)
        page = self.client.get(reverse(f"{RUNS}_change", args=[self.bad_run.pk]))
        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, 'name="_save"')
        response = self.client.post(reverse(f"{RUNS}_delete", args=[self.bad_run.pk]), {"post": "yes"})
        self.assertEqual(response.status_code, 403)
        self.assertTrue(ReportRun.objects.filter(pk=self.bad_run.pk).exists())

    def test_run_page_names_the_owner_by_username(self):
        owner = get_user_model().objects.create_user("dana", is_staff=True)
        ReportRun.objects.filter(pk=self.bad_run.pk).update(owner_user_id=owner.pk)
        page = self.client.get(reverse(f"{RUNS}_change", args=[self.bad_run.pk]))
        self.assertContains(page, '<div class="readonly">dana</div>', html=True)
        self.assertNotContains(page, "Owner user id")
        owner_id = owner.pk
        owner.delete()
        page = self.client.get(reverse(f"{RUNS}_change", args=[self.bad_run.pk]))
        self.assertContains(page, f"user id {owner_id} (deleted)")

    def test_history_lists_do_not_grow_with_rows(self):
        for url in (reverse(f"{RUNS}_changelist"), reverse(f"{RUN_COURSES}_changelist")):
            before = self.queries_for(url)
            for _ in range(3):
                self.schedule_with_runs(runs=2, course_ids=[COURSE, OTHER])
            with self.assertNumQueries(before):
                self.client.get(url)

    def test_schedule_deletion_keeps_its_history_detached(self):
        name = str(self.bad)
        self.bad.delete()
        run = ReportRun.objects.get(pk=self.bad_run.pk)
        self.assertIsNone(run.schedule_id)
        self.assertEqual((run.schedule_name, run.report_name), (name, self.bad.task.name))
        self.assertTrue(ReportRunCourse.objects.filter(run_id=self.bad_run.pk).exists())
        page = self.client.get(reverse(f"{RUNS}_changelist"))
        self.assertContains(page, f"{name} (deleted)")
