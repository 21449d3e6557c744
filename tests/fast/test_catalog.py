"""The catalog's answers about a report, fitting a call to a function, and the plugin's settings."""

import json

from django.test import SimpleTestCase, override_settings

from periodic_instructor_reports.catalog import (
    COPIED,
    MAX_LOCATIONS,
    NATIVE,
    REPORTS,
    WRAPPED,
    argument_problem,
    extension,
    filename,
    get,
    support,
)
from periodic_instructor_reports.conf import run_now_cooldown, server_name, site_url
from periodic_instructor_reports.reports import (
    accepts_upload_dir,
    as_keywords,
    check_call,
    takes_request,
    task_input_size,
    task_type,
)

API = "lms.djangoapps.instructor_task.api."
GRADES = API + "submit_calculate_grades_csv"
MAY_ENROLL = API + "submit_calculate_may_enroll_csv"
PROBLEM_RESPONSES = API + "submit_calculate_problem_responses_csv"
SUBMISSION_FILES = API + "submit_export_ora2_submission_files"
PROFILE = API + "submit_calculate_students_features_csv"
PROCTORED = API + "submit_proctored_exam_results_report"
CERTIFICATES = "periodic_instructor_reports.wrapped.submit_issued_certificates"
UNKNOWN = "some.site.reports.custom_report"
LOCATION = "block-v1:edX+DemoX+Demo_Course+type@problem+block@abc"


class CatalogTests(SimpleTestCase):
    """What the catalog says of a report."""

    def test_support(self):
        self.assertEqual((support(GRADES), support(MAY_ENROLL), support(CERTIFICATES), support(UNKNOWN)),
                         (NATIVE, COPIED, WRAPPED, ""))

    def test_extension(self):
        self.assertEqual(
            (extension(GRADES), extension(SUBMISSION_FILES), extension(UNKNOWN)), ("csv", "zip", "csv")
        )

    def test_paths_and_task_types_are_unique(self):
        self.assertEqual(len({report.path for report in REPORTS}), len(REPORTS))
        self.assertEqual(len({report.task_type for report in REPORTS}), len(REPORTS))

    def test_task_type(self):
        self.assertEqual((task_type(GRADES), task_type(UNKNOWN)), ("grade_course", None))

    def test_data_access_permissions_need_nothing_more(self):
        self.assertEqual(get(GRADES).extra_permission, "")
        self.assertEqual(get(CERTIFICATES).extra_permission, "")
        self.assertEqual(get(PROCTORED).extra_permission, "instructor.view_exam_results")

    def test_filenames(self):
        self.assertEqual(filename(GRADES, {}), "grade_report")
        self.assertEqual(filename(UNKNOWN, {"filename": "x"}), "")

    def test_a_problem_responses_name(self):
        self.assertEqual(filename(PROBLEM_RESPONSES, {"problem_locations": LOCATION}),
                         "student_state_from_block-v1_edX+DemoX+Demo_Course+type@problem+block@abc")
        self.assertEqual(filename(PROBLEM_RESPONSES, {"problem_locations": ["a"]}), "")


class ArgumentProblemTests(SimpleTestCase):
    """Why a schedule's arguments cannot run a report."""

    def test_no_problem(self):
        self.assertEqual(argument_problem(GRADES, {"filename": "x"}), "")
        self.assertEqual(argument_problem(UNKNOWN, {"anything": 1}), "")

    def test_a_fixed_argument_may_only_be_repeated(self):
        self.assertEqual(argument_problem(MAY_ENROLL, {"features": ["email"]}), "")
        self.assertEqual(argument_problem(MAY_ENROLL, {"features": ["email", "username"]}),
                         "features is given as the dashboard gives it (['email']): leave it out")

    def test_locations_are_required(self):
        for arguments in (
            {},
            {"problem_locations": ""},
            {"problem_locations": "  "},
            {"problem_locations": [LOCATION]},
        ):
            with self.subTest(arguments):
                self.assertEqual(argument_problem(PROBLEM_RESPONSES, arguments),
                                 "problem_locations must be the problem usage keys, comma-separated")

    def test_locations_must_be_usage_keys(self):
        self.assertEqual(argument_problem(PROBLEM_RESPONSES, {"problem_locations": f"{LOCATION},nope"}),
                         "'nope' in problem_locations is not a usage key")

    def test_at_most_fifty_locations(self):
        locations = ",".join([LOCATION] * MAX_LOCATIONS)
        self.assertEqual(argument_problem(PROBLEM_RESPONSES, {"problem_locations": locations}), "")
        self.assertEqual(
            argument_problem(PROBLEM_RESPONSES, {"problem_locations": f"{locations},{LOCATION}"}),
            "problem_locations may name at most 50 problems",
        )

    def test_a_type_filter(self):
        for types, fine in (("problem", True), ("problem,html-x,my_block", True), ("problem,", False),
                            ("a b", False), (["problem"], False), ("", False)):
            with self.subTest(types):
                problem = argument_problem(PROBLEM_RESPONSES, {"problem_locations": LOCATION,
                                                               "problem_types_filter": types})
                self.assertEqual(problem == "", fine, problem)


def report(course_id, filename=None, upload_parent_dir=""):
    """A report function as the platform's native reports are."""


def report_with_request(request, course_key, features, **kwargs):
    """A report function taking the request first."""


def report_of_rest(course_key, *args, limit=1):
    """A report function without the upload folder."""


class SignatureTests(SimpleTestCase):
    """Fitting a schedule's call to a report function's signature."""

    def test_a_request_first(self):
        self.assertTrue(takes_request(report_with_request))
        self.assertFalse(takes_request(report))
        self.assertFalse(takes_request(lambda: None))

    def test_the_upload_folder_is_taken_by_name_or_through_kwargs(self):
        self.assertTrue(accepts_upload_dir(report))
        self.assertTrue(accepts_upload_dir(report_with_request))
        self.assertFalse(accepts_upload_dir(report_of_rest))

    def test_positional_arguments_are_given_by_name(self):
        self.assertEqual(
            as_keywords(report, requires_request=False, arguments=["weekly"], keyword_arguments={}),
            ([], {"filename": "weekly"}),
        )

    def test_after_the_request_and_the_course(self):
        self.assertEqual(as_keywords(report_with_request, requires_request=True, arguments=[["email"]],
                                     keyword_arguments={"x": 1}),
                         ([], {"features": ["email"], "x": 1}))

    def test_arguments_that_cannot_be_named_stay_positional(self):
        self.assertEqual(
            as_keywords(report_of_rest, requires_request=False, arguments=[1, 2], keyword_arguments={}),
            ([1, 2], {}),
        )

    def test_a_name_given_twice_stays_as_given(self):
        self.assertEqual(
            as_keywords(report, requires_request=False, arguments=["a"], keyword_arguments={"filename": "b"}),
            (["a"], {"filename": "b"}),
        )

    def test_a_call_that_fits(self):
        check_call(report, GRADES, requires_request=False, arguments=[], keyword_arguments={}, upload=True)
        check_call(report_with_request, PROFILE, requires_request=True, arguments=[], keyword_arguments={},
                   upload=True)

    def test_a_call_that_does_not(self):
        with self.assertRaises(TypeError):
            check_call(report_of_rest, GRADES, requires_request=False, arguments=[],
                       keyword_arguments={"nope": 1}, upload=False)
        with self.assertRaises(TypeError):
            check_call(report, GRADES, requires_request=False, arguments=["a", "b", "c"],
                       keyword_arguments={}, upload=True)

    def test_the_task_input_bound_holds_the_longest_folder(self):
        size = task_input_size(GRADES, [], {"filename": "weekly"}, "reports/")
        longest = {"arguments": [], "filename": "weekly", "upload_parent_dir": "reports/" + "f" * 40}
        self.assertEqual(size, len(json.dumps(longest)))

    def test_the_task_input_bound_counts_the_profile_columns(self):
        self.assertGreater(task_input_size(PROFILE, [], {}, ""), task_input_size(GRADES, [], {}, "") + 200)


class SettingsTests(SimpleTestCase):
    """Settings read at call time, and their fallbacks."""

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_SITE_URL="https://lms.example.com/", LMS_ROOT_URL="https://other")
    def test_the_site_url_setting_comes_first(self):
        self.assertEqual(site_url(), "https://lms.example.com")

    @override_settings(LMS_ROOT_URL="https://root.example.com/")
    def test_then_the_lms_root_url(self):
        self.assertEqual(site_url(), "https://root.example.com")

    @override_settings(LMS_BASE="lms.example.com:8000")
    def test_then_the_lms_base(self):
        self.assertEqual(site_url(), "https://lms.example.com:8000")
        self.assertEqual(server_name(), "lms.example.com")

    def test_else_localhost(self):
        with override_settings(LMS_BASE=""):
            self.assertEqual(site_url(), "https://localhost")
            self.assertEqual(server_name(), "localhost")

    @override_settings(
        PERIODIC_INSTRUCTOR_REPORTS_SERVER_NAME="reports.example.com", LMS_BASE="lms.example.com"
    )
    def test_the_server_name_setting(self):
        self.assertEqual(server_name(), "reports.example.com")

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_MIN_INTERVAL=3600)
    def test_the_run_now_cooldown_is_the_minimum_interval_unless_set(self):
        self.assertEqual(run_now_cooldown(), 3600)
        with override_settings(PERIODIC_INSTRUCTOR_REPORTS_RUN_NOW_COOLDOWN=0):
            self.assertEqual(run_now_cooldown(), 0)
        with override_settings(PERIODIC_INSTRUCTOR_REPORTS_RUN_NOW_COOLDOWN=120):
            self.assertEqual(run_now_cooldown(), 120)
