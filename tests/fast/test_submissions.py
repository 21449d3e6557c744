"""What one course's submission comes to: decided before the call, or by the report function's answer,
put on its row once the batch's calls are made."""

import datetime
import hashlib
import time
import weakref
from unittest import mock

from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.auth import get_user_model
from django.db import OperationalError
from django.test import SimpleTestCase, override_settings

from periodic_instructor_reports import permissions, platform
from periodic_instructor_reports.exceptions import ProfileColumnsError
from periodic_instructor_reports.models import (
    PeriodicReportSchedule,
    PeriodicReportTask,
    ReportRunCourse,
)
from periodic_instructor_reports.runs.lease import LeaseLost
from periodic_instructor_reports.runs.plan import Plan
from periodic_instructor_reports.runs.submit import Call, _make_calls, _prepare, _record
from periodic_instructor_reports.states import Outcome

GRADES = "lms.djangoapps.instructor_task.api.submit_calculate_grades_csv"
COURSE = "course-v1:edX+DemoX+Demo_Course"
OWN = hashlib.sha1(COURSE.encode()).hexdigest()


class Submitted:
    """What a report function returns: the platform's task row, with its task id."""

    def __init__(self, task_id):
        self.task_id = task_id


class AlreadyRunning(Exception):
    pass


class QueueError(Exception):
    pass


def make_plan(function=None, *, structure="regular", prefix="reports/"):
    schedule = PeriodicReportSchedule(
        pk=3, task=PeriodicReportTask(path=GRADES), owner=get_user_model()(username="owner"),
        upload_folder_structure=structure, upload_folder_prefix=prefix,
    )
    return Plan(schedule, function=function or mock.Mock(return_value=mock.Mock(task_id="t-1")), upload=True)


def make_row(course_id=COURSE, attempt=1):
    return ReportRunCourse(run_id=2, course_id=course_id, attempt=attempt)


def held_lease(held=True):
    """A lease due for renewal before every call, ``renew`` answering ``held``."""
    return mock.Mock(**{"renew.return_value": held, "renew_at.return_value": 0.0})


def made(run_plan, rows, calls, errors=(AlreadyRunning, QueueError), *, held=True, started=None):
    """Make the calls and put their outcomes on the rows; return ``(outage, made calls)``."""
    done, lease = [], held_lease(held)
    with mock.patch.object(platform, "report_errors", return_value=errors):
        try:
            outage = _make_calls(run_plan, mock.Mock(pk=2), lease, rows, calls, done)
        finally:
            _record(rows, calls, done, started=started)
    return outage, done


def prepared(run_plan, rows, refusal=""):
    with mock.patch.object(permissions, "request_refusal", return_value=refusal):
        return _prepare(run_plan, rows)


class PrepareTests(SimpleTestCase):
    """Outcomes decided for a batch before its first submission."""

    def test_a_course_to_submit_gets_its_call_and_its_row_its_folder_and_name(self):
        course = make_row()
        [call] = prepared(make_plan(), [course])
        self.assertEqual(
            (str(call.key), call.kwargs, call.outcome), (COURSE, {"upload_parent_dir": f"reports/{OWN}"}, "")
        )
        self.assertEqual((course.upload_parent_dir, course.expected_name),
                         (f"reports/{OWN}", "edX_DemoX_Demo_Course_grade_report"))

    def test_a_shared_folder_names_the_file_with_the_courses_token(self):
        course = make_row()
        [call] = prepared(make_plan(structure="flat"), [course])
        self.assertEqual(call.kwargs["filename"], f"grade_report_{OWN[:16]}")
        self.assertEqual(course.expected_name, f"edX_DemoX_Demo_Course_grade_report_{OWN[:16]}")

    def test_an_id_that_is_no_course_key_is_skipped(self):
        course = make_row("not a course")
        [call] = prepared(make_plan(), [course])
        self.assertEqual(call.outcome, Outcome.SKIPPED)
        self.assertTrue(call.error.startswith("invalid_course: InvalidKeyError: "), call.error)
        self.assertEqual(course.expected_name, "")

    def test_a_course_the_owner_may_not_request_is_refused(self):
        [call] = prepared(make_plan(), [make_row()], refusal="owner has no data access")
        self.assertEqual(
            (call.key, call.outcome, call.error), (None, Outcome.REFUSED, "owner has no data access")
        )

    def test_a_course_in_another_courses_folder_is_refused(self):
        other = hashlib.sha1(b"course-v1:edX+Other+2026").hexdigest()
        [call] = prepared(make_plan(structure="flat", prefix=f"{other}/"), [make_row()])
        self.assertEqual(call.outcome, Outcome.REFUSED)
        self.assertTrue(call.error.startswith("folder refused: "), call.error)

    def test_a_profile_columns_error_fails_the_course(self):
        run_plan = make_plan()
        with mock.patch.object(Plan, "call_for", side_effect=ProfileColumnsError("bad site columns")), \
                self.assertLogs(_prepare.__module__, "WARNING"):
            [call] = prepared(run_plan, [make_row()])
        self.assertEqual((call.outcome, call.error), (Outcome.FAILED, "profile_columns: bad site columns"))

    def test_one_call_per_row_in_order(self):
        rows = [make_row("course-v1:a+b+c"), make_row("bad"), make_row("course-v1:a+b+d")]
        calls = prepared(make_plan(), rows)
        self.assertEqual([str(call.key) if call.key else call.outcome for call in calls],
                         ["course-v1:a+b+c", Outcome.SKIPPED, "course-v1:a+b+d"])


class DecidedCallTests(SimpleTestCase):
    """A course whose outcome was decided beforehand is not submitted."""

    def test_the_decided_outcome_is_put_on_the_row(self):
        run_plan, course = make_plan(), make_row()
        outage, _ = made(run_plan, [course], [Call(outcome=Outcome.SKIPPED, error="invalid_course: x")])
        self.assertEqual(outage, "")
        self.assertEqual((course.outcome, course.error), (Outcome.SKIPPED, "invalid_course: x"))
        self.assertIsNotNone(course.finished_at)
        run_plan.function.assert_not_called()

    def test_a_refusal_is_logged_once_the_calls_are_made(self):
        course = make_row()
        with self.assertLogs(_prepare.__module__, "WARNING") as logs:
            made(make_plan(), [course], [Call(outcome=Outcome.REFUSED, error="folder refused: x")])
        self.assertEqual(course.outcome, Outcome.REFUSED)
        self.assertIn("refused course-v1:edX+DemoX+Demo_Course: folder refused: x", logs.output[0])


@override_settings(PERIODIC_INSTRUCTOR_REPORTS_RETRY_ATTEMPTS=3)
class SubmitTests(SimpleTestCase):
    """The report function's answer, or what it raised."""

    def submit(self, function, course=None):
        course = course or make_row()
        call = Call(key=mock.sentinel.key, kwargs={"upload_parent_dir": "reports/"})
        outage, _ = made(make_plan(function), [course], [call])
        return outage, course

    def test_a_submission_records_the_platforms_task(self):
        function = mock.Mock(return_value=mock.Mock(task_id="abc-123"))
        outage, course = self.submit(function)
        self.assertEqual(
            (outage, course.outcome, course.task_id, course.error), ("", Outcome.SUBMITTED, "abc-123", "")
        )
        function.assert_called_once_with(mock.sentinel.key, upload_parent_dir="reports/")
        self.assertIsNotNone(course.finished_at)

    def test_a_function_returning_no_task_is_submitted_without_one(self):
        outage, course = self.submit(mock.Mock(return_value=None))
        self.assertEqual((course.outcome, course.task_id), (Outcome.SUBMITTED, ""))

    def test_a_report_already_running_is_recorded_to_retry(self):
        outage, course = self.submit(mock.Mock(side_effect=AlreadyRunning("task already running")))
        self.assertEqual((outage, course.outcome, course.error),
                         ("", Outcome.ALREADY_RUNNING, "AlreadyRunning: task already running"))

    def test_a_broker_refusal_holds_the_rest_back(self):
        with self.assertLogs(_prepare.__module__, "WARNING"):
            outage, course = self.submit(mock.Mock(side_effect=QueueError("broker down")))
        self.assertEqual(outage, "the platform could not queue a report: broker down")
        self.assertEqual(
            (course.outcome, course.error), (Outcome.PENDING, "queue_error: QueueError: broker down")
        )

    def test_the_last_allowed_attempt_is_still_held_back(self):
        with self.assertLogs(_prepare.__module__, "WARNING"):
            outage, course = self.submit(mock.Mock(side_effect=QueueError("down")), make_row(attempt=3))
        self.assertEqual(course.outcome, Outcome.PENDING)
        self.assertTrue(outage)

    def test_past_its_attempts_a_broker_refusal_fails_the_course_and_the_rest_goes_on(self):
        outage, course = self.submit(mock.Mock(side_effect=QueueError("down")), make_row(attempt=4))
        self.assertEqual(
            (outage, course.outcome, course.error), ("", Outcome.FAILED, "queue_error: QueueError: down")
        )

    def test_any_other_error_fails_the_course(self):
        with self.assertLogs(_prepare.__module__, "ERROR"):
            outage, course = self.submit(mock.Mock(side_effect=TypeError("unexpected keyword 'x'")))
        self.assertEqual((outage, course.outcome, course.error),
                         ("", Outcome.FAILED, "TypeError: unexpected keyword 'x'"))

    def test_outside_the_lms_the_platforms_errors_are_failures(self):
        course = make_row()
        call = Call(key=mock.sentinel.key, kwargs={})
        function = mock.Mock(side_effect=QueueError("down"))
        with self.assertLogs(_prepare.__module__, "ERROR"):
            outage, _ = made(make_plan(function), [course], [call], errors=((), ()))
        self.assertEqual((outage, course.outcome), ("", Outcome.FAILED))

    def test_a_database_error_or_time_limit_is_raised(self):
        for error in (OperationalError("gone"), SoftTimeLimitExceeded()):
            with self.subTest(type(error).__name__), self.assertRaises(type(error)):
                self.submit(mock.Mock(side_effect=error))

    def test_a_long_task_id_is_cut(self):
        outage, course = self.submit(mock.Mock(return_value=mock.Mock(task_id="x" * 300)))
        self.assertEqual(len(course.task_id), 255)


@override_settings(PERIODIC_INSTRUCTOR_REPORTS_RETRY_ATTEMPTS=3)
class BatchOfCallsTests(SimpleTestCase):
    """A batch's calls in turn: an outage stops them, each row's times follow the one before."""

    def rows_and_calls(self, count):
        rows = [make_row(f"course-v1:a+b+{number}") for number in range(count)]
        return rows, [Call(key=row.course_id, kwargs={}) for row in rows]

    def test_an_outage_stops_the_calls_and_leaves_the_rest_as_they_were(self):
        rows, calls = self.rows_and_calls(3)
        function = mock.Mock(
            side_effect=[mock.Mock(task_id="t-0"), QueueError("down"), mock.Mock(task_id="t-2")]
        )
        with self.assertLogs(_prepare.__module__, "WARNING"):
            outage, done = made(make_plan(function), rows, calls)
        self.assertEqual(outage, "the platform could not queue a report: down")
        self.assertEqual(len(done), 2)
        self.assertEqual([row.outcome for row in rows], [Outcome.SUBMITTED, Outcome.PENDING, Outcome.PENDING])
        self.assertEqual(function.call_count, 2)
        self.assertIsNone(rows[2].finished_at)
        self.assertEqual(_record(rows, calls, done), rows[:2])

    def test_each_course_starts_as_the_one_before_ends(self):
        rows, calls = self.rows_and_calls(3)
        started = mock.sentinel.started
        made(make_plan(), rows, calls, started=started)
        self.assertEqual([row.started_at for row in rows],
                         [started, rows[0].finished_at, rows[1].finished_at])
        self.assertLessEqual(rows[0].finished_at, rows[1].finished_at)

    def test_a_lost_lease_stops_before_the_next_call(self):
        rows, calls = self.rows_and_calls(2)
        run_plan = make_plan()
        with self.assertRaises(LeaseLost):
            made(run_plan, rows, calls, held=False)
        run_plan.function.assert_not_called()
        self.assertEqual([row.outcome for row in rows], [Outcome.PENDING, Outcome.PENDING])

    def test_the_lease_is_renewed_only_once_due(self):
        rows, calls = self.rows_and_calls(3)
        lease = mock.Mock(**{"renew.return_value": True, "renew_at.side_effect": [0.0, time.time() + 3600]})
        with mock.patch.object(platform, "report_errors", return_value=(AlreadyRunning, QueueError)):
            _make_calls(make_plan(), mock.Mock(pk=2), lease, rows, calls, [])
        lease.renew.assert_called_once_with()
        self.assertEqual(lease.renew_at.call_count, 2)

    def test_a_call_is_kept_as_its_task_id_alone(self):
        # What the platform returns (its task row) is let go at once: a batch kept 500 of them,
        # and the garbage collector went through them all.
        rows, calls = self.rows_and_calls(1)
        returned = []

        def function(*_args, **_kwargs):
            returned.append(Submitted("t-0"))
            return returned[-1]

        done = []
        with mock.patch.object(platform, "report_errors", return_value=(AlreadyRunning, QueueError)):
            _make_calls(make_plan(function), mock.Mock(pk=2), held_lease(), rows, calls, done)
        gone = weakref.ref(returned.pop())
        self.assertIsNone(gone())
        self.assertEqual(done[0][:2], ("t-0", None))
        _record(rows, calls, done)
        self.assertEqual((rows[0].outcome, rows[0].task_id), (Outcome.SUBMITTED, "t-0"))

    def test_a_calls_end_is_stored_as_a_moment_in_utc(self):
        rows, calls = self.rows_and_calls(1)
        _record(rows, calls, [("t-0", None, 1_780_000_000.25)], started=mock.sentinel.started)
        self.assertEqual(rows[0].finished_at,
                         datetime.datetime(2026, 5, 28, 20, 26, 40, 250000, tzinfo=datetime.UTC))
        self.assertEqual(rows[0].started_at, mock.sentinel.started)

    @override_settings(USE_TZ=False)
    def test_without_time_zones_the_end_is_the_local_time(self):
        rows, calls = self.rows_and_calls(1)
        _record(rows, calls, [("t-0", None, 1_780_000_000.25)])
        self.assertEqual(rows[0].finished_at, datetime.datetime.fromtimestamp(1_780_000_000.25))
        self.assertIsNone(rows[0].finished_at.tzinfo)

    def test_a_time_limit_keeps_the_calls_made_before_it(self):
        rows, calls = self.rows_and_calls(3)
        function = mock.Mock(side_effect=[mock.Mock(task_id="t-0"), SoftTimeLimitExceeded()])
        done = []
        with mock.patch.object(platform, "report_errors", return_value=(AlreadyRunning, QueueError)), \
                self.assertRaises(SoftTimeLimitExceeded):
            _make_calls(make_plan(function), mock.Mock(pk=2), held_lease(), rows, calls, done)
        self.assertEqual(len(done), 1)
        self.assertEqual(_record(rows, calls, done), rows[:1])
        self.assertEqual((rows[0].outcome, rows[0].task_id), (Outcome.SUBMITTED, "t-0"))
