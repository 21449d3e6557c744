"""Runs of many courses: recorded and submitted batch by batch, never holding every course at once."""

import datetime
import zoneinfo
from unittest import mock

from django.db import DatabaseError, connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from opaque_keys.edx.keys import CourseKey
from openedx.core.djangoapps.content.course_overviews.models import CourseOverview

from periodic_instructor_reports import courses
from periodic_instructor_reports.models import PeriodicReportSchedule, ReportRun, ReportRunCourse
from periodic_instructor_reports.runs import dispatch, lease, store
from periodic_instructor_reports.states import CourseState, Outcome, Trigger
from tests import factories

MASTER = factories.COURSE
CCX = "ccx-v1:edX+DemoX+Demo_Course+ccx@7"
GONE = "course-v1:Gone+G1+2026"
MITX = ["course-v1:MITx+6.001x+2026", "course-v1:MITx+6.002x+2026"]


class TargetBatchesTests(TestCase):
    def setUp(self):
        for course_id in [MASTER, CCX, GONE, *MITX]:
            factories.course(course_id)
        self.schedule = factories.schedule(
            course_ids=[MASTER, MITX[0], GONE, CCX], include_ccx=True, course_orgs=["MITx"],
            course_state=CourseState.ALL,
        )
        # An id the platform no longer has, and one that is not a course id at all.
        CourseOverview.objects.filter(id=CourseKey.from_string(GONE)).delete()
        PeriodicReportSchedule.objects.filter(pk=self.schedule.pk).update(
            course_ids=[MASTER, MITX[0], GONE, CCX, "not a course"],
        )
        self.schedule.refresh_from_db()

    def batches(self, **kwargs):
        return [([str(key) for key in keys], [item.course_id for item in skipped])
                for keys, skipped in courses.target_batches(self.schedule, size=2, **kwargs)]

    def test_each_course_once_listed_then_selected(self):
        self.assertEqual(self.batches(), [
            # The master brings its CCX, listed again later: it runs once.
            ([MASTER, CCX, MITX[0]], []),
            ([], [GONE]),
            ([], ["not a course"]),
            # Selected by organisation: the listed one is not run twice.
            ([MITX[1]], []),
        ])
        keys, skipped = courses.target_courses(self.schedule)
        self.assertEqual([str(key) for key in keys], [MASTER, CCX, MITX[0], MITX[1]])
        self.assertEqual(sorted(item.course_id for item in skipped), sorted([GONE, "not a course"]))

    def test_ids_the_course_list_has_as_written_are_not_parsed(self):
        schedule = factories.schedule(course_ids=[MASTER, *MITX])
        with mock.patch.object(courses.CourseKey, "from_string", side_effect=AssertionError("parsed")), \
                CaptureQueriesContext(connection) as context:
            self.assertEqual(list(courses.target_batches(schedule)), [([MASTER, *MITX], [])])
        # One count of the listed ids, given as text.
        self.assertEqual(len(context), 1, context.captured_queries)

    def test_only_the_ids_the_course_list_lacks_are_parsed(self):
        schedule = factories.schedule(course_ids=[MITX[0]], make_courses=False)
        PeriodicReportSchedule.objects.filter(pk=schedule.pk).update(
            course_ids=["not a course", MITX[0], GONE, MITX[0]],
        )
        schedule.refresh_from_db()
        with mock.patch.object(courses.CourseKey, "from_string", wraps=CourseKey.from_string) as parse:
            batches = list(courses.target_batches(schedule))
        self.assertEqual(sorted(call.args[0] for call in parse.call_args_list), [GONE, "not a course"])
        self.assertEqual([course_ids for course_ids, _ in batches], [[MITX[0]]])
        self.assertEqual([(item.course_id, item.error.split(":")[0]) for item in batches[0][1]],
                         [("not a course", "invalid_course"), (GONE, "no such course")])

    def test_the_course_list_has_an_id_only_as_written(self):
        odd = ["course-v1:MITx+Ünï+2026", "course-v1:MITx+a~b.c-d_e:f+2026"]
        CourseOverview.objects.bulk_create([CourseOverview(id=course_id, org="MITx") for course_id in odd])
        unknown = ["course-v1:MITx+Q'uote\\d+2026", 'course-v1:MITx+"J"+2026', "%s", GONE, "not a course"]
        self.assertEqual(courses.known_ids([*odd, MASTER, *unknown, odd[0]]), {*odd, MASTER})
        if connection.vendor != "mysql":  # MySQL compares in the column's collation (case-insensitive)
            self.assertEqual(courses.known_ids([MASTER.upper(), MASTER]), {MASTER})
        self.assertEqual(courses.known_ids([]), set())

    def test_only_keeps_just_those(self):
        self.assertEqual(self.batches(only=[CCX, GONE, MITX[1]]), [
            ([CCX], []), ([], [GONE]), ([], []), ([MITX[1]], []),
        ])


class RecordingTests(TestCase):
    def setUp(self):
        self.schedule = factories.schedule(course_ids=[MASTER, factories.OTHER_COURSE])
        self.run, _ = store.claim_run(self.schedule, trigger=Trigger.MANUAL,
                                        planned_at=timezone.now(), holder="h")

    def test_each_batch_is_written_before_the_next_is_read(self):
        def batches():
            yield [CourseKey.from_string(MASTER)], []
            self.assertEqual(self.run.batches.count(), 1)
            yield [CourseKey.from_string(factories.OTHER_COURSE)], [courses.Skipped("x", "invalid_course")]
            self.assertEqual((self.run.batches.count(), self.run.courses.count()), (2, 1))

        store.record_courses(self.run, batches())
        self.run.refresh_from_db()
        self.assertEqual(self.run.course_total, 3)
        self.assertEqual(self.run.courses.get(course_id="x").outcome, Outcome.SKIPPED)
        queue = self.run.batches.order_by("number").values_list("number", "course_ids", "size")
        self.assertEqual(list(queue), [(0, [MASTER], 1), (1, [factories.OTHER_COURSE], 1)])
        # Courses not tried yet have no row: they count as pending.
        self.assertEqual(store.outcome_counts(self.run), {"pending": 2, "skipped": 1})

    def test_recording_is_all_or_nothing(self):
        def batches():
            yield [CourseKey.from_string(MASTER)], []
            raise DatabaseError("the connection dropped")

        with self.assertRaises(DatabaseError):
            store.record_courses(self.run, batches())
        self.assertFalse(self.run.batches.exists())
        store.record_courses(self.run, iter([([CourseKey.from_string(MASTER)], [])]))
        self.assertEqual(self.run.batches.get().course_ids, [MASTER])

    def test_a_batch_s_rows_are_written_once_then_it_leaves_the_queue(self):
        store.record_courses(self.run, iter([(courses.target_courses(self.schedule)[0], [])]))
        batch = store.next_batch(self.run, after=-1)
        rows = [
            ReportRunCourse(run_id=self.run.pk, course_id=course_id, outcome=Outcome.SUBMITTED,
                            task_id=f"task-{n}", attempt=1)
            for n, course_id in enumerate(batch.course_ids)
        ]
        with CaptureQueriesContext(connection) as context:
            store.store_batch(batch, rows, done=True)
        self.assertEqual(len(context.captured_queries), 2)  # one insert, one delete
        self.assertFalse(self.run.batches.exists())
        self.assertEqual(sorted(self.run.courses.values_list("task_id", flat=True)), ["task-0", "task-1"])
        # Stored again (a worker that stopped between the two): the latest outcome wins, once per course.
        rows[0].task_id = "task-again"
        store.store_batch(batch, rows[:1], done=True)
        self.assertEqual(self.run.courses.get(course_id=batch.course_ids[0]).task_id, "task-again")
        self.assertEqual(self.run.courses.count(), 2)

    def test_storing_outcomes_updates_only_those_fields_of_existing_rows(self):
        ReportRunCourse.objects.bulk_create([
            ReportRunCourse(run=self.run, course_id=course_id, outcome=Outcome.PENDING)
            for course_id in (MASTER, factories.OTHER_COURSE)
        ])
        rows = list(self.run.courses.order_by("pk"))
        for row in rows:
            row.outcome, row.task_id, row.file_name = Outcome.SUBMITTED, f"task-{row.pk}", "not stored"
        with CaptureQueriesContext(connection) as context:
            store.save_rows(rows)
        self.assertEqual(len(context.captured_queries), 1)
        self.assertEqual(ReportRunCourse.objects.count(), 2)
        stored = list(self.run.courses.order_by("pk").values_list("outcome", "task_id", "file_name"))
        self.assertEqual(stored, [(Outcome.SUBMITTED, f"task-{row.pk}", "") for row in rows])


    def test_storing_more_rows_than_a_statement_takes_keeps_other_fields(self):
        existing = ReportRunCourse.objects.create(
            run=self.run, course_id="course-v1:Org+C0+2026", outcome=Outcome.SUBMITTING, file_name="kept.csv",
        )
        started = timezone.now().replace(microsecond=0)
        rows = [
            ReportRunCourse(run_id=self.run.pk, course_id=f"course-v1:Org+C{n}+2026",
                            outcome=Outcome.SUBMITTED, task_id=f"task-{n}", attempt=1, started_at=started)
            for n in range(store.BATCH_SIZE + 1)
        ]
        with CaptureQueriesContext(connection) as context:
            store.store_batch(None, rows, done=False)
        if connection.vendor != "sqlite":  # sqlite takes fewer parameters per statement
            self.assertEqual(len(context.captured_queries), 2)
        self.assertEqual(self.run.courses.count(), store.BATCH_SIZE + 1)
        existing.refresh_from_db()
        self.assertEqual((existing.outcome, existing.task_id, existing.file_name),
                         (Outcome.SUBMITTED, "task-0", "kept.csv"))
        last = self.run.courses.get(course_id=f"course-v1:Org+C{store.BATCH_SIZE}+2026")
        self.assertEqual((last.task_id, last.started_at), (f"task-{store.BATCH_SIZE}", started))


    def test_values_shared_by_every_row_and_values_of_each_row_are_stored_as_given(self):
        tricky = "it's 100% \\ \"quoted\" -- ; été %s %(x)s"
        paris = zoneinfo.ZoneInfo("Europe/Paris")
        started = datetime.datetime(2026, 3, 29, 1, 59, 59, 123456, tzinfo=paris)
        rows = [
            ReportRunCourse(run_id=self.run.pk, course_id=f"course-v1:Org+C{n}+2026", outcome=Outcome.FAILED,
                            error=tricky, upload_parent_dir=f"{tricky}/{n}", attempt=2, started_at=started,
                            finished_at=None if n else started + datetime.timedelta(microseconds=n + 1),
                            expected_name=tricky if n else "")
            for n in range(3)
        ]
        store.store_batch(None, rows, done=False)
        # One row alone: every value is shared by the statement's rows.
        store.store_batch(None, rows[:1], done=False)
        stored = list(self.run.courses.order_by("course_id").values_list(
            "outcome", "error", "upload_parent_dir", "attempt", "started_at", "finished_at", "expected_name",
        ))
        self.assertEqual(stored, [
            (Outcome.FAILED, tricky, f"{tricky}/{n}", 2, started,
             None if n else started + datetime.timedelta(microseconds=n + 1), tricky if n else "")
            for n in range(3)
        ])


class SubmittingTests(TestCase):
    def test_submitting_leaves_the_course_list_unread(self):
        schedule = factories.schedule(course_ids=[MASTER, factories.OTHER_COURSE])
        holder = lease.new_holder()
        started = dispatch.start(schedule.pk, trigger=Trigger.MANUAL, holder=holder)
        # Nor does the started run keep the schedule (and its course list) in memory.
        self.assertFalse(ReportRun.schedule.is_cached(started.run))
        with CaptureQueriesContext(connection) as context:
            summary = dispatch.work(started.run.pk, holder=holder)
        self.assertEqual(summary["counts"], {"submitted": 2})
        statements = [query["sql"].replace("`", '"') for query in context.captured_queries]
        self.assertTrue(any("periodicreportschedule" in sql for sql in statements))
        self.assertFalse([sql for sql in statements if 'periodicreportschedule"."course_ids"' in sql])
