"""A batch's rows stored on a second connection while the next batch is submitted (ADR 0026, 0028)."""

import json
import threading
import time
import unittest
from unittest import mock

from django.db import OperationalError, connection, transaction
from django.test import TestCase, TransactionTestCase, override_settings
from django.utils import timezone
from lms.djangoapps.instructor_task.models import InstructorTask
from opaque_keys.edx.keys import CourseKey

from periodic_instructor_reports import folders
from periodic_instructor_reports.models import (
    PeriodicReportSchedule,
    ReportRun,
    ReportRunBatch,
    ReportRunCourse,
)
from periodic_instructor_reports.runs import dispatch, lease, store, submit, upsert, writer
from periodic_instructor_reports.states import Dispatch
from tests import factories
from tests.base import ReportFilesMixin
from tests.test_crash_safety import submissions

COURSES = [f"course-v1:Org+W{n}+Run" for n in range(7)]
ROWS_THREAD = "periodic-reports-rows"


class Stores:
    """
    Wrap ``store.write_batch``: note the thread of each call, and fail the calls ``failing`` names.

    Each store starts ``delay`` seconds late, so that whatever does not wait for it sees it missing.
    """

    def __init__(self, failing=(), delay=0.0):
        self.threads, self.failing, self.delay, self.real = [], set(failing), delay, store.write_batch

    def __call__(self, batch, rows_upsert, **kwargs):
        self.threads.append(threading.current_thread().name)
        time.sleep(self.delay)
        if len(self.threads) in self.failing:
            raise OperationalError("server closed the connection unexpectedly")
        return self.real(batch, rows_upsert, **kwargs)

    def patch(self):
        return mock.patch.object(store, "write_batch", self)


class Prepares:
    """Wrap ``submit._prepare``: note the thread and the courses of each batch it prepares."""

    def __init__(self):
        self.calls, self.real = [], submit._prepare

    def __call__(self, run_plan, rows, **kwargs):
        self.calls.append((threading.current_thread().name, [row.course_id for row in rows]))
        return self.real(run_plan, rows, **kwargs)

    def patch(self):
        return mock.patch.object(submit, "_prepare", self)


def task_inputs():
    """Return ``{course id: the task_input of its platform task}``."""
    return {str(course_id): json.loads(task_input)
            for course_id, task_input in InstructorTask.objects.values_list("course_id", "task_input")}


@unittest.skipIf(connection.vendor == "sqlite", "sqlite stores a run's rows on the run's connection")
@override_settings(PERIODIC_INSTRUCTOR_REPORTS_MAX_IN_FLIGHT=0)
@mock.patch.object(store, "BATCH_SIZE", 2)
class OverlappedStoreTests(ReportFilesMixin, TransactionTestCase):
    """On PostgreSQL and MySQL/MariaDB, outside a transaction: each course still submitted once."""

    def setUp(self):
        super().setUp()
        self.schedule = factories.schedule(course_ids=COURSES)

    def test_a_batch_is_stored_by_the_writer_while_the_next_is_submitted(self):
        stores = Stores(delay=0.2)
        with stores.patch():
            result = dispatch.run_schedule(self.schedule.pk)
        self.assertEqual((result["status"], result["counts"]), ("generating", {"submitted": 7}))
        self.assertEqual(stores.threads, [f"{ROWS_THREAD}_0"] * 4)
        self.assertEqual(submissions(), {course: 1 for course in COURSES})
        self.assertFalse(ReportRunBatch.objects.exists())
        self.assertEqual(sorted(ReportRunCourse.objects.values_list("course_id", flat=True)), sorted(COURSES))
        # The writer's connection is closed with it.
        self.assertEqual([thread.name for thread in threading.enumerate() if ROWS_THREAD in thread.name], [])

    def test_only_the_rows_are_stored_beside_each_batch_s_calls_are_prepared_by_the_run(self):
        # ADR 0028: the calls, folders and file names are worked out on the run's own thread;
        # ADR 0029: and the rows' statements put together there.
        schedule = factories.schedule(course_ids=COURSES, upload_folder_structure="by_date",
                                      upload_folder_prefix="reports/")
        prepares, stores, statements = Prepares(), Stores(), []
        real_prepare = upsert.prepare

        def put_together(rows):
            statements.append((threading.current_thread().name, [row.course_id for row in rows]))
            return real_prepare(rows)

        with prepares.patch(), stores.patch(), mock.patch.object(upsert, "prepare", put_together):
            result = dispatch.run_schedule(schedule.pk)
        self.assertEqual(result["counts"], {"submitted": 7})
        run_thread = threading.current_thread().name
        self.assertEqual(prepares.calls, [(run_thread, COURSES[0:2]), (run_thread, COURSES[2:4]),
                                          (run_thread, COURSES[4:6]), (run_thread, COURSES[6:])])
        self.assertEqual(statements, [(run_thread, COURSES[0:2]), (run_thread, COURSES[2:4]),
                                      (run_thread, COURSES[4:6]), (run_thread, COURSES[6:])])
        self.assertEqual(stores.threads, [f"{ROWS_THREAD}_0"] * 4)
        self.assertEqual(submissions(), {course: 1 for course in COURSES})
        inputs = task_inputs()
        rows = {row.course_id: row for row in ReportRunCourse.objects.all()}
        for course in COURSES:
            token = folders.course_token(CourseKey.from_string(course))
            self.assertEqual(inputs[course]["filename"], f"grade_report_{token}")
            self.assertEqual(inputs[course]["upload_parent_dir"], rows[course].upload_parent_dir)
            self.assertTrue(rows[course].upload_parent_dir.startswith("reports/"))
            self.assertIn(token, rows[course].expected_name)

    def test_a_batch_the_writer_could_not_store_is_settled_when_the_run_resumes(self):
        started = dispatch.start(self.schedule.pk, trigger="manual", holder="lost-worker")
        with Stores(failing={2}).patch(), self.assertRaises(OperationalError):
            dispatch.work(started.run.pk, holder="lost-worker")
        run = ReportRun.objects.get(pk=started.run.pk)
        self.assertEqual(run.status, "running")
        # Batch 0 stored; batch 1 failed with its intent recorded; batch 2 submitted, not stored:
        # the failure was raised when its rows were handed over; batch 3 never started.
        self.assertEqual(ReportRunCourse.objects.count(), 2)
        intents = list(run.batches.order_by("number").values_list("number", "submitting_since"))
        self.assertEqual([number for number, _ in intents], [1, 2, 3])
        self.assertEqual([since is not None for _, since in intents], [True, True, False])
        self.assertEqual(sum(submissions().values()), 6)
        result = dispatch.work(run.pk, holder="lost-worker")
        self.assertEqual((result["status"], result["counts"]), ("generating", {"submitted": 7}))
        self.assertEqual(submissions(), {course: 1 for course in COURSES})
        self.assertFalse(ReportRunBatch.objects.exists())

    def test_a_run_stopped_between_batches_counts_the_batch_being_stored(self):
        stores = Stores(delay=0.2)
        real = lease.Lease.checkpoint
        seen = []

        def pause_after_two_batches(this):
            seen.append(True)
            if len(seen) == 2:
                PeriodicReportSchedule.objects.filter(pk=self.schedule.pk).update(enabled=False)
            return real(this)

        with stores.patch(), mock.patch.object(lease.Lease, "checkpoint", pause_after_two_batches):
            result = dispatch.run_schedule(self.schedule.pk)
        self.assertEqual(result["counts"], {"submitted": 4, "skipped": 3})
        self.assertEqual(sum(submissions().values()), 4)
        outcomes = dict(ReportRunCourse.objects.values_list("course_id", "outcome"))
        self.assertEqual(outcomes, {**{course: "submitted" for course in COURSES[:4]},
                                    **{course: "skipped" for course in COURSES[4:]}})

    def test_a_run_taken_over_stops_and_its_stored_batches_stay(self):
        real = lease.Lease.checkpoint

        def taken(this):
            ReportRun.objects.update(holder="another-worker")
            return real(this)

        with Stores(delay=0.2).patch(), mock.patch.object(lease.Lease, "checkpoint", taken):
            result = dispatch.run_schedule(self.schedule.pk)
        self.assertEqual(result["status"], Dispatch.TAKEN_OVER)
        self.assertEqual(list(ReportRunCourse.objects.values_list("course_id", flat=True)), COURSES[:2])
        self.assertEqual(sum(submissions().values()), 2)


class WhereRowsAreWrittenTests(TestCase):
    """The rows go on the run's connection wherever a second one cannot work beside it."""

    def test_inside_a_transaction_or_paced_never_beside(self):
        with transaction.atomic():
            self.assertFalse(writer.can_overlap(paced=False))
            self.assertFalse(writer.can_overlap(paced=True))

    def test_the_writer_in_place_stores_at_once(self):
        run = ReportRun.objects.create(schedule_name="s", report_name="r", report_path="p", trigger="manual",
                                       planned_at=timezone.now(), started_at=timezone.now())
        batch = ReportRunBatch.objects.create(run=run, number=0, course_ids=COURSES[:1], size=1)
        stores = Stores()
        with stores.patch(), writer.BatchWriter(overlap=False) as rows_writer:
            rows_writer.store(batch, store.new_rows(COURSES[:1], run_id=run.pk), done=True)
            self.assertEqual(stores.threads, [threading.current_thread().name])
            self.assertFalse(ReportRunBatch.objects.exists())


@unittest.skipIf(connection.vendor == "sqlite", "sqlite stores a run's rows on the run's connection")
class OutsideTransactionsTests(TransactionTestCase):
    def test_outside_a_transaction_unpaced_runs_write_beside(self):
        self.assertTrue(writer.can_overlap(paced=False))
        self.assertFalse(writer.can_overlap(paced=True))

    def test_a_failure_of_the_writer_does_not_hide_the_run_s_own(self):
        with self.assertLogs("periodic_instructor_reports.runs.writer", "ERROR"):
            with self.assertRaises(KeyError), writer.BatchWriter(overlap=True) as rows_writer:
                with Stores(failing={1}).patch():
                    rows_writer.store(None, [], done=False)
                    rows_writer.begin()
                raise KeyError("the run's own")
