"""
Every Data Download report of the catalog: its file in each folder structure, its arguments, who
may request it; copied reports keep the platform's file; wrapped reports go through the platform.
"""

import csv
import datetime
import io
import os
import re
from unittest import mock

import ddt
from celery import current_app
from common.djangoapps.student.models import CourseAccessRole, CourseEnrollment
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone
from lms.djangoapps.ccx.models import CustomCourseForEdX
from lms.djangoapps.certificates.models import GeneratedCertificate
from lms.djangoapps.instructor_task.api_helper import AlreadyRunningError
from lms.djangoapps.instructor_task.models import InstructorTask, ReportStore
from opaque_keys.edx.keys import CourseKey, UsageKey

from periodic_instructor_reports import catalog, conf, folders, follow, tasks, wrapped
from periodic_instructor_reports.models import ReportRun
from periodic_instructor_reports.report_request import build_report_request
from periodic_instructor_reports.runs import dispatch
from periodic_instructor_reports.states import Trigger
from tests import factories
from tests.base import ReportFilesMixin, at_midday

COURSE = factories.COURSE
PREFIX = "edX_DemoX_Demo_Course"
STAMP = r"\d{4}-\d{2}-\d{2}-\d{4}"
LOCATION = "block-v1:edX+DemoX+Demo_Course+type@problem+block@p1"
PROBLEMS = {"problem_locations": LOCATION}
API = "lms.djangoapps.instructor_task.api."
# Each folder structure with a prefix, and the folder a course's report goes to.
STRUCTURES = {
    "regular": ("periodic/", "periodic/{hash}"),
    "by_date": ("periodic/", "periodic/{date}"),
    "flat": ("periodic/", "periodic"),
}


def run_and_follow(schedule, **kwargs):
    """Run the schedule (its reports run eagerly here), then let the follow-up job look."""
    result = dispatch.run_schedule(schedule.pk, **kwargs)
    follow.follow_reports()
    return ReportRun.objects.get(pk=result["run_id"])


def arguments(report):
    return PROBLEMS if report.path == catalog.PROBLEM_RESPONSES else {}


def file_pattern(report, token=""):
    """The file name's pattern; ``token`` follows the report's name in a folder shared by courses."""
    name = re.escape(f"{PREFIX}_{catalog.filename(report.path, arguments(report))}{token}")
    return rf"{name}_{STAMP}\.{report.extension}"


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@ddt.ddt
class EveryReportFileTests(ReportFilesMixin, TestCase):
    """Each report of the table produces its file in each folder structure."""

    def check(self, report, structure, prefix, folder):
        schedule = factories.schedule(
            task=factories.report_task(report.path), upload_folder_structure=structure,
            upload_folder_prefix=prefix, keyword_arguments=arguments(report),
        )
        run = run_and_follow(schedule)
        row = run.courses.get()
        self.assertEqual((run.status, row.outcome, row.error), ("done", "generated", ""), row.error)
        expected = folder.format(hash=folders.course_folder(COURSE), date=run.planned_at.date().isoformat())
        self.assertEqual(os.path.dirname(row.file_path), expected)
        token = "" if structure == "regular" else "_" + folders.course_token(COURSE)
        self.assertRegex(row.file_name, "^" + file_pattern(report, token) + "$")
        self.assertTrue(os.path.isfile(os.path.join(self.report_dir, row.file_path)))
        self.assertEqual(row.file_size, os.path.getsize(os.path.join(self.report_dir, row.file_path)))
        platform_folder = folders.course_folder(COURSE)
        if report.support == catalog.COPIED:
            # The platform's file stays in the course's folder, which the dashboard lists.
            self.assertEqual(os.path.dirname(row.platform_path), platform_folder)
            self.assertTrue(os.path.isfile(os.path.join(self.report_dir, row.platform_path)))
            links = ReportStore.from_config("GRADES_DOWNLOAD").links_for(CourseKey.from_string(COURSE))
            self.assertEqual([name for name, _ in links], [os.path.basename(row.platform_path)])
        else:
            self.assertEqual(row.platform_path, "")
        files = self.report_files()
        self.assertEqual(len(files), 2 if row.platform_path not in ("", row.file_path) else 1, files)
        return row

    @ddt.idata([(report.path, structure) for report in catalog.REPORTS for structure in STRUCTURES])
    @ddt.unpack
    def test_each_report_in_each_structure(self, path, structure):
        prefix, folder = STRUCTURES[structure]
        self.check(catalog.get(path), structure, prefix, folder)

    @ddt.idata(report.path for report in catalog.REPORTS)
    def test_each_report_in_the_dashboard_s_own_folder(self, path):
        row = self.check(catalog.get(path), "regular", "", "{hash}")
        if catalog.support(path) == catalog.COPIED:
            self.assertEqual(row.platform_path, row.file_path)  # nothing to copy

    @ddt.data(API + "submit_export_ora2_data", wrapped._PATH + "submit_grading_config")
    def test_a_ccx_s_report_in_a_shared_folder_gets_its_token(self, path):
        report = catalog.get(path)
        ccx = CustomCourseForEdX.objects.create(course_id=COURSE, display_name="CCX", coach=factories.user())
        ccx_id = str(ccx.locator)
        schedule = factories.schedule(
            task=factories.report_task(path), course_ids=[COURSE, ccx_id], upload_folder_structure="flat",
            upload_folder_prefix="shared/",
        )
        run = run_and_follow(schedule)
        rows = {row.course_id: row for row in run.courses.all()}
        self.assertEqual({row.outcome for row in rows.values()}, {"generated"})
        token, ccx_token = "_" + folders.course_token(COURSE), "_" + folders.course_token(ccx_id)
        self.assertRegex(rows[COURSE].file_path, "^shared/" + file_pattern(report, token) + "$")
        self.assertRegex(rows[ccx_id].file_path, "^shared/" + file_pattern(report, ccx_token) + "$")
        if report.support == catalog.COPIED:
            self.assertTrue(rows[ccx_id].platform_path.startswith(folders.course_folder(ccx_id) + "/"))

    def test_problem_responses_of_a_master_course_and_its_ccx(self):
        ccx = CustomCourseForEdX.objects.create(course_id=COURSE, display_name="CCX", coach=factories.user())
        ccx_id = str(ccx.locator)
        schedule = factories.schedule(task=factories.report_task(catalog.PROBLEM_RESPONSES),
                                      course_ids=[COURSE, ccx_id], keyword_arguments=PROBLEMS)
        run = run_and_follow(schedule)
        rows = {row.course_id: row for row in run.courses.all()}
        self.assertEqual({course_id: row.outcome for course_id, row in rows.items()},
                         {COURSE: "generated", ccx_id: "generated"}, [row.error for row in rows.values()])
        blocks = {row[3] for row in read_csv(os.path.join(self.report_dir, rows[ccx_id].file_path))[1:]}
        # The platform's task mapped the location into the CCX.
        self.assertEqual(blocks, {str(UsageKey.from_string(LOCATION).map_into_course(ccx.locator))})


class CopiedReportTests(ReportFilesMixin, TestCase):
    """Copied reports: found in the course's folder, copied, never taken from it; no file or several told."""

    path = API + "submit_calculate_may_enroll_csv"

    def schedule(self):
        return factories.schedule(task=factories.report_task(self.path), upload_folder_structure="flat",
                                  upload_folder_prefix="copies/")

    def test_a_report_that_wrote_no_file_fails_clearly(self):
        schedule = self.schedule()
        with mock.patch("lms.djangoapps.instructor_task.models.DjangoStorageReportStore.store_rows"):
            result = dispatch.run_schedule(schedule.pk)  # SUCCESS, but nothing written
        self.assertEqual(follow.follow_reports(), {})  # a slow storage may list it a little later
        later = timezone.now() + datetime.timedelta(minutes=11)
        self.assertEqual(follow.follow_reports(now=later), {"report_failed": 1})
        row = ReportRun.objects.get(pk=result["run_id"]).courses.get()
        self.assertEqual(
            row.error,
            f"the platform reported success, but no file {PREFIX}_may_enroll_info_*.csv appeared in "
            f"{folders.course_folder(COURSE)}",
        )
        self.assertEqual(self.report_files(), [])

    def test_of_several_files_the_run_s_own_is_copied_and_the_others_named(self):
        folder = os.path.join(self.report_dir, folders.course_folder(COURSE))
        os.makedirs(folder)
        now = timezone.now()
        earlier = f"{PREFIX}_may_enroll_info_{now - datetime.timedelta(minutes=1):%Y-%m-%d-%H%M}.csv"
        same_minute = f"{PREFIX}_may_enroll_info_{now:%Y-%m-%d-%H%M}.csv"
        for name in (earlier, same_minute):  # a click on the dashboard just before the run
            with open(os.path.join(folder, name), "w", encoding="utf-8") as handle:
                handle.write("email\r\nclicked@example.com\r\n")
            an_hour_ago = (now - datetime.timedelta(hours=1)).timestamp()
            os.utime(os.path.join(folder, name), (an_hour_ago, an_hour_ago))
        run = run_and_follow(self.schedule())
        row = run.courses.get()
        self.assertEqual(row.outcome, "generated")
        self.assertNotIn(os.path.basename(row.platform_path), (earlier, same_minute))
        self.assertIn("3 files of this report were written in the course's folder during its run", row.error)
        self.assertIn(earlier, row.error)
        self.assertIn(same_minute, row.error)
        self.assertNotIn("clicked@example.com", open(os.path.join(self.report_dir, row.file_path)).read())
        self.assertEqual(len(os.listdir(folder)), 3)  # nothing taken from the course's folder

    def test_a_copy_that_fails_waits_then_fails_clearly(self):
        schedule = self.schedule()
        result = dispatch.run_schedule(schedule.pk)
        with mock.patch("django.core.files.storage.FileSystemStorage.save", side_effect=OSError("disk full")):
            self.assertEqual(follow.follow_reports(), {})
            later = timezone.now() + datetime.timedelta(minutes=11)
            self.assertEqual(follow.follow_reports(now=later), {"report_failed": 1})
        row = ReportRun.objects.get(pk=result["run_id"]).courses.get()
        self.assertRegex(row.error, r"^could not copy [0-9a-f]{40}/.+ to copies/: disk full$")

    def test_the_platform_s_file_is_given_to_one_run_only(self):
        first = run_and_follow(self.schedule(), trigger=Trigger.MANUAL).courses.get()
        second = run_and_follow(self.schedule(), trigger=Trigger.MANUAL).courses.get()
        self.assertNotEqual(first.platform_path, second.platform_path)
        self.assertNotEqual(first.file_path, second.file_path)


@ddt.ddt
class ArgumentTests(TestCase):
    """The arguments each report needs, checked when a schedule is saved."""

    def refused(self, path, **fields):
        with self.assertRaises(ValidationError) as caught:
            factories.schedule(task=factories.report_task(path), **fields)
        return " ".join(" ".join(texts) for texts in caught.exception.message_dict.values())

    @ddt.unpack
    @ddt.data(
        ({}, "missing a required argument: 'problem_locations'"),
        ({"problem_locations": ""}, "problem_locations must be the problem usage keys, comma-separated"),
        ({"problem_locations": "not-a-key"}, "'not-a-key' in problem_locations is not a usage key"),
        ({"problem_locations": LOCATION + ",block-v1:x"}, "'block-v1:x' in problem_locations is not"),
        ({"problem_locations": ",".join([LOCATION] * 51)}, "may name at most 50 problems"),
        ({"problem_locations": LOCATION, "problem_types_filter": "a;b"}, "problem_types_filter must"),
        ({"problem_locations": 3}, "problem_locations must be the problem usage keys"),
        ({"problem_locations": LOCATION, "upload_parent_dir": "x"}, "upload_parent_dir is set from"),
        ({"problem_locations": LOCATION, "filename": "mine"}, "unexpected keyword argument 'filename'"),
    )
    def test_problem_responses(self, keyword_arguments, message):
        self.assertIn(message, self.refused(catalog.PROBLEM_RESPONSES, keyword_arguments=keyword_arguments))

    def test_problem_responses_accepted_by_name_or_position(self):
        task = factories.report_task(catalog.PROBLEM_RESPONSES)
        factories.schedule(task=task, keyword_arguments={"problem_locations": LOCATION + "," + LOCATION,
                                                         "problem_types_filter": "problem,openassessment"})
        factories.schedule(task=task, arguments=[LOCATION, "problem"], upload_folder_structure="by_date")
        self.assertIn("is not a usage key", self.refused(catalog.PROBLEM_RESPONSES, arguments=["nope"]))

    @ddt.data(API + "submit_calculate_may_enroll_csv",
              API + "submit_calculate_inactive_enrolled_students_csv")
    def test_features_are_the_dashboard_s(self, path):
        self.assertIn("features is given as the dashboard gives it (['email']): leave it out",
                      self.refused(path, keyword_arguments={"features": ["email", "username"]}))
        factories.schedule(task=factories.report_task(path), keyword_arguments={"features": ["email"]})

    def test_reports_without_arguments_refuse_any(self):
        for path in (API + "submit_export_ora2_data", wrapped._PATH + "submit_course_team"):
            self.assertIn("unexpected keyword argument", self.refused(path, keyword_arguments={"x": 1}))

    def test_copied_reports_take_any_folder(self):
        task = factories.report_task(API + "submit_course_survey_report")
        for structure, prefix in (("regular", "r/"), ("by_date", ""), ("flat", "f/")):
            factories.schedule(task=task, upload_folder_structure=structure, upload_folder_prefix=prefix)

    def test_locations_are_given_as_the_dashboard_gives_them_and_name_the_file(self):
        # lms/djangoapps/instructor/views/api.py (_get_problem_responses) submits them unchanged;
        # the platform's task maps each into the course it runs for.
        other = "course-v1:OrgX+CS101+2026"
        schedule = factories.schedule(task=factories.report_task(catalog.PROBLEM_RESPONSES),
                                      course_ids=[COURSE, other], keyword_arguments=PROBLEMS)
        with mock.patch("lms.djangoapps.instructor_task.tasks.calculate_problem_responses_csv.apply_async"):
            result = dispatch.run_schedule(schedule.pk)
        inputs = {str(task.course_id): task.task_input for task in InstructorTask.objects.all()}
        self.assertIn(f'"problem_locations": "{LOCATION}"', inputs[other])
        run = ReportRun.objects.get(pk=result["run_id"])
        expected = {row.course_id: row.expected_name for row in run.courses.all()}
        self.assertEqual(expected[other], "OrgX_CS101_2026_student_state_from_" + LOCATION.replace(":", "_"))

    def test_a_dry_run_says_a_copied_report_is_copied_to_its_folder(self):
        schedule = factories.schedule(task=factories.report_task(API + "submit_export_ora2_summary"),
                                      upload_folder_structure="flat", upload_folder_prefix="ora/")
        out = io.StringIO()
        call_command("run_report_schedule", str(schedule.pk), "--dry-run", stdout=out)
        self.assertIn("    upload folder: 'ora/' (copied there from the course's folder once generated)",
                      out.getvalue())

    def test_the_documented_table_lists_every_report_as_the_catalog_does(self):
        path = os.path.join(os.path.dirname(__file__), "..", "docs", "reports.rst")
        page = open(path, encoding="utf-8").read()
        section = page.split("\nEvery Data Download report\n", 1)[1]
        table = section.split(".. list-table::", 1)[1].split("\n\n\n", 1)[0]
        rows = [row.split("\n     - ") for row in table.split("\n   * - ")[2:]]
        labels = {catalog.NATIVE: "native folders", catalog.COPIED: "copied after the run",
                  catalog.WRAPPED: "wrapped by the plugin"}
        self.assertEqual(len(rows), len(catalog.REPORTS))
        for report, cells in zip(catalog.REPORTS, rows, strict=True):
            cells = [cell.strip() for cell in cells]
            self.assertEqual((cells[1], cells[2]), (f"``{report.path}``", labels[report.support]))
            self.assertIn(f"``{report.filename}", cells[3])
            self.assertIn(f".{report.extension}``", cells[3])
            self.assertTrue(cells[-1].startswith(f"``{report.permission}``"), cells[-1])

    def test_the_new_reports_are_registered_and_allowed_out_of_the_box(self):
        self.assertEqual(conf.DEFAULTS["ALLOWED_PATHS"], catalog.PATHS)
        self.assertEqual(len(catalog.PATHS), 18)
        for report in catalog.REPORTS:
            self.assertTrue(factories.report_task(report.path).requires_request, report.path)


class WrappedReportTests(ReportFilesMixin, TestCase):
    """The in-request listings, computed with the platform's functions by the plugin's task."""

    def generate(self, path, **fields):
        schedule = factories.schedule(task=factories.report_task(path), upload_folder_structure="flat",
                                      upload_folder_prefix="listings/", **fields)
        run = run_and_follow(schedule)
        row = run.courses.get()
        self.assertEqual(row.outcome, "generated", row.error)
        task = InstructorTask.objects.get(task_id=row.task_id)
        self.assertEqual((task.task_type, task.task_state), (catalog.get(path).task_type, "SUCCESS"))
        self.assertIn(f'"report_name": "{row.file_name}"', task.task_output)
        return read_csv(os.path.join(self.report_dir, row.file_path))

    @at_midday
    def test_issued_certificates(self):
        for mode, status in [("verified", "downloadable"), ("verified", "downloadable"),
                             ("honor", "downloadable"), ("verified", "notpassing")]:
            GeneratedCertificate.objects.create(user=factories.user(), course_id=COURSE, mode=mode,
                                                status=status)
        rows = self.generate(wrapped._PATH + "submit_issued_certificates")
        today = datetime.date.today().strftime("%B %d, %Y")
        self.assertEqual(rows, [
            ["CourseID", "Certificate Type", "Total Certificates Issued", "Date Report Run"],
            [COURSE, "honor", "1", today], [COURSE, "verified", "2", today],
        ])

    def test_course_team(self):
        staff = factories.user(first_name="Sam", last_name="Staff")
        CourseAccessRole.objects.create(user=staff, role="staff", course_id=COURSE, org="edX")
        CourseAccessRole.objects.create(user=staff, role="beta_testers", course_id=COURSE, org="edX")
        CourseAccessRole.objects.create(user=factories.user(), role="staff", course_id=factories.OTHER_COURSE,
                                        org="OrgX")
        rows = self.generate(wrapped._PATH + "submit_course_team")
        self.assertEqual(rows, [
            ["role", "username", "email", "first_name", "last_name"],
            ["beta", staff.username, staff.email, "Sam", "Staff"],
            ["staff", staff.username, staff.email, "Sam", "Staff"],
        ])

    def test_grading_configuration(self):
        rows = self.generate(wrapped._PATH + "submit_grading_config")
        lines = [line for (line,) in rows]
        self.assertEqual(lines[0], "Grading configuration")
        self.assertIn("Course grader:", lines)
        self.assertIn("<class 'openedx.core.lib.courses.WeightedSubsectionsGrader'>", lines)  # unescaped
        self.assertIn(f"Listing grading context for course {COURSE}", lines)

    def test_enrolled_profiles_have_the_site_s_columns(self):
        learner = factories.user(first_name="Ada", last_name="Lovelace")
        CourseEnrollment.objects.create(user=learner, course_id=COURSE)
        outsider = factories.user()
        rows = self.generate(wrapped._PATH + "submit_enrolled_profiles", keyword_arguments={
            "features": ["id", "username", "name"],
        })
        # The course's enrolled learners only (lms/djangoapps/instructor_analytics/basic.py).
        self.assertEqual(rows, [["id", "username", "name"],
                                [str(learner.pk), learner.username, "Ada Lovelace"]])
        self.assertNotIn(outsider.username, {row[1] for row in rows})

    @at_midday
    def test_certificate_exceptions_and_invalidations(self):
        from lms.djangoapps.certificates.models import CertificateAllowlist, CertificateInvalidation

        allowed, invalid, staff = factories.user(), factories.user(), factories.user()
        CertificateAllowlist.objects.create(user=allowed, course_id=COURSE, allowlist=True,
                                            notes="late start")
        CertificateAllowlist.objects.create(user=invalid, course_id=factories.OTHER_COURSE,
                                            allowlist=True)
        certificate = GeneratedCertificate.objects.create(user=invalid, course_id=COURSE,
                                                          status="downloadable")
        CertificateInvalidation.objects.create(generated_certificate=certificate, invalidated_by=staff,
                                               notes="plagiarism")
        today = datetime.date.today().strftime("%B %d, %Y")
        rows = self.generate(wrapped._PATH + "submit_certificate_exceptions")
        self.assertEqual(rows[0], wrapped.ALLOWLIST_FEATURES)
        self.assertEqual(rows[1:], [[rows[1][0], str(allowed.pk), allowed.username, allowed.email, COURSE,
                                     today, "", "late start"]])
        rows = self.generate(wrapped._PATH + "submit_certificate_invalidations")
        self.assertEqual(rows, [["id", "user", "invalidated_by", "created", "notes"],
                                [rows[1][0], invalid.username, staff.username, today, "plagiarism"]])

    def test_a_failure_is_recorded_on_the_platform_s_row_and_followed(self):
        path = wrapped._PATH + "submit_grading_config"
        schedule = factories.schedule(task=factories.report_task(path))
        failing = mock.patch("periodic_instructor_reports.platform.course_by_id",
                             side_effect=RuntimeError("no course"))
        with failing, self.assertLogs("edx.celery.task", "WARNING"):
            run = run_and_follow(schedule)
        row = run.courses.get()
        self.assertEqual((row.outcome, row.error), ("report_failed", "RuntimeError: no course"))

    def test_a_failure_before_the_report_starts_ends_the_platform_s_row(self):
        """The platform's BaseInstructorTask (tasks_base.py) ends the row, whatever raised where."""
        owner = factories.user(is_staff=True)
        entry = InstructorTask.create(COURSE, "pir_grading_config", "", {}, owner)
        # Celery runs the task under another id than the row's: refused before any work.
        tasks.run_wrapped_report.apply([entry.pk, {}], task_id="not-the-row-s")
        entry.refresh_from_db()
        self.assertEqual(entry.task_state, "FAILURE")
        self.assertIn("Requested task did not match actual task", entry.task_output)
        # The report is not blocked for the course: the next one runs.
        self.generate(wrapped._PATH + "submit_grading_config")

    def test_the_task_s_base_class_is_the_platform_s(self):
        from lms.djangoapps.instructor_task.tasks_base import BaseInstructorTask

        self.assertIsInstance(current_app.tasks[wrapped.TASK_NAME], BaseInstructorTask)

    def test_one_at_a_time_per_course_as_the_platform_guarantees(self):
        owner = factories.user(is_staff=True)
        InstructorTask.create(COURSE, "pir_grading_config", "", {}, owner)  # one still running
        request = build_report_request(owner)
        with self.assertRaises(AlreadyRunningError):
            wrapped.submit_grading_config(request, CourseKey.from_string(COURSE))
        schedule = factories.schedule(task=factories.report_task(wrapped._PATH + "submit_grading_config"))
        with self.settings(PERIODIC_INSTRUCTOR_REPORTS_RETRY_ATTEMPTS=0):
            run = run_and_follow(schedule)
        self.assertEqual(run.courses.get().outcome, "already_running")


class PermissionTests(ReportFilesMixin, TestCase):
    """Each report asks the owner for what the instructor dashboard asks for it."""

    def researcher(self, *roles):
        user = factories.user()
        for role in ("data_researcher", *roles):
            CourseAccessRole.objects.create(user=user, role=role, course_id=COURSE, org="edX")
        return user

    def test_the_course_team_needs_the_course_s_instructors(self):
        path = wrapped._PATH + "submit_course_team"
        researcher = self.researcher()
        with self.assertRaises(ValidationError) as caught:
            factories.schedule(task=factories.report_task(path), owner=researcher)
        self.assertIn("and the platform permission instructor.edit_course_access this report needs",
                      caught.exception.message_dict["course_ids"][0])
        with self.assertRaises(PermissionDenied):
            wrapped.submit_course_team(build_report_request(researcher), CourseKey.from_string(COURSE))
        self.assertFalse(InstructorTask.objects.exists())
        instructor = self.researcher("instructor")
        schedule = factories.schedule(task=factories.report_task(path), owner=instructor)
        self.assertEqual(run_and_follow(schedule).courses.get().outcome, "generated")
        CourseAccessRole.objects.filter(user=instructor, role="instructor").delete()
        del instructor._roles
        with self.assertLogs("periodic_instructor_reports.runs", "WARNING"):
            row = run_and_follow(schedule, trigger=Trigger.MANUAL).courses.get()
        self.assertEqual((row.outcome, row.error), (
            "refused", "owner lacks the platform permission instructor.edit_course_access this report needs "
                       "on this course"))

    def test_the_certificates_tab_s_lists_need_the_course_s_instructors(self):
        for name in ("submit_certificate_exceptions", "submit_certificate_invalidations"):
            task = factories.report_task(wrapped._PATH + name)
            with self.assertRaises(ValidationError):
                factories.schedule(task=task, owner=self.researcher("staff"))
            schedule = factories.schedule(task=task, owner=self.researcher("instructor"))
            self.assertEqual(run_and_follow(schedule).courses.get().outcome, "generated")

    def test_proctored_results_need_course_staff_and_data_access(self):
        path = API + "submit_proctored_exam_results_report"
        for owner in (self.researcher(), factories.user()):
            with self.assertRaises(ValidationError):
                factories.schedule(task=factories.report_task(path), owner=owner)
        staff_only = factories.user()
        CourseAccessRole.objects.create(user=staff_only, role="staff", course_id=COURSE, org="edX")
        with self.assertRaises(ValidationError):
            factories.schedule(task=factories.report_task(path), owner=staff_only)
        schedule = factories.schedule(task=factories.report_task(path), owner=self.researcher("staff"))
        self.assertEqual(run_and_follow(schedule).courses.get().outcome, "generated")

    def test_limited_staff_count_as_course_staff_as_in_the_platform(self):
        # common/djangoapps/student/roles.py: CourseLimitedStaffRole inherits the staff role.
        path = API + "submit_proctored_exam_results_report"
        owner = self.researcher("limited_staff")
        schedule = factories.schedule(task=factories.report_task(path), owner=owner)
        self.assertEqual(run_and_follow(schedule).courses.get().outcome, "generated")
        with self.assertRaises(ValidationError):  # not an instructor, though
            factories.schedule(task=factories.report_task(wrapped._PATH + "submit_course_team"),
                               owner=self.researcher("limited_staff"))

    def test_research_rule_reports_need_data_access_only(self):
        for path in (API + "submit_course_survey_report", wrapped._PATH + "submit_issued_certificates",
                     wrapped._PATH + "submit_grading_config"):
            schedule = factories.schedule(task=factories.report_task(path), owner=self.researcher())
            self.assertEqual(run_and_follow(schedule).courses.get().outcome, "generated", path)
            with self.assertRaises(ValidationError):
                factories.schedule(task=factories.report_task(path), owner=factories.user())
