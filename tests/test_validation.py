"""Every validation error: a clear message, and nothing saved."""

import ddt
from django.core.exceptions import ValidationError
from django.test import TestCase, override_settings
from django_celery_beat.models import PeriodicTask

from periodic_instructor_reports import api, catalog
from periodic_instructor_reports.models import PeriodicReportSchedule, PeriodicReportTask
from tests import factories, reports

TEST_PATHS = [catalog.GRADE_REPORT, catalog.PROBLEM_GRADE_REPORT, catalog.PROFILE_REPORT] + reports.ALL + [
    "lms.djangoapps.instructor_task.api.submit_calculate_may_enroll_csv",
    "lms.djangoapps.instructor_task.api.submit_export_ora2_data",
]


def create_task(**fields):
    return api.create_report_task(acting_user=factories.superuser(), **fields)


def messages(err):
    return {field: " ".join(texts) for field, texts in err.message_dict.items()}


@ddt.ddt
@override_settings(PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS=TEST_PATHS)
class ReportTaskValidationTests(TestCase):
    @ddt.unpack
    @ddt.data(
        ("os.system", "os.system is not an allowed report function"),
        ("tests.reports.missing_function", "cannot be imported"),
        ("tests.missing_module.report", "cannot be imported: No module named 'tests.missing_module'"),
        ("tests.reports.NOT_CALLABLE", "tests.reports.NOT_CALLABLE is not callable."),
    )
    def test_bad_path(self, path, message):
        with self.assertRaises(ValidationError) as caught:
            create_task(name="Bad", path=path, requires_request=True)
        self.assertIn(message, messages(caught.exception)["path"])
        self.assertFalse(PeriodicReportTask.objects.filter(name="Bad").exists())

    def test_requires_request_but_function_takes_none(self):
        with self.assertRaises(ValidationError) as caught:
            create_task(name="Bad", path="tests.reports.report_without_request",
                                   requires_request=True)
        self.assertIn("does not take a request", messages(caught.exception)["requires_request"])

    def test_function_takes_request_but_not_ticked(self):
        with self.assertRaises(ValidationError) as caught:
            create_task(name="Bad", path=catalog.GRADE_REPORT, requires_request=False)
        self.assertIn("tick “Requires request”", messages(caught.exception)["requires_request"])

    def test_path_change_must_fit_existing_schedules(self):
        task = factories.report_task(catalog.PROFILE_REPORT)
        schedule = factories.schedule(task=task, keyword_arguments={"filename": "profiles"})
        task.path = "lms.djangoapps.instructor_task.api.submit_export_ora2_data"
        with self.assertRaises(ValidationError) as caught:
            api.save_report_task(task, acting_user=factories.superuser())
        self.assertIn(f"schedules {schedule.pk}", messages(caught.exception)["path"])
        task.refresh_from_db()
        self.assertEqual(task.path, catalog.PROFILE_REPORT)

    def test_duplicate_name_and_path(self):
        factories.report_task(catalog.GRADE_REPORT, name="Grades")
        with self.assertRaises(ValidationError):
            create_task(name="Grades", path=catalog.GRADE_REPORT, requires_request=True)


@ddt.ddt
@override_settings(PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS=TEST_PATHS)
class ScheduleValidationTests(TestCase):
    def assert_refused(self, field, message, **fields):
        before = (PeriodicReportSchedule.objects.count(), PeriodicTask.objects.count())
        with self.assertRaises(ValidationError) as caught:
            factories.schedule(**fields)
        self.assertIn(field, messages(caught.exception))
        self.assertIn(message, messages(caught.exception)[field])
        self.assertEqual(before, (PeriodicReportSchedule.objects.count(), PeriodicTask.objects.count()))

    @ddt.unpack
    @ddt.data(
        ([], "Choose the courses: list them, or select them by organisation or state."),
        ("course-v1:edX+DemoX+Demo_Course", "Enter a JSON list of course ids"),
        ({"id": "course-v1:edX+DemoX+Demo_Course"}, "Enter a JSON list of course ids"),
        (["not a course"], "“not a course” is not a valid course or CCX id."),
        (["course-v1:edX+DemoX+Demo_Course", 7], "7 is not a string"),
        ([factories.COURSE, factories.COURSE], "is listed more than once"),
        (["ccx-v1:edX+DemoX+Demo+ccx@x"], "is not a valid course or CCX id"),
        ([f"course-v1:edX+{'D' * 238}+Run"], "A course id of 256 characters is too long"),
    )
    def test_course_ids(self, course_ids, message):
        self.assert_refused("course_ids", message, course_ids=course_ids)

    def test_a_course_id_of_255_characters_is_accepted(self):
        course_id = f"course-v1:edX+{'D' * 237}+Run"
        self.assertEqual(len(course_id), 255)
        self.assertEqual(factories.schedule(course_ids=[course_id]).course_ids, [course_id])

    def test_valid_course_and_ccx_ids(self):
        schedule = factories.schedule(course_ids=[factories.COURSE, "ccx-v1:edX+DemoX+Demo_Course+ccx@3"])
        self.assertEqual(len(schedule.course_ids), 2)

    @ddt.unpack
    @ddt.data(
        ("/abs/", "must be relative"),
        ("reports/../secrets/", "“..” does not"),
        ("..", "“..” does not"),
        ("win\\dows/", "“win\\\\dows” does not"),
        ("bad\nline/", "“bad\\nline” does not"),
        ("bad\x7f/", "“bad\\x7f” does not"),
        ("a//b/", "empty folder names"),
        ("x" * 255, "at most 254 characters"),
    )
    def test_upload_folder_prefix(self, prefix, message):
        self.assert_refused("upload_folder_prefix", message, upload_folder_prefix=prefix)

    @ddt.data("periodic-reports/", "periodic-", "a/b.c/d-e_f/", "")
    def test_good_prefixes(self, prefix):
        self.assertEqual(factories.schedule(upload_folder_prefix=prefix).upload_folder_prefix, prefix)

    def test_arguments_must_be_a_list(self):
        self.assert_refused("arguments", "Enter a JSON list", arguments={"a": 1})

    def test_keyword_arguments_must_be_an_object(self):
        self.assert_refused("keyword_arguments", "Enter a JSON object", keyword_arguments=["a"])

    def test_keyword_arguments_may_not_set_the_upload_folder(self):
        self.assert_refused(
            "keyword_arguments", "upload_parent_dir is set from the upload folder fields",
            keyword_arguments={"upload_parent_dir": "elsewhere"},
        )

    def test_arguments_must_fit_the_signature(self):
        self.assert_refused(
            "arguments", "The arguments do not fit", arguments=["extra positional"],
        )

    def test_profile_features_given_twice(self):
        self.assert_refused(
            "arguments", "multiple values for argument 'features'",
            task=factories.report_task(catalog.PROFILE_REPORT),
            arguments=[["id"]], keyword_arguments={"features": ["id"]},
        )

    def test_task_input_limit(self):
        self.assert_refused(
            "keyword_arguments", "the platform accepts at most 10000",
            keyword_arguments={"note": "x" * 10000},
        )

    def test_report_that_cannot_take_an_upload_folder(self):
        task = factories.report_task("tests.reports.report_without_upload")
        self.assert_refused(
            "upload_folder_structure", "leave the prefix empty and the structure regular",
            task=task, upload_folder_prefix="periodic/",
        )
        self.assert_refused(
            "upload_folder_structure", "does not accept upload_parent_dir",
            task=task, upload_folder_structure="flat",
        )
        self.assertTrue(factories.schedule(task=task).pk)

    def test_path_no_longer_allowed(self):
        task = factories.report_task()
        with override_settings(PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS=[]):
            self.assert_refused("task", "is not an allowed report function", task=task)

    def test_include_ccx_without_the_ccx_app(self):
        with self.modify_settings(INSTALLED_APPS={"remove": "lms.djangoapps.ccx"}):
            self.assert_refused("include_ccx", "CCX is not enabled on this site", include_ccx=True)
            self.assert_refused("include_ccx", "CCX is not enabled on this site", only_ccx=True)

    def test_unknown_field(self):
        with self.assertRaisesMessage(TypeError, "unknown schedule fields: colour"):
            factories.schedule(colour="blue")

    def test_update_refused_changes_nothing(self):
        schedule = factories.schedule(upload_folder_prefix="good/")
        with self.assertRaises(ValidationError):
            api.update_schedule(schedule, acting_user=factories.superuser(), upload_folder_prefix="../bad/")
        schedule.refresh_from_db()
        self.assertEqual(schedule.upload_folder_prefix, "good/")

    def test_profile_report_needs_no_features(self):
        # The dispatcher gives the site's columns for each course at every run.
        schedule = factories.schedule(task=factories.report_task(catalog.PROFILE_REPORT))
        self.assertEqual(schedule.keyword_arguments, {})

    def test_profile_report_keeps_given_features(self):
        task = factories.report_task(catalog.PROFILE_REPORT)
        self.assertEqual(
            factories.schedule(task=task, keyword_arguments={"features": ["id"]}).keyword_arguments,
            {"features": ["id"]},
        )
        self.assertEqual(factories.schedule(task=task, arguments=[["id"]]).keyword_arguments, {})
