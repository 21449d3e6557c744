"""The dispatcher: real report files at the expected paths, and what it records per course."""

import datetime
import hashlib
import re
from unittest import mock

import ddt
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import TestCase, TransactionTestCase, override_settings
from django.test.utils import CaptureQueriesContext
from lms.djangoapps.ccx.models import CustomCourseForEdX
from lms.djangoapps.instructor_task.models import InstructorTask

from periodic_instructor_reports import api, catalog, folders, follow, tasks
from periodic_instructor_reports.models import ReportRun, ReportRunCourse
from periodic_instructor_reports.runs import dispatch
from periodic_instructor_reports.states import Trigger
from tests import factories, reports
from tests.base import MIDDAY, ReportFilesMixin, at_midday

COURSE, OTHER = factories.COURSE, factories.OTHER_COURSE
CCX = "ccx-v1:edX+DemoX+Demo_Course+ccx@{}"
STAMP = r"\d{4}-\d{2}-\d{2}-\d{4}"
TODAY = MIDDAY.date().isoformat()  # the day ReportFileTests run on


def sha1(text):
    return hashlib.sha1(text.encode()).hexdigest()


def token(course_id, shared=True):
    """What follows the report's name in a folder shared by courses: the course's token."""
    return "_" + sha1(course_id)[:16] if shared else ""


def rows(result):
    """Return the run's course rows, in the order the dispatcher recorded them."""
    return list(ReportRunCourse.objects.filter(run_id=result["run_id"]).order_by("pk"))


def outcomes(result):
    return {row.course_id: row.outcome for row in rows(result)}


def make_ccx(master, coach):
    return CustomCourseForEdX.objects.create(course_id=master, display_name="CCX", coach=coach)


@at_midday
@ddt.ddt
class ReportFileTests(ReportFilesMixin, TestCase):
    """What lands in the report store for each structure, through the platform stand-in."""

    def run_files(self, **fields):
        schedule = factories.schedule(**fields)
        result = tasks.dispatch_report_schedule.delay(schedule.pk).get()
        self.assertEqual(ReportRun.objects.get(pk=result["run_id"]).status, "generating", result)
        follow.follow_reports()  # the follow-up job: the reports ran eagerly, their files exist
        self.assertEqual(ReportRun.objects.get(pk=result["run_id"]).status, "done", result)
        return result, self.report_files()

    def assert_files(self, files, patterns):
        self.assertEqual(len(files), len(patterns), files)
        for path, pattern in zip(files, sorted(patterns), strict=True):
            self.assertRegex(path, "^" + pattern + "$")

    @ddt.unpack
    @ddt.data(
        ("regular", "", "{hash}/"),
        ("regular", "periodic-reports/", "periodic-reports/{hash}/"),
        ("regular", "periodic-", "periodic-{hash}/"),
        ("by_date", "", f"{TODAY}/"),
        ("by_date", "periodic-reports/", f"periodic-reports/{TODAY}/"),
        ("by_date", "periodic-", f"periodic-{TODAY}/"),
        ("flat", "periodic-reports/", "periodic-reports/"),
        ("flat", "periodic-", "periodic-/"),
        ("flat", "", "{hash}/"),
    )
    def test_grade_report_for_two_courses(self, structure, prefix, folder):
        result, files = self.run_files(
            course_ids=[COURSE, OTHER], upload_folder_structure=structure, upload_folder_prefix=prefix,
        )
        self.assertEqual(outcomes(result), {COURSE: "generated", OTHER: "generated"})
        shared = folders.shared_by_courses(structure=structure, folder=prefix or structure == "by_date")
        self.assert_files(files, [
            re.escape(folder.format(hash=sha1(COURSE)))
            + f"edX_DemoX_Demo_Course_grade_report{token(COURSE, shared)}_{STAMP}.csv",
            re.escape(folder.format(hash=sha1(OTHER))) + f"OrgX_CS101_2026_grade_report{token(OTHER, shared)}"
            f"_{STAMP}.csv",
        ])

    def test_regular_with_empty_prefix_is_the_dashboard_folder(self):
        from lms.djangoapps.instructor_task.models import ReportStore
        from opaque_keys.edx.keys import CourseKey

        self.run_files()
        links = ReportStore.from_config("GRADES_DOWNLOAD").links_for(CourseKey.from_string(COURSE))
        self.assertEqual(len(links), 1)

    def test_each_supported_report(self):
        for path, name in [
            (catalog.PROBLEM_GRADE_REPORT, "problem_grade_report"),
            (catalog.PROFILE_REPORT, "student_profile_info"),
        ]:
            self.run_files(task=factories.report_task(path), upload_folder_structure="flat",
                           upload_folder_prefix=f"{name}/")
        self.assert_files(self.report_files(), [
            f"problem_grade_report/edX_DemoX_Demo_Course_problem_grade_report{token(COURSE)}_{STAMP}.csv",
            f"student_profile_info/edX_DemoX_Demo_Course_student_profile_info{token(COURSE)}_{STAMP}.csv",
        ])

    def test_profile_report_columns_are_the_features(self):
        task = factories.report_task(catalog.PROFILE_REPORT)
        self.run_files(task=task, keyword_arguments={"features": ["id", "username"]})
        with open(f"{self.report_dir}/{self.report_files()[0]}", encoding="utf-8") as report:
            self.assertEqual(report.readline().strip(), "id,username")

    def test_ccx_ids_and_their_file_names(self):
        coach = factories.user()
        ccx = make_ccx(COURSE, coach)
        result, files = self.run_files(
            course_ids=[COURSE, CCX.format(ccx.pk)], upload_folder_structure="by_date",
            upload_folder_prefix="r/",
        )
        self.assertEqual(set(outcomes(result).values()), {"generated"})
        self.assert_files(files, [
            f"r/{TODAY}/edX_DemoX_Demo_Course_grade_report{token(COURSE)}_{STAMP}.csv",
            f"r/{TODAY}/edX_DemoX_Demo_Course_grade_report{token(CCX.format(ccx.pk))}_{STAMP}.csv",
        ])

    def test_filename_keyword_is_honoured(self):
        _, files = self.run_files(keyword_arguments={"filename": "weekly"}, upload_folder_structure="flat",
                                  upload_folder_prefix="w/")
        self.assert_files(files, [f"w/edX_DemoX_Demo_Course_weekly{token(COURSE)}_{STAMP}.csv"])

    def test_platform_records_the_owner_as_requester(self):
        owner = factories.user(is_staff=True)
        result, _ = self.run_files(owner=owner)
        row = InstructorTask.objects.get(task_id=rows(result)[0].task_id)
        self.assertEqual(row.requester, owner)
        self.assertEqual(row.task_state, "SUCCESS")


@override_settings(PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS=reports.ALL + [catalog.GRADE_REPORT])
class DispatchTests(ReportFilesMixin, TestCase):
    """What the dispatcher passes and records, with recording report functions."""

    def setUp(self):
        super().setUp()
        reports.CALLS.clear()
        self.coach = factories.user()

    def recording_schedule(self, **fields):
        fields.setdefault("task", factories.report_task("tests.reports.recording_report"))
        return factories.schedule(**fields)

    def test_request_fields(self):
        owner = factories.user(is_staff=True)
        dispatch.run_schedule(self.recording_schedule(owner=owner).pk)
        request = reports.CALLS[0]["request"]
        self.assertEqual(request.user, owner)
        self.assertEqual(request.META["REMOTE_ADDR"], "127.0.0.1")
        self.assertEqual(request.META["SERVER_NAME"], "lms.test")
        self.assertTrue(request.META["HTTP_USER_AGENT"].startswith("periodic-instructor-reports/"))

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_SERVER_NAME="reports.example.com",
                       PERIODIC_INSTRUCTOR_REPORTS_REMOTE_ADDR="10.0.0.5")
    def test_request_settings(self):
        dispatch.run_schedule(self.recording_schedule().pk)
        meta = reports.CALLS[0]["request"].META
        self.assertEqual((meta["SERVER_NAME"], meta["REMOTE_ADDR"]), ("reports.example.com", "10.0.0.5"))

    def test_arguments_keyword_arguments_and_folder(self):
        day = datetime.datetime(2026, 3, 2, 12, tzinfo=datetime.UTC)
        schedule = self.recording_schedule(
            keyword_arguments={"filename": "nightly"}, upload_folder_structure="by_date",
            upload_folder_prefix="p/",
        )
        result = dispatch.run_schedule(schedule.pk, planned_at=day)
        call = reports.CALLS[0]
        self.assertEqual(str(call["course_key"]), COURSE)
        self.assertEqual(call["kwargs"],
                         {"filename": "nightly" + token(COURSE), "upload_parent_dir": "p/2026-03-02"})
        row = rows(result)[0]
        self.assertEqual((row.task_id, row.upload_parent_dir, row.attempt), ("", "p/2026-03-02", 1))

    def test_report_without_request(self):
        task = factories.report_task("tests.reports.report_without_request", requires_request=False)
        dispatch.run_schedule(factories.schedule(task=task).pk)
        self.assertIsNone(reports.CALLS[0]["request"])
        self.assertEqual(str(reports.CALLS[0]["course_key"]), COURSE)

    def test_report_without_upload_kwargs_gets_none(self):
        task = factories.report_task("tests.reports.report_without_upload")
        result = dispatch.run_schedule(factories.schedule(task=task).pk)
        self.assertEqual(reports.CALLS[0]["kwargs"], {})
        self.assertEqual(rows(result)[0].upload_parent_dir, "")

    def test_include_ccx(self):
        first, second = make_ccx(COURSE, self.coach), make_ccx(COURSE, self.coach)
        make_ccx(OTHER, self.coach)
        result = dispatch.run_schedule(self.recording_schedule(include_ccx=True).pk)
        self.assertEqual(list(outcomes(result)), [COURSE, CCX.format(first.pk), CCX.format(second.pk)])

    def test_only_ccx(self):
        first = make_ccx(COURSE, self.coach)
        other = make_ccx(OTHER, self.coach)
        listed = CCX.format(other.pk).replace("edX+DemoX+Demo_Course", "OrgX+CS101+2026")
        result = dispatch.run_schedule(
            self.recording_schedule(course_ids=[COURSE, listed], only_ccx=True).pk
        )
        self.assertEqual(list(outcomes(result)), [CCX.format(first.pk), listed])

    def test_ccx_app_missing_at_dispatch(self):
        include = self.recording_schedule(include_ccx=True)
        only = self.recording_schedule(only_ccx=True)
        with mock.patch("periodic_instructor_reports.platform.ccx_model", return_value=None):
            with self.assertLogs("periodic_instructor_reports.courses", "WARNING"):
                result = dispatch.run_schedule(include.pk)
            self.assertEqual(result["counts"], {"submitted": 1})
            with self.assertLogs("periodic_instructor_reports.courses", "WARNING"):
                result = dispatch.run_schedule(only.pk)
        self.assertEqual(result["counts"], {"skipped": 1})
        self.assertIn("ccx_unavailable: the CCX app", rows(result)[0].error)

    def test_a_failing_course_does_not_stop_the_others(self):
        task = factories.report_task("tests.reports.failing_report")
        bad = "course-v1:Bad+Course+Run"
        schedule = factories.schedule(task=task, course_ids=[COURSE, bad, OTHER])
        with self.assertLogs("periodic_instructor_reports.runs", "ERROR"):
            result = dispatch.run_schedule(schedule.pk)
        self.assertEqual(outcomes(result), {COURSE: "submitted", bad: "failed", OTHER: "submitted"})
        failed = next(row for row in rows(result) if row.outcome == "failed")
        self.assertEqual(failed.error, "RuntimeError: the grading backend is down")

    def test_already_running_is_recorded_and_others_run(self):
        schedule = factories.schedule(course_ids=[COURSE, OTHER])
        InstructorTask.objects.create(
            course_id=COURSE, task_type="grade_course", task_key="", task_input="{}",
            task_id="earlier", task_state="PROGRESS", requester=self.coach,
        )
        with override_settings(PERIODIC_INSTRUCTOR_REPORTS_RETRY_ATTEMPTS=0):
            result = dispatch.run_schedule(schedule.pk)
        self.assertEqual(outcomes(result), {COURSE: "already_running", OTHER: "submitted"})
        self.assertIn("AlreadyRunningError", rows(result)[0].error)
        self.assertEqual(len(self.report_files()), 1)

    def test_a_queue_error_holds_the_rest_until_the_broker_is_back(self):
        schedule = factories.schedule(course_ids=[COURSE, OTHER])
        calls = []

        def broker_down_once(*_args, **kwargs):
            calls.append(kwargs["task_id"])
            if len(calls) == 1:
                raise OSError("broker down")

        with mock.patch("lms.djangoapps.instructor_task.tasks.calculate_grades_csv.apply_async",
                        side_effect=broker_down_once):
            with self.assertLogs("periodic_instructor_reports.runs", "WARNING") as logs:
                result = dispatch.run_schedule(schedule.pk)
        self.assertIn("could not queue course-v1:edX+DemoX+Demo_Course", " ".join(logs.output))
        # Celery runs eagerly here: the continuation went on at once and submitted both.
        self.assertEqual(outcomes(result), {COURSE: "submitted", OTHER: "submitted"})
        self.assertEqual([row.attempt for row in rows(result)], [2, 1])
        self.assertEqual(len(calls), 3)
        # The platform queued both reports (nothing runs them here): the run follows them.
        self.assertEqual(ReportRun.objects.get().status, "generating")

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_RETRY_ATTEMPTS=1)
    def test_a_course_the_broker_keeps_refusing_fails_after_its_attempts(self):
        schedule = factories.schedule(course_ids=[COURSE])
        with mock.patch("lms.djangoapps.instructor_task.tasks.calculate_grades_csv.apply_async",
                        side_effect=OSError("no route")):
            with self.assertLogs("periodic_instructor_reports.runs", "WARNING"):
                result = dispatch.run_schedule(schedule.pk)
        row = rows(result)[0]
        self.assertEqual((row.outcome, row.attempt), ("failed", 2))
        self.assertIn("queue_error: QueueConnectionError", row.error)

    def test_invalid_stored_course_id(self):
        schedule = self.recording_schedule()
        type(schedule).objects.filter(pk=schedule.pk).update(course_ids=["nonsense", OTHER])
        result = dispatch.run_schedule(schedule.pk)
        self.assertEqual(outcomes(result), {"nonsense": "skipped", OTHER: "submitted"})
        skipped = ReportRunCourse.objects.get(course_id="nonsense")
        self.assertIn("invalid_course: InvalidKeyError", skipped.error)

    def test_error_summary_is_bounded(self):
        task = factories.report_task("tests.reports.long_error_report")
        with self.assertLogs("periodic_instructor_reports.runs", "ERROR"):
            result = dispatch.run_schedule(factories.schedule(task=task).pk)
        self.assertEqual(len(rows(result)[0].error), ReportRunCourse._meta.get_field("error").max_length)

    def test_missing_and_paused(self):
        with self.assertLogs("periodic_instructor_reports.runs", "INFO") as logs:
            self.assertEqual(dispatch.run_schedule(9999)["status"], "missing")
            paused = self.recording_schedule(enabled=False)
            self.assertEqual(dispatch.run_schedule(paused.pk)["status"], "disabled")
        self.assertIn("9999 no longer exists", logs.output[0])
        self.assertEqual(reports.CALLS, [])

    def test_path_no_longer_allowed_is_refused(self):
        schedule = self.recording_schedule()
        with override_settings(PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS=[catalog.GRADE_REPORT]):
            result = dispatch.run_schedule(schedule.pk)
        self.assertEqual(result["status"], "refused")
        self.assertIn("not an allowed report function", result["error"])
        self.assertEqual(reports.CALLS, [])

    def test_inactive_owner_is_refused(self):
        owner = factories.user(is_staff=True)
        schedule = self.recording_schedule(owner=owner)
        get_user_model().objects.filter(pk=owner.pk).update(is_active=False)
        with self.assertLogs("periodic_instructor_reports.runs", "ERROR") as logs:
            result = dispatch.run_schedule(schedule.pk)
        self.assertIn(f"refused: owner (user id {owner.pk}) is inactive", " ".join(logs.output))
        self.assertEqual((result["status"], reports.CALLS), ("refused", []))

    def test_queries_per_batch_not_per_course(self):
        def queries(schedule, trigger=Trigger.MANUAL):
            with CaptureQueriesContext(connection) as context:
                dispatch.run_schedule(schedule.pk, trigger=trigger)
            return len(context.captured_queries)

        one = self.recording_schedule(course_ids=[COURSE])
        dispatch.run_schedule(one.pk, trigger=Trigger.MANUAL)  # also registers the job rows
        base = queries(one)
        three = self.recording_schedule(course_ids=[COURSE, OTHER, "course-v1:A+B+C"])
        self.assertEqual(queries(three), base)
        # Read the schedule, claim the run (3 with its savepoint), check the job rows, check the
        # listed courses exist, record the courses as batches and their count (5 with the
        # savepoint and the lock on the run's row), take the run and read it, read the schedule,
        # look for rows to submit again; per batch of 500: read it (then check the lease and the
        # schedule), record the intent, store its courses' rows and take it off the queue; then
        # look for retries and for reports to follow, count, finish, read the schedule and count
        # failures for the e-mail.
        self.assertEqual(base, 26)
        many = self.recording_schedule(course_ids=[f"course-v1:Org+C{n}+Run" for n in range(1001)])
        # Two more batches to record (check the courses exist, record them) and to submit (check
        # the lease and the schedule, read it, record the intent, store, take off): 16 queries on
        # PostgreSQL and MariaDB; storing 500 rows takes several queries on sqlite, which limits
        # the parameters of one.
        self.assertLessEqual(queries(many) - base, 16 if connection.vendor != "sqlite" else 45)
        with_ccx = self.recording_schedule(course_ids=[COURSE, OTHER], include_ccx=True)
        self.assertEqual(queries(with_ccx), base + 1)
        # A beat run also reads the previous run's due time (twice: minimum interval, missed times).
        self.assertEqual(queries(one, trigger=Trigger.BEAT), base + 2)

    def test_result_is_json_ready(self):
        import json

        result = tasks.dispatch_report_schedule.apply(args=[self.recording_schedule().pk]).get()
        self.assertEqual(json.loads(json.dumps(result)), result)
        self.assertEqual(result["counts"], {"submitted": 1})

    def test_legacy_task_name_still_runs(self):
        result = tasks.periodic_task_wrapper.apply(args=[self.recording_schedule().pk]).get()
        self.assertEqual(result["status"], "done")


@override_settings(STAND_IN_ENFORCE_NO_ATOMIC=True)
class OutsideTransactionTests(ReportFilesMixin, TransactionTestCase):
    """The platform refuses submits inside transaction.atomic; the dispatcher never opens one."""

    def test_dispatch_outside_atomic(self):
        schedule = factories.schedule(course_ids=[COURSE, OTHER])
        result = dispatch.run_schedule(schedule.pk)
        self.assertEqual(result["counts"], {"submitted": 2})
        self.assertEqual(len(self.report_files()), 2)

    def test_api_write_then_dispatch(self):
        schedule = factories.schedule()
        api.update_schedule(schedule, acting_user=factories.superuser(), course_ids=[OTHER])
        self.assertEqual(dispatch.run_schedule(schedule.pk)["counts"], {"submitted": 1})
