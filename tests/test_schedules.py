"""Crontab schedules with a time zone: validation, the beat row, next run times, due times."""

import datetime
import zoneinfo

import ddt
from django.core.exceptions import ValidationError
from django.test import TestCase
from django_celery_beat.models import PeriodicTask

from periodic_instructor_reports import api, beat, timing
from periodic_instructor_reports.models import PeriodicReportSchedule
from tests import factories

UTC = datetime.UTC
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def utc(*args):
    return datetime.datetime(*args, tzinfo=UTC)


class CrontabScheduleTests(TestCase):
    def test_exactly_one_of_interval_and_crontab(self):
        with self.assertRaises(ValidationError) as caught:
            factories.schedule(interval=factories.interval(), crontab=factories.crontab())
        self.assertIn("not both", " ".join(caught.exception.message_dict["interval"]))
        with self.assertRaises(ValidationError) as caught:
            factories.schedule(interval=None)
        self.assertIn("needs one of them", " ".join(caught.exception.message_dict["interval"]))
        self.assertFalse(PeriodicReportSchedule.objects.exists())
        self.assertFalse(PeriodicTask.objects.exists())

    def test_beat_row_carries_the_crontab(self):
        crontab = factories.crontab(minute="0", hour="7", day_of_week="1", tz="Europe/Paris")
        schedule = factories.schedule(interval=None, crontab=crontab)
        row = PeriodicTask.objects.get()
        self.assertEqual((row.crontab, row.interval), (crontab, None))
        self.assertEqual(schedule.celery_task, row)

    def test_switching_between_interval_and_crontab_rewrites_the_row(self):
        schedule = factories.schedule()
        crontab = factories.crontab()
        api.update_schedule(schedule, acting_user=factories.superuser(), interval=None, crontab=crontab)
        row = PeriodicTask.objects.get()
        self.assertEqual((row.crontab, row.interval), (crontab, None))
        api.update_schedule(
            schedule, acting_user=factories.superuser(), interval=factories.interval(), crontab=None,
        )
        row.refresh_from_db()
        self.assertEqual((row.crontab, row.interval), (None, factories.interval()))

    def test_reconcile_fixes_a_row_with_the_wrong_schedule_kind(self):
        schedule = factories.schedule(interval=None, crontab=factories.crontab())
        PeriodicTask.objects.filter(pk=schedule.celery_task_id).update(
            crontab=None, interval=factories.interval()
        )
        report = beat.reconcile_beat()
        self.assertEqual(report.updated, [schedule.pk])
        self.assertEqual(PeriodicTask.objects.get().crontab, schedule.crontab)

    def test_crontab_in_use_cannot_be_deleted(self):
        from django.db.models import ProtectedError

        schedule = factories.schedule(interval=None, crontab=factories.crontab())
        with self.assertRaises(ProtectedError):
            schedule.crontab.delete()


@ddt.ddt
class NextRunTests(TestCase):
    def test_every_monday_0700_paris_across_the_change_to_winter_time(self):
        schedule = factories.schedule(
            interval=None,
            crontab=factories.crontab(minute="0", hour="7", day_of_week="1", tz="Europe/Paris"),
        )
        times = timing.next_runs(schedule, after=utc(2026, 10, 13, 12), count=3)
        self.assertEqual(times, [utc(2026, 10, 19, 5), utc(2026, 10, 26, 6), utc(2026, 11, 2, 6)])
        self.assertEqual({t.astimezone(PARIS).strftime("%a %H:%M") for t in times}, {"Mon 07:00"})

    @ddt.unpack
    @ddt.data(
        # crontab (minute, hour, day_of_week, tz), after, the next three due times
        # Paris changes to summer time on Sunday 2026-03-29: Monday 07:00 is 06:00, then 05:00 UTC.
        (
            ("0", "7", "1", "Europe/Paris"), utc(2026, 3, 20),
            [utc(2026, 3, 23, 6), utc(2026, 3, 30, 5), utc(2026, 4, 6, 5)],
        ),
        # New York changes to summer time on Sunday 2026-03-08: 09:30 is 14:30, then 13:30 UTC ...
        (
            ("30", "9", "*", "America/New_York"), utc(2026, 3, 7),
            [utc(2026, 3, 7, 14, 30), utc(2026, 3, 8, 13, 30), utc(2026, 3, 9, 13, 30)],
        ),
        # ... and back to winter time on Sunday 2026-11-01.
        (
            ("30", "9", "*", "America/New_York"), utc(2026, 10, 31),
            [utc(2026, 10, 31, 13, 30), utc(2026, 11, 1, 14, 30), utc(2026, 11, 2, 14, 30)],
        ),
        # Tokyo has no DST, but its Monday 08:00 is Sunday 23:00 UTC.
        (
            ("0", "8", "1", "Asia/Tokyo"), utc(2026, 3, 1),
            [utc(2026, 3, 1, 23), utc(2026, 3, 8, 23), utc(2026, 3, 15, 23)],
        ),
        # Steps within the hour on any day, not only on the day the tests run.
        (
            ("*/15", "*", "*", "UTC"), utc(2026, 3, 1, 12),
            [utc(2026, 3, 1, 12, 15), utc(2026, 3, 1, 12, 30), utc(2026, 3, 1, 12, 45)],
        ),
        (
            ("*/20", "*", "*", "Asia/Tokyo"), utc(2026, 3, 1, 14, 50),
            [utc(2026, 3, 1, 15), utc(2026, 3, 1, 15, 20), utc(2026, 3, 1, 15, 40)],
        ),
    )
    def test_crontab_runs_in_its_own_time_zone(self, spec, after, expected):
        # Regression: celery 5.6 and earlier compute in the zone of the datetime they are given
        # (UTC here), and step within the hour only on the day their clock says is today.
        minute, hour, day_of_week, tz = spec
        crontab = factories.crontab(minute=minute, hour=hour, day_of_week=day_of_week, tz=tz)
        schedule = factories.schedule(interval=None, crontab=crontab)
        self.assertEqual(timing.next_runs(schedule, after=after, count=3), expected)
        zone = zoneinfo.ZoneInfo(tz)
        local = {t.astimezone(zone).strftime("%H:%M") for t in expected}
        if hour != "*":
            self.assertEqual(local, {f"{int(hour):02}:{int(minute):02}"})
        self.assertEqual(
            timing.latest_due(schedule, since=after, now=expected[1] + datetime.timedelta(seconds=59)),
            expected[1],
        )

    def test_interval_next_runs(self):
        schedule = factories.schedule(interval=factories.interval(6, "hours"))
        self.assertEqual(
            timing.next_runs(schedule, after=utc(2026, 1, 1), count=2),
            [utc(2026, 1, 1, 6), utc(2026, 1, 1, 12)],
        )

    def test_next_run(self):
        interval = factories.schedule(interval=factories.interval(1, "days"))
        interval.anchor = utc(2025, 12, 30, 8)
        self.assertEqual(
            timing.next_run(interval, last_due=utc(2026, 1, 1, 8), now=utc(2026, 1, 1, 9)),
            utc(2026, 1, 2, 8),
        )
        self.assertEqual(
            timing.next_run(interval, last_due=None, now=utc(2026, 1, 1)), utc(2025, 12, 31, 8),
        )
        cron = factories.schedule(interval=None, crontab=factories.crontab(minute="30", hour="*"))
        self.assertEqual(
            timing.next_run(cron, last_due=None, now=utc(2026, 1, 1, 9, 31)), utc(2026, 1, 1, 10, 30)
        )
        api.pause_schedules(PeriodicReportSchedule.objects.filter(pk=cron.pk),
                            acting_user=factories.superuser())
        cron.refresh_from_db()
        self.assertIsNone(timing.next_run(cron, last_due=None, now=utc(2026, 1, 1)))

    def test_due_times_are_the_schedule_s_own_grid(self):
        schedule = factories.schedule(interval=factories.interval(6, "hours"))
        schedule.anchor = utc(2026, 3, 1, 7, 0, 13)
        # Whoever starts a run (two beats, a restarted beat, cron) names the same due time.
        for moment in (utc(2026, 3, 1, 13, 0, 13), utc(2026, 3, 1, 13, 0, 14), utc(2026, 3, 1, 18, 59)):
            self.assertEqual(timing.due_time(schedule, moment), utc(2026, 3, 1, 13, 0, 13))
        self.assertEqual(timing.due_time(schedule, utc(2026, 3, 1, 9)), schedule.anchor)
        ran = utc(2026, 3, 1, 13, 0, 13)
        self.assertEqual(timing.missed_between(schedule, ran, utc(2026, 3, 2, 7, 0, 13)), 2)
        self.assertEqual(timing.missed_between(schedule, ran, utc(2026, 3, 1, 19, 0, 13)), 0)
        # Paused meanwhile: the anchor moved to the resume, and times before it are not missed.
        schedule.anchor = utc(2026, 3, 1, 20)
        self.assertEqual(timing.missed_between(schedule, ran, utc(2026, 3, 2, 8)), 1)

    def test_crontab_due_times_and_missed(self):
        schedule = factories.schedule(interval=None, crontab=factories.crontab(minute="0", hour="7,19"))
        schedule.anchor = utc(2026, 3, 1)
        self.assertEqual(timing.due_time(schedule, utc(2026, 3, 2, 18, 59)), utc(2026, 3, 2, 7))
        self.assertEqual(timing.due_time(schedule, utc(2026, 3, 2, 19, 0, 1)), utc(2026, 3, 2, 19))
        self.assertEqual(timing.missed_between(schedule, utc(2026, 3, 1, 7), utc(2026, 3, 2, 19)), 2)

    @ddt.unpack
    @ddt.data(
        # crontab (minute, hour, day_of_week, tz), since, now, latest due time or None
        (("0", "7", "1", "Europe/Paris"), utc(2026, 10, 1), utc(2026, 10, 20, 12), utc(2026, 10, 19, 5)),
        (("0", "7", "1", "Europe/Paris"), utc(2026, 10, 19, 5), utc(2026, 10, 20, 12), None),
        (("0", "7", "1", "Europe/Paris"), utc(2026, 10, 19, 5), utc(2026, 10, 26, 6), utc(2026, 10, 26, 6)),
        (("*", "*", "*", "UTC"), utc(2026, 1, 1), utc(2026, 3, 1, 12, 0, 30), utc(2026, 3, 1, 12)),
        (("*", "*", "*", "UTC"), utc(2026, 3, 1, 12), utc(2026, 3, 1, 12, 0, 59), None),
        (("*/15", "*", "*", "UTC"), utc(2026, 3, 1, 11, 45), utc(2026, 3, 1, 12, 14), utc(2026, 3, 1, 12)),
    )
    def test_latest_due_crontab(self, spec, since, now, expected):
        minute, hour, day_of_week, tz = spec
        schedule = factories.schedule(
            interval=None,
            crontab=factories.crontab(minute=minute, hour=hour, day_of_week=day_of_week, tz=tz),
        )
        self.assertEqual(timing.latest_due(schedule, since=since, now=now), expected)

    @ddt.unpack
    @ddt.data(
        (utc(2026, 1, 1), utc(2026, 1, 1, 0, 59), None),
        (utc(2026, 1, 1), utc(2026, 1, 1, 1), utc(2026, 1, 1, 1)),
        (utc(2026, 1, 1), utc(2026, 1, 1, 5, 30), utc(2026, 1, 1, 5)),  # catches up once
    )
    def test_latest_due_interval(self, since, now, expected):
        schedule = factories.schedule(interval=factories.interval(1, "hours"))
        self.assertEqual(timing.latest_due(schedule, since=since, now=now), expected)

    def test_run_date_in_the_schedule_time_zone(self):
        tokyo = factories.schedule(interval=None, crontab=factories.crontab(tz="Asia/Tokyo"))
        plain = factories.schedule()
        moment = utc(2026, 3, 1, 23, 30)
        self.assertEqual(timing.run_date(tokyo, moment), datetime.date(2026, 3, 2))
        self.assertEqual(timing.run_date(plain, moment), datetime.date(2026, 3, 1))


class PauseResumeApiTests(TestCase):
    def test_pause_and_resume_by_name(self):
        schedule = factories.schedule()
        queryset, boss = PeriodicReportSchedule.objects.filter(pk=schedule.pk), factories.superuser()
        self.assertEqual(api.pause_schedules(queryset, acting_user=boss), 1)
        self.assertEqual(api.pause_schedules(queryset, acting_user=boss), 0)
        self.assertFalse(PeriodicTask.objects.get().enabled)
        self.assertEqual(api.resume_schedules(queryset, acting_user=boss), 1)
        self.assertTrue(PeriodicTask.objects.get().enabled)
        self.assertTrue(PeriodicReportSchedule.objects.get().enabled)
