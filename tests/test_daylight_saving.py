"""
Schedules across daylight saving changes, against django-celery-beat's own scheduler.

Beat is django-celery-beat's ``DatabaseScheduler`` (its rows query, its ``ModelEntry`` with
``is_due``, its ``last_run_at`` stepping and saving) ticking on the beat rows the plugin writes,
on a frozen clock; each send runs the plugin's dispatch task, as a worker does. The 2026 changes:
Paris (Mar 29, Oct 25), New York (Mar 8, Nov 1), Santiago (Apr 5, Sep 6, at midnight) and Lord
Howe Island (Apr 5, Oct 4, 30 minutes).
"""

import datetime
import json
import zoneinfo
from unittest import mock

import ddt
from celery import current_app
from django.core import mail
from django.test import TestCase, override_settings
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler, ModelEntry
from django_celery_beat.tzcrontab import TzAwareCrontab

from periodic_instructor_reports import api, beat, catalog, tasks, times, timing
from periodic_instructor_reports.admin.common import local_time
from periodic_instructor_reports.models import PeriodicReportSchedule, ReportRun
from periodic_instructor_reports.runs import due, fallback
from periodic_instructor_reports.states import Notify, RunStatus
from tests import factories, reports

UTC = datetime.UTC
HOUR = 3600
DAY = 24 * HOUR
ZONES = ["UTC", "Europe/Paris", "America/New_York", "America/Santiago", "Australia/Lord_Howe"]


def utc(*args):
    return datetime.datetime(*args, tzinfo=UTC)


class Beat:
    """django-celery-beat's DatabaseScheduler on the plugin's beat rows, on a clock the test moves."""

    def __init__(self, test, now):
        self.now = now
        self.sends = []  # (when, the dispatch task's result)
        clock = [
            mock.patch("django.utils.timezone.now", side_effect=lambda: self.now),
            mock.patch.object(TzAwareCrontab, "nowfunc", lambda cron_: self.now.astimezone(cron_.tz)),
            mock.patch.object(ModelEntry, "_default_now",
                              lambda entry: self.now.astimezone(entry.app.timezone)),
        ]
        for patch in clock:
            patch.start()
            test.addCleanup(patch.stop)
        self.scheduler = DatabaseScheduler(app=current_app._get_current_object(), lazy=True)

    def tick(self):
        """Send what beat finds due now; return the seconds to beat's next due time (an hour at most)."""
        wait = HOUR
        # The query beat runs for its rows (``enabled_models`` from django-celery-beat 2.8).
        rows = getattr(self.scheduler, "enabled_models", self.scheduler.Model.objects.enabled)
        for row in rows():
            if row.task != beat.DISPATCH_TASK:
                continue
            entry = ModelEntry(row, app=self.scheduler.app)
            due, wait_for_row = self.scheduler.is_due(entry)
            if due:
                next(entry).save()  # beat's reserve and sync: last_run_at becomes now
                result = tasks.dispatch_report_schedule.apply(args=json.loads(row.args)).get()
                self.sends.append((self.now, result))
            wait = min(wait, wait_for_row)
        return wait

    def run(self, until, *, every=None):
        """Tick until ``until``: every ``every`` seconds, or as beat sleeps (to its next due time)."""
        while self.now <= until:
            wait = self.tick()
            self.now += datetime.timedelta(seconds=max(1, every or wait))
        return self.sends


@override_settings(PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS=reports.ALL + [catalog.GRADE_REPORT],
                   PERIODIC_INSTRUCTOR_REPORTS_MIN_INTERVAL=HOUR)
class BeatTestCase(TestCase):
    def setUp(self):
        reports.CALLS.clear()

    def schedule(self, minute, hour, tz, **fields):
        crontab = factories.crontab(minute=minute, hour=hour, tz=tz)
        return factories.schedule(
            interval=None, crontab=crontab, task=factories.report_task("tests.reports.recording_report"),
            **fields,
        )


@ddt.ddt
class RepeatedHourTests(BeatTestCase):
    """New York falls back on 2026-11-01 at 06:00 UTC: 01:00-02:00 local comes twice."""

    @ddt.unpack
    @ddt.data(
        # crontab, how it starts at 06:10 UTC (01:10 EST, the second pass), its next due time
        (("30", "1"), "resume", utc(2026, 11, 2, 6, 30)),
        (("30", "1"), "enable", utc(2026, 11, 2, 6, 30)),
        (("30", "1"), "create", utc(2026, 11, 2, 6, 30)),
        (("30", "*"), "resume", utc(2026, 11, 1, 7, 30)),
        (("45", "1,2"), "create", utc(2026, 11, 1, 7, 45)),
    )
    def test_beat_sends_once_at_most_after_a_start_in_the_repeated_hour(self, spec, how, expected):
        clock = Beat(self, utc(2026, 10, 31, 12))
        schedule = None
        if how != "create":
            schedule = self.schedule(*spec, "America/New_York", enabled=False)
        clock.now = start = utc(2026, 11, 1, 6, 10)
        if how == "resume":
            api.set_schedules_enabled(PeriodicReportSchedule.objects.all(), enabled=True,
                                      acting_user=factories.superuser())
        elif how == "enable":
            api.update_schedule(schedule, acting_user=factories.superuser(), enabled=True)
        else:
            schedule = self.schedule(*spec, "America/New_York")
        schedule.refresh_from_db()
        self.assertEqual(timing.next_run(schedule, last_due=None, now=start), expected)
        sends = clock.run(start + datetime.timedelta(minutes=1), every=5)
        self.assertLessEqual(len(sends), 1, sends)
        self.assertLessEqual(PeriodicTask.objects.get().last_run_at, start)
        clock.run(expected + datetime.timedelta(minutes=1))
        # Beat sends next at the plugin's next due time, which the run is for, nothing missed.
        self.assertEqual([when for when, _ in clock.sends], [expected])
        run = ReportRun.objects.get()
        self.assertEqual((run.planned_at, run.status, run.missed), (expected, RunStatus.DONE, 0))
        self.assertEqual(len(reports.CALLS), 1)

    def test_the_cron_fallback_runs_the_first_pass_once(self):
        schedule = self.schedule("30", "1", "America/New_York")
        PeriodicReportSchedule.objects.filter(pk=schedule.pk).update(anchor=utc(2026, 10, 31))
        self.assertEqual([summary["status"] for summary in fallback.run_due(now=utc(2026, 11, 1, 5, 30, 20))],
                         ["done"])
        for minute in range(0, 60, 10):
            self.assertEqual(due.due_schedules(now=utc(2026, 11, 1, 6, minute)), [])
        self.assertEqual(ReportRun.objects.get().planned_at, utc(2026, 11, 1, 5, 30))

    def test_the_two_01_30s_are_told_apart(self):
        zone = zoneinfo.ZoneInfo("America/New_York")
        self.assertEqual(local_time(utc(2026, 11, 1, 5, 30), zone),
                         "Sun 2026-11-01 01:30:00 America/New_York (UTC-04:00)")
        self.assertEqual(local_time(utc(2026, 11, 1, 6, 30), zone),
                         "Sun 2026-11-01 01:30:00 America/New_York (UTC-05:00)")
        self.assertEqual(local_time(utc(2026, 11, 1, 7, 30), zone),
                         "Sun 2026-11-01 02:30:00 America/New_York")
        self.assertEqual(local_time(utc(2026, 10, 4, 15), zoneinfo.ZoneInfo("Australia/Lord_Howe")),
                         "Mon 2026-10-05 02:00:00 Australia/Lord_Howe")
        self.assertEqual(local_time(utc(2026, 4, 4, 15, 15), zoneinfo.ZoneInfo("Australia/Lord_Howe")),
                         "Sun 2026-04-05 01:45:00 Australia/Lord_Howe (UTC+10:30)")
        self.assertEqual(times.local_iso(utc(2026, 11, 1, 6, 30), zone), "2026-11-01T01:30:00-05:00")

    def test_the_e_mail_tells_which_01_30(self):
        schedule = self.schedule("30", "*", "America/New_York", recipients=["data@example.com"],
                                 notify=Notify.ALWAYS)
        PeriodicReportSchedule.objects.filter(pk=schedule.pk).update(anchor=utc(2026, 10, 31))
        with mock.patch("django.utils.timezone.now", return_value=utc(2026, 11, 1, 5, 30, 5)):
            fallback.run_due()
        self.assertEqual(len(mail.outbox), 1)
        self.assertIn("(due Sun 2026-11-01 01:30:00 America/New_York (UTC-04:00))", mail.outbox[0].body)


@ddt.ddt
class MinimumIntervalTests(BeatTestCase):
    """A schedule the minimum accepts at save never has a due time skipped by it at run."""

    @ddt.unpack
    @ddt.data(
        # Lord Howe skips 02:00-02:30 on 2026-10-04 (15:30 UTC): its 02:00 runs at 02:30, 30
        # minutes before 03:00.
        (("0", "*", "Australia/Lord_Howe"), HOUR, utc(2026, 10, 3, 12), utc(2026, 10, 3, 19), [
            utc(2026, 10, 3, 12, 30), utc(2026, 10, 3, 13, 30), utc(2026, 10, 3, 14, 30),
            utc(2026, 10, 3, 15, 30), utc(2026, 10, 3, 16), utc(2026, 10, 3, 17), utc(2026, 10, 3, 18),
            utc(2026, 10, 3, 19),
        ]),
        # A day with 23 hours: Paris's 07:00 is 23 hours after the day before's.
        (("0", "7", "Europe/Paris"), DAY, utc(2026, 3, 27, 12), utc(2026, 3, 31, 12), [
            utc(2026, 3, 28, 6), utc(2026, 3, 29, 5), utc(2026, 3, 30, 5), utc(2026, 3, 31, 5),
        ]),
        # New York has no 02:30 on 2026-03-08: it runs at 03:30 EDT, 23 hours before the next.
        (("30", "2", "America/New_York"), DAY, utc(2026, 3, 6, 12), utc(2026, 3, 10, 12), [
            utc(2026, 3, 7, 7, 30), utc(2026, 3, 8, 7, 30), utc(2026, 3, 9, 6, 30), utc(2026, 3, 10, 6, 30),
        ]),
        # Santiago skips midnight on 2026-09-06: its 00:00 runs at 01:00 -03, 23 hours before the next.
        (("0", "0", "America/Santiago"), DAY, utc(2026, 9, 4, 12), utc(2026, 9, 8, 12), [
            utc(2026, 9, 5, 4), utc(2026, 9, 6, 4), utc(2026, 9, 7, 3), utc(2026, 9, 8, 3),
        ]),
    )
    def test_every_send_across_a_spring_forward_submits_the_report_once(self, spec, minimum, start, end,
                                                                         expected):
        with override_settings(PERIODIC_INSTRUCTOR_REPORTS_MIN_INTERVAL=minimum):
            clock = Beat(self, start)
            schedule = self.schedule(*spec)  # accepted at save
            self.assertEqual(timing.next_runs(schedule, after=start, count=len(expected)), expected)
            sends = clock.run(end)
        self.assertEqual([when for when, _ in sends], expected)
        self.assertEqual([result["status"] for _, result in sends], ["done"] * len(expected))
        self.assertEqual(len(reports.CALLS), len(expected))
        runs = ReportRun.objects.order_by("planned_at")
        self.assertEqual([(run.planned_at, run.missed) for run in runs], [(when, 0) for when in expected])

    def test_the_cron_fallback_runs_every_lord_howe_hour_once(self):
        start = utc(2026, 10, 3, 12)
        schedule = self.schedule("0", "*", "Australia/Lord_Howe")
        PeriodicReportSchedule.objects.filter(pk=schedule.pk).update(anchor=start)
        expected = timing.next_runs(schedule, after=start, count=8)
        statuses = []
        for minute in range(7 * 60 + 1):
            now = start + datetime.timedelta(minutes=minute, seconds=20)
            with mock.patch("django.utils.timezone.now", return_value=now):
                statuses += [summary["status"] for summary in fallback.run_due(now=now)]
        self.assertEqual(statuses, ["done"] * len(expected))
        self.assertEqual(list(ReportRun.objects.order_by("planned_at").values_list("planned_at", flat=True)),
                         expected)
        self.assertIn(utc(2026, 10, 3, 16), expected)  # 30 minutes after 02:00, which ran at 02:30

    @ddt.data(
        {"interval": ("30", "minutes")},
        {"crontab": ("*/30", "*")},
    )
    def test_due_times_the_minimum_skips_are_not_missed(self, times_):
        # Saved under a 30-minute minimum, then the minimum is an hour: every other due time is skipped.
        with override_settings(PERIODIC_INSTRUCTOR_REPORTS_MIN_INTERVAL=1800):
            if "interval" in times_:
                schedule = factories.schedule(
                    interval=factories.interval(30, "minutes"),
                    task=factories.report_task("tests.reports.recording_report"),
                )
            else:
                schedule = self.schedule(*times_["crontab"], "UTC")
        start = utc(2026, 3, 2, 10)
        anchor = start - datetime.timedelta(minutes=30)
        PeriodicReportSchedule.objects.filter(pk=schedule.pk).update(anchor=anchor)
        statuses = [self.fire(schedule, start + datetime.timedelta(minutes=minutes))
                    for minutes in (0, 30, 60, 90, 180)]
        self.assertEqual(statuses, ["done", "too_soon", "done", "too_soon", "done"])
        ran = ReportRun.objects.exclude(status=RunStatus.SKIPPED).order_by("planned_at")
        # 10:30 and 11:30 were skipped by the rule; between 11:00 and 13:00 (workers down) 12:00
        # would have run, 11:30 and 12:30 not.
        self.assertEqual([(run.planned_at, run.missed) for run in ran], [
            (start, 0), (start + datetime.timedelta(hours=1), 0), (start + datetime.timedelta(hours=3), 1),
        ])

    def fire(self, schedule, due):
        with mock.patch("django.utils.timezone.now", return_value=due + datetime.timedelta(seconds=3)):
            return tasks.dispatch_report_schedule.apply(args=[schedule.pk]).get()["status"]


def transitions(zone_name, year=2026):
    """Return the moments ``zone_name`` changes its UTC offset in ``year`` (two middays for UTC)."""
    zone = zoneinfo.ZoneInfo(zone_name)
    found, moment = [], utc(year, 1, 1)
    while moment.year == year:
        following = moment + datetime.timedelta(minutes=30)
        if moment.astimezone(zone).utcoffset() != following.astimezone(zone).utcoffset():
            found.append(following)
        moment = following
    return found or [utc(year, 3, 29, 12), utc(year, 10, 25, 12)]


# Crontabs whose times fall in, before and after the hours a change skips or repeats.
SPECS = [("30", "1"), ("0", "*"), ("30", "*"), ("*/15", "*"), ("0", "0"), ("30", "2"), ("45", "1,2")]
# Moments from before each change to after it, off the minute.
OFFSETS = [datetime.timedelta(minutes=minutes, seconds=7) for minutes in range(-160, 161, 20)]


class NextTimesTests(TestCase):
    """Next-time functions never answer a time at or before their moment, and beat agrees with them."""

    @classmethod
    def setUpTestData(cls):
        cls.schedules = [
            factories.schedule(interval=None, crontab=factories.crontab(minute=minute, hour=hour, tz=zone))
            for zone in ZONES for minute, hour in SPECS
        ]

    def test_every_next_time_is_strictly_after_its_moment(self):
        checked = 0
        for schedule in self.schedules:
            crontab = schedule.crontab
            for change in transitions(str(crontab.timezone)):
                for offset in OFFSETS:
                    moment = change + offset
                    with self.subTest(zone=str(crontab.timezone), crontab=(crontab.minute, crontab.hour),
                                      moment=moment):
                        self.check(schedule, moment)
                        checked += 1
        self.assertEqual(checked, len(ZONES) * len(SPECS) * 2 * len(OFFSETS))

    def check(self, schedule, moment):
        following = timing.cron_next_after(schedule.crontab, moment)
        self.assertGreater(following, moment)
        upcoming = timing.next_runs(schedule, after=moment, count=3)
        self.assertEqual(upcoming[0], following)
        self.assertEqual(upcoming, sorted(set(upcoming)))
        self.assertEqual(timing.next_run(schedule, last_due=None, now=moment), following)
        schedule.anchor = moment - datetime.timedelta(days=1)
        due = timing.due_time(schedule, moment)
        self.assertLessEqual(due, moment)
        self.assertEqual(timing.cron_next_after(schedule.crontab, due), following)
        self.assertEqual(timing.missed_between(schedule, due, following), 0)
        # Beat, counting from the last_run_at the plugin writes, sends next at the same time.
        counted_from = timing.beat_counts_from(schedule, moment)
        self.assertLessEqual(counted_from, moment)
        cron_ = schedule.crontab.schedule
        cron_.nowfun = lambda: moment.astimezone(cron_.tz)
        is_due, wait = cron_.is_due(counted_from)
        self.assertFalse(is_due)
        self.assertEqual(moment + datetime.timedelta(seconds=wait), following)
