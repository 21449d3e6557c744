"""The minimum time between runs of a schedule: refused at save, skipped at dispatch."""

import datetime

import ddt
from django.core.exceptions import ValidationError
from django.test import TestCase, override_settings
from django.urls import reverse
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from periodic_instructor_reports import catalog, timing
from periodic_instructor_reports.models import PeriodicReportSchedule, ReportRun
from periodic_instructor_reports.runs import dispatch
from periodic_instructor_reports.states import RunStatus, Trigger
from tests import factories, reports

HOUR = 3600


def refused(test, field, **fields):
    with test.assertRaises(ValidationError) as caught:
        factories.schedule(**fields)
    test.assertFalse(PeriodicReportSchedule.objects.exists())
    test.assertFalse(PeriodicTask.objects.exists())
    return " ".join(caught.exception.message_dict[field])


@ddt.ddt
@override_settings(PERIODIC_INSTRUCTOR_REPORTS_MIN_INTERVAL=HOUR)
class SaveTests(TestCase):
    @ddt.unpack
    @ddt.data(
        (0, IntervalSchedule.SECONDS, "every 0 seconds"),
        (-5, IntervalSchedule.MINUTES, "every -300 seconds"),
        (59, IntervalSchedule.MINUTES, "every 59 minutes"),
        (90, IntervalSchedule.SECONDS, "every 1 minute 30 seconds"),
    )
    def test_too_short_intervals_are_refused(self, every, period, words):
        message = refused(self, "interval", interval=factories.interval(every, period))
        self.assertIn(f"This schedule could run {words}; schedules run at most once every 1 hour", message)
        self.assertIn("PERIODIC_INSTRUCTOR_REPORTS_MIN_INTERVAL", message)

    def test_an_hour_and_more_are_accepted(self):
        factories.schedule(interval=factories.interval(1, IntervalSchedule.HOURS))
        factories.schedule(interval=factories.interval(3, IntervalSchedule.DAYS))
        self.assertEqual(PeriodicTask.objects.count(), 2)

    @ddt.unpack
    @ddt.data(
        ({"minute": "*/30", "hour": "*"}, "every 30 minutes"),
        ({"minute": "*", "hour": "7"}, "every 1 minute"),
        ({"minute": "0,30", "hour": "0,23"}, "every 30 minutes"),
    )
    def test_too_frequent_crontabs_are_refused(self, spec, words):
        message = refused(self, "crontab", interval=None, crontab=factories.crontab(**spec))
        self.assertIn(f"could run {words};", message)

    @ddt.data(
        {"minute": "0", "hour": "7", "day_of_week": "1", "tz": "Europe/Paris"},
        {"minute": "0", "hour": "*"},
        {"minute": "0", "hour": "0,23"},  # 23:00 then 00:00 the next day: an hour apart
    )
    def test_crontabs_an_hour_apart_or_more_are_accepted(self, spec):
        factories.schedule(interval=None, crontab=factories.crontab(**spec))

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_MIN_INTERVAL=2 * HOUR)
    def test_the_gap_across_midnight_counts(self):
        message = refused(self, "crontab", interval=None, crontab=factories.crontab(minute="0", hour="0,23"))
        self.assertIn("could run every 1 hour; schedules run at most once every 2 hours", message)

    def test_a_crontab_that_never_matches_is_refused(self):
        for day, month in (("30", "2"), ("31", "4,6")):
            crontab = factories.crontab()
            crontab.day_of_month, crontab.month_of_year = day, month
            crontab.save()
            self.assertIn("never matches a date", refused(self, "crontab", interval=None, crontab=crontab))

    def test_a_leap_day_on_a_monday_is_a_rare_but_real_date(self):
        crontab = factories.crontab(day_of_week="1")
        crontab.day_of_month, crontab.month_of_year = "29", "2"
        crontab.save()
        schedule = factories.schedule(interval=None, crontab=crontab)
        self.assertEqual(timing.shortest_gap(schedule), datetime.timedelta(days=28 * 365 + 7))

    def test_shortest_gap_of_a_weekly_crontab(self):
        schedule = factories.schedule(interval=None, crontab=factories.crontab(day_of_week="1,3"))
        self.assertEqual(timing.shortest_gap(schedule), datetime.timedelta(days=2))

    def test_the_admin_shows_the_refusal(self):
        from django.contrib.auth import get_user_model

        admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
        self.client.force_login(admin)
        factories.course(factories.COURSE)
        response = self.client.post(reverse("admin:periodic_instructor_reports_periodicreportschedule_add"), {
            "task": factories.report_task().pk, "owner": admin.pk,
            "interval": factories.interval(0, IntervalSchedule.SECONDS).pk, "enabled": "on",
            "name": "Too often", "course_ids": [factories.COURSE],
            "arguments": "[]", "keyword_arguments": "{}",
            "course_state_days": "30",
            "upload_folder_prefix": "", "upload_folder_structure": "regular", "recipients": "[]",
            "notify": "failures",
        })
        self.assertContains(response, "This schedule could run every 0 seconds")
        self.assertFalse(PeriodicReportSchedule.objects.exists())


@override_settings(PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS=reports.ALL + [catalog.GRADE_REPORT])
class DispatchTests(TestCase):
    def setUp(self):
        reports.CALLS.clear()
        self.schedule = factories.schedule(task=factories.report_task("tests.reports.recording_report"))
        self.start = datetime.datetime(2026, 11, 27, 7, tzinfo=datetime.UTC)

    def run_at(self, seconds, trigger=Trigger.BEAT):
        return dispatch.run_schedule(
            self.schedule.pk, trigger=trigger, planned_at=self.start + datetime.timedelta(seconds=seconds)
        )

    def test_an_interval_shortened_in_the_beat_admin_is_skipped_and_recorded_once(self):
        self.assertEqual(self.run_at(0)["status"], "done")
        IntervalSchedule.objects.filter(pk=self.schedule.interval_id).update(every=0)
        for seconds in (1, 2, 3):
            with self.assertLogs("periodic_instructor_reports.runs", "WARNING"):
                result = self.run_at(seconds)
            self.assertEqual(result["status"], "too_soon")
            self.assertIn(f"too soon: {seconds} s after the previous run's due time", result["error"])
        self.assertEqual(len(reports.CALLS), 1)
        skipped = ReportRun.objects.get(status=RunStatus.SKIPPED)
        self.assertEqual(skipped.counts, {"skipped_dispatches": 3})
        self.assertIn("at least 60 s apart", skipped.error)
        self.assertEqual(ReportRun.objects.count(), 2)

    def test_runs_a_minimum_interval_apart_both_run(self):
        self.assertEqual(self.run_at(0)["status"], "done")
        self.assertEqual(self.run_at(60)["status"], "done")
        with self.assertLogs("periodic_instructor_reports.runs", "WARNING") as logs:
            self.assertEqual(self.run_at(90, trigger=Trigger.CRON)["status"], "too_soon")
        self.assertIn("skipped a run, too soon: 30 s after", " ".join(logs.output))
        self.assertEqual(self.run_at(120, trigger=Trigger.CRON)["status"], "done")
        self.assertEqual(len(reports.CALLS), 3)

    def test_run_now_is_never_too_soon(self):
        self.run_at(0)
        self.assertEqual(dispatch.run_schedule(self.schedule.pk, trigger=Trigger.MANUAL)["status"],
                         "done")
        self.assertEqual(len(reports.CALLS), 2)
