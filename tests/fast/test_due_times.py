"""Due-time arithmetic of intervals and crontabs, across daylight saving changes, without a database."""

import datetime
from unittest import mock

from django.test import SimpleTestCase, override_settings
from django_celery_beat.models import CrontabSchedule, IntervalSchedule

from periodic_instructor_reports.describe import describe_crontab, describe_when, duration_text
from periodic_instructor_reports.models import PeriodicReportSchedule
from periodic_instructor_reports.timing import (
    MISSED_LIMIT,
    due_time,
    gap_between,
    latest_due,
    missed_between,
    next_run,
    next_runs,
    run_date,
    shortest_gap,
)

UTC = datetime.UTC
ANCHOR = datetime.datetime(2026, 1, 1, tzinfo=UTC)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def utc(*args):
    return datetime.datetime(*args, tzinfo=UTC)


def every(count, period="hours", anchor=ANCHOR):
    interval = IntervalSchedule(pk=1, every=count, period=period)
    return PeriodicReportSchedule(pk=1, interval=interval, anchor=anchor)


def cron(minute="0", hour="*", day_of_week="*", day_of_month="*", month_of_year="*", zone="UTC",
         anchor=ANCHOR):
    crontab = CrontabSchedule(
        pk=1,
        minute=minute,
        hour=hour,
        day_of_week=day_of_week,
        day_of_month=day_of_month,
        month_of_year=month_of_year,
        timezone=zone,
    )
    return PeriodicReportSchedule(pk=1, crontab=crontab, anchor=anchor)


class IntervalDueTimeTests(SimpleTestCase):
    """An interval is due at whole intervals after its anchor."""

    def test_nothing_is_due_before_the_first_interval_ends(self):
        self.assertIsNone(
            latest_due(every(6), since=ANCHOR, now=ANCHOR + 6 * HOUR - datetime.timedelta(seconds=1))
        )

    def test_the_first_interval_is_due_at_its_end(self):
        self.assertEqual(latest_due(every(6), since=ANCHOR, now=ANCHOR + 6 * HOUR), ANCHOR + 6 * HOUR)

    def test_a_late_run_catches_up_once_with_the_latest(self):
        self.assertEqual(latest_due(every(6), since=ANCHOR, now=ANCHOR + 20 * HOUR), ANCHOR + 18 * HOUR)

    def test_due_times_stay_on_the_grid_of_since(self):
        since = ANCHOR + 12 * HOUR
        self.assertEqual(latest_due(every(6), since=since, now=since + 7 * HOUR), since + 6 * HOUR)

    def test_nothing_is_due_when_since_is_not_before_now(self):
        self.assertIsNone(latest_due(every(6), since=ANCHOR, now=ANCHOR))
        self.assertIsNone(latest_due(every(6), since=ANCHOR + HOUR, now=ANCHOR))

    def test_a_zero_interval_is_never_due(self):
        self.assertIsNone(latest_due(every(0), since=ANCHOR, now=ANCHOR + DAY))

    def test_due_time_is_on_the_anchors_grid_whoever_starts_the_run(self):
        now = ANCHOR + 13 * HOUR + datetime.timedelta(minutes=59)
        self.assertEqual(due_time(every(6), now), ANCHOR + 12 * HOUR)

    def test_a_run_before_the_first_due_time_is_for_the_anchor(self):
        self.assertEqual(due_time(every(6), ANCHOR + HOUR), ANCHOR)

    def test_a_run_before_the_anchor_is_for_now(self):
        self.assertEqual(due_time(every(6), ANCHOR - HOUR), ANCHOR - HOUR)

    def test_a_zero_interval_runs_for_now(self):
        now = ANCHOR + 5 * DAY + datetime.timedelta(seconds=17)
        self.assertEqual(due_time(every(0), now), now)

    def test_days_and_minutes(self):
        self.assertEqual(latest_due(every(2, "days"), since=ANCHOR, now=ANCHOR + 5 * DAY), ANCHOR + 4 * DAY)
        self.assertEqual(latest_due(every(90, "minutes"), since=ANCHOR, now=ANCHOR + 4 * HOUR),
                         ANCHOR + 3 * HOUR)


@override_settings(PERIODIC_INSTRUCTOR_REPORTS_MIN_INTERVAL=3600)
class IntervalMissedTests(SimpleTestCase):
    """Due times that passed without a run, between two runs."""

    def test_the_hours_between_two_runs(self):
        self.assertEqual(missed_between(every(1), ANCHOR + HOUR, ANCHOR + 5 * HOUR), 3)

    def test_consecutive_runs_missed_none(self):
        self.assertEqual(missed_between(every(1), ANCHOR + HOUR, ANCHOR + 2 * HOUR), 0)

    def test_times_before_the_anchor_are_not_missed(self):
        self.assertEqual(missed_between(every(1), ANCHOR - 10 * HOUR, ANCHOR + 3 * HOUR), 2)

    def test_nothing_is_missed_when_the_later_run_is_before_the_anchor(self):
        self.assertEqual(missed_between(every(1), ANCHOR - 10 * HOUR, ANCHOR), 0)

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_MIN_INTERVAL=7200)
    def test_times_the_minimum_skips_are_not_missed(self):
        # Every hour, at least two hours apart: of 2h, 3h, 4h only 3h would have run after 1h.
        self.assertEqual(missed_between(every(1), ANCHOR + HOUR, ANCHOR + 5 * HOUR), 1)

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_MIN_INTERVAL=60)
    def test_the_count_is_bounded(self):
        self.assertEqual(missed_between(every(1, "minutes"), ANCHOR, ANCHOR + 10 * DAY), MISSED_LIMIT)

    def test_a_zero_interval_misses_nothing(self):
        self.assertEqual(missed_between(every(0), ANCHOR, ANCHOR + DAY), 0)


@override_settings(PERIODIC_INSTRUCTOR_REPORTS_MIN_INTERVAL=3600)
class CrontabDueTimeTests(SimpleTestCase):
    """A crontab is due at its wall-clock times in its own zone."""

    def test_monday_seven_in_paris_winter(self):
        schedule = cron("0", "7", "1", zone="Europe/Paris")
        self.assertEqual(latest_due(schedule, since=ANCHOR, now=utc(2026, 1, 7)), utc(2026, 1, 5, 6))

    def test_monday_seven_in_paris_summer(self):
        schedule = cron("0", "7", "1", zone="Europe/Paris")
        self.assertEqual(
            latest_due(schedule, since=utc(2026, 5, 30), now=utc(2026, 6, 2)), utc(2026, 6, 1, 5)
        )

    def test_not_due_a_minute_before(self):
        schedule = cron("0", "7", "1", zone="Europe/Paris")
        self.assertIsNone(latest_due(schedule, since=ANCHOR, now=utc(2026, 1, 5, 5, 59)))

    def test_due_exactly_at_its_time(self):
        schedule = cron("0", "7", "1", zone="Europe/Paris")
        self.assertEqual(latest_due(schedule, since=ANCHOR, now=utc(2026, 1, 5, 6)), utc(2026, 1, 5, 6))

    def test_since_itself_is_not_due_again(self):
        schedule = cron("0", "7", "1", zone="Europe/Paris")
        self.assertIsNone(latest_due(schedule, since=utc(2026, 1, 5, 6), now=utc(2026, 1, 12, 5)))

    def test_the_latest_of_several_missed(self):
        schedule = cron("0", "7", "1", zone="Europe/Paris")
        self.assertEqual(latest_due(schedule, since=ANCHOR, now=utc(2026, 2, 1)), utc(2026, 1, 26, 6))

    def test_a_yearly_crontab_looks_back_far_enough(self):
        schedule = cron("0", "0", day_of_month="1", month_of_year="1")
        self.assertEqual(latest_due(schedule, since=utc(2025, 6, 1), now=utc(2026, 12, 31)), utc(2026, 1, 1))

    def test_a_due_time_before_since_is_not_returned(self):
        schedule = cron("0", "0", day_of_month="1", month_of_year="1")
        self.assertIsNone(latest_due(schedule, since=utc(2026, 1, 2), now=utc(2026, 12, 31)))

    def test_due_time_of_a_crontab_run(self):
        schedule = cron("30", "*/6")
        self.assertEqual(due_time(schedule, utc(2026, 2, 3, 13, 10)), utc(2026, 2, 3, 12, 30))

    def test_next_runs_are_in_the_crontabs_zone(self):
        schedule = cron("0", "9", "1-5", zone="America/New_York")
        self.assertEqual(next_runs(schedule, after=utc(2026, 1, 2, 15), count=3),
                         [utc(2026, 1, 5, 14), utc(2026, 1, 6, 14), utc(2026, 1, 7, 14)])

    def test_the_missed_mondays(self):
        schedule = cron("0", "7", "1", zone="Europe/Paris")
        self.assertEqual(missed_between(schedule, utc(2026, 1, 5, 6), utc(2026, 2, 2, 6)), 3)


@override_settings(PERIODIC_INSTRUCTOR_REPORTS_MIN_INTERVAL=3600)
class DaylightSavingTests(SimpleTestCase):
    """
    Europe/Paris: 2026-03-29 02:00 CET becomes 03:00 CEST; 2026-10-25 03:00 CEST becomes 02:00 CET.

    America/New_York: 2026-03-08 02:00 EST becomes 03:00 EDT; 2026-11-01 02:00 EDT becomes 01:00 EST.
    """

    def test_a_skipped_wall_time_runs_an_hour_later(self):
        # 02:30 does not exist on 2026-03-29 in Paris: it is read with the offset before the change.
        schedule = cron("30", "2", zone="Europe/Paris")
        self.assertEqual(latest_due(schedule, since=utc(2026, 3, 28, 12), now=utc(2026, 3, 29, 2)),
                         utc(2026, 3, 29, 1, 30))

    def test_a_skipped_wall_time_is_not_passed_over_just_after_the_change(self):
        # At 03:10 EDT the skipped 02:30 is still to come, at 03:30 EDT.
        schedule = cron("30", "2", zone="America/New_York")
        self.assertEqual(next_runs(schedule, after=utc(2026, 3, 8, 7, 10), count=1), [utc(2026, 3, 8, 7, 30)])

    def test_the_day_after_a_spring_forward_is_on_summer_time(self):
        schedule = cron("30", "2", zone="Europe/Paris")
        self.assertEqual(next_runs(schedule, after=utc(2026, 3, 28, 12), count=3),
                         [utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0, 30), utc(2026, 3, 31, 0, 30)])

    def test_a_spring_forward_does_not_shorten_the_gap(self):
        schedule = cron("30", "2", zone="Europe/Paris")
        self.assertEqual(gap_between(schedule, utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0, 30)), DAY)
        self.assertEqual(gap_between(schedule, utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 30)), DAY)

    def test_a_fall_back_does_not_lengthen_the_gap(self):
        schedule = cron("0", "7", zone="Europe/Paris")
        self.assertEqual(gap_between(schedule, utc(2026, 10, 24, 5), utc(2026, 10, 25, 6)), DAY)

    def test_an_interval_gap_is_real_time(self):
        self.assertEqual(gap_between(every(1, "days"), utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0, 30)),
                         23 * HOUR)

    def test_a_repeated_wall_time_is_due_once(self):
        # 01:30 comes twice in New York on 2026-11-01 (05:30 and 06:30 UTC): only the first is due.
        schedule = cron("30", "1", zone="America/New_York")
        self.assertEqual(latest_due(schedule, since=utc(2026, 10, 31, 12), now=utc(2026, 11, 1, 7)),
                         utc(2026, 11, 1, 5, 30))
        self.assertIsNone(latest_due(schedule, since=utc(2026, 11, 1, 5, 30), now=utc(2026, 11, 1, 7)))

    def test_after_a_repeated_wall_time_the_next_is_the_next_day(self):
        schedule = cron("30", "1", zone="America/New_York")
        self.assertEqual(
            next_runs(schedule, after=utc(2026, 11, 1, 5, 30), count=1), [utc(2026, 11, 2, 6, 30)]
        )

    def test_an_hourly_crontab_sends_the_repeated_hour_once(self):
        schedule = cron("0", "*", zone="Europe/Paris")
        self.assertEqual(next_runs(schedule, after=utc(2026, 10, 24, 23), count=3),
                         [utc(2026, 10, 25, 0), utc(2026, 10, 25, 2), utc(2026, 10, 25, 3)])

    def test_the_repeated_hour_is_not_missed(self):
        schedule = cron("0", "*", zone="Europe/Paris")
        self.assertEqual(missed_between(schedule, utc(2026, 10, 24, 23), utc(2026, 10, 25, 3)), 2)

    def test_the_skipped_hour_is_not_missed(self):
        # Hourly in New York on 2026-03-08: 01:00 EST (06:00 UTC), then 03:00 EDT (07:00 UTC).
        schedule = cron("0", "*", zone="America/New_York")
        self.assertEqual(missed_between(schedule, utc(2026, 3, 8, 5), utc(2026, 3, 8, 8)), 2)

    def test_the_run_date_is_the_crontabs_date(self):
        schedule = cron("30", "0", zone="Europe/Paris")
        self.assertEqual(run_date(schedule, utc(2026, 6, 30, 22, 30)), datetime.date(2026, 7, 1))

    def test_the_run_date_of_an_interval_is_the_sites(self):
        self.assertEqual(run_date(every(1), utc(2026, 6, 30, 22, 30)), datetime.date(2026, 6, 30))
        with override_settings(TIME_ZONE="Asia/Tokyo"):
            self.assertEqual(run_date(every(1), utc(2026, 6, 30, 22, 30)), datetime.date(2026, 7, 1))


class ShortestGapTests(SimpleTestCase):
    """The shortest time a schedule leaves between two runs, checked against the minimum at save."""

    def test_weekly(self):
        self.assertEqual(shortest_gap(cron("0", "7", "1")), 7 * DAY)

    def test_twice_on_weekdays(self):
        self.assertEqual(shortest_gap(cron("0", "9,17", "1-5")), 8 * HOUR)

    def test_evening_to_next_morning(self):
        self.assertEqual(shortest_gap(cron("0", "8,22")), 10 * HOUR)

    def test_daily(self):
        self.assertEqual(shortest_gap(cron("30", "2", zone="Europe/Paris")), DAY)

    def test_every_quarter_hour(self):
        self.assertEqual(shortest_gap(cron("*/15")), datetime.timedelta(minutes=15))

    def test_the_28th_and_the_1st_are_a_day_apart_in_february(self):
        self.assertEqual(shortest_gap(cron("0", "0", day_of_month="1,28")), DAY)

    def test_the_15th_and_the_1st_are_two_weeks_apart_in_february(self):
        self.assertEqual(shortest_gap(cron("0", "0", day_of_month="1,15")), 14 * DAY)

    def test_the_29th_of_february_once_every_four_years_at_most(self):
        self.assertEqual(
            shortest_gap(cron("0", "0", day_of_month="29", month_of_year="2")), 4 * 365 * DAY + DAY
        )

    def test_a_crontab_that_never_fires(self):
        self.assertIsNone(shortest_gap(cron("0", "0", day_of_month="31", month_of_year="2")))

    def test_an_interval(self):
        self.assertEqual(shortest_gap(every(90, "minutes")), 90 * datetime.timedelta(minutes=1))

    def test_neither(self):
        self.assertIsNone(shortest_gap(PeriodicReportSchedule()))


class NextRunTests(SimpleTestCase):
    """When the schedule's page says it runs next."""

    def test_paused(self):
        schedule = every(6)
        schedule.enabled = False
        self.assertIsNone(next_run(schedule, last_due=None, now=ANCHOR))

    def test_an_interval_runs_one_interval_after_its_last_due_time(self):
        self.assertEqual(next_run(every(6), last_due=ANCHOR + 12 * HOUR, now=ANCHOR + 40 * HOUR),
                         ANCHOR + 18 * HOUR)

    def test_an_interval_resumed_after_its_last_run_counts_from_the_anchor(self):
        self.assertEqual(next_run(every(6), last_due=ANCHOR - DAY, now=ANCHOR), ANCHOR + 6 * HOUR)

    def test_a_crontab_runs_next_after_now(self):
        schedule = cron("0", "7", "1", zone="Europe/Paris")
        self.assertEqual(next_run(schedule, last_due=None, now=utc(2026, 1, 5, 6)), utc(2026, 1, 12, 6))


class DescriptionTests(SimpleTestCase):
    """A schedule's times in words."""

    def test_durations(self):
        self.assertEqual(duration_text(5400), "1 hour 30 minutes")
        self.assertEqual(duration_text(90061), "1 day 1 hour 1 minute 1 second")
        self.assertEqual(duration_text(0), "0 seconds")
        self.assertEqual(duration_text(7 * 86400), "7 days")

    def test_intervals(self):
        self.assertEqual(describe_when(every(1)), "every hour")
        self.assertEqual(describe_when(every(90, "minutes")), "every 1 hour 30 minutes")
        self.assertEqual(describe_when(every(2, "days")), "every 2 days")

    def test_a_weekly_crontab_names_its_zone(self):
        self.assertEqual(
            describe_when(cron("0", "7", "1", zone="Europe/Paris")), "every Monday at 07:00 (Europe/Paris)"
        )

    def test_the_week_starts_on_monday(self):
        self.assertEqual(describe_crontab(cron("0", "7", "0,1,3").crontab),
                         "every Monday, Wednesday and Sunday at 07:00")

    def test_every_day_at_two_times(self):
        self.assertEqual(describe_crontab(cron("30", "6,18").crontab), "every day at 06:30 and 18:30")

    def test_a_crontab_that_never_fires(self):
        self.assertEqual(describe_crontab(cron("0", "0", day_of_month="31", month_of_year="2").crontab),
                         "never (the crontab matches no date)")

    def test_neither(self):
        self.assertEqual(describe_when(PeriodicReportSchedule()), "-")

    def test_a_description_failure_gives_the_expression(self):
        with mock.patch(f"{describe_crontab.__module__}.get_description", side_effect=RuntimeError):
            self.assertEqual(describe_crontab(cron("*/5", "1-3").crontab), "*/5 1-3 * * *")
