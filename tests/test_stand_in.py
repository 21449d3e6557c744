"""
Tests of the stand-in of the platform's report API (``tests/stand_in``).

They pin the contract the plugin relies on (edx-contract.md), so a drift of the stand-in shows.
Plain ``TestCase`` classes: the file runs under ``django-admin test`` and pytest alike.
"""
import csv
import hashlib
import inspect
import io
import json
import os
import re
import shutil
import sys
import tempfile
import zipfile
from datetime import UTC, datetime
from types import SimpleNamespace
from unittest import mock

import lms
from ccx_keys.locator import CCXLocator
from celery import current_app
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import RequestFactory, TestCase, override_settings
from kombu.exceptions import OperationalError
from lms.djangoapps.ccx.models import CustomCourseForEdX
from lms.djangoapps.instructor_task import api, tasks
from lms.djangoapps.instructor_task.api_helper import (
    DEFAULT_PRIORITY_QUEUE,
    HIGH_MEM_QUEUE,
    AlreadyRunningError,
    QueueConnectionError,
)
from lms.djangoapps.instructor_task.models import InstructorTask, ReportStore
from lms.djangoapps.instructor_task.tasks_base import BaseInstructorTask
from lms.djangoapps.instructor_task.tasks_helper.utils import (
    course_filename_prefix_generator,
    report_filename,
)
from opaque_keys.edx.keys import CourseKey, UsageKey

from tests.base import at_midday

COURSE_ID = "course-v1:edX+DemoX+Demo_Course"
REPORT_NAME = re.compile(r"^edX_DemoX_Demo_Course_(?P<name>.+)_\d{4}-\d{2}-\d{2}-\d{4}\.csv$")


class ReportDirTestCase(TestCase):
    """A ``TestCase`` whose ``GRADES_DOWNLOAD`` storage is a fresh temporary directory."""

    @classmethod
    def setUpClass(cls):
        cls.report_dir = tempfile.mkdtemp(prefix="stand-in-reports-")
        cls.addClassCleanup(shutil.rmtree, cls.report_dir, ignore_errors=True)
        override = override_settings(
            GRADES_DOWNLOAD={
                "STORAGE_CLASS": "django.core.files.storage.FileSystemStorage",
                "STORAGE_KWARGS": {"location": cls.report_dir},
            }
        )
        override.enable()
        cls.addClassCleanup(override.disable)
        super().setUpClass()

    @classmethod
    def setUpTestData(cls):
        cls.course_key = CourseKey.from_string(COURSE_ID)
        cls.staff = get_user_model().objects.create_user(
            "staff", "staff@example.com", "pw", first_name="Sta", last_name="Ff"
        )
        cls.learner = get_user_model().objects.create_user("learner", "learner@example.com", "pw")
        get_user_model().objects.create_user("gone", "gone@example.com", "pw", is_active=False)

    def setUp(self):
        super().setUp()
        # The directory is per class; start every test with it empty.
        for entry in os.scandir(self.report_dir):
            if entry.is_dir():
                shutil.rmtree(entry.path)
            else:
                os.remove(entry.path)

    def make_request(self, **meta):
        """A request like the dashboard's: RequestFactory sets REMOTE_ADDR and SERVER_NAME."""
        request = RequestFactory().get("/", **meta)
        request.user = self.staff
        return request

    def read_csv(self, path):
        with open(os.path.join(self.report_dir, path), newline="", encoding="utf-8") as handle:
            return list(csv.reader(handle))


class SignatureTests(ReportDirTestCase):
    """The report functions have exactly the platform's signatures."""

    def test_signatures(self):
        expected = {
            "submit_calculate_grades_csv": "(request, course_key, **task_kwargs)",
            "submit_problem_grade_report": "(request, course_key, **task_kwargs)",
            "submit_calculate_students_features_csv": (
                "(request, course_key, features, **task_kwargs)"
            ),
            "submit_calculate_may_enroll_csv": "(request, course_key, features)",
            "submit_calculate_inactive_enrolled_students_csv": "(request, course_key, features)",
            "submit_calculate_problem_responses_csv": (
                "(request, course_key, problem_locations, problem_types_filter=None)"
            ),
            "submit_course_survey_report": "(request, course_key)",
            "submit_proctored_exam_results_report": "(request, course_key)",
            "submit_export_ora2_data": "(request, course_key)",
            "submit_export_ora2_summary": "(request, course_key)",
            "submit_export_ora2_submission_files": "(request, course_key)",
            "generate_anonymous_ids": "(request, course_key)",
            "submit_cohort_students": "(request, course_key, file_name)",
        }
        for name, signature in expected.items():
            with self.subTest(name=name):
                self.assertEqual(str(inspect.signature(getattr(api, name))), signature)

    def test_extra_kwargs_are_a_type_error_without_task_kwargs(self):
        with self.assertRaises(TypeError):
            api.submit_calculate_may_enroll_csv(
                self.make_request(), self.course_key, features=["id"], upload_parent_dir="x"
            )
        with self.assertRaises(TypeError):
            api.submit_course_survey_report(self.make_request(), self.course_key, filename="x")
        self.assertFalse(InstructorTask.objects.exists())

    def test_task_kwargs_become_task_input(self):
        with mock.patch.object(tasks.calculate_grades_csv, "apply_async"):
            row = api.submit_calculate_grades_csv(
                self.make_request(), self.course_key, upload_parent_dir="dir", filename="name"
            )
        self.assertEqual(
            json.loads(row.task_input), {"upload_parent_dir": "dir", "filename": "name"}
        )
        self.assertEqual(row.task_type, "grade_course")
        self.assertEqual(row.task_key, "")
        self.assertEqual(row.requester, self.staff)
        self.assertRegex(row.task_id, r"^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$")

        with mock.patch.object(tasks.calculate_students_features_csv, "apply_async"):
            row = api.submit_calculate_students_features_csv(
                self.make_request(), self.course_key, ["id", "email"], filename="profiles"
            )
        self.assertEqual(
            json.loads(row.task_input), {"features": ["id", "email"], "filename": "profiles"}
        )
        self.assertEqual(row.task_type, "profile_info_csv")


class SubmitTaskTests(ReportDirTestCase):
    """What ``submit_task`` needs from the request and what it refuses."""

    def bare_request(self, **meta):
        return SimpleNamespace(user=self.staff, META=meta)

    def test_missing_server_name_is_a_key_error(self):
        with self.assertRaises(KeyError) as raised:
            api.submit_problem_grade_report(self.bare_request(REMOTE_ADDR="127.0.0.1"), COURSE_ID)
        self.assertEqual(raised.exception.args, ("SERVER_NAME",))

    def test_missing_remote_addr_is_a_key_error(self):
        with self.assertRaises(KeyError) as raised:
            api.submit_problem_grade_report(self.bare_request(SERVER_NAME="lms.test"), COURSE_ID)
        self.assertEqual(raised.exception.args, ("REMOTE_ADDR",))

    def test_key_error_leaves_a_queuing_row_that_blocks_the_report(self):
        """As in the platform: the row is saved before the request's META is read."""
        with self.assertRaises(KeyError):
            api.submit_calculate_grades_csv(self.bare_request(), self.course_key)
        self.assertEqual(InstructorTask.objects.get().task_state, "QUEUING")
        with self.assertRaises(AlreadyRunningError):
            api.submit_calculate_grades_csv(self.make_request(), self.course_key)

    def test_user_agent_is_optional(self):
        request = self.bare_request(REMOTE_ADDR="10.0.0.1", SERVER_NAME="lms.test")
        with mock.patch.object(tasks.calculate_grades_csv, "apply_async") as apply_async:
            row = api.submit_calculate_grades_csv(request, self.course_key)
        (args,), kwargs = apply_async.call_args
        self.assertEqual(args[0], row.id)
        self.assertEqual(
            args[1],
            {
                "request_info": {
                    "username": "staff",
                    "user_id": self.staff.id,
                    "ip": "10.0.0.1",
                    "agent": "",
                    "host": "lms.test",
                },
                "task_id": row.task_id,
            },
        )
        self.assertEqual(kwargs["task_id"], row.task_id)

    def test_already_running_with_an_unfinished_row(self):
        for state in ("QUEUING", "PROGRESS", "PENDING", None):
            with self.subTest(state=state):
                InstructorTask.objects.all().delete()
                row = InstructorTask.create(COURSE_ID, "grade_course", "", {}, self.staff)
                InstructorTask.objects.filter(pk=row.pk).update(task_state=state)
                with self.assertRaises(AlreadyRunningError) as raised:
                    api.submit_calculate_grades_csv(
                        self.make_request(), self.course_key, upload_parent_dir="elsewhere"
                    )
                self.assertIn("The grade report is being created.", str(raised.exception))

    def test_not_running_with_a_finished_row(self):
        for state in ("SUCCESS", "FAILURE", "REVOKED"):
            with self.subTest(state=state):
                row = InstructorTask.create(COURSE_ID, "grade_course", "", {}, self.staff)
                InstructorTask.objects.filter(pk=row.pk).update(task_state=state)
                InstructorTask.objects.exclude(pk=row.pk).update(task_state=state)
                with mock.patch.object(tasks.calculate_grades_csv, "apply_async"):
                    api.submit_calculate_grades_csv(self.make_request(), self.course_key)

    def test_other_course_or_type_is_not_a_duplicate(self):
        InstructorTask.create(COURSE_ID, "grade_course", "", {}, self.staff)
        with mock.patch.object(tasks.calculate_problem_grade_report, "apply_async"):
            api.submit_problem_grade_report(self.make_request(), self.course_key)
        with mock.patch.object(tasks.calculate_grades_csv, "apply_async"):
            api.submit_calculate_grades_csv(
                self.make_request(), CourseKey.from_string("course-v1:edX+Other+2026")
            )

    def test_task_input_limit(self):
        with self.assertRaises(AttributeError):
            InstructorTask.create(COURSE_ID, "grade_course", "", {"x": "y" * 10000}, self.staff)
        fits = {"x": "y" * (10000 - len('{"x": ""}'))}
        InstructorTask.create(COURSE_ID, "grade_course", "", fits, self.staff)
        InstructorTask.objects.all().delete()
        with self.assertRaises(AttributeError):
            api.submit_calculate_grades_csv(
                self.make_request(), self.course_key, filename="n" * 10000
            )
        self.assertFalse(InstructorTask.objects.exists())

    def test_queues(self):
        cases = [
            (api.submit_calculate_grades_csv, tasks.calculate_grades_csv, (), HIGH_MEM_QUEUE),
            (api.submit_problem_grade_report, tasks.calculate_problem_grade_report, (),
             HIGH_MEM_QUEUE),
            (api.submit_calculate_students_features_csv, tasks.calculate_students_features_csv,
             (["id"],), DEFAULT_PRIORITY_QUEUE),
            (api.submit_calculate_may_enroll_csv, tasks.calculate_may_enroll_csv, (["id"],),
             DEFAULT_PRIORITY_QUEUE),
        ]
        for function, task, args, queue in cases:
            with self.subTest(function=function.__name__):
                with mock.patch.object(task, "apply_async") as apply_async:
                    function(self.make_request(), self.course_key, *args)
                self.assertEqual(apply_async.call_args.kwargs["queue"], queue)

    def test_queue_connection_error_marks_the_row_failed(self):
        failing = mock.patch.object(
            tasks.calculate_grades_csv, "apply_async", side_effect=OperationalError("no broker")
        )
        with failing, self.assertRaises(QueueConnectionError) as raised:
            api.submit_calculate_grades_csv(self.make_request(), self.course_key)
        self.assertEqual(str(raised.exception), "Error occured. Please try again later.")
        row = InstructorTask.objects.get()
        self.assertEqual((row.task_state, row.task_output), ("FAILURE", "no broker"))

    @override_settings(STAND_IN_ENFORCE_NO_ATOMIC=True)
    def test_refuses_atomic_block_when_enforced(self):
        with self.assertRaises(transaction.TransactionManagementError):
            api.submit_calculate_grades_csv(self.make_request(), self.course_key)
        self.assertFalse(InstructorTask.objects.exists())


class ReportStoreTests(ReportDirTestCase):
    """Where report files go, and what the dashboard lists."""

    def test_path_to(self):
        digest = hashlib.sha1(COURSE_ID.encode()).hexdigest()
        store = ReportStore.from_config("GRADES_DOWNLOAD")
        self.assertEqual(store.path_to(self.course_key, "a.csv"), f"{digest}/a.csv")
        self.assertEqual(store.path_to(COURSE_ID), f"{digest}/")
        self.assertEqual(
            store.path_to(self.course_key, "a.csv", "reports/2026"), "reports/2026/a.csv"
        )
        # parent_dir replaces the hashed directory; a trailing slash is kept as given.
        self.assertEqual(store.path_to(self.course_key, "a.csv", "flat/"), "flat/a.csv")

    def test_store_rows_and_links_for(self):
        store = ReportStore.from_config("GRADES_DOWNLOAD")
        # lms/djangoapps/instructor_task/models.py: store() and store_rows() return nothing.
        self.assertIsNone(store.store_rows(self.course_key, "one.csv", [["a", "b"], [1, "é"]]))
        self.assertIsNone(store.store(self.course_key, "three.csv", io.StringIO("z"), parent_dir="x"))
        store.store_rows(self.course_key, "two.csv", [["x"]], parent_dir="elsewhere")
        self.assertEqual(self.read_csv(store.path_to(self.course_key, "one.csv")), [["a", "b"], ["1", "é"]])
        self.assertEqual([name for name, _url in store.links_for(self.course_key)], ["one.csv"])
        self.assertEqual(store.links_for("course-v1:edX+None+2026"), [])

    def test_legacy_s3_config(self):
        """lms/djangoapps/instructor_task/models.py: ReportStore.from_config's S3 arguments."""
        config = {"STORAGE_TYPE": "S3", "BUCKET": "reports", "ROOT_PATH": "lms/grades",
                  "CUSTOM_DOMAIN": "files.example.com"}
        storage_class = mock.Mock()
        with override_settings(GRADES_DOWNLOAD=config), \
                mock.patch("lms.djangoapps.instructor_task.models.import_string",
                           return_value=storage_class) as importing:
            ReportStore.from_config("GRADES_DOWNLOAD")
            del config["CUSTOM_DOMAIN"]
            ReportStore.from_config("GRADES_DOWNLOAD")
        importing.assert_called_with("storages.backends.s3boto3.S3Boto3Storage")
        self.assertEqual([call.kwargs for call in storage_class.call_args_list], [
            {"bucket_name": "reports", "location": "lms/grades", "custom_domain": "files.example.com",
             "querystring_expire": 300, "gzip": True},
            {"bucket_name": "reports", "location": "lms/grades", "custom_domain": None,
             "querystring_expire": 300, "gzip": True},
        ])

    def test_legacy_localfs_config(self):
        with override_settings(GRADES_DOWNLOAD={"STORAGE_TYPE": "localfs", "ROOT_PATH": "/x/y"}):
            store = ReportStore.from_config("GRADES_DOWNLOAD")
        self.assertEqual(store.storage.location, "/x/y")


class FileNameTests(TestCase):
    """``{course_prefix}_{filename}_{%Y-%m-%d-%H%M}.csv``."""

    def test_prefix_and_name(self):
        key = CourseKey.from_string(COURSE_ID)
        self.assertEqual(course_filename_prefix_generator(key), "edX_DemoX_Demo_Course")
        self.assertEqual(
            report_filename(key, "grade_report", datetime(2026, 1, 31, 9, 30, tzinfo=UTC)),
            "edX_DemoX_Demo_Course_grade_report_2026-01-31-0930.csv",
        )
        odd = CourseKey.from_string("course-v1:Org~X+C:1+2026.T1")
        self.assertEqual(course_filename_prefix_generator(odd), "OrgX_C1_2026.T1")

    def test_ccx_prefix(self):
        key = CourseKey.from_string("ccx-v1:edX+DemoX+Demo_Course+ccx@7")
        self.assertEqual(course_filename_prefix_generator(key), "edX_DemoX_Demo_Course")
        with override_settings(FEATURES={"ENABLE_COURSE_FILENAME_CCX_SUFFIX": True}):
            self.assertEqual(course_filename_prefix_generator(key), "edX_DemoX_Demo_Course_ccx_7")


class EagerReportTests(ReportDirTestCase):
    """With ``CELERY_ALWAYS_EAGER`` the three supported reports write real CSV files."""

    def assert_report(self, row, name, directory):
        row.refresh_from_db()
        self.assertEqual(row.task_state, "SUCCESS", row.task_output)
        output = json.loads(row.task_output)
        # Like the platform's, the output has the progress, not the file's name.
        self.assertEqual(set(output), {"action_name", "attempted", "succeeded", "skipped", "failed", "total",
                                       "preassigned", "duration_ms", "step"})
        listed = os.listdir(os.path.join(self.report_dir, directory))
        files = [file for file in listed if (match := REPORT_NAME.match(file)) and match["name"] == name]
        self.assertEqual(len(files), 1, listed)
        return self.read_csv(os.path.join(directory, files[0]))

    def test_grade_report_in_custom_dir(self):
        row = api.submit_calculate_grades_csv(
            self.make_request(), self.course_key, upload_parent_dir="periodic/2026-11-25",
            filename="weekly_grades",
        )
        rows = self.assert_report(row, "weekly_grades", "periodic/2026-11-25")
        self.assertEqual(rows[0], ["Student ID", "Email", "Username", "Grade"])
        self.assertEqual(
            rows[1:],
            [
                [str(self.staff.id), "staff@example.com", "staff", "0.0"],
                [str(self.learner.id), "learner@example.com", "learner", "0.0"],
            ],
        )
        # Written elsewhere than the hashed directory: not on the dashboard.
        self.assertEqual(ReportStore.from_config("GRADES_DOWNLOAD").links_for(self.course_key), [])

    def test_grade_reports_list_learners_they_could_not_grade_in_an_err_file(self):
        # lms/djangoapps/instructor_task/tasks_helper/grades.py: ``_upload``/``upload_temp_files`` write
        # ``{filename}_err`` with the report's own time when error rows exist; the output counts them failed.
        get_user_model().objects.create_user("ungradable-1", "u1@example.com", "x")
        for submit, name in ((api.submit_calculate_grades_csv, "grade_report"),
                             (api.submit_problem_grade_report, "problem_grade_report")):
            row = submit(self.make_request(), self.course_key, upload_parent_dir="g")
            row.refresh_from_db()
            output = json.loads(row.task_output)
            self.assertEqual((output["failed"], output["succeeded"]), (1, 2))
            listed = sorted(file for file in os.listdir(os.path.join(self.report_dir, "g")) if name in file)
            self.assertEqual(len(listed), 2, listed)
            report, errors = sorted(listed, key=len)
            self.assertEqual(errors, report.replace(f"_{name}_", f"_{name}_err_"))
            rows = self.read_csv(os.path.join("g", errors))
            self.assertEqual(rows[0], ["Student ID", "Username", "Error"])
            self.assertEqual([r[1] for r in rows[1:]], ["ungradable-1"])

    def test_problem_grade_report_default_location(self):
        row = api.submit_problem_grade_report(self.make_request(), self.course_key)
        store = ReportStore.from_config("GRADES_DOWNLOAD")
        rows = self.assert_report(row, "problem_grade_report", store.path_to(self.course_key)[:-1])
        self.assertEqual(len(rows), 3)
        links = store.links_for(self.course_key)
        self.assertEqual(len(links), 1)
        self.assertTrue(REPORT_NAME.match(links[0][0]))

    def test_profile_report(self):
        features = ["id", "username", "email", "name", "goals"]
        row = api.submit_calculate_students_features_csv(
            self.make_request(), self.course_key, features, upload_parent_dir="flat"
        )
        rows = self.assert_report(row, "student_profile_info", "flat")
        self.assertEqual(rows[0], features)
        self.assertEqual(rows[1], [str(self.staff.id), "staff", "staff@example.com", "Sta Ff", ""])

    def test_timestamp_is_utc_now(self):
        before = datetime.now(UTC).strftime("%Y-%m-%d-%H%M")
        api.submit_calculate_grades_csv(self.make_request(), self.course_key)
        after = datetime.now(UTC).strftime("%Y-%m-%d-%H%M")
        folder = ReportStore.from_config("GRADES_DOWNLOAD").path_to(self.course_key)
        (name,) = os.listdir(os.path.join(self.report_dir, folder))
        self.assertIn(name[-19:-4], {before, after})

    def test_a_course_of_the_broken_organisation_fails_in_the_worker(self):
        broken = CourseKey.from_string("course-v1:Broken+Report+2026")
        row = api.submit_calculate_grades_csv(self.make_request(), broken)
        row.refresh_from_db()
        self.assertEqual(row.task_state, "FAILURE")
        output = json.loads(row.task_output)
        # lms/djangoapps/instructor_task/tasks_base.py stores ``einfo.exception``, which Celery
        # (billiard 4.x, as the LMS pins) wraps in ExceptionWithTraceback: its text is the traceback.
        self.assertEqual(output["exception"], "ExceptionWithTraceback")
        self.assertLessEqual(len(row.task_output), 1023)
        self.assertIn("ReportFailed: Could not compute the report of course-v1:Broken+Report+2026: "
                      "grading backend down", output["message"])

    def test_a_failure_anywhere_in_a_report_task_ends_its_row(self):
        """lms/djangoapps/instructor_task/tasks_base.py: on_failure marks the row FAILURE."""
        failing = mock.patch.object(ReportStore, "from_config", side_effect=OSError("disk full"))
        with failing, self.assertLogs("edx.celery.task", "WARNING"):
            api.submit_calculate_grades_csv(self.make_request(), self.course_key)
        row = InstructorTask.objects.get()
        self.assertEqual(row.task_state, "FAILURE")
        self.assertIn("OSError: disk full", json.loads(row.task_output)["message"])

    def test_a_task_id_that_is_not_the_row_s_fails_the_row(self):
        """lms/djangoapps/instructor_task/tasks_helper/runner.py refuses it; the base class ends the row."""
        row = InstructorTask.create(self.course_key, "grade_course", "", {}, self.staff)
        with self.assertLogs("edx.celery.task", "WARNING"):
            tasks.calculate_grades_csv.apply([row.pk, {}], task_id="another-task")
        row.refresh_from_db()
        self.assertEqual(row.task_state, "FAILURE")
        self.assertIn("Requested task did not match actual task", row.task_output)

    def test_on_success_stores_the_returned_progress(self):
        row = api.submit_course_survey_report(self.make_request(), self.course_key)
        row.refresh_from_db()
        output = json.loads(row.task_output)
        self.assertEqual((row.task_state, output["action_name"]), ("SUCCESS", "generated"))
        self.assertIsInstance(current_app.tasks[tasks.calculate_grades_csv.name], BaseInstructorTask)

    def test_failure_output_fits_the_column(self):
        """lms/djangoapps/instructor_task/models.py: create_output_for_failure shortens to 1023."""
        output = InstructorTask.create_output_for_failure(ValueError("m" * 2000), "t" * 2000)
        self.assertLessEqual(len(output), 1023)
        self.assertEqual(set(json.loads(output)), {"exception", "message"})
        self.assertTrue(json.loads(output)["message"].endswith("..."))
        short = json.loads(InstructorTask.create_output_for_failure(ValueError("boom"), "tb"))
        self.assertEqual(short, {"exception": "ValueError", "message": "boom", "traceback": "tb"})
        with self.assertRaises(ValueError):
            InstructorTask.create_output_for_success({"x": "y" * 1100})

    def test_other_reports_write_a_csv(self):
        row = api.submit_calculate_may_enroll_csv(self.make_request(), self.course_key, ["email"])
        self.assertEqual(self.assert_report(row, "may_enroll_info", row_dir(self.course_key))[0],
                         ["email"])
        row = api.submit_course_survey_report(self.make_request(), self.course_key)
        self.assert_report(row, "course_survey_results", row_dir(self.course_key))


def row_dir(course_key):
    """The hashed directory of ``course_key``, without a trailing slash."""
    return ReportStore.from_config("GRADES_DOWNLOAD").path_to(course_key).rstrip("/")


class CeleryAppTests(TestCase):
    """The stand-in's Celery app is the LMS's: current, eager, with the platform's task names."""

    def test_app(self):
        self.assertIs(current_app._get_current_object(), lms.CELERY_APP)
        self.assertTrue(lms.CELERY_APP.conf.task_always_eager)
        names = set(lms.CELERY_APP.tasks)
        for name in (
            "calculate_grades_csv",
            "calculate_problem_grade_report",
            "calculate_students_features_csv",
            "calculate_problem_responses_csv.v2",
        ):
            self.assertIn(f"lms.djangoapps.instructor_task.tasks.{name}", names)


class CCXTests(ReportDirTestCase):
    """CCX rows, their locators, and reports for CCX keys."""

    def test_locator(self):
        ccx = CustomCourseForEdX.objects.create(
            course_id=COURSE_ID, display_name="My CCX", coach=self.staff
        )
        ccx.refresh_from_db()
        self.assertEqual(ccx.course_id, self.course_key)
        self.assertIsInstance(ccx.locator, CCXLocator)
        self.assertEqual(str(ccx.locator), f"ccx-v1:edX+DemoX+Demo_Course+ccx@{ccx.id}")
        self.assertEqual(
            list(CustomCourseForEdX.objects.filter(course_id=self.course_key)), [ccx]
        )

    def test_report_for_a_ccx_key(self):
        ccx = CustomCourseForEdX.objects.create(
            course_id=self.course_key, display_name="My CCX", coach=self.staff
        )
        row = api.submit_calculate_grades_csv(self.make_request(), ccx.locator)
        row.refresh_from_db()
        self.assertEqual(row.course_id, ccx.locator)
        self.assertEqual(row.task_state, "SUCCESS")
        self.assertEqual(len(ReportStore.from_config("GRADES_DOWNLOAD").links_for(ccx.locator)), 1)


    def test_a_ccx_has_a_course_overview(self):
        """openedx/core/djangoapps/content/course_overviews/models.py keeps CCXs' overviews too."""
        from openedx.core.djangoapps.content.course_overviews.models import CourseOverview

        ccx = CustomCourseForEdX.objects.create(course_id=self.course_key, display_name="M", coach=self.staff)
        overview = CourseOverview.objects.get(id=ccx.locator)
        self.assertEqual((overview.org, overview.display_name), ("edX", "M"))

    def test_problem_responses_map_their_locations_into_the_course(self):
        """lms/djangoapps/instructor_task/tasks_helper/grades.py (ProblemResponses) maps each location."""
        ccx = CustomCourseForEdX.objects.create(course_id=self.course_key, display_name="C", coach=self.staff)
        location = "block-v1:edX+DemoX+Demo_Course+type@problem+block@p1"
        row = api.submit_calculate_problem_responses_csv(self.make_request(), ccx.locator, location)
        row.refresh_from_db()
        self.assertEqual(row.task_state, "SUCCESS", row.task_output)
        # A location already mapped into a CCX does not parse: the report fails.
        mapped = str(UsageKey.from_string(location).map_into_course(ccx.locator))
        with self.assertLogs("edx.celery.task", "WARNING"):
            row = api.submit_calculate_problem_responses_csv(self.make_request(), ccx.locator, mapped)
        row.refresh_from_db()
        self.assertEqual(row.task_state, "FAILURE")
        self.assertIn("InvalidKeyError", row.task_output)


class DataDownloadFileNameTests(ReportDirTestCase):
    """The platform's file name and output of each background report the catalog copies."""

    def test_names_and_outputs(self):
        cases = [
            (api.submit_calculate_inactive_enrolled_students_csv, (["email"],),
             "inactive_enrolled_students_info", "generated"),
            (api.generate_anonymous_ids, (), "anonymized_ids", None),
            (api.submit_export_ora2_data, (), "ORA_data", None),
            (api.submit_export_ora2_summary, (), "ORA_summary", None),
            (api.submit_course_survey_report, (), "course_survey_results", "generated"),
            (api.submit_proctored_exam_results_report, (), "proctored_exam_results_report",
             "generating_proctored_exam_results_report"),
        ]
        for function, args, name, action in cases:
            with self.subTest(function=function.__name__):
                row = function(self.make_request(), self.course_key, *args)
                row.refresh_from_db()
                output = json.loads(row.task_output)
                if action is None:
                    self.assertEqual(output, "succeeded")  # the ORA and anonymised ids helpers' output
                else:
                    self.assertEqual(output["action_name"], action)
                names = os.listdir(os.path.join(self.report_dir, row_dir(self.course_key)))
                mine = [n for n in names if (match := REPORT_NAME.match(n)) and match["name"] == name]
                self.assertEqual(len(mine), 1, names)

    def test_anonymized_ids_header(self):
        api.generate_anonymous_ids(self.make_request(), self.course_key)
        (name,) = os.listdir(os.path.join(self.report_dir, row_dir(self.course_key)))
        self.assertEqual(self.read_csv(os.path.join(row_dir(self.course_key), name))[0],
                         ["User ID", "Anonymized User ID", "Course Specific Anonymized User ID"])

    def test_submission_files_are_a_zip_in_the_course_s_folder(self):
        api.submit_export_ora2_submission_files(self.make_request(), self.course_key)
        (name,) = os.listdir(os.path.join(self.report_dir, row_dir(self.course_key)))
        self.assertRegex(name, r"^edX_DemoX_Demo_Course_submission_files_\d{4}-\d{2}-\d{2}-\d{4}\.zip$")
        with zipfile.ZipFile(os.path.join(self.report_dir, row_dir(self.course_key), name)) as archive:
            self.assertEqual(archive.namelist(), ["downloads.csv"])

    def test_problem_responses_are_named_from_their_locations_and_name_their_file(self):
        location = "block-v1:edX+DemoX+Demo_Course+type@problem+block@p1"
        cases = [
            ((location, None), "student_state_from_block-v1_edX+DemoX+Demo_Course+type@problem+block@p1"),
            ((f"{location},{location}", "problem,openassessment"),
             "student_state_from_multiple_blocks_for_problem,openassessment"),
        ]
        for (locations, types), name in cases:
            with self.subTest(name=name):
                InstructorTask.objects.all().delete()
                row = api.submit_calculate_problem_responses_csv(
                    self.make_request(), self.course_key, locations, types,
                )
                row.refresh_from_db()
                output = json.loads(row.task_output)
                self.assertEqual(output["step"], "CSV uploaded")
                self.assertTrue(output["report_name"].startswith(f"edX_DemoX_Demo_Course_{name}_"))
                folder = os.path.join(self.report_dir, row_dir(self.course_key))
                self.assertIn(output["report_name"], os.listdir(folder))


class AnalyticsTests(ReportDirTestCase):
    """The dashboard's listings: the platform's names, signatures and return shapes."""

    def test_format_dictlist_keeps_the_platform_s_quirks(self):
        from lms.djangoapps.instructor_analytics.csvs import format_dictlist

        features = ["a", "b"]
        header, rows = format_dictlist([{"b": 2, "a": 1, "x": 0}, {"b": 3}], features)
        self.assertIs(header, features)
        self.assertEqual(rows, [[1, 2], [3]])  # a missing feature gives a shorter row

    @at_midday
    def test_issued_certificates(self):
        import datetime as dt

        from lms.djangoapps.certificates.models import GeneratedCertificate
        from lms.djangoapps.instructor_analytics.basic import issued_certificates

        GeneratedCertificate.objects.create(user=self.staff, course_id=self.course_key, mode="verified",
                                            status="downloadable")
        GeneratedCertificate.objects.create(user=self.learner, course_id=self.course_key, mode="verified",
                                            status="notpassing")
        features = ["course_id", "mode", "total_issued_certificate", "report_run_date"]
        self.assertEqual(issued_certificates(self.course_key, features), [{
            "course_id": COURSE_ID, "mode": "verified", "total_issued_certificate": 1,
            "report_run_date": dt.date.today().strftime("%B %d, %Y"),
        }])

    def test_enrolled_students_features(self):
        """lms/djangoapps/instructor_analytics/basic.py: the course's active enrollments."""
        from common.djangoapps.student.models import CourseEnrollment
        from lms.djangoapps.instructor_analytics.basic import enrolled_students_features

        for user in (self.staff, self.learner):
            CourseEnrollment.objects.create(user=user, course_id=self.course_key)
        elsewhere = get_user_model().objects.create_user("elsewhere", "elsewhere@example.com", "pw")
        CourseEnrollment.objects.create(user=elsewhere, course_id="course-v1:edX+Other+2026")
        left = get_user_model().objects.create_user("left", "left@example.com", "pw")
        CourseEnrollment.objects.create(user=left, course_id=self.course_key, is_active=False)
        rows = enrolled_students_features(self.course_key, ["username", "name", "enrollment_mode"])
        self.assertEqual(rows, [
            {"username": "learner", "name": "", "enrollment_mode": "audit"},
            {"username": "staff", "name": "Sta Ff", "enrollment_mode": "audit"},
        ])

    def test_dump_grading_context_is_escaped_text_in_pre(self):
        from lms.djangoapps.instructor_analytics.basic import dump_grading_context
        from openedx.core.lib.courses import get_course_by_id

        dump = dump_grading_context(get_course_by_id(self.course_key))
        self.assertTrue(dump.startswith("<pre>") and dump.endswith("</pre>"))
        self.assertIn("&lt;class", dump)
        self.assertIn(f"Listing grading context for course {COURSE_ID}", dump)

    def test_list_with_level_and_the_dashboard_s_permissions(self):
        import lms.djangoapps.instructor.permissions  # noqa: F401  (as the platform's views do)
        from common.djangoapps.student.models import CourseAccessRole
        from lms.djangoapps.instructor.access import ROLES, list_with_level

        self.assertEqual(list(ROLES), ["beta", "instructor", "staff", "limited_staff", "ccx_coach",
                                       "data_researcher"])
        CourseAccessRole.objects.create(user=self.learner, role="staff", course_id=self.course_key, org="edX")
        self.assertEqual(list(list_with_level(self.course_key, "staff")), [self.learner])
        self.assertEqual(list(list_with_level(self.course_key, "instructor")), [])
        self.assertTrue(self.learner.has_perm("instructor.view_exam_results", self.course_key))
        self.assertFalse(self.learner.has_perm("instructor.edit_course_access", self.course_key))
        self.assertFalse(self.learner.has_perm("instructor.research", self.course_key))
        self.staff.is_staff = True
        self.assertTrue(self.staff.has_perm("instructor.edit_course_access", self.course_key))


class PermissionRulesTests(TestCase):
    """Where the dashboard's permission rules come from."""

    def test_the_instructor_app_s_ready_does_not_register_them(self):
        """lms/djangoapps/instructor/apps.py: ready() imports handlers, not permissions (views do)."""
        from bridgekeeper import perms
        from django.apps import apps

        with mock.patch.dict(sys.modules), mock.patch.dict(perms, clear=True):
            sys.modules.pop("lms.djangoapps.instructor.permissions", None)
            apps.get_app_config("instructor").ready()
            self.assertNotIn("instructor.research", perms)
            import lms.djangoapps.instructor.permissions  # noqa: F401

            self.assertIn("instructor.research", perms)


class AccessAndCertificateTests(TestCase):
    """Who holds a role, and which certificates count as issued."""

    def test_limited_staff_hold_the_staff_role_s_rights(self):
        """common/djangoapps/student/roles.py: CourseLimitedStaffRole's BASE_ROLE is staff."""
        import lms.djangoapps.instructor.permissions  # noqa: F401  (as the platform's views do)
        from common.djangoapps.student.models import CourseAccessRole
        from common.djangoapps.student.roles import (
            CourseInstructorRole,
            CourseLimitedStaffRole,
            CourseStaffRole,
        )

        key = CourseKey.from_string(COURSE_ID)
        user = get_user_model().objects.create_user("limited", "limited@example.com", "pw")
        CourseAccessRole.objects.create(user=user, role="limited_staff", course_id=key, org="edX")
        self.assertTrue(CourseStaffRole(key).has_user(user))
        self.assertTrue(CourseLimitedStaffRole(key).has_user(user))
        self.assertFalse(CourseInstructorRole(key).has_user(user))
        # Each role lists its own members.
        self.assertEqual(list(CourseStaffRole(key).users_with_role()), [])
        self.assertEqual(list(CourseLimitedStaffRole(key).users_with_role()), [user])
        self.assertTrue(user.has_perm("instructor.view_exam_results", key))
        self.assertFalse(user.has_perm("instructor.edit_course_access", key))

    def test_eligible_certificates_leave_audit_ones_out(self):
        """lms/djangoapps/certificates/models.py: GeneratedCertificate.eligible_certificates."""
        from lms.djangoapps.certificates.models import GeneratedCertificate

        for number, status in enumerate(["downloadable", "audit_passing", "audit_notpassing", "notpassing"]):
            user = get_user_model().objects.create_user(f"u{number}", f"u{number}@example.com", "pw")
            GeneratedCertificate.objects.create(user=user, course_id=COURSE_ID, status=status)
        self.assertEqual(sorted(GeneratedCertificate.eligible_certificates.values_list("status", flat=True)),
                         ["downloadable", "notpassing"])
        self.assertEqual(GeneratedCertificate.objects.count(), 4)
