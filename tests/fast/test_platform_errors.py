"""How the platform's task row (its state and output) becomes a course's outcome and error."""

import datetime
import json
from unittest import mock

from django.test import SimpleTestCase, override_settings

from periodic_instructor_reports.follow import _settle, _storage_trouble
from periodic_instructor_reports.models import ReportRunCourse
from periodic_instructor_reports.states import Outcome
from periodic_instructor_reports.task_output import (
    platform_error,
    raised_in_traceback,
    refused_by_the_broker,
)
from periodic_instructor_reports.task_output import ungraded as _ungraded

NOW = datetime.datetime(2026, 5, 4, 12, tzinfo=datetime.UTC)
UPDATED = NOW - datetime.timedelta(minutes=3)
TRACEBACK = 'Traceback (most recent call last):\n  File "x.py", line 1, in f\n    go()\n'


def wrapped(message):
    return json.dumps({"exception": "ExceptionWithTraceback", "message": message})


def row(started_ago=datetime.timedelta(minutes=10), task_id="t-1"):
    started = NOW - started_ago if started_ago is not None else None
    return ReportRunCourse(pk=1, run_id=2, course_id="course-v1:edX+DemoX+Demo_Course", task_id=task_id,
                           outcome=Outcome.SUBMITTED, started_at=started)


class PlatformErrorTests(SimpleTestCase):
    """The error text of an ended platform task."""

    def test_exception_and_message(self):
        output = json.dumps({"exception": "ValueError", "message": "bad input", "traceback": "..."})
        self.assertEqual(platform_error("FAILURE", output), "ValueError: bad input")

    def test_a_message_alone(self):
        self.assertEqual(platform_error("FAILURE", json.dumps({"message": "disk full"})), "disk full")

    def test_an_exception_alone(self):
        self.assertEqual(platform_error("FAILURE", json.dumps({"exception": "MemoryError"})), "MemoryError")

    def test_an_object_saying_nothing(self):
        self.assertEqual(
            platform_error("FAILURE", json.dumps({"attempted": 3})), "the platform's task ended FAILURE"
        )

    def test_celerys_wrapper_names_the_exception_raised(self):
        message = f'\n"""\n{TRACEBACK}lms.tasks.ReportFailed: disk: full\n"""'
        self.assertEqual(platform_error("FAILURE", wrapped(message)), "ReportFailed: disk: full")

    def test_the_wrapper_of_an_exception_without_message(self):
        self.assertEqual(platform_error("FAILURE", wrapped(f"{TRACEBACK}KeyError")), "KeyError")

    def test_the_wrapper_of_no_traceback_keeps_its_text(self):
        self.assertEqual(platform_error("FAILURE", wrapped("the worker was lost")),
                         "ExceptionWithTraceback: the worker was lost")

    def test_raw_text_is_the_broker_refusal(self):
        self.assertEqual(platform_error("FAILURE", "[Errno 111] Connection refused"),
                         "the platform's task ended FAILURE ([Errno 111] Connection refused)")

    def test_no_output(self):
        self.assertEqual(platform_error("REVOKED", None), "the platform's task ended REVOKED")
        self.assertEqual(platform_error("REVOKED", ""), "the platform's task ended REVOKED")

    def test_a_success_that_says_failed(self):
        self.assertEqual(
            platform_error("SUCCESS", json.dumps("failed")), "the platform's task ended SUCCESS (failed)"
        )

    def test_the_error_is_at_most_500_characters(self):
        output = json.dumps({"exception": "ValueError", "message": "x" * 2000})
        self.assertEqual(len(platform_error("FAILURE", output)), 500)
        self.assertEqual(len(platform_error("FAILURE", "y" * 2000)), 500)


class RaisedInTracebackTests(SimpleTestCase):
    """The ``Type: message`` a formatted traceback ends with."""

    def test_a_dotted_type_is_named_by_its_last_part(self):
        self.assertEqual(raised_in_traceback(f"{TRACEBACK}a.b.c.Boom: it broke"), "Boom: it broke")

    def test_a_traceback_the_platform_cut_at_its_start(self):
        self.assertEqual(
            raised_in_traceback('in f\n    go()\nKeyError: \'features\'\n"""...'), "KeyError: 'features'"
        )

    def test_a_last_line_of_code_is_no_exception(self):
        self.assertEqual(raised_in_traceback(TRACEBACK), "")

    def test_empty(self):
        self.assertEqual(raised_in_traceback(""), "")
        self.assertEqual(raised_in_traceback("\n\n"), "")

    def test_a_sentence_is_no_exception(self):
        self.assertEqual(raised_in_traceback(f"{TRACEBACK}the worker was killed"), "")

    def test_a_message_of_several_lines_names_its_exception(self):
        # Its last line is not the exception: a one-word line of the message once named it.
        text = f"{TRACEBACK}ValueError: bad rows:\ndetails"
        self.assertEqual(raised_in_traceback(text), "ValueError: bad rows: details")


class BrokerRefusalTests(SimpleTestCase):
    """A task row the platform ended because its Celery message was never sent."""

    def test_plain_text_of_a_failure_is_a_refusal(self):
        self.assertTrue(refused_by_the_broker("FAILURE", "[Errno 111] Connection refused"))

    def test_a_failure_without_output_is_a_refusal(self):
        self.assertTrue(refused_by_the_broker("FAILURE", None))
        self.assertTrue(refused_by_the_broker("FAILURE", ""))

    def test_a_report_that_ran_and_failed_is_not(self):
        self.assertFalse(refused_by_the_broker("FAILURE", json.dumps({"exception": "ValueError"})))
        self.assertFalse(refused_by_the_broker("FAILURE", '  \n{"exception": "ValueError"}'))

    def test_other_states_are_not(self):
        for state in ("QUEUING", "PROGRESS", "SUCCESS", "REVOKED"):
            with self.subTest(state):
                self.assertFalse(refused_by_the_broker(state, "Connection refused"))


@override_settings(PERIODIC_INSTRUCTOR_REPORTS_LOST_AFTER=86400)
class SettleTests(SimpleTestCase):
    """What one followed course comes to, given its platform task."""

    def setUp(self):
        self.finder = mock.Mock()
        self.finder.settle.return_value = True

    def test_a_failure_is_a_report_failure_at_the_tasks_end(self):
        course = row()
        output = json.dumps({"exception": "ValueError", "message": "bad"})
        self.assertTrue(_settle(course, ("FAILURE", output, UPDATED), self.finder, NOW))
        self.assertEqual((course.outcome, course.error, course.finished_at),
                         (Outcome.REPORT_FAILED, "ValueError: bad", UPDATED))
        self.finder.settle.assert_not_called()

    def test_a_revoked_task_without_end_time_ends_now(self):
        course = row()
        self.assertTrue(_settle(course, ("REVOKED", None, None), self.finder, NOW))
        self.assertEqual((course.outcome, course.finished_at), (Outcome.REPORT_FAILED, NOW))

    def test_a_success_saying_failed_is_a_failure(self):
        course = row()
        self.assertTrue(_settle(course, ("SUCCESS", json.dumps("failed"), UPDATED), self.finder, NOW))
        self.assertEqual(course.outcome, Outcome.REPORT_FAILED)
        self.finder.settle.assert_not_called()

    def test_a_success_looks_for_the_file(self):
        course = row()
        self.assertTrue(_settle(course, ("SUCCESS", json.dumps({"succeeded": 5}), UPDATED), self.finder, NOW))
        self.finder.settle.assert_called_once_with(course, UPDATED, NOW, ungraded=0)

    def test_a_success_without_end_time_ends_now(self):
        course = row()
        _settle(course, ("SUCCESS", None, None), self.finder, NOW)
        self.finder.settle.assert_called_once_with(course, NOW, NOW, ungraded=0)

    def test_a_grade_report_counts_the_learners_it_could_not_grade(self):
        course = row()
        _settle(course, ("SUCCESS", json.dumps({"succeeded": 5, "failed": 2}), UPDATED), self.finder, NOW)
        self.finder.settle.assert_called_once_with(course, UPDATED, NOW, ungraded=2)

    def test_an_unfinished_task_is_waited_for(self):
        for state in ("QUEUING", "PROGRESS", None):
            with self.subTest(state):
                course = row(started_ago=datetime.timedelta(hours=23))
                task = (state, None, None) if state else None
                self.assertFalse(_settle(course, task, self.finder, NOW))
                self.assertEqual(course.outcome, Outcome.SUBMITTED)

    def test_an_unfinished_task_past_the_deadline_is_lost(self):
        course = row(started_ago=datetime.timedelta(hours=24, seconds=1))
        self.assertTrue(_settle(course, ("PROGRESS", None, None), self.finder, NOW))
        self.assertEqual((course.outcome, course.finished_at), (Outcome.LOST, NOW))
        self.assertTrue(
            course.error.startswith("the platform's task t-1 is still PROGRESS after 24 h:"), course.error
        )

    def test_a_missing_task_past_the_deadline_is_lost(self):
        course = row(started_ago=datetime.timedelta(days=3))
        self.assertTrue(_settle(course, None, self.finder, NOW))
        self.assertIn("is still missing after 24 h", course.error)

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_LOST_AFTER=5400)
    def test_the_deadline_in_hours(self):
        course = row(started_ago=datetime.timedelta(hours=2))
        _settle(course, ("QUEUING", None, None), self.finder, NOW)
        self.assertIn("is still QUEUING after 1.5 h", course.error)

    def test_a_course_without_start_is_never_lost(self):
        course = row(started_ago=None)
        self.assertFalse(_settle(course, None, self.finder, NOW))


class UngradedTests(SimpleTestCase):
    """How many learners a grade report's task output counts as failed."""

    def test_counts(self):
        for output, expected in [
            (json.dumps({"failed": 7}), 7), (json.dumps({"failed": 0}), 0), (json.dumps({"failed": -1}), 0),
            (json.dumps({"failed": "3"}), 0), (json.dumps({"succeeded": 4}), 0), (json.dumps([1]), 0),
            ("not json", 0), ("", 0), (None, 0),
        ]:
            with self.subTest(output):
                self.assertEqual(_ungraded(output), expected)


@override_settings(PERIODIC_INSTRUCTOR_REPORTS_LOST_AFTER=3600)
class StorageTroubleTests(SimpleTestCase):
    """A report store that fails while a course is followed."""

    def test_the_course_keeps_being_followed_with_the_error(self):
        course = row(started_ago=datetime.timedelta(minutes=30))
        with self.assertLogs(_settle.__module__, "WARNING"):
            self.assertFalse(_storage_trouble(course, TimeoutError("read timed out"), NOW))
        self.assertEqual(course.outcome, Outcome.SUBMITTED)
        self.assertEqual(
            course.error,
            "the report store failed while the report was being followed: TimeoutError: read timed out",
        )

    def test_past_the_deadline_it_is_lost_with_the_stores_error(self):
        course = row(started_ago=datetime.timedelta(hours=2))
        with self.assertLogs(_settle.__module__, "WARNING"):
            self.assertTrue(_storage_trouble(course, OSError("bucket gone"), NOW))
        self.assertEqual((course.outcome, course.finished_at), (Outcome.LOST, NOW))
        self.assertIn("OSError: bucket gone", course.error)
