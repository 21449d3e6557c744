"""The right people: the report's own permission at download, bad input from staff, the failure e-mail."""

import os

from common.djangoapps.student.models import CourseAccessRole
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from periodic_instructor_reports import catalog, delivery, folders
from periodic_instructor_reports.models import (
    PeriodicReportSchedule,
    ReportRun,
    ReportRunCourse,
)
from periodic_instructor_reports.states import Outcome, RunStatus
from tests import factories
from tests.base import ReportFilesMixin

COURSE, OTHER = factories.COURSE, factories.OTHER_COURSE  # orgs edX and OrgX
SCHEDULES = "admin:periodic_instructor_reports_periodicreportschedule"
COURSE_TEAM = "periodic_instructor_reports.wrapped.submit_course_team"
CERTIFICATE_EXCEPTIONS = "periodic_instructor_reports.wrapped.submit_certificate_exceptions"
DEEP_JSON = "[" * 5000 + "]" * 5000


def with_roles(*roles, course_id=COURSE):
    """Return a user holding ``roles`` (``data_researcher``, ``instructor``, ``staff``) in one course."""
    user = factories.user()
    for role in roles:
        CourseAccessRole.objects.create(user=user, role=role, course_id=course_id,
                                        org=course_id.split(":")[1].split("+")[0])
    return user


class DownloadPermissionTests(ReportFilesMixin, TestCase):
    """
    The download view asks what the dashboard asks for each report, besides data access.

    The platform's rules (lms/djangoapps/instructor/permissions.py): the course team listing needs
    ``instructor.edit_course_access`` (instructors), certificate exceptions
    ``instructor.certificate_exception_view`` (global staff or instructors).
    """

    def generated_row(self, path, course_id=COURSE):
        now = timezone.now()
        run = ReportRun.objects.create(report_path=path, report_name=catalog.get(path).name, trigger="manual",
                                       planned_at=now, started_at=now, status=RunStatus.DONE)
        file_path = f"listings/{course_id.replace(':', '_')}_{catalog.get(path).filename}.csv"
        os.makedirs(os.path.join(self.report_dir, "listings"), exist_ok=True)
        with open(os.path.join(self.report_dir, file_path), "w", encoding="utf-8") as handle:
            handle.write("username,role\n")
        row = ReportRunCourse.objects.create(run=run, course_id=course_id, outcome=Outcome.GENERATED,
                                             file_path=file_path, file_name=os.path.basename(file_path))
        return reverse("periodic_instructor_reports:download", args=[row.pk])

    def status_for(self, user, url):
        self.client.force_login(user)
        return self.client.get(url).status_code

    def test_the_course_s_data_researcher_is_refused_the_course_team_listing(self):
        url = self.generated_row(COURSE_TEAM)
        researcher = with_roles("data_researcher")
        self.client.force_login(researcher)
        with self.assertLogs("periodic_instructor_reports.downloads", "WARNING") as logs:
            self.assertEqual(self.client.get(url).status_code, 403)
        self.assertIn("instructor.edit_course_access", logs.output[0])

    def test_an_instructor_with_data_access_gets_the_course_team_listing(self):
        url = self.generated_row(COURSE_TEAM)
        self.assertEqual(self.status_for(with_roles("instructor", "data_researcher"), url), 200)
        self.assertEqual(self.status_for(factories.user(is_staff=True), url), 200)

    def test_an_instructor_without_data_access_is_refused_as_an_owner_would_be(self):
        url = self.generated_row(COURSE_TEAM)
        with self.assertLogs("periodic_instructor_reports.downloads", "WARNING"):
            self.assertEqual(self.status_for(with_roles("instructor"), url), 403)

    def test_the_instructor_and_researcher_of_another_course_is_refused(self):
        url = self.generated_row(COURSE_TEAM)
        with self.assertLogs("periodic_instructor_reports.downloads", "WARNING"):
            other_team = with_roles("instructor", "data_researcher", course_id=OTHER)
            self.assertEqual(self.status_for(other_team, url), 403)

    def test_certificate_exceptions_need_the_certificate_rule(self):
        url = self.generated_row(CERTIFICATE_EXCEPTIONS)
        with self.assertLogs("periodic_instructor_reports.downloads", "WARNING"):
            self.assertEqual(self.status_for(with_roles("data_researcher"), url), 403)
        self.assertEqual(self.status_for(with_roles("instructor", "data_researcher"), url), 200)

    def test_a_grade_report_still_needs_data_access_only(self):
        url = self.generated_row(catalog.GRADE_REPORT)
        self.assertEqual(self.status_for(with_roles("data_researcher"), url), 200)


class BadInputTests(TestCase):
    """Malformed input from staff gets a message, never a server error."""

    def setUp(self):
        self.boss = factories.superuser()
        self.client.force_login(self.boss)
        self.task = factories.report_task()
        factories.course(COURSE)

    def preview(self, **query):
        query.setdefault("task", str(self.task.pk))
        query.setdefault("course_ids[]", [COURSE])
        response = self.client.get(reverse(f"{SCHEDULES}_preview"), query)
        self.assertEqual(response.status_code, 200)
        return response.content.decode()

    def test_the_folder_preview_answers_malformed_arguments_with_a_message(self):
        self.assertIn("No report task has the id “99999”", self.preview(task="99999"))
        self.assertIn("No report task has the id “²”", self.preview(task="²"))
        self.assertIn("No report task has the id", self.preview(task="9" * 30))
        self.assertIn("Enter valid JSON.", self.preview(keyword_arguments=DEEP_JSON))
        self.assertIn("Enter valid JSON.", self.preview(keyword_arguments="{nope"))
        self.assertIn("deeper than 10 levels", self.preview(keyword_arguments="[" * 50 + "]" * 50))
        self.assertIn("enter a JSON object", self.preview(keyword_arguments="[1, 2]"))
        self.assertIn("Unknown folder structure", self.preview(structure="sideways"))
        self.assertIn(COURSE, self.preview(keyword_arguments="{}"))

    def test_json_nested_thousands_deep_in_the_schedule_form(self):
        response = self.client.post(reverse(f"{SCHEDULES}_add"), {
            "name": "Deep", "task": self.task.pk, "owner": self.boss.pk, "interval": factories.interval().pk,
            "course_ids": [COURSE], "arguments": DEEP_JSON, "keyword_arguments": DEEP_JSON,
            "recipients": "[]",
            "course_state_days": 30, "upload_folder_structure": "regular", "notify": "failures",
        })
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "Enter valid JSON.")
        self.assertFalse(PeriodicReportSchedule.objects.exists())

    def test_json_nested_deep_through_the_api_is_refused(self):
        nested = []
        for _ in range(3000):
            nested = [nested]
        with self.assertRaises(ValidationError) as caught:
            factories.schedule(arguments=nested)
        self.assertIn("deeper than 10 levels", " ".join(caught.exception.message_dict["arguments"]))

    def test_a_huge_number_of_days_is_refused_with_a_message(self):
        with self.assertRaises(ValidationError) as caught:
            factories.schedule(course_ids=[], course_orgs=["edX"], course_state="starting",
                               course_state_days=10**12)
        self.assertIn("at most 36500 days", " ".join(caught.exception.message_dict["course_state_days"]))
        response = self.client.post(reverse(f"{SCHEDULES}_add"), {
            "name": "Far", "task": self.task.pk, "owner": self.boss.pk, "interval": factories.interval().pk,
            "course_orgs": ["edX"], "course_state": "ended", "course_state_days": 10**12,
            "arguments": "[]", "keyword_arguments": "{}", "recipients": "[]",
            "upload_folder_structure": "regular", "notify": "failures",
        })
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "at most 36500 days")

    def test_a_stored_huge_number_of_days_does_not_break_the_page(self):
        schedule = factories.schedule(course_ids=[], course_orgs=["edX"], course_state="ended")
        PeriodicReportSchedule.objects.filter(pk=schedule.pk).update(course_state_days=2_000_000_000)
        response = self.client.get(reverse(f"{SCHEDULES}_change", args=[schedule.pk]))
        self.assertEqual(response.status_code, 200)

    def test_an_unknown_or_malformed_schedule_id_in_the_history_filter(self):
        for value in ("²", "9" * 30, "abc"):
            response = self.client.get(reverse("admin:periodic_instructor_reports_reportrun_changelist"),
                                       {"schedule": value})
            self.assertEqual(response.status_code, 200, value)

    def test_unknown_schedule_ids_in_the_admin_s_buttons_get_a_message(self):
        for button in ("run_now", "pause", "resume"):
            for pk in (99999, 10**30):
                response = self.client.post(reverse(f"{SCHEDULES}_{button}", args=[pk]), follow=True)
                self.assertContains(response, f"No schedule has the id “{pk}”; perhaps it was deleted.")


class FolderRootTests(TestCase):
    """A folder root without a trailing slash admits its own folder only, not its siblings."""

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_FOLDER_ROOT="reports")
    def test_a_sibling_folder_of_the_root_is_refused(self):
        problem = folders.folder_problem("reports-other/x/", structure="flat", course_key=None,
                                         root="reports")
        self.assertEqual(problem, "reports-other/x/ is outside the folder root reports")
        self.assertEqual(folders.folder_problem("reports/x/", structure="flat", course_key=None,
                                                root="reports"), "")
        with self.assertRaises(ValidationError):
            factories.schedule(upload_folder_prefix="reports-other/", upload_folder_structure="flat")
        factories.schedule(upload_folder_prefix="reports/weekly/", upload_folder_structure="flat")


@override_settings(LMS_ROOT_URL="https://lms.example.com", PERIODIC_INSTRUCTOR_REPORTS_RETRY_ATTEMPTS=0,
                   PERIODIC_INSTRUCTOR_REPORTS_FAILURE_CC=["ops@example.com"])
class FailureMailTests(TestCase):
    """An inactive owner's notice goes to the recipients, else to FAILURE_CC, once; nobody is copied."""

    def failed_run(self, owner, recipients, notify="never", active=True):
        schedule = factories.schedule(owner=owner, recipients=recipients, notify=notify)
        now = timezone.now()
        run = ReportRun.objects.create(schedule=schedule, trigger="manual", planned_at=now, started_at=now,
                                       status=RunStatus.DONE)
        ReportRunCourse.objects.create(run=run, course_id=COURSE, outcome=Outcome.FAILED, error="boom")
        type(owner).objects.filter(pk=owner.pk).update(is_active=active)
        schedule.refresh_from_db()
        with self.assertLogs("periodic_instructor_reports.delivery", "INFO"):
            self.assertTrue(delivery.deliver(run))
        self.assertEqual(len(mail.outbox), 1)
        return mail.outbox[0]

    def inactive_owner(self):
        return factories.user(is_staff=True, email="owner@example.com")

    def test_an_inactive_owner_s_notice_goes_to_the_recipients_only(self):
        message = self.failed_run(self.inactive_owner(), ["data@example.com"], active=False)
        self.assertEqual((message.to, message.cc), (["data@example.com"], []))

    def test_without_recipients_it_goes_to_failure_cc_once(self):
        message = self.failed_run(self.inactive_owner(), [], active=False)
        self.assertEqual((message.to, message.cc), (["ops@example.com"], []))

    def test_an_active_owner_without_an_address_copies_nobody(self):
        owner = factories.user(is_staff=True, email="")
        message = self.failed_run(owner, ["data@example.com"], notify="failures")
        self.assertEqual((message.to, message.cc), (["data@example.com"], []))

    def test_the_owner_listed_as_a_recipient_gets_one_copy(self):
        owner = factories.user(is_staff=True, email="Owner@example.com")
        message = self.failed_run(owner, ["owner@example.com", "data@example.com"], notify="failures")
        self.assertEqual((message.to, message.cc), (["Owner@example.com", "data@example.com"], []))
