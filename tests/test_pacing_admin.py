"""What operators see of pacing: a schedule's cap and window (form, list), a run's progress, its e-mail."""

import datetime

import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import TestCase, override_settings
from django.urls import reverse
from lms.djangoapps.instructor_task.models import InstructorTask

from periodic_instructor_reports import api, delivery, progress
from periodic_instructor_reports.admin.schedule_display import short_duration
from periodic_instructor_reports.models import (
    PeriodicReportSchedule,
    ReportRun,
    ReportRunBatch,
    ReportRunCourse,
)
from periodic_instructor_reports.states import Outcome, RunStatus
from tests import factories
from tests.base import MIDDAY, QueryCountMixin

SCHEDULES = "admin:periodic_instructor_reports_periodicreportschedule"
RUNS = "admin:periodic_instructor_reports_reportrun"
COURSE = factories.COURSE


class AdminTestCase(QueryCountMixin, TestCase):
    def setUp(self):
        self.admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
        self.client.force_login(self.admin)
        self.task = factories.report_task()
        factories.course(COURSE)

    def form(self, **overrides):
        data = {
            "task": self.task.pk, "owner": self.admin.pk, "interval": factories.interval().pk, "crontab": "",
            "enabled": "on", "name": "Paced grades", "course_ids": [COURSE], "arguments": "[]",
            "course_orgs": [], "course_state": "", "course_state_days": "30",
            "keyword_arguments": "{}", "upload_folder_prefix": "", "upload_folder_structure": "regular",
            "recipients": "[]", "notify": "failures", "max_in_flight": "", "finish_within": "",
        }
        data.update(overrides)
        return data

    def add(self, **overrides):
        return self.client.post(reverse(f"{SCHEDULES}_add"), self.form(**overrides))


@override_settings(PERIODIC_INSTRUCTOR_REPORTS_MAX_IN_FLIGHT=4)
class ScheduleFormTests(AdminTestCase):
    """The cap and the window: saved when they make sense, else refused with a message, never a 500."""

    def assert_refused(self, response, field, text):
        self.assertEqual(response.status_code, 200)
        self.assertIn(text, " ".join(response.context["adminform"].form.errors.get(field, [])))
        self.assertFalse(PeriodicReportSchedule.objects.exists())

    def test_the_page_has_a_pacing_fieldset_saying_the_sites_cap(self):
        page = self.client.get(reverse(f"{SCHEDULES}_add"))
        self.assertRegex(page.content.decode(), r"<h2[^>]*>Pacing</h2>")  # Django 5's has a class
        self.assertRegex(page.content.decode(), r'<input type="number" name="max_in_flight"[^>]* min="1"')
        self.assertContains(page, 'placeholder="4:00:00"')
        self.assertContains(page, "MAX_IN_FLIGHT: the site's cap is 4")

    def test_a_cap_and_a_window_are_saved_and_listed(self):
        response = self.add(max_in_flight="3", finish_within="0:30:00")
        self.assertEqual(response.status_code, 302)
        schedule = PeriodicReportSchedule.objects.get()
        self.assertEqual((schedule.max_in_flight, schedule.finish_within),
                         (3, datetime.timedelta(minutes=30)))
        listed = self.client.get(reverse(f"{SCHEDULES}_changelist"))
        self.assertContains(listed, 'title="at most 3 of its reports at once; a run ends within 30 '
                                    'minutes of its due time">cap 3 · 30m</span>')
        page = self.client.get(reverse(f"{SCHEDULES}_change", args=[schedule.pk]))
        self.assertContains(page, 'value="00:30:00"')

    def test_the_lists_short_window(self):
        self.assertEqual([short_duration(seconds) for seconds in (45, 1800, 5400, 14400, 90000)],
                         ["45s", "30m", "1h30m", "4h", "1d1h"])

    def test_a_cap_of_zero_is_refused(self):
        self.assert_refused(self.add(max_in_flight="0"), "max_in_flight", "Enter at least 1")

    def test_a_negative_or_unreadable_cap_is_refused(self):
        self.assert_refused(self.add(max_in_flight="-2"), "max_in_flight", "greater than or equal to")
        self.assert_refused(self.add(max_in_flight="many"), "max_in_flight", "Enter a whole number")

    def test_a_window_under_a_minute_is_refused(self):
        self.assert_refused(self.add(finish_within="30"), "finish_within", "at least a minute")

    def test_a_window_longer_than_the_interval_is_refused(self):
        self.assert_refused(self.add(finish_within="2:00:00"), "finish_within", "Enter at most 1 hour")
        self.assert_refused(self.add(finish_within="999999999 00:00:00"), "finish_within",
                            "(999999999 days was given)")

    def test_a_window_longer_than_a_crontabs_gap_is_refused_and_a_shorter_one_saved(self):
        daily = factories.crontab(minute="0", hour="2")
        refused = self.add(interval="", crontab=daily.pk, finish_within="1 01:00:00")
        self.assert_refused(refused, "finish_within", "Enter at most 1 day")
        saved = self.add(interval="", crontab=daily.pk, finish_within="4:00:00")
        self.assertEqual(saved.status_code, 302)

    def test_unreadable_and_enormous_windows_get_a_message(self):
        self.assert_refused(self.add(finish_within="soon"), "finish_within", "Enter a valid duration")
        self.assert_refused(self.add(finish_within="1000000000 00:00:00"), "finish_within",
                            "The number of days must be between")

    def test_changing_the_cap_is_recorded_in_the_history(self):
        schedule = factories.schedule(acting_user=self.admin, owner=self.admin, max_in_flight=2)
        api.update_schedule(schedule, acting_user=self.admin, max_in_flight=5)
        history = self.client.get(reverse(f"{SCHEDULES}_history", args=[schedule.pk]))
        self.assertContains(history, "Fields: max_in_flight.")


class RulesTests(TestCase):
    """The write path refuses what the form refuses."""

    def test_api_refuses_a_window_longer_than_the_interval(self):
        with self.assertRaises(ValidationError) as caught:
            factories.schedule(finish_within=datetime.timedelta(hours=3))
        self.assertIn("finish_within", caught.exception.message_dict)

    def test_api_refuses_a_cap_of_zero(self):
        with self.assertRaises(ValidationError) as caught:
            factories.schedule(max_in_flight=0)
        self.assertIn("max_in_flight", caught.exception.message_dict)


def make_run(schedule, **fields):
    now = fields.pop("now", MIDDAY)
    return ReportRun.objects.create(
        schedule=schedule, schedule_name=schedule.name, report_name=schedule.task.name,
        report_path=schedule.task.path, owner_user_id=schedule.owner_id, trigger="beat",
        planned_at=now, started_at=now, **fields,
    )


def add_rows(run, outcome, count, state=None, started=None, took=None):
    """Add ``count`` course rows of ``outcome`` (with platform tasks in ``state`` when given)."""
    for _ in range(count):
        number = ReportRunCourse.objects.filter(run=run).count()
        task_id = f"task-{run.pk}-{number}" if outcome == Outcome.SUBMITTED else ""
        ReportRunCourse.objects.create(
            run=run, course_id=f"course-v1:Org+C{number}+2026", outcome=outcome, task_id=task_id,
            started_at=started, finished_at=started + took if started and took else None,
        )
        if state:
            InstructorTask.objects.create(
                task_type="grade_course", course_id=f"course-v1:Org+C{number}+2026", task_key="k",
                task_input="{}", task_id=task_id, task_state=state, requester=run.schedule.owner,
            )


@time_machine.travel(MIDDAY, tick=False)
class RunProgressTests(AdminTestCase):
    """The run page's progress block, from known rows and platform tasks."""

    def setUp(self):
        super().setUp()
        self.schedule = factories.schedule(acting_user=self.admin, owner=self.admin)
        self.run = make_run(
            self.schedule, status=RunStatus.RUNNING, course_total=12,
            finish_by=MIDDAY + datetime.timedelta(minutes=20),
            warning="expected to end about Wed 2026-03-11 12:30:00 UTC, after its window ends at "
                    "Wed 2026-03-11 12:20:00 UTC",
            pacing={"waits": 3, "waited_seconds": 42, "most_in_flight": 2, "cap": 4, "schedule_cap": 2},
        )
        add_rows(self.run, Outcome.PENDING, 2)
        add_rows(self.run, Outcome.SUBMITTED, 1, state="QUEUING")
        add_rows(self.run, Outcome.SUBMITTED, 1, state="PROGRESS")
        add_rows(self.run, Outcome.SUBMITTED, 1, state="SUCCESS")
        earlier = MIDDAY - datetime.timedelta(minutes=30)
        add_rows(self.run, Outcome.GENERATED, 2, started=earlier, took=datetime.timedelta(minutes=10))
        add_rows(self.run, Outcome.FAILED, 1)

    def test_the_figures_of_known_rows(self):
        found = progress.run_progress(self.run)
        # 12 courses, 8 rows: 4 still queued and 2 pending wait; 1 queuing and 1 generating fly.
        self.assertEqual((found.waiting, found.in_flight, found.settling, found.finished), (6, 2, 1, 3))
        # 10 minutes a report, 2 at once, for the 2 pending and the 3 submitted (no batch is queued).
        self.assertEqual(found.expected_end, MIDDAY + datetime.timedelta(minutes=30))

    def test_a_run_still_recording_its_courses_counts_its_queue(self):
        ReportRun.objects.filter(pk=self.run.pk).update(course_total=None)
        ReportRunBatch.objects.create(run=self.run, number=0, course_ids=["a", "b", "c"], size=3)
        self.run.refresh_from_db()
        self.assertEqual(progress.run_progress(self.run).waiting, 3 + 2)

    def test_the_run_page_shows_them_in_words(self):
        page = self.client.get(reverse(f"{RUNS}_change", args=[self.run.pk]))
        text = page.content.decode()
        for row, value in (("waiting", "6"), ("in-flight", "2"), ("settling", "1"), ("finished", "3")):
            self.assertRegex(text, rf'pir-progress-{row}"><th>[^<]+</th><td>{value}</td>')
        self.assertContains(page, "Wed 2026-03-11 12:30:00 UTC")  # expected end
        self.assertContains(page, "Wed 2026-03-11 12:20:00 UTC")  # the window's end
        self.assertContains(page, "This run will not finish within its window: expected to end about")
        self.assertContains(page, "waited for a free slot 3 times; 42 seconds in all; at most 2 reports in "
                                  "flight; site cap 4, schedule cap 2")

    def test_an_ended_run_is_over_and_an_unpaced_one_says_so(self):
        ReportRun.objects.filter(pk=self.run.pk).update(status=RunStatus.DONE, pacing={}, warning="",
                                                        finish_by=None)
        page = self.client.get(reverse(f"{RUNS}_change", args=[self.run.pk]))
        self.assertRegex(page.content.decode(), r'pir-progress-expected-end"><th>[^<]+</th><td>over</td>')
        self.assertContains(page, "not paced (no cap applied)")
        self.assertNotContains(page, "pir-progress-window")
        self.assertNotContains(page, "will not finish within its window")

    def test_no_expected_end_before_a_report_ended(self):
        ReportRunCourse.objects.filter(run=self.run, outcome=Outcome.GENERATED).delete()
        page = self.client.get(reverse(f"{RUNS}_change", args=[self.run.pk]))
        self.assertContains(page, "foreseen once one of its reports has ended")

    def test_queries_do_not_grow_with_courses(self):
        url = reverse(f"{RUNS}_change", args=[self.run.pk])
        before = self.queries_for(url)
        add_rows(self.run, Outcome.SUBMITTED, 10, state="PROGRESS")
        add_rows(self.run, Outcome.GENERATED, 10, started=MIDDAY, took=datetime.timedelta(minutes=1))
        ReportRun.objects.filter(pk=self.run.pk).update(course_total=32)
        self.assertEqual(self.queries_for(url), before)


@override_settings(LMS_ROOT_URL="https://lms.example.com")
class EmailWarningTests(TestCase):
    """The run's e-mail says its warning, when it has one."""

    def setUp(self):
        self.schedule = factories.schedule(recipients=["data@example.com"], notify="always")

    def deliver(self, warning):
        run = make_run(self.schedule, status=RunStatus.DONE)
        ReportRunCourse.objects.create(run=run, course_id=COURSE, outcome=Outcome.GENERATED)
        ReportRun.objects.filter(pk=run.pk).update(warning=warning)
        self.assertTrue(delivery.deliver(run))
        return mail.outbox[-1].body

    def test_the_warning_is_said(self):
        body = self.deliver(
            "its window ended at Wed 2026-03-11 14:00:00 UTC before its reports were generated"
        )
        self.assertIn("This run will not finish within its window: its window ended at Wed 2026-03-11 "
                      "14:00:00 UTC before its reports were generated.", body)

    def test_no_warning_no_word(self):
        self.assertNotIn("window", self.deliver(""))
