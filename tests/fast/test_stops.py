"""Why a run stops, what a dispatcher failure does to it, and how long a continuation may take."""

import datetime
from unittest import mock

from celery.exceptions import SoftTimeLimitExceeded
from django.db import DatabaseError, OperationalError
from django.test import SimpleTestCase, override_settings

from periodic_instructor_reports.lengths import exception_text as summary
from periodic_instructor_reports.models import PeriodicReportSchedule, ReportRun
from periodic_instructor_reports.runs import lease, store
from periodic_instructor_reports.runs.dispatch import Start, _stop_reason
from periodic_instructor_reports.runs.ending import ending_on_error, result
from periodic_instructor_reports.runs.handoff import time_limits
from periodic_instructor_reports.runs.lease import Lease

AUTOMATIC = ("beat", "cron", "catch_up")
RUN = ReportRun(pk=9, trigger="beat")


class StopReasonTests(SimpleTestCase):
    """Between batches a run checks its schedule: deleted or paused, it stops."""

    def test_a_deleted_schedule_stops_every_run(self):
        for trigger in (*AUTOMATIC, "manual"):
            with self.subTest(trigger):
                self.assertEqual(_stop_reason(ReportRun(trigger=trigger), None),
                                 "the schedule was deleted during the run")

    def test_a_paused_schedule_stops_automatic_runs(self):
        for trigger in AUTOMATIC:
            with self.subTest(trigger):
                self.assertEqual(
                    _stop_reason(ReportRun(trigger=trigger), PeriodicReportSchedule(enabled=False)),
                    "the schedule was paused during the run",
                )

    def test_a_paused_schedule_lets_a_manual_run_finish(self):
        self.assertEqual(_stop_reason(ReportRun(trigger="manual"), PeriodicReportSchedule(enabled=False)), "")

    def test_an_enabled_schedule_goes_on(self):
        for trigger in (*AUTOMATIC, "manual"):
            with self.subTest(trigger):
                self.assertEqual(
                    _stop_reason(ReportRun(trigger=trigger), PeriodicReportSchedule(enabled=True)), ""
                )

    def test_the_schedules_state_read_between_batches(self):
        self.assertEqual(_stop_reason(ReportRun(trigger="beat"), {"enabled": False}),
                         "the schedule was paused during the run")
        self.assertEqual(_stop_reason(ReportRun(trigger="beat"), {"enabled": True}), "")
        self.assertEqual(_stop_reason(ReportRun(trigger="manual"), {"enabled": False}), "")


@mock.patch.object(store, "finish_run")
@mock.patch.object(store, "close_open_rows")
class DispatcherFailureTests(SimpleTestCase):
    """A failure of the dispatcher itself: resumed when transient, else the run ends as ``error``."""

    def test_a_fault_ends_the_run_and_is_raised_again(self, close_open_rows, finish_run):
        with self.assertLogs(ending_on_error.__module__, "ERROR"), self.assertRaises(KeyError):
            with ending_on_error(RUN, "holder-1"):
                raise KeyError("features")
        close_open_rows.assert_called_once_with(
            RUN, "not submitted: the dispatcher failed: KeyError: 'features'"
        )
        finish_run.assert_called_once_with(
            RUN, status="error", error="KeyError: 'features'", holder="holder-1"
        )

    def test_a_database_error_leaves_the_run_to_be_resumed(self, close_open_rows, finish_run):
        with self.assertRaises(OperationalError), ending_on_error(RUN, "holder-1"):
            raise OperationalError("server closed the connection")
        close_open_rows.assert_not_called()
        finish_run.assert_not_called()

    def test_a_time_limit_leaves_the_run_to_be_resumed(self, _close_open_rows, finish_run):
        with self.assertRaises(SoftTimeLimitExceeded), ending_on_error(RUN, "holder-1"):
            raise SoftTimeLimitExceeded()
        finish_run.assert_not_called()

    def test_nothing_happens_without_failure(self, close_open_rows, finish_run):
        with ending_on_error(RUN, "holder-1"):
            pass
        close_open_rows.assert_not_called()
        finish_run.assert_not_called()


@mock.patch.object(lease, "heartbeat", return_value=True)
class LeaseTests(SimpleTestCase):
    """A holder records progress at least every quarter of ``RESUME_AFTER`` while it submits."""

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_RESUME_AFTER=900)
    def test_progress_is_recorded_once_a_quarter_passed(self, heartbeat):
        lease = Lease(RUN, "holder-1")
        start = lease.renewed_at
        self.assertTrue(lease.renew(start + datetime.timedelta(seconds=224)))
        heartbeat.assert_not_called()
        self.assertTrue(lease.renew(start + datetime.timedelta(seconds=225)))
        heartbeat.assert_called_once_with(RUN, "holder-1")
        self.assertTrue(lease.renew(start + datetime.timedelta(seconds=449)))
        self.assertEqual(heartbeat.call_count, 1)

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_RESUME_AFTER=900)
    def test_it_says_when_progress_is_next_due(self, _heartbeat):
        lease = Lease(RUN, "holder-1")
        start = lease.renewed_at
        self.assertEqual(lease.renew_at(), (start + datetime.timedelta(seconds=225)).timestamp())
        lease.renew(start + datetime.timedelta(seconds=300))
        self.assertEqual(lease.renew_at(), (start + datetime.timedelta(seconds=525)).timestamp())

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_RESUME_AFTER=60)
    def test_a_lost_run_is_told(self, heartbeat):
        heartbeat.return_value = False
        lease = Lease(RUN, "holder-1")
        self.assertFalse(lease.renew(lease.renewed_at + datetime.timedelta(seconds=15)))


class TimeLimitTests(SimpleTestCase):
    """A continuation's limits grow with the courses it has left."""

    def test_a_continuation_with_nothing_left(self):
        self.assertEqual(time_limits(0), (300, 420))

    def test_a_second_per_course_by_default(self):
        self.assertEqual(time_limits(5000), (5300, 5420))

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_SECONDS_PER_COURSE=3)
    def test_the_setting(self):
        self.assertEqual(time_limits(100), (600, 720))

    def test_the_hard_limit_leaves_time_to_record(self):
        soft, hard = time_limits(123)
        self.assertEqual(hard - soft, 120)


class SummaryTests(SimpleTestCase):
    """What the history keeps of an exception, and of a run."""

    def test_type_and_message(self):
        self.assertEqual(summary(ValueError("bad input")), "ValueError: bad input")

    def test_no_message(self):
        self.assertEqual(summary(RuntimeError()), "RuntimeError: ")

    def test_a_database_error_keeps_its_own_type(self):
        self.assertEqual(summary(DatabaseError("gone")), "DatabaseError: gone")

    def test_at_most_500_characters(self):
        self.assertEqual(len(summary(ValueError("x" * 1000))), 500)

    def test_the_result_a_dispatch_returns(self):
        self.assertEqual(
            result("done", schedule_id=1, run_id=2, counts={"submitted": 3}),
            {"schedule_id": 1, "run_id": 2, "status": "done", "counts": {"submitted": 3}, "error": ""},
        )
        self.assertEqual(result("busy", run_id=4)["counts"], {})

    def test_a_start_without_run(self):
        self.assertEqual(Start("disabled", 5).result(),
                         {"schedule_id": 5, "run_id": None, "status": "disabled", "counts": {}, "error": ""})

    def test_a_start_with_its_run(self):
        started = Start("too_soon", 5, ReportRun(pk=8, counts={"skipped": 1}), "too soon")
        self.assertEqual(started.result(),
                         {"schedule_id": 5, "run_id": 8, "status": "too_soon", "counts": {"skipped": 1},
                          "error": "too soon"})
