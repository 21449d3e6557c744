"""How a run's call is built for one course: its keyword arguments, its folder, its file name."""

import datetime
import hashlib
import sys
from unittest import mock

from django.contrib.auth import get_user_model
from django.http import Http404
from django.test import SimpleTestCase, override_settings
from opaque_keys.edx.keys import CourseKey

from periodic_instructor_reports import platform
from periodic_instructor_reports.exceptions import ProfileColumnsError
from periodic_instructor_reports.folders import (
    course_token,
    folder_problem,
    shared_by_courses,
    upload_parent_dir,
)
from periodic_instructor_reports.models import PeriodicReportSchedule, PeriodicReportTask
from periodic_instructor_reports.reports import (
    PLATFORM_PROFILE_FEATURES,
    expected_name,
    shared_folder_filename,
)
from periodic_instructor_reports.runs.plan import Plan

API = "lms.djangoapps.instructor_task.api."
GRADES = API + "submit_calculate_grades_csv"
PROFILE = API + "submit_calculate_students_features_csv"
MAY_ENROLL = API + "submit_calculate_may_enroll_csv"
PROBLEM_RESPONSES = API + "submit_calculate_problem_responses_csv"
SUBMISSION_FILES = API + "submit_export_ora2_submission_files"
UNKNOWN = "some.site.reports.custom_report"

KEY = CourseKey.from_string("course-v1:edX+DemoX+Demo_Course")
OTHER = CourseKey.from_string("course-v1:edX+Other+2026")
TILDE = CourseKey.from_string("course-v1:edX+Demo~X+2026")
PLAIN = CourseKey.from_string("course-v1:edX+DemoX+2026")
CCX = CourseKey.from_string("ccx-v1:edX+DemoX+Demo_Course+ccx@7")
DAY = datetime.date(2026, 3, 29)


def sha1(key):
    return hashlib.sha1(str(key).encode()).hexdigest()


def make_plan(
    path=GRADES, *, structure="regular", prefix="", upload=True, copy=False, keyword_arguments=None
):
    schedule = PeriodicReportSchedule(
        pk=3, task=PeriodicReportTask(path=path), owner=get_user_model()(username="owner"),
        upload_folder_structure=structure,
        upload_folder_prefix=prefix,
    )
    return Plan(schedule, upload=upload, copy=copy, run_date=DAY, keyword_arguments=keyword_arguments or {})


class FolderOfTheCallTests(SimpleTestCase):
    """The folder each structure gives a course, and whether the file name gets the course's token."""

    def test_regular_puts_each_course_in_its_hashed_folder_under_the_prefix(self):
        kwargs, folder = make_plan(prefix="reports/").call_for(KEY)
        self.assertEqual(folder, "reports/" + sha1(KEY))
        self.assertEqual(kwargs, {"upload_parent_dir": "reports/" + sha1(KEY)})

    def test_regular_with_no_prefix_is_the_dashboards_own_folder(self):
        _kwargs, folder = make_plan().call_for(CCX)
        self.assertEqual(folder, sha1(CCX))

    def test_regular_gives_no_file_name(self):
        kwargs, _folder = make_plan(prefix="reports/").call_for(KEY)
        self.assertNotIn("filename", kwargs)

    def test_by_date_names_the_folder_by_the_run_date_and_the_file_by_the_course(self):
        kwargs, folder = make_plan(structure="by_date", prefix="reports/").call_for(KEY)
        self.assertEqual(folder, "reports/2026-03-29")
        self.assertEqual(kwargs["upload_parent_dir"], "reports/2026-03-29")
        self.assertEqual(kwargs["filename"], "grade_report_" + sha1(KEY)[:16])

    def test_flat_shares_the_prefix_and_tokens_the_file(self):
        kwargs, folder = make_plan(structure="flat", prefix="weekly/").call_for(KEY)
        self.assertEqual(folder, "weekly/")
        self.assertEqual(kwargs["filename"], "grade_report_" + sha1(KEY)[:16])

    def test_flat_with_no_prefix_names_no_shared_folder(self):
        kwargs, folder = make_plan(structure="flat").call_for(KEY)
        self.assertEqual(folder, "")
        self.assertEqual(kwargs, {"upload_parent_dir": ""})

    def test_each_course_of_a_shared_folder_gets_its_own_token(self):
        run_plan = make_plan(structure="flat", prefix="weekly/")
        first, _ = run_plan.call_for(KEY)
        second, _ = run_plan.call_for(OTHER)
        self.assertEqual(first["filename"], "grade_report_" + sha1(KEY)[:16])
        self.assertEqual(second["filename"], "grade_report_" + sha1(OTHER)[:16])
        self.assertEqual(run_plan.keyword_arguments, {})

    def test_the_schedules_file_name_gets_the_token_too(self):
        kwargs, _ = make_plan(structure="by_date", keyword_arguments={"filename": "weekly"}).call_for(KEY)
        self.assertEqual(kwargs["filename"], "weekly_" + sha1(KEY)[:16])

    def test_a_report_of_unknown_name_gets_no_file_name(self):
        kwargs, folder = make_plan(UNKNOWN, structure="flat", prefix="weekly/").call_for(KEY)
        self.assertEqual(folder, "weekly/")
        self.assertNotIn("filename", kwargs)

    def test_a_report_taking_no_folder_gets_none(self):
        kwargs, folder = make_plan(structure="by_date", prefix="reports/", upload=False).call_for(KEY)
        self.assertEqual((kwargs, folder), ({}, None))

    def test_a_copied_report_gets_the_folder_to_copy_to_but_no_folder_argument(self):
        kwargs, folder = make_plan(MAY_ENROLL, structure="by_date", prefix="reports/", upload=False,
                                   copy=True).call_for(KEY)
        self.assertEqual(folder, "reports/2026-03-29")
        self.assertEqual(kwargs, {"features": ["email"]})

    def test_the_schedules_arguments_are_kept(self):
        kwargs, _ = make_plan(UNKNOWN, keyword_arguments={"limit": 5}).call_for(KEY)
        self.assertEqual(kwargs["limit"], 5)


class FixedArgumentsTests(SimpleTestCase):
    """Arguments the dispatcher gives as the dashboard does."""

    def test_a_fixed_argument_is_given(self):
        kwargs, _ = make_plan(MAY_ENROLL, upload=False).call_for(KEY)
        self.assertEqual(kwargs, {"features": ["email"]})

    def test_a_schedule_repeating_it_keeps_its_own(self):
        run_plan = make_plan(MAY_ENROLL, upload=False, keyword_arguments={"features": ["email"]})
        kwargs, _ = run_plan.call_for(KEY)
        self.assertEqual(kwargs, {"features": ["email"]})

    def test_a_fixed_argument_is_a_copy_per_call(self):
        run_plan = make_plan(MAY_ENROLL, upload=False)
        first, _ = run_plan.call_for(KEY)
        first["features"] = ["email", "username"]
        second, _ = run_plan.call_for(OTHER)
        self.assertEqual(second["features"], ["email"])

    def test_reports_without_fixed_arguments_get_none(self):
        kwargs, _ = make_plan(GRADES, upload=False).call_for(KEY)
        self.assertEqual(kwargs, {})


SITE = "periodic_instructor_reports.platform."


@mock.patch(SITE + "site_value_for_org", return_value=None)
@mock.patch(SITE + "site_configuration_serving", return_value=None)
@mock.patch(SITE + "teams_enabled", return_value=False)
@mock.patch(SITE + "is_course_cohorted", return_value=False)
class ProfileFeaturesTests(SimpleTestCase):
    """The profile report's columns, given per course as the dashboard computes them."""

    def features(self, key=KEY, requested=None):
        keyword_arguments = {"features": requested} if requested is not None else {}
        kwargs, _ = make_plan(PROFILE, upload=False, keyword_arguments=keyword_arguments).call_for(key)
        return kwargs["features"]

    def test_the_dashboards_default_columns_without_private_ones(self, *_mocks):
        expected = [name for name in PLATFORM_PROFILE_FEATURES if name != "year_of_birth"]
        self.assertEqual(self.features(), expected + ["city", "country"])

    @override_settings(PROFILE_INFORMATION_REPORT_PRIVATE_FIELDS=[])
    def test_no_private_fields_keeps_the_year_of_birth(self, *_mocks):
        self.assertIn("year_of_birth", self.features())

    def test_cohort_and_team_come_before_city_and_country(self, cohorted, teams, *_mocks):
        cohorted.return_value = teams.return_value = True
        self.assertEqual(self.features()[-4:], ["cohort", "team", "city", "country"])

    def test_the_organisations_extra_columns_follow_the_sites(self, _cohorted, _teams, serving, for_org):
        for_org.return_value = ["favourite_colour"]
        serving.return_value = mock.Mock(get_value=lambda _name, _default: ["id", "email"])
        self.assertEqual(self.features(), ["id", "email", "favourite_colour", "city", "country"])

    def test_a_requested_list_is_narrowed_to_what_the_dashboard_gives(self, *_mocks):
        with self.assertLogs(Plan.__module__, "WARNING") as logs:
            self.assertEqual(self.features(requested=["email", "cohort", "username"]), ["email", "username"])
        self.assertIn("cohort", logs.output[0])

    def test_a_column_left_out_is_told_once_per_organisation(self, *_mocks):
        run_plan = make_plan(PROFILE, upload=False, keyword_arguments={"features": ["email", "team"]})
        with self.assertLogs(Plan.__module__, "WARNING") as logs:
            run_plan.call_for(KEY)
            run_plan.call_for(OTHER)
            run_plan.call_for(CourseKey.from_string("course-v1:MITx+Other+2026"))
        self.assertEqual(len(logs.output), 2)

    def test_the_sites_part_is_read_once_per_organisation(self, _cohorted, _teams, serving, _for_org):
        run_plan = make_plan(PROFILE, upload=False)
        for key in (KEY, OTHER, CCX, CourseKey.from_string("course-v1:MITx+Other+2026")):
            run_plan.call_for(key)
        self.assertEqual([call.args[0] for call in serving.call_args_list], ["edX", "MITx"])

    def test_cohorts_are_the_courses_own(self, cohorted, *_mocks):
        cohorted.side_effect = lambda key: key == OTHER
        run_plan = make_plan(PROFILE, upload=False)
        self.assertNotIn("cohort", run_plan.call_for(KEY)[0]["features"])
        self.assertIn("cohort", run_plan.call_for(OTHER)[0]["features"])

    def test_an_unknown_course_is_a_profile_columns_error(self, cohorted, *_mocks):
        cohorted.side_effect = Http404("no course")
        with self.assertRaisesMessage(ProfileColumnsError, f"the platform has no course {KEY}"):
            self.features()

    def test_extra_columns_that_are_not_a_list_are_refused(self, _cohorted, _teams, _serving, for_org):
        for_org.return_value = "email"
        with self.assertRaisesMessage(ProfileColumnsError, "expected list of strings, got str"):
            self.features()

    def test_an_empty_extra_column_is_refused(self, _cohorted, _teams, _serving, for_org):
        for_org.return_value = ["email", ""]
        with self.assertRaisesMessage(ProfileColumnsError, "empty attribute names are not allowed"):
            self.features()

    def test_site_columns_that_are_not_a_list_are_refused(self, _cohorted, _teams, serving, _for_org):
        serving.return_value = mock.Mock(get_value=lambda _name, _default: 5)
        with self.assertRaisesMessage(ProfileColumnsError, "student_profile_download_fields is not a list"):
            self.features()

    def test_other_reports_get_no_features(self, *mocks):
        kwargs, _ = make_plan(GRADES, upload=False).call_for(KEY)
        self.assertNotIn("features", kwargs)
        for called in mocks:
            called.assert_not_called()


class RefusalTests(SimpleTestCase):
    """Why one course of a planned run may not run."""

    def refusal(self, run_plan, key, folder, access=""):
        with mock.patch("periodic_instructor_reports.permissions.request_refusal", return_value=access):
            return run_plan.refusal_for(key, folder)

    def test_no_data_access_comes_first(self):
        run_plan = make_plan(structure="flat", prefix=sha1(OTHER) + "/")
        self.assertEqual(
            self.refusal(run_plan, KEY, run_plan.call_for(KEY)[1], access="no access"), "no access"
        )

    def test_a_report_without_folder_is_not_refused(self):
        self.assertEqual(self.refusal(make_plan(upload=False), KEY, None), "")

    def test_the_courses_own_folder_is_allowed(self):
        run_plan = make_plan(prefix="reports/")
        self.assertEqual(self.refusal(run_plan, KEY, run_plan.call_for(KEY)[1]), "")

    def test_a_shared_folder_inside_a_course_folder_is_refused(self):
        run_plan = make_plan(structure="by_date", prefix=sha1(OTHER) + "/")
        refusal = self.refusal(run_plan, KEY, run_plan.call_for(KEY)[1])
        self.assertTrue(refusal.startswith("folder refused: "), refusal)
        self.assertIn(sha1(OTHER), refusal)

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_FOLDER_ROOT="reports")
    def test_a_folder_outside_the_root_is_refused(self):
        run_plan = make_plan(structure="flat", prefix="reports-old/")
        self.assertEqual(self.refusal(run_plan, KEY, run_plan.call_for(KEY)[1]),
                         "folder refused: reports-old/ is outside the folder root reports")

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_FOLDER_ROOT="reports")
    def test_the_dashboards_own_folder_is_allowed_outside_the_root(self):
        run_plan = make_plan()
        self.assertEqual(self.refusal(run_plan, KEY, run_plan.call_for(KEY)[1]), "")

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_FOLDER_ROOT="reports")
    def test_a_hashed_folder_under_a_prefix_outside_the_root_is_refused(self):
        run_plan = make_plan(prefix="elsewhere/")
        refusal = self.refusal(run_plan, KEY, run_plan.call_for(KEY)[1])
        self.assertEqual(refusal, f"folder refused: elsewhere/{sha1(KEY)} is outside the folder root reports")


class FileNameTests(SimpleTestCase):
    """How the platform starts a report's file name, and its name in a folder shared by courses."""

    def test_course_prefix_then_report_name(self):
        self.assertEqual(expected_name(GRADES, KEY, {}), "edX_DemoX_Demo_Course_grade_report")

    def test_the_schedules_file_name_replaces_the_reports(self):
        self.assertEqual(expected_name(GRADES, KEY, {"filename": "weekly"}), "edX_DemoX_Demo_Course_weekly")

    def test_an_unknown_report_has_no_expected_name(self):
        self.assertEqual(expected_name(UNKNOWN, KEY, {}), "")

    def test_an_unknown_report_named_by_the_schedule_has_one(self):
        self.assertEqual(expected_name(UNKNOWN, KEY, {"filename": "mine"}), "edX_DemoX_Demo_Course_mine")

    def test_a_problem_responses_name_comes_from_its_location(self):
        location = "block-v1:edX+DemoX+Demo_Course+type@problem+block@abc"
        self.assertEqual(
            expected_name(PROBLEM_RESPONSES, KEY, {"problem_locations": location}),
            "edX_DemoX_Demo_Course_student_state_from_block-v1_edX+DemoX+Demo_Course+type@problem+block@abc",
        )

    def test_several_locations_and_a_type_filter(self):
        arguments = {
            "problem_locations": "block-v1:a+b+c+type@problem+block@1,block-v1:a+b+c+type@problem+block@2",
            "problem_types_filter": "problem,html",
        }
        self.assertEqual(expected_name(PROBLEM_RESPONSES, KEY, arguments),
                         "edX_DemoX_Demo_Course_student_state_from_multiple_blocks_for_problem,html")

    def test_problem_responses_without_locations_have_no_name(self):
        self.assertEqual(expected_name(PROBLEM_RESPONSES, KEY, {}), "")

    def test_two_course_ids_can_share_a_prefix_but_not_a_shared_folder_name(self):
        self.assertEqual(expected_name(GRADES, TILDE, {}), expected_name(GRADES, PLAIN, {}))
        self.assertNotEqual(
            shared_folder_filename(GRADES, TILDE, {}), shared_folder_filename(GRADES, PLAIN, {})
        )

    def test_the_platforms_rule_is_read_at_each_call_though_looked_up_once(self):
        self.assertEqual(expected_name(GRADES, CCX, {}), "edX_DemoX_Demo_Course_grade_report")
        looked_up = platform._filename_prefix_generator()
        with override_settings(FEATURES={"ENABLE_COURSE_FILENAME_CCX_SUFFIX": True}):
            self.assertEqual(expected_name(GRADES, CCX, {}), "edX_DemoX_Demo_Course_ccx_7_grade_report")
        self.assertIs(platform._filename_prefix_generator(), looked_up)

    def test_outside_the_lms_the_prefix_follows_the_platforms_rule(self):
        platform._filename_prefix_generator.cache_clear()
        self.addCleanup(platform._filename_prefix_generator.cache_clear)
        with mock.patch.dict(sys.modules, {"common.djangoapps.util.file": None}):
            self.assertEqual(expected_name(GRADES, TILDE, {}), "edX_DemoX_2026_grade_report")
            self.assertEqual(expected_name(GRADES, KEY, {"filename": "weekly"}),
                             "edX_DemoX_Demo_Course_weekly")

    def test_a_ccx_and_its_master_differ_in_a_shared_folder(self):
        self.assertNotEqual(shared_folder_filename(GRADES, CCX, {}), shared_folder_filename(GRADES, KEY, {}))

    def test_shared_folder_name_is_the_report_name_then_the_token(self):
        self.assertEqual(
            shared_folder_filename(SUBMISSION_FILES, KEY, {}), "submission_files_" + sha1(KEY)[:16]
        )

    def test_an_unknown_report_has_no_shared_folder_name(self):
        self.assertIsNone(shared_folder_filename(UNKNOWN, KEY, {}))

    def test_the_token_is_the_start_of_the_course_folder(self):
        self.assertEqual(course_token(KEY), sha1(KEY)[:16])
        self.assertEqual(len(course_token(CCX)), 16)

    def test_which_folders_are_shared_by_courses(self):
        self.assertFalse(shared_by_courses(structure="regular", folder="reports/" + sha1(KEY)))
        self.assertFalse(shared_by_courses(structure="flat", folder=""))
        self.assertTrue(shared_by_courses(structure="flat", folder="reports/"))
        self.assertTrue(shared_by_courses(structure="by_date", folder="2026-03-29"))


class FolderProblemTests(SimpleTestCase):
    """Where a course's reports may never go: another course's platform folder, or outside the root."""

    def test_no_folder_and_the_courses_own_folder(self):
        self.assertEqual(folder_problem("", structure="flat", course_key=KEY), "")
        self.assertEqual(folder_problem(sha1(KEY), structure="by_date", course_key=KEY), "")

    def test_regular_may_end_with_the_courses_own_folder(self):
        self.assertEqual(folder_problem(f"reports/{sha1(KEY)}", structure="regular", course_key=KEY), "")
        self.assertEqual(folder_problem(f"reports/{sha1(KEY)}/", structure="regular", course_key=KEY), "")

    def test_never_another_courses_folder(self):
        self.assertEqual(
            folder_problem(f"reports/{sha1(OTHER)}", structure="regular", course_key=KEY),
            f"reports/{sha1(OTHER)} is inside the platform's report folder of a course ({sha1(OTHER)})",
        )

    def test_a_shared_structure_may_not_end_with_the_courses_folder(self):
        self.assertIn(sha1(KEY), folder_problem(f"reports/{sha1(KEY)}", structure="by_date", course_key=KEY))

    def test_a_course_folder_at_any_depth(self):
        folder = f"a/{sha1(OTHER).upper()}/b/{sha1(KEY)}"
        self.assertTrue(folder_problem(folder, structure="regular", course_key=KEY))

    def test_only_forty_hex_digits_are_a_course_folder(self):
        for segment in (sha1(OTHER)[:39], sha1(OTHER) + "0", sha1(OTHER)[:39] + "g"):
            with self.subTest(segment):
                self.assertEqual(folder_problem(f"reports/{segment}/", structure="flat", course_key=KEY), "")

    def test_without_course_any_course_folder_is_refused(self):
        self.assertTrue(folder_problem(f"reports/{sha1(KEY)}", structure="regular", course_key=None))
        self.assertEqual(folder_problem("reports/", structure="flat", course_key=None), "")

    def test_the_root(self):
        for folder, inside in (("reports", True), ("reports/", True), ("reports/weekly/", True),
                               ("reports-old/", False), ("report", False), ("weekly/reports/", False)):
            with self.subTest(folder):
                problem = folder_problem(folder, structure="flat", course_key=KEY, root="reports/")
                self.assertEqual(problem == "", inside, problem)

    def test_the_courses_own_folder_needs_no_root(self):
        self.assertEqual(folder_problem(sha1(KEY), structure="regular", course_key=KEY, root="reports"), "")

    def test_the_by_date_folder_is_the_run_date_not_today(self):
        self.assertEqual(upload_parent_dir(structure="by_date", prefix="r-", course_key=KEY,
                                           run_date=datetime.date(1999, 12, 31)), "r-1999-12-31")
