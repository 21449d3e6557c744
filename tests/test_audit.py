"""Who did what to a schedule (the admin log, the run's requester), and run now's limits."""

import datetime
from unittest import mock

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from periodic_instructor_reports import api, audit, conf, sending, tasks
from periodic_instructor_reports.exceptions import RunNowRefused
from periodic_instructor_reports.models import PeriodicReportSchedule, ReportRun
from periodic_instructor_reports.runs import dispatch
from periodic_instructor_reports.states import RunStatus
from tests import factories, reports

COURSE = factories.COURSE
SCHEDULES = "admin:periodic_instructor_reports_periodicreportschedule"


class AuditTests(TestCase):
    """Who created, changed, paused, resumed, ran now or deleted a schedule is in its history."""

    def setUp(self):
        self.boss = factories.superuser()
        self.alice = factories.user(username="alice", is_staff=True)
        self.bob = factories.user(username="bob", is_staff=True)

    def entries(self, schedule):
        return list(LogEntry.objects.filter(object_id=str(schedule.pk)).order_by("pk")
                    .values_list("user_id", "action_flag", "change_message"))

    def test_every_write_of_the_api_is_recorded_with_who_did_it(self):
        schedule = factories.schedule(acting_user=self.boss, owner=self.alice, name="Weekly grades")
        api.update_schedule(schedule, acting_user=self.boss, name="Friday grades", owner=self.bob)
        queryset = PeriodicReportSchedule.objects.filter(pk=schedule.pk)
        api.pause_schedules(queryset, acting_user=self.alice)
        api.resume_schedules(queryset, acting_user=self.bob)
        with mock.patch.object(sending, "send"):
            api.run_schedules_now(queryset, acting_user=self.alice)
        schedule_id = schedule.pk
        api.delete_schedule(schedule, acting_user=self.boss)
        schedule.pk = schedule_id
        self.assertEqual(self.entries(schedule), [
            (self.boss.pk, ADDITION, "Created."),
            (self.boss.pk, CHANGE, "Changed. Fields: name, owner. Owner changed from alice to bob."),
            (self.alice.pk, CHANGE, "Paused."),
            (self.bob.pk, CHANGE, "Resumed."),
            (self.alice.pk, CHANGE, "Run now requested."),
            (self.boss.pk, DELETION, "Deleted."),
        ])

    def test_record_takes_the_actions_the_api_knows_only(self):
        schedule = factories.schedule()
        entry = audit.record(user=self.alice, schedule=schedule, action="ran_now", message="From the API.")
        self.assertEqual((entry.action_flag, entry.change_message),
                         (CHANGE, "Run now requested. From the API."))
        with self.assertRaisesMessage(ValueError, "unknown audit action 'exported'"):
            audit.record(user=self.alice, schedule=schedule, action="exported")

    def test_a_manual_run_records_who_asked_for_it(self):
        with override_settings(PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS=reports.ALL):
            schedule = factories.schedule(task=factories.report_task("tests.reports.recording_report"))
            tasks.dispatch_report_schedule.apply(args=[schedule.pk],
                                                 kwargs={"trigger": "manual", "requested_by": self.alice.pk})
        run = ReportRun.objects.get()
        self.assertEqual((run.trigger, run.requested_by_user_id), ("manual", self.alice.pk))

    def test_renaming_a_schedule_keeps_its_past_runs_names(self):
        schedule = factories.schedule(name="Weekly grades")
        dispatch.run_schedule(schedule.pk, trigger="manual")
        api.update_schedule(schedule, acting_user=self.boss, name="Friday grades")
        self.assertEqual(ReportRun.objects.get().schedule_label, "Weekly grades")

    def test_the_admin_says_an_owner_change_and_its_history_shows_each_write_once(self):
        schedule = factories.schedule(acting_user=self.boss, owner=self.alice, name="Weekly grades")
        self.client.force_login(self.boss)
        page = self.client.get(reverse(f"{SCHEDULES}_change", args=[schedule.pk]))
        form = page.context["adminform"].form
        data = {name: form[name].value() for name in form.fields}
        data.update(owner=self.bob.pk, course_ids=[COURSE], arguments="[]", keyword_arguments="{}",
                    recipients="[]", course_orgs=[], interval=schedule.interval_id, crontab="",
                    course_state="", course_state_days=30, enabled="on", notify=schedule.notify,
                    max_in_flight="", finish_within="")
        response = self.client.post(reverse(f"{SCHEDULES}_change", args=[schedule.pk]), data, follow=True)
        self.assertContains(response, "The owner changed from alice to bob")
        history = self.client.get(reverse(f"{SCHEDULES}_history", args=[schedule.pk]))
        self.assertContains(history, "Owner changed from alice to bob.")
        self.assertEqual([flag for _, flag, _ in self.entries(schedule)], [ADDITION, CHANGE])

    def test_the_admin_s_deletions_are_recorded_once(self):
        one, two = factories.schedule(), factories.schedule()
        self.client.force_login(self.boss)
        self.client.post(reverse(f"{SCHEDULES}_delete", args=[one.pk]), {"post": "yes"})
        self.client.post(reverse(f"{SCHEDULES}_changelist"),
                         {"action": "delete_selected", "_selected_action": [two.pk], "post": "yes"})
        self.assertFalse(PeriodicReportSchedule.objects.exists())
        for schedule in (one, two):
            self.assertEqual([(user, flag) for user, flag, _ in self.entries(schedule)],
                             [(self.boss.pk, ADDITION), (self.boss.pk, DELETION)])

    def test_the_admin_s_pause_button_is_recorded_as_its_user(self):
        schedule = factories.schedule()
        self.client.force_login(self.boss)
        self.client.post(reverse(f"{SCHEDULES}_pause", args=[schedule.pk]))
        self.assertEqual(self.entries(schedule)[-1], (self.boss.pk, CHANGE, "Paused."))


@override_settings(PERIODIC_INSTRUCTOR_REPORTS_MIN_INTERVAL=3600)
class RunNowLimitTests(TestCase):
    """No second manual run while one is in progress, and a cooldown between manual runs."""

    def setUp(self):
        self.boss = factories.superuser()
        self.schedule = factories.schedule()
        self.queryset = PeriodicReportSchedule.objects.filter(pk=self.schedule.pk)

    def run_now(self):
        with mock.patch.object(sending, "send") as send:
            count = api.run_schedules_now(self.queryset, acting_user=self.boss)
        return count, send

    def test_no_manual_run_while_a_run_is_in_progress(self):
        now = timezone.now()
        for status in (RunStatus.RUNNING, RunStatus.RETRYING, RunStatus.GENERATING):
            run = ReportRun.objects.create(schedule=self.schedule, trigger="beat", planned_at=now,
                                           started_at=now, status=status)
            with self.assertRaisesMessage(RunNowRefused, f"run {run.pk} is in progress"):
                with self.assertLogs("periodic_instructor_reports.api", "INFO"):
                    self.run_now()
            run.delete()
        self.schedule.refresh_from_db()
        self.assertIsNone(self.schedule.run_now_requested_at)
        self.assertFalse(LogEntry.objects.filter(change_message__startswith="Run now").exists())

    def test_the_cooldown_between_manual_runs_of_one_schedule(self):
        self.assertEqual(self.run_now()[0], 1)
        with mock.patch.object(sending, "send") as send:
            with self.assertLogs("periodic_instructor_reports.api", "INFO"):
                with self.assertRaisesMessage(RunNowRefused, "PERIODIC_INSTRUCTOR_REPORTS_RUN_NOW_COOLDOWN"):
                    api.run_schedules_now(self.queryset, acting_user=self.boss)
        send.assert_not_called()
        PeriodicReportSchedule.objects.filter(pk=self.schedule.pk).update(
            run_now_requested_at=timezone.now() - datetime.timedelta(seconds=3601))
        self.assertEqual(self.run_now()[0], 1)
        with override_settings(PERIODIC_INSTRUCTOR_REPORTS_RUN_NOW_COOLDOWN=0):
            self.assertEqual(self.run_now()[0], 1)

    def test_the_cooldown_follows_the_minimum_interval_unless_set(self):
        self.assertEqual(conf.run_now_cooldown(), 3600)
        with override_settings(PERIODIC_INSTRUCTOR_REPORTS_MIN_INTERVAL=7200):
            self.assertEqual(conf.run_now_cooldown(), 7200)
            with override_settings(PERIODIC_INSTRUCTOR_REPORTS_RUN_NOW_COOLDOWN=60):
                self.assertEqual(conf.run_now_cooldown(), 60)

    def test_one_refused_schedule_queues_none_of_the_selection(self):
        other = factories.schedule()
        self.run_now()
        with mock.patch.object(sending, "send") as send:
            with self.assertLogs("periodic_instructor_reports.api", "INFO"):
                with self.assertRaises(RunNowRefused) as caught:
                    api.run_schedules_now(PeriodicReportSchedule.objects.all(), acting_user=self.boss)
        send.assert_not_called()
        self.assertEqual(list(caught.exception.refusals), [self.schedule.pk])
        other.refresh_from_db()
        self.assertIsNone(other.run_now_requested_at)

    def test_the_admin_says_why_and_queues_nothing(self):
        self.run_now()
        self.client.force_login(self.boss)
        with mock.patch.object(sending, "send") as send:
            with self.assertLogs("periodic_instructor_reports.api", "INFO"):
                url = reverse(f"{SCHEDULES}_run_now", args=[self.schedule.pk])
                response = self.client.post(url, follow=True)
        send.assert_not_called()
        self.assertContains(response, "Nothing was queued.")
        self.assertContains(response, "manual runs of one schedule are at least 1 hour apart")
