"""From submitted to delivered: each report followed to its file, downloaded by those entitled, e-mailed."""

import datetime
import json
import os
from unittest import mock

import ddt
from common.djangoapps.student.models import CourseAccessRole
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from lms.djangoapps.instructor_task.models import InstructorTask

from periodic_instructor_reports import delivery, folders, follow, task_output
from periodic_instructor_reports.models import PeriodicReportSchedule, ReportRun, ReportRunCourse
from periodic_instructor_reports.runs import dispatch
from periodic_instructor_reports.states import RunStatus, Trigger
from tests import factories
from tests.base import ReportFilesMixin

COURSE, OTHER = factories.COURSE, factories.OTHER_COURSE
BROKEN = "course-v1:Broken+Report+2026"
STAMP = r"\d{4}-\d{2}-\d{2}-\d{4}"
SCHEDULES = "admin:periodic_instructor_reports_periodicreportschedule_changelist"


def run_and_follow(schedule, **kwargs):
    """Run the schedule (its reports run eagerly here), then let the follow-up job look."""
    result = dispatch.run_schedule(schedule.pk, **kwargs)
    follow.follow_reports()
    return ReportRun.objects.get(pk=result["run_id"])


def rows(run):
    return {row.course_id: row for row in run.courses.all()}


@ddt.ddt
@override_settings(LMS_ROOT_URL="https://lms.example.com")
class FollowTests(ReportFilesMixin, TestCase):
    """The follow-up job records each report's end, and its file."""

    @ddt.unpack
    @ddt.data(
        ("regular", "", "{hash}"),
        ("by_date", "weekly/", "weekly/{date}"),
        ("flat", "flat/", "flat/"),
    )
    def test_generated_with_the_file_it_wrote(self, structure, prefix, folder):
        schedule = factories.schedule(course_ids=[COURSE, OTHER], upload_folder_structure=structure,
                                      upload_folder_prefix=prefix)
        run = run_and_follow(schedule)
        self.assertEqual((run.status, run.counts), ("done", {"generated": 2}))
        self.assertIsNotNone(run.finished_at)
        files = set(self.report_files())
        for course_id, row in rows(run).items():
            expected = folder.format(hash=folders.course_folder(course_id),
                                     date=run.planned_at.date().isoformat())
            self.assertEqual(os.path.dirname(row.file_path.rstrip("/")), expected.rstrip("/"))
            self.assertIn(row.file_path.replace("//", "/"), {path.replace("//", "/") for path in files})
            self.assertRegex(row.file_name, rf"^{row.expected_name}_{STAMP}\.csv$")
            self.assertEqual(row.file_size, os.path.getsize(os.path.join(self.report_dir, row.file_path)))
            self.assertEqual(row.error, "")

    def test_a_report_that_failed_in_the_platform(self):
        schedule = factories.schedule(course_ids=[COURSE, BROKEN])
        run = run_and_follow(schedule)
        self.assertEqual(run.counts, {"generated": 1, "report_failed": 1})
        failed = rows(run)[BROKEN]
        self.assertEqual(failed.error,
                         f"ReportFailed: Could not compute the report of {BROKEN}: grading backend down")
        self.assertEqual(failed.file_path, "")

    def test_a_failure_the_platform_recorded_through_celery_s_wrapper_names_the_exception(self):
        # lms/djangoapps/instructor_task/tasks_base.py stores einfo.exception: billiard's wrapper,
        # whose text is the traceback; the platform shortens it from its start to fit.
        traceback = 'Traceback (most recent call last):\n  File "x.py", line 1, in f\n    go()\n'
        for message, expected in [
            (f'\n"""\n{traceback}lms.tasks.ReportFailed: disk: full\n"""', "ReportFailed: disk: full"),
            ('in f\n    go()\nKeyError: \'features\'\n"""...', "KeyError: 'features'"),
            ('\n"""\nno traceback here\n"""', 'ExceptionWithTraceback: \n"""\nno traceback here\n"""'),
        ]:
            output = json.dumps({"exception": "ExceptionWithTraceback", "message": message})
            self.assertEqual(task_output.platform_error("FAILURE", output), expected)
        plain = json.dumps({"exception": "ValueError", "message": "bad"})
        self.assertEqual(task_output.platform_error("FAILURE", plain), "ValueError: bad")

    def test_a_report_still_unfinished_after_the_deadline_is_lost(self):
        schedule = factories.schedule()
        with mock.patch("lms.djangoapps.instructor_task.tasks.calculate_grades_csv.apply_async"):
            result = dispatch.run_schedule(schedule.pk)  # queued, never run: stays QUEUING
        follow.follow_reports()
        run = ReportRun.objects.get(pk=result["run_id"])
        self.assertEqual((run.status, run.counts), ("generating", {"submitted": 1}))
        later = timezone.now() + datetime.timedelta(hours=24, minutes=1)
        self.assertEqual(follow.follow_reports(now=later), {"lost": 1})
        row = run.courses.get()
        self.assertEqual(row.outcome, "lost")
        self.assertIn("is still QUEUING after 24 h", row.error)
        self.assertIn("every later report of this type for this course is refused", row.error)
        run.refresh_from_db()
        self.assertEqual((run.status, run.counts), ("done", {"lost": 1}))

    def test_two_reports_of_one_course_in_one_minute_each_get_their_file(self):
        schedule = factories.schedule(upload_folder_structure="flat", upload_folder_prefix="same/")
        first = run_and_follow(schedule, trigger=Trigger.MANUAL)
        second = run_and_follow(schedule, trigger=Trigger.MANUAL)
        paths = {first.courses.get().file_path, second.courses.get().file_path}
        self.assertEqual(len(paths), 2, paths)  # the storage suffixed the second file's name
        self.assertEqual(len(self.report_files()), 2)

    def test_a_success_without_its_file_waits_then_fails_clearly(self):
        schedule = factories.schedule(upload_folder_structure="flat", upload_folder_prefix="gone/")
        result = dispatch.run_schedule(schedule.pk)
        for name in os.listdir(os.path.join(self.report_dir, "gone")):
            os.remove(os.path.join(self.report_dir, "gone", name))
        self.assertEqual(follow.follow_reports(), {})  # a slow storage may list it a little later
        later = timezone.now() + datetime.timedelta(minutes=11)
        self.assertEqual(follow.follow_reports(now=later), {"report_failed": 1})
        row = ReportRunCourse.objects.get(run_id=result["run_id"])
        name = "edX_DemoX_Demo_Course_grade_report_bb6d638a29605974"
        self.assertIn(f"the platform reported success, but no file {name}_*.csv appeared in gone/", row.error)

    def test_following_1000_courses_costs_a_bounded_number_of_queries(self):
        owner = factories.user(is_staff=True, email="")
        schedule = factories.schedule(owner=owner, course_ids=[COURSE], upload_folder_structure="flat",
                                      upload_folder_prefix="many/")
        run = ReportRun.objects.create(schedule=schedule, trigger="manual", planned_at=timezone.now(),
                                       started_at=timezone.now(), status=RunStatus.GENERATING)
        now = timezone.now()
        storage = FileSystemStorage(location=self.report_dir)
        tasks, course_rows = [], []
        for n in range(1000):
            course_id = f"course-v1:Org+C{n}+Run"
            prefix = f"Org_C{n}_Run_grade_report"
            storage.save(f"many/{prefix}_{now:%Y-%m-%d-%H%M}.csv", ContentFile(b"a,b\n"))
            tasks.append(InstructorTask(
                course_id=course_id, task_type="grade_course", task_key="", task_input="{}", task_id=f"t{n}",
                task_state="SUCCESS", task_output="{}", requester=owner,
            ))
            course_rows.append(ReportRunCourse(
                run=run, course_id=course_id, outcome="submitted", task_id=f"t{n}", upload_parent_dir="many/",
                expected_name=prefix, attempt=1, started_at=now,
            ))
        InstructorTask.objects.bulk_create(tasks)
        ReportRunCourse.objects.bulk_create(course_rows)
        with CaptureQueriesContext(connection) as queries:
            self.assertEqual(follow.follow_reports(), {"generated": 1000})
        # Read the courses and their platform tasks, the files already given to other rows, store
        # the outcomes (one query per 500 on PostgreSQL and MariaDB), find the runs now done,
        # finish this one (its counts), read its schedule and failures for the e-mail.
        limit = 12 if connection.vendor != "sqlite" else 30
        self.assertLessEqual(len(queries.captured_queries), limit)
        run.refresh_from_db()
        self.assertEqual((run.status, run.counts), ("done", {"generated": 1000}))
        self.assertEqual(ReportRunCourse.objects.filter(run=run).values("file_path").distinct().count(), 1000)


@override_settings(LMS_ROOT_URL="https://lms.example.com")
class DownloadTests(ReportFilesMixin, TestCase):
    """The file, for global staff and the course's data researchers only."""

    def setUp(self):
        super().setUp()
        self.run = run_and_follow(factories.schedule(course_ids=[COURSE]))
        self.row = self.run.courses.get()
        self.url = reverse("periodic_instructor_reports:download", args=[self.row.pk])

    def test_the_url_is_mounted_where_the_lms_mounts_the_plugin(self):
        self.assertEqual(self.url, f"/periodic-reports/download/{self.row.pk}/")
        self.assertEqual(delivery.download_url(self.row.pk), f"https://lms.example.com{self.url}")

    def test_a_superuser_and_global_staff_download_the_csv(self):
        for user in (factories.superuser(), factories.user(is_staff=True)):
            self.client.force_login(user)
            response = self.client.get(self.url)
            self.assertEqual(response.status_code, 200)
            self.assertIn(f'attachment; filename="{self.row.file_name}"', response["Content-Disposition"])
            with open(os.path.join(self.report_dir, self.row.file_path), "rb") as handle:
                self.assertEqual(b"".join(response.streaming_content), handle.read())

    def test_the_course_s_data_researcher_downloads_it(self):
        researcher = factories.user()
        CourseAccessRole.objects.create(user=researcher, role="data_researcher", course_id=COURSE, org="edX")
        self.client.force_login(researcher)
        self.assertEqual(self.client.get(self.url).status_code, 200)

    def test_anyone_else_logged_in_is_refused_and_logged(self):
        learner = factories.user()
        other_researcher = factories.user()
        CourseAccessRole.objects.create(user=other_researcher, role="data_researcher", course_id=OTHER,
                                        org="OrgX")
        course_staff = factories.user()
        CourseAccessRole.objects.create(user=course_staff, role="staff", course_id=COURSE, org="edX")
        for user in (learner, other_researcher, course_staff):
            self.client.force_login(user)
            with self.assertLogs("periodic_instructor_reports.downloads", "WARNING") as logs:
                response = self.client.get(self.url)
            self.assertEqual(response.status_code, 403)
            self.assertIn(f"User {user.pk} was refused the report {self.row.pk} of {COURSE}", logs.output[0])

    def test_anonymous_is_sent_to_log_in(self):
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith("/admin/login/?next="))

    def test_no_report_or_no_file_is_not_found(self):
        self.client.force_login(factories.superuser())
        missing = reverse("periodic_instructor_reports:download", args=[999])
        self.assertEqual(self.client.get(missing).status_code, 404)
        os.remove(os.path.join(self.report_dir, self.row.file_path))
        self.assertEqual(self.client.get(self.url).status_code, 404)

    def test_a_signing_storage_redirects_to_a_short_lived_url(self):
        class SigningStorage(FileSystemStorage):
            querystring_auth = True

            def url(self, name, expire=None):
                return f"https://bucket.example.com/{name}?X-Amz-Expires={expire}"

        store = mock.Mock(storage=SigningStorage(location=self.report_dir))
        self.client.force_login(factories.superuser())
        with mock.patch("periodic_instructor_reports.platform.report_store", return_value=store):
            response = self.client.get(self.url)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response["Location"], f"https://bucket.example.com/{self.row.file_path}?X-Amz-Expires=300")


    def custom_domain_get(self, signer=None):
        """Ask for the file from an S3-like store on a custom domain, as django-storages 1.14 makes it."""

        class CustomDomainStorage(FileSystemStorage):
            querystring_auth = True
            custom_domain = "files.example.com"
            cloudfront_signer = signer

            def url(self, name, expire=None):
                if self.cloudfront_signer:
                    return f"https://files.example.com/{name}?Expires={expire}&Signature=s"
                return f"https://files.example.com/{name}"  # storages signs nothing here

        store = mock.Mock(storage=CustomDomainStorage(location=self.report_dir))
        self.client.force_login(factories.superuser())
        with mock.patch("periodic_instructor_reports.platform.report_store", return_value=store):
            return self.client.get(self.url)

    def test_an_unsigned_custom_domain_link_is_refused_by_default(self):
        with self.assertLogs("periodic_instructor_reports.downloads", "WARNING") as logs:
            response = self.custom_domain_get()
        self.assertEqual(response.status_code, 503)
        self.assertIn("links that are not signed", response.content.decode())
        self.assertIn("PERIODIC_INSTRUCTOR_REPORTS_UNSIGNED_DOWNLOADS", response.content.decode())
        self.assertIn("the report store's links are not signed", logs.output[0])
        with self.settings(PERIODIC_INSTRUCTOR_REPORTS_UNSIGNED_DOWNLOADS="sure"):
            self.assertEqual(self.custom_domain_get().status_code, 503)

    def test_an_unsigned_custom_domain_may_be_streamed_or_redirected_by_choice(self):
        with self.settings(PERIODIC_INSTRUCTOR_REPORTS_UNSIGNED_DOWNLOADS="stream"):
            response = self.custom_domain_get()
        self.assertEqual(response.status_code, 200)
        with open(os.path.join(self.report_dir, self.row.file_path), "rb") as handle:
            self.assertEqual(b"".join(response.streaming_content), handle.read())
        with self.settings(PERIODIC_INSTRUCTOR_REPORTS_UNSIGNED_DOWNLOADS="redirect"):
            response = self.custom_domain_get()
        self.assertEqual((response.status_code, response["Location"]),
                         (302, f"https://files.example.com/{self.row.file_path}"))

    def test_a_custom_domain_signed_by_cloudfront_redirects_to_the_signed_url(self):
        response = self.custom_domain_get(signer=object())
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response["Location"],
                         f"https://files.example.com/{self.row.file_path}?Expires=300&Signature=s")


@override_settings(LMS_ROOT_URL="https://lms.example.com", PERIODIC_INSTRUCTOR_REPORTS_RETRY_ATTEMPTS=0)
class DeliveryTests(ReportFilesMixin, TestCase):
    """One e-mail per run, to the recipients by the schedule's choice and the owner on failures."""

    def schedule(self, **fields):
        fields.setdefault("owner", factories.user(is_staff=True, email="owner@example.com"))
        return factories.schedule(recipients=["data@example.com", "dean@example.com"], **fields)

    def test_after_every_run_the_recipients_get_the_download_links(self):
        run = run_and_follow(self.schedule(notify="always", course_ids=[COURSE, OTHER]))
        self.assertEqual(len(mail.outbox), 1)
        message = mail.outbox[0]
        self.assertEqual(message.to, ["data@example.com", "dean@example.com"])
        self.assertEqual(message.attachments, [])
        self.assertIn("2 course reports ready", message.subject)
        for row in run.courses.all():
            self.assertIn(f"  {row.course_id}: generated: https://lms.example.com/periodic-reports/download/{row.pk}/",
                          message.body)
        self.assertIn("Downloading a report needs a login with access to the course's data", message.body)
        self.assertIsNotNone(ReportRun.objects.get(pk=run.pk).notified_at)
        delivery.deliver(run)
        self.assertEqual(len(mail.outbox), 1)  # never twice for one run

    def test_only_failures_are_e_mailed_by_default(self):
        run_and_follow(self.schedule(course_ids=[COURSE]))
        self.assertEqual(mail.outbox, [])
        run = run_and_follow(self.schedule(course_ids=[COURSE, BROKEN]))
        self.assertEqual(len(mail.outbox), 1)
        message = mail.outbox[0]
        self.assertEqual(message.to, ["owner@example.com", "data@example.com", "dean@example.com"])
        self.assertIn("1 of 2 courses not produced", message.subject)
        self.assertIn(f"  {BROKEN}: report failed", message.body)
        self.assertIn(f"  {COURSE}: generated: https://lms.example.com/periodic-reports/download/",
                      message.body)
        self.assertEqual(run.status, "done")

    def test_never_still_tells_the_owner_about_failures(self):
        run_and_follow(self.schedule(notify="never", course_ids=[BROKEN]))
        self.assertEqual([message.to for message in mail.outbox], [["owner@example.com"]])

    def test_lost_reports_are_failures_too(self):
        schedule = self.schedule(notify="never")
        with mock.patch("lms.djangoapps.instructor_task.tasks.calculate_grades_csv.apply_async"):
            dispatch.run_schedule(schedule.pk)
        follow.follow_reports(now=timezone.now() + datetime.timedelta(days=2))
        self.assertIn(f"  {COURSE}: lost", mail.outbox[0].body)

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_FAILURE_CC=["ops@example.com"])
    def test_an_inactive_owner_is_not_e_mailed_and_the_run_says_so(self):
        owner = factories.user(is_staff=True, email="owner@example.com")
        schedule = self.schedule(owner=owner, course_ids=[BROKEN], notify="never")
        PeriodicReportSchedule.objects.filter(pk=schedule.pk).update(recipients=[])
        type(owner).objects.filter(pk=owner.pk).update(is_active=False)
        # An inactive owner refuses the run itself: every course is reported as refused.
        with self.assertLogs("periodic_instructor_reports", "INFO"):
            run = run_and_follow(schedule, trigger=Trigger.MANUAL)
        self.assertEqual(run.status, "refused")
        self.assertEqual([message.to for message in mail.outbox], [["ops@example.com"]])
        run.refresh_from_db()
        self.assertEqual(run.note, f"owner (user id {owner.pk}) is inactive and was not e-mailed")

    def test_an_inactive_owner_s_recipients_are_told_instead(self):
        owner = factories.user(is_staff=True, email="owner@example.com")
        schedule = self.schedule(owner=owner, course_ids=[COURSE], notify="never")
        type(owner).objects.filter(pk=owner.pk).update(is_active=False)
        with self.assertLogs("periodic_instructor_reports", "INFO"):
            run_and_follow(schedule, trigger=Trigger.MANUAL)
        self.assertEqual([message.to for message in mail.outbox], [["data@example.com", "dean@example.com"]])


@ddt.ddt
class RecipientsValidationTests(TestCase):
    @ddt.unpack
    @ddt.data(
        ("data@example.com", "Enter a JSON list of e-mail addresses"),
        (["not an address"], "“not an address” is not an e-mail address."),
        (["a@example.com", "A@example.com"], "An address is listed more than once."),
        ([f"r{n}@example.com" for n in range(21)], "At most 20 recipients"),
        (["a@example.com\r\nBcc: x@example.com"], "is not an e-mail address"),
    )
    def test_bad_recipients_are_refused(self, recipients, message):
        with self.assertRaises(ValidationError) as caught:
            factories.schedule(recipients=recipients)
        self.assertIn(message, " ".join(caught.exception.message_dict["recipients"]))
        self.assertFalse(PeriodicReportSchedule.objects.exists())

    def test_good_recipients(self):
        self.assertEqual(factories.schedule(recipients=["a@example.com"]).recipients, ["a@example.com"])


class RunPageTests(ReportFilesMixin, TestCase):
    def test_the_run_page_lists_its_courses_with_their_outcome_and_link(self):
        run = run_and_follow(factories.schedule(course_ids=[COURSE, BROKEN]))
        self.client.force_login(factories.superuser())
        page = self.client.get(reverse("admin:periodic_instructor_reports_reportrun_change", args=[run.pk]))
        generated = run.courses.get(course_id=COURSE)
        self.assertContains(page, f'href="/periodic-reports/download/{generated.pk}/"')
        self.assertContains(page, generated.file_name)
        self.assertContains(page, "report failed")
        self.assertContains(page, "All 2 courses of this run")
        listing = self.client.get(reverse("admin:periodic_instructor_reports_reportruncourse_changelist"))
        self.assertContains(listing, f'href="/periodic-reports/download/{generated.pk}/"')
        schedules = self.client.get(reverse(SCHEDULES))
        self.assertContains(schedules, "done: 1 generated, 1 report_failed")
        self.assertEqual(json.loads(json.dumps(run.counts)), {"generated": 1, "report_failed": 1})
