"""
A course's row leads to its own course's file only: colliding course ids in folders shared by courses.

The platform names a report after org, course and run through Django's ``get_valid_filename``
(common/djangoapps/util/file.py ``course_filename_prefix_generator``), so ``Demo~X`` and ``DemoX``,
or ``Demo+X_Y`` and ``Demo_X+Y``, give the same prefix. Here both courses' reports finish between
two follow-up checks, in either order, and each row must lead to the file its own platform task
wrote (named from that task's ``task_input``), never to the other's.
"""

import io
import json
import os
from unittest import mock

import ddt
from celery.app.task import Task
from common.djangoapps.student.models import CourseAccessRole
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.db import OperationalError
from django.test import TestCase, override_settings
from django.urls import reverse
from lms.djangoapps.instructor_task.models import InstructorTask

from periodic_instructor_reports import catalog, folders, follow, reports, tasks
from periodic_instructor_reports.models import ReportRun, ReportRunCourse
from periodic_instructor_reports.runs import dispatch
from tests import factories
from tests.base import ReportFilesMixin

API = "lms.djangoapps.instructor_task.api."
# Pairs of course ids the platform gives one file name prefix.
COLLIDING = {
    "tilde": ("course-v1:edX+DemoX+Demo_Course", "course-v1:edX+Demo~X+Demo_Course"),
    "underscore": ("course-v1:edX+Demo+X_Y", "course-v1:edX+Demo_X+Y"),
}
REPORTS = [API + "submit_calculate_grades_csv", API + "submit_calculate_may_enroll_csv",
           "periodic_instructor_reports.wrapped.submit_grading_config"]


class Deferred:
    """Hold the platform's Celery submissions, run them in the order a test chooses, note who wrote what."""

    def __init__(self):
        self.sent = []
        self.written = {}  # storage path -> the course whose platform task wrote it

    def apply_async(self, task, args=None, kwargs=None, task_id=None, **_options):  # noqa: ARG002  (Celery's)
        self.sent.append((task, args, task_id))

    def run(self, order):
        save = FileSystemStorage.save
        for task, args, task_id in (reversed(self.sent) if order == "reverse" else self.sent):
            course_id = str(InstructorTask.objects.get(task_id=task_id).course_id)

            def noting(storage, name, content, max_length=None, course_id=course_id):
                path = save(storage, name, content, max_length=max_length)
                self.written[path] = course_id
                return path

            with mock.patch.object(FileSystemStorage, "save", noting):
                task.apply(args, task_id=task_id)
        self.sent.clear()


def researcher(course_id):
    user = factories.user()
    CourseAccessRole.objects.create(user=user, role="data_researcher", course_id=course_id, org="edX")
    return user


@ddt.ddt
class CollidingCourseTests(ReportFilesMixin, TestCase):
    """Every row's download is its own course's report, in every shared folder, in any order."""

    def run_pair(self, pair, structure, order, path=API + "submit_calculate_grades_csv"):
        deferred = Deferred()
        schedule = factories.schedule(
            task=factories.report_task(path), course_ids=list(COLLIDING[pair]),
            upload_folder_structure=structure, upload_folder_prefix="shared/",
        )
        with mock.patch.object(Task, "apply_async", autospec=True, side_effect=deferred.apply_async):
            result = dispatch.run_schedule(schedule.pk)
        self.assertEqual(len(deferred.sent), 2)
        deferred.run(order)  # both reports finish before the follow-up job looks
        self.written = deferred.written
        follow.follow_reports()
        return ReportRun.objects.get(pk=result["run_id"])

    def assert_own_files(self, run):
        rows = list(run.courses.all())
        self.assertEqual({row.outcome for row in rows}, {"generated"}, [row.error for row in rows])
        self.assertEqual(len({row.file_path for row in rows}), 2)
        for row in rows:
            # The file the row's own platform task wrote (a copied report: the platform's file it copied).
            self.assertEqual(self.written[row.platform_path or row.file_path], row.course_id, self.written)
            task_input = json.loads(InstructorTask.objects.get(task_id=row.task_id).task_input)
            name = task_input.get("filename") or catalog.get(run.report_path).filename
            self.assertTrue(row.expected_name.endswith("_" + name), (row.expected_name, name))
        return rows

    @ddt.idata((pair, structure, order) for pair in COLLIDING for structure in ("by_date", "flat")
               for order in ("forward", "reverse"))
    @ddt.unpack
    def test_each_course_gets_its_own_grade_report(self, pair, structure, order):
        self.assert_own_files(self.run_pair(pair, structure, order))

    @ddt.idata((path, order) for path in REPORTS[1:] for order in ("forward", "reverse"))
    @ddt.unpack
    def test_copied_and_wrapped_reports_too(self, path, order):
        self.assert_own_files(self.run_pair("tilde", "flat", order, path=path))

    def test_the_researcher_of_the_colliding_course_downloads_only_its_own(self):
        run = self.run_pair("tilde", "flat", "reverse")
        mine, theirs = COLLIDING["tilde"]
        rows = {row.course_id: row for row in run.courses.all()}
        self.assertEqual(self.written[rows[theirs].file_path], theirs)  # what the link serves
        self.client.force_login(researcher(theirs))
        own = self.client.get(reverse("periodic_instructor_reports:download", args=[rows[theirs].pk]))
        self.assertEqual(own.status_code, 200)
        with open(os.path.join(self.report_dir, rows[theirs].file_path), "rb") as handle:
            self.assertEqual(b"".join(own.streaming_content), handle.read())
        with self.assertLogs("periodic_instructor_reports.downloads", "WARNING"):
            other = self.client.get(reverse("periodic_instructor_reports:download", args=[rows[mine].pk]))
        self.assertEqual(other.status_code, 403)

    def test_a_file_that_cannot_be_told_apart_is_not_linked(self):
        # Names without the course's token (reports submitted before it): both courses' rows wait
        # for the same name in the same folder, so neither file is theirs with certainty.
        with mock.patch.object(reports, "shared_folder_filename", return_value=None):
            run = self.run_pair("underscore", "flat", "forward")
        for row in run.courses.all():
            self.assertEqual((row.outcome, row.file_path), ("report_failed", ""))
            self.assertIn("cannot be told apart and is not linked", row.error)

    def test_the_regular_structure_keeps_the_platform_s_names(self):
        run = self.run_pair("tilde", "regular", "reverse")
        for row in self.assert_own_files(run):
            self.assertEqual(os.path.dirname(row.file_path), "shared/" + folders.course_folder(row.course_id))
            self.assertRegex(row.file_name, r"^edX_DemoX_Demo_Course_grade_report_[\d-]+\.csv$")


@override_settings(LMS_ROOT_URL="https://lms.example.com")
class ErrorsFileTests(ReportFilesMixin, TestCase):
    """A grade report that could not grade some learners: both files linked, the e-mail says how many."""

    def setUp(self):
        super().setUp()
        factories.user(username="ungradable-1")
        factories.user(username="ungradable-2")

    def generate(self, **fields):
        schedule = factories.schedule(recipients=["data@example.com"], notify="always", **fields)
        result = dispatch.run_schedule(schedule.pk)
        follow.follow_reports()
        return ReportRunCourse.objects.get(run_id=result["run_id"])

    def test_the_row_links_both_files_and_says_how_many_are_missing(self):
        row = self.generate(upload_folder_structure="flat", upload_folder_prefix="grades/")
        self.assertEqual((row.outcome, row.ungraded), ("generated", 2))
        self.assertRegex(row.error_file_path, r"^grades/edX_DemoX_Demo_Course_grade_report_[0-9a-f]{16}_err_")
        self.assertIn("2 learners could not be graded", row.error)
        with open(os.path.join(self.report_dir, row.error_file_path), encoding="utf-8") as handle:
            self.assertEqual(handle.readline().strip(), "Student ID,Username,Error")
        body = mail.outbox[0].body
        self.assertIn("generated with errors, 2 learners missing", body)
        url = f"https://lms.example.com/periodic-reports/download/{row.pk}/errors/"
        self.assertIn(f"errors file: {url}", body)

    def test_the_errors_file_downloads_for_the_course_s_researcher_only(self):
        row = self.generate(upload_folder_structure="regular", upload_folder_prefix="")
        url = reverse("periodic_instructor_reports:download_errors", args=[row.pk])
        self.client.force_login(researcher(factories.COURSE))
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        self.assertIn("_grade_report_err_", response["Content-Disposition"])
        other = factories.user()
        CourseAccessRole.objects.create(user=other, role="data_researcher", course_id=factories.OTHER_COURSE,
                                        org="OrgX")
        self.client.force_login(other)
        with self.assertLogs("periodic_instructor_reports.downloads", "WARNING"):
            self.assertEqual(self.client.get(url).status_code, 403)

    def test_a_report_without_errors_has_no_errors_link(self):
        get_user_model().objects.filter(username__startswith="ungradable").update(is_active=False)
        row = self.generate()
        self.assertEqual((row.outcome, row.ungraded, row.error_file_path, row.error),
                         ("generated", None, "", ""))
        url = reverse("periodic_instructor_reports:download_errors", args=[row.pk])
        self.client.force_login(factories.superuser())
        self.assertEqual(self.client.get(url).status_code, 404)


class ClientError(Exception):
    """What botocore raises for an S3 error (not an ``OSError``)."""


class StorageErrorTests(ReportFilesMixin, TestCase):
    """A report store error is recorded course by course; other courses, recovery and e-mails go on."""

    def test_one_folder_s_error_leaves_the_other_courses_and_recovery_going(self):
        broken = factories.schedule(upload_folder_structure="flat", upload_folder_prefix="broken/")
        working = factories.schedule(upload_folder_structure="flat", upload_folder_prefix="working/",
                                     recipients=["data@example.com"], notify="always")
        broken_run = dispatch.run_schedule(broken.pk)["run_id"]
        working_run = dispatch.run_schedule(working.pk)["run_id"]
        storage = follow.platform.report_store().storage
        listdir = type(storage).listdir

        def failing(self, folder):
            if folder.startswith("broken"):
                raise ClientError("An error occurred (SlowDown) when calling the ListObjectsV2 operation")
            return listdir(self, folder)

        with mock.patch.object(type(storage), "listdir", failing), \
                mock.patch.object(tasks.recovery, "sweep", return_value={"resumed": 0}) as sweep, \
                self.assertLogs("periodic_instructor_reports.follow", "WARNING"):
            result = tasks.follow_up.apply().get()
        sweep.assert_called_once()
        self.assertEqual(result["followed"], {"generated": 1})
        self.assertEqual(ReportRun.objects.get(pk=working_run).status, "done")
        self.assertEqual(len(mail.outbox), 1)
        row = ReportRunCourse.objects.get(run_id=broken_run)
        self.assertEqual(row.outcome, "submitted")
        self.assertIn("the report store failed while the report was being followed: ClientError", row.error)
        follow.follow_reports()  # the store is back
        row.refresh_from_db()
        self.assertEqual((row.outcome, row.error), ("generated", ""))

    def test_a_store_that_stays_down_ends_the_course_as_lost(self):
        schedule = factories.schedule(upload_folder_structure="flat", upload_folder_prefix="broken/")
        run_id = dispatch.run_schedule(schedule.pk)["run_id"]
        storage = follow.platform.report_store().storage
        later = ReportRunCourse.objects.get(run_id=run_id).started_at + follow.datetime.timedelta(days=3)
        with mock.patch.object(type(storage), "listdir", side_effect=TimeoutError("read timed out")), \
                self.assertLogs("periodic_instructor_reports.follow", "WARNING"):
            self.assertEqual(follow.follow_reports(now=later), {"lost": 1})
        row = ReportRunCourse.objects.get(run_id=run_id)
        self.assertIn("TimeoutError: read timed out", row.error)

    def test_a_database_error_is_not_taken_for_the_store_s(self):
        schedule = factories.schedule(upload_folder_structure="flat", upload_folder_prefix="shared/")
        run_id = dispatch.run_schedule(schedule.pk)["run_id"]
        with mock.patch.object(follow.FileFinder, "sharing", side_effect=OperationalError("gone away")), \
                self.assertRaises(OperationalError):
            follow.follow_reports()
        self.assertEqual(ReportRunCourse.objects.get(run_id=run_id).error, "")

    def test_a_failing_e_mail_does_not_stop_the_other_runs(self):
        first = factories.schedule(recipients=["a@example.com"], notify="always")
        second = factories.schedule(recipients=["b@example.com"], notify="always",
                                    course_ids=[factories.OTHER_COURSE])
        runs = [dispatch.run_schedule(first.pk)["run_id"], dispatch.run_schedule(second.pk)["run_id"]]
        deliver = follow.delivery.deliver
        calls = []

        def flaky(run):
            calls.append(run.pk)
            if len(calls) == 1:
                raise ValueError("template broken")
            return deliver(run)

        with mock.patch.object(follow.delivery, "deliver", side_effect=flaky), \
                self.assertLogs("periodic_instructor_reports.follow", "ERROR"):
            follow.follow_reports()
        self.assertEqual(sorted(calls), sorted(runs))
        statuses = ReportRun.objects.filter(pk__in=runs).values_list("status", flat=True)
        self.assertEqual(set(statuses), {"done"})
        self.assertEqual(len(mail.outbox), 1)


class FindSharedNamesCommandTests(ReportFilesMixin, TestCase):
    """The upgrade's check: rows generated before 2.1 that may link another course's file."""

    def test_lists_the_rows_of_colliding_courses_in_one_folder(self):
        schedule = factories.schedule(course_ids=list(COLLIDING["tilde"]), upload_folder_structure="flat",
                                      upload_folder_prefix="shared/")
        with mock.patch.object(reports, "shared_folder_filename", return_value=None):  # names as before 2.1
            run_id = dispatch.run_schedule(schedule.pk)["run_id"]
        # What the earlier version recorded: each row generated, with one of the two files.
        ReportRunCourse.objects.filter(run_id=run_id).update(outcome="generated", file_path="shared/x.csv")
        alone = factories.schedule(upload_folder_structure="flat", upload_folder_prefix="alone/")
        dispatch.run_schedule(alone.pk)
        follow.follow_reports()
        out = io.StringIO()
        call_command("find_shared_report_names", stdout=out)
        text = out.getvalue()
        self.assertIn("shared/ edX_DemoX_Demo_Course_grade_report_*:", text)
        for course_id in COLLIDING["tilde"]:
            self.assertIn(f": {course_id} -> shared/x.csv", text)
        self.assertIn("2 rows may link another course's file", text)
        self.assertNotIn("alone/", text)

    def test_says_when_there_is_none(self):
        out = io.StringIO()
        call_command("find_shared_report_names", stdout=out)
        self.assertIn("No generated report shared its folder and file name", out.getvalue())
