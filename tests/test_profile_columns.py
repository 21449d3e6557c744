"""
The profile columns a schedule gets are those the instructor dashboard's own button gives.

``dashboard_columns`` below computes them as the dashboard does (``GetStudentsFeatures`` in
``lms/djangoapps/instructor/views/api.py`` and the v2 API's enrolled students report): on a
request served on a site, through the platform's own helpers (the stand-in's, at the platform's
paths). The plugin has no request and picks the site that serves the course; each test says
which site a person managing the course is on, and checks the plugin against the dashboard
there, and against the literal list.
"""
import io
import json
import os
from types import SimpleNamespace
from unittest import mock

import crum
from common.djangoapps.student.models import CourseEnrollment
from django.conf import settings
from django.contrib.sites.models import Site
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.http import Http404
from django.test import TestCase, override_settings
from django.urls import reverse
from lms.djangoapps.instructor_task.models import InstructorTask
from opaque_keys.edx.keys import CourseKey
from openedx.core.djangoapps.course_groups.cohorts import is_course_cohorted
from openedx.core.djangoapps.site_configuration import helpers as configuration_helpers
from openedx.core.djangoapps.site_configuration.models import SiteConfiguration
from openedx.core.lib.courses import course_settings, get_course_by_id

from periodic_instructor_reports import catalog, follow, platform, wrapped
from periodic_instructor_reports.models import ReportRun
from periodic_instructor_reports.report_request import build_report_request
from periodic_instructor_reports.runs import dispatch
from tests import factories
from tests.base import ReportFilesMixin
from tests.test_every_report import read_csv

EDX = factories.COURSE  # organisation edX
ORGX = factories.OTHER_COURSE  # organisation OrgX
FIELDS = "student_profile_download_fields"
EXTRA = "additional_student_profile_attributes"
# The dashboard's own list (api.py), when the site's configuration names none.
DASHBOARD_DEFAULT = [
    "id", "username", "name", "email", "language", "location", "year_of_birth", "gender",
    "level_of_education", "mailing_address", "goals", "enrollment_mode", "last_login", "date_joined",
    "external_user_key", "enrollment_date",
]
DEFAULT_SITE_ID = 1
TEAMS = {"team_sets": [{"id": "projects", "name": "Projects"}]}


def dashboard_columns(course_id, site):
    """Return the columns the dashboard's button requests for ``course_id``, on a request on ``site``."""
    course_key = CourseKey.from_string(course_id)
    crum.set_current_request(SimpleNamespace(site=site))
    try:
        features = list(configuration_helpers.get_value(FIELDS, []))
    finally:
        crum.set_current_request(None)
    if not features:
        features = list(DASHBOARD_DEFAULT)
    features += configuration_helpers.get_value_for_org(course_key.org, EXTRA) or []
    private = settings.PROFILE_INFORMATION_REPORT_PRIVATE_FIELDS
    features = [name for name in features if name not in private]
    if is_course_cohorted(course_key):
        features.append("cohort")
    if get_course_by_id(course_key).teams_enabled:
        features.append("team")
    return features + ["city", "country"]


def configure(site, **values):
    """Give ``site`` (a Site, or a new one of that domain) an enabled configuration of these values."""
    if isinstance(site, str):
        site = Site.objects.create(domain=site, name=site)
    SiteConfiguration.objects.create(site=site, enabled=True, site_values=values)
    return site


def messages(err):
    return {field: " ".join(texts) for field, texts in err.message_dict.items()}


@override_settings(PROFILE_INFORMATION_REPORT_PRIVATE_FIELDS=["year_of_birth"])
class DashboardColumnsTests(ReportFilesMixin, TestCase):
    """Each course's profile report requests exactly the dashboard's columns, in its order."""

    def setUp(self):
        super().setUp()
        self.default_site = Site.objects.get(pk=DEFAULT_SITE_ID)

    def columns(self, path=catalog.PROFILE_REPORT, course_ids=(EDX,)):
        """Run a schedule of the report for the courses; return each course's requested columns."""
        schedule = factories.schedule(task=factories.report_task(path), course_ids=list(course_ids))
        run = ReportRun.objects.get(pk=dispatch.run_schedule(schedule.pk)["run_id"])
        found = {}
        for row in run.courses.all():
            self.assertEqual(row.outcome, "submitted", row.error)
            task_input = json.loads(InstructorTask.objects.get(task_id=row.task_id).task_input)
            found[row.course_id] = task_input["features"]
        return found

    def test_a_single_site_without_an_organisation_filter_narrows_every_course(self):
        configure(self.default_site, **{FIELDS: ["username", "email", "year_of_birth", "gender"]})
        found = self.columns(course_ids=[EDX, ORGX])
        expected = ["username", "email", "gender", "city", "country"]
        for course_id in (EDX, ORGX):
            self.assertEqual(found[course_id], dashboard_columns(course_id, self.default_site))
            self.assertEqual(found[course_id], expected)

    def test_several_sites_each_course_as_on_the_site_that_serves_it(self):
        configure(self.default_site, **{FIELDS: ["username", "name"]})
        edx_site = configure("edx.example.com", course_org_filter=["edX", "MITx"],
                             **{FIELDS: ["id", "username", "mailing_address"]})
        configure("disabled.example.com", course_org_filter="OrgX", **{FIELDS: ["id", "email"]})
        SiteConfiguration.objects.filter(site__domain="disabled.example.com").update(enabled=False)
        found = self.columns(course_ids=[EDX, ORGX])
        self.assertEqual(found[EDX], dashboard_columns(EDX, edx_site))
        self.assertEqual(found[EDX], ["id", "username", "mailing_address", "city", "country"])
        # No enabled site names OrgX: its courses are served by the LMS's default site.
        self.assertEqual(found[ORGX], dashboard_columns(ORGX, self.default_site))
        self.assertEqual(found[ORGX], ["username", "name", "city", "country"])

    def test_a_cohorted_course_with_teams(self):
        with course_settings(EDX, cohort_config={"cohorted": True}, teams_configuration=TEAMS):
            found = self.columns(course_ids=[EDX, ORGX])
            self.assertEqual(found[EDX], dashboard_columns(EDX, self.default_site))
            self.assertEqual(found[ORGX], dashboard_columns(ORGX, self.default_site))
        self.assertEqual(found[EDX], [name for name in DASHBOARD_DEFAULT if name != "year_of_birth"]
                         + ["cohort", "team", "city", "country"])
        self.assertEqual(found[ORGX][-2:], ["city", "country"])
        self.assertNotIn("cohort", found[ORGX])

    def test_a_ccx_has_the_columns_of_its_master_course_s_settings(self):
        factories.course("ccx-v1:edX+DemoX+Demo_Course+ccx@5")
        ccx = "ccx-v1:edX+DemoX+Demo_Course+ccx@5"
        configure(self.default_site, **{FIELDS: ["username"]})
        with course_settings(EDX, cohort_config={"cohorted": True}):
            found = self.columns(course_ids=[ccx])
            self.assertEqual(found[ccx], dashboard_columns(ccx, self.default_site))
        self.assertEqual(found[ccx], ["username", "cohort", "city", "country"])

    @override_settings(PROFILE_INFORMATION_REPORT_PRIVATE_FIELDS=["year_of_birth", "city"])
    def test_an_organisation_with_extra_attributes(self):
        orgx_site = configure("orgx.example.com", course_org_filter="OrgX",
                              **{FIELDS: ["username", "email"],
                                 EXTRA: ["employee_id", "year_of_birth", "email"]})
        with course_settings(ORGX, teams_configuration=TEAMS):
            found = self.columns(course_ids=[ORGX])
            self.assertEqual(found[ORGX], dashboard_columns(ORGX, orgx_site))
        # Private fields go before the dashboard adds its last columns, so city stays; the extra
        # attributes are added as given, a repeated one too.
        self.assertEqual(found[ORGX],
                         ["username", "email", "employee_id", "email", "team", "city", "country"])

    def test_extra_attributes_the_dashboard_refuses_fail_the_course(self):
        configure("orgx.example.com", course_org_filter="OrgX", **{EXTRA: "employee_id"})
        schedule = factories.schedule(
            task=factories.report_task(catalog.PROFILE_REPORT), course_ids=[EDX, ORGX],
        )
        with self.assertLogs("periodic_instructor_reports.runs", "WARNING"):
            run = ReportRun.objects.get(pk=dispatch.run_schedule(schedule.pk)["run_id"])
        rows = {row.course_id: row for row in run.courses.all()}
        self.assertEqual(rows[EDX].outcome, "submitted")
        self.assertEqual(rows[ORGX].outcome, "failed")
        self.assertEqual(rows[ORGX].error, "profile_columns: Invalid additional student attribute "
                                           "configuration: expected list of strings, got str.")
        self.assertFalse(InstructorTask.objects.filter(course_id=ORGX).exists())

    def test_a_course_the_modulestore_no_longer_has_fails_alone(self):
        schedule = factories.schedule(
            task=factories.report_task(catalog.PROFILE_REPORT), course_ids=[EDX, ORGX],
        )
        real = platform.course_by_id

        def course_by_id(course_key):
            if str(course_key) == EDX:
                raise Http404("No course")
            return real(course_key)

        with mock.patch.object(platform, "course_by_id", course_by_id), self.assertLogs(
            "periodic_instructor_reports.runs", "WARNING",
        ):
            run = ReportRun.objects.get(pk=dispatch.run_schedule(schedule.pk)["run_id"])
        rows = {row.course_id: row for row in run.courses.all()}
        self.assertEqual((rows[EDX].outcome, rows[EDX].error),
                         ("failed", f"profile_columns: the platform has no course {EDX} (No course)"))
        self.assertEqual(rows[ORGX].outcome, "submitted")

    def test_the_wrapped_listing_has_the_same_columns(self):
        configure(self.default_site, **{FIELDS: ["username", "name"]})
        learner = factories.user(first_name="Ada", last_name="Lovelace")
        CourseEnrollment.objects.create(user=learner, course_id=CourseKey.from_string(EDX))
        path = wrapped._PATH + "submit_enrolled_profiles"
        with course_settings(EDX, cohort_config={"cohorted": True}, teams_configuration=TEAMS):
            expected = dashboard_columns(EDX, self.default_site)
            schedule = factories.schedule(task=factories.report_task(path), course_ids=[EDX],
                                          upload_folder_structure="flat", upload_folder_prefix="listings/")
            run = ReportRun.objects.get(pk=dispatch.run_schedule(schedule.pk)["run_id"])
        follow.follow_reports()
        row = run.courses.get()
        self.assertEqual(row.outcome, "generated", row.error)
        self.assertEqual(expected, ["username", "name", "cohort", "team", "city", "country"])
        rows = read_csv(os.path.join(self.report_dir, row.file_path))
        self.assertEqual(rows[0], expected)
        self.assertIn([learner.username, "Ada Lovelace", "[unassigned]", "[unavailable]", "", ""], rows)


    def test_the_wrapped_listing_itself_refuses_columns_the_dashboard_does_not_list(self):
        configure(self.default_site, **{FIELDS: ["username", "name"]})
        request = build_report_request(factories.user(is_staff=True))
        key = CourseKey.from_string(EDX)
        with self.assertRaisesMessage(ValueError, f"The instructor dashboard does not list these columns for "
                                                  f"{EDX}: email, cohort."):
            wrapped.submit_enrolled_profiles(request, key, ["username", "email", "cohort"])
        self.assertFalse(InstructorTask.objects.exists())
        with course_settings(EDX, cohort_config={"cohorted": True}):
            wrapped.submit_enrolled_profiles(request, key, ["cohort", "username"])
        task_input = json.loads(InstructorTask.objects.get().task_input)
        self.assertEqual(task_input["features"], ["cohort", "username"])

@override_settings(PROFILE_INFORMATION_REPORT_PRIVATE_FIELDS=["year_of_birth"])
class NarrowingTests(TestCase):
    """A schedule's ``features`` may only narrow the dashboard's columns, given by name or by position."""

    def setUp(self):
        configure(Site.objects.get(pk=DEFAULT_SITE_ID), **{FIELDS: ["id", "username", "email"]})
        self.task = factories.report_task(catalog.PROFILE_REPORT)

    def test_a_positional_list_wider_than_the_dashboard_s_is_refused_at_save(self):
        with self.assertRaises(ValidationError) as caught:
            factories.schedule(task=self.task, arguments=[["id", "mailing_address"]])
        self.assertEqual(messages(caught.exception), {"arguments": (
            "features asks for profile columns the instructor dashboard does not give for "
            "course-v1:edX+DemoX+Demo_Course: mailing_address. A schedule may only narrow the "
            "dashboard's columns; leave features out to get all of them."
        )})
        schedule = factories.schedule(task=self.task, arguments=[["email", "id"]])
        self.assertEqual(schedule.arguments, [["email", "id"]])

    def test_a_positional_list_that_is_not_a_list_of_names_is_refused(self):
        with self.assertRaises(ValidationError) as caught:
            factories.schedule(task=self.task, arguments=["id,username"])
        self.assertEqual(messages(caught.exception),
                         {"arguments": "features must be a JSON list of column names."})

    def test_cohort_and_team_only_for_courses_the_dashboard_gives_them(self):
        with self.assertRaises(ValidationError) as caught:
            factories.schedule(task=self.task, keyword_arguments={"features": ["username", "cohort"]},
                               course_ids=[EDX])
        self.assertIn("does not give for course-v1:edX+DemoX+Demo_Course: cohort",
                      messages(caught.exception)["keyword_arguments"])
        with course_settings(EDX, cohort_config={"cohorted": True}):
            schedule = factories.schedule(task=self.task, course_ids=[EDX],
                                          keyword_arguments={"features": ["username", "cohort"]})
        self.assertEqual(schedule.keyword_arguments, {"features": ["username", "cohort"]})

    def test_a_site_configuration_the_dashboard_refuses_is_said_at_save(self):
        configure("orgx.example.com", course_org_filter="OrgX", **{EXTRA: ["employee_id", ""]})
        with self.assertRaises(ValidationError) as caught:
            factories.schedule(task=self.task, keyword_arguments={"features": ["username"]},
                               course_ids=[ORGX])
        self.assertEqual(messages(caught.exception), {"keyword_arguments": (
            "The profile columns of course-v1:OrgX+CS101+2026 cannot be worked out as the instructor "
            "dashboard does, so its profile reports would fail: Invalid additional student attribute "
            "configuration: empty attribute names are not allowed."
        )})


class RefusedConfigurationElsewhereTests(TestCase):
    """The folder preview and a dry run say a course would fail, instead of failing themselves."""

    def setUp(self):
        configure("orgx.example.com", course_org_filter="OrgX", **{EXTRA: [3]})
        self.task = factories.report_task(catalog.PROFILE_REPORT)
        factories.course(ORGX)

    def test_the_folder_preview(self):
        self.client.force_login(factories.superuser())
        page = self.client.get(reverse("admin:periodic_instructor_reports_periodicreportschedule_preview"), {
            "task": self.task.pk, "structure": "regular", "prefix": "", "course_ids[]": [ORGX],
        })
        self.assertContains(page, "The reports of course-v1:OrgX+CS101+2026 would fail: Invalid additional "
                                  "student attribute configuration: all entries must be strings.")

    def test_a_dry_run(self):
        schedule = factories.schedule(task=self.task, course_ids=[EDX])
        schedule.course_ids = [EDX, ORGX]
        schedule.save(update_fields=["course_ids"])
        out = io.StringIO()
        call_command("run_report_schedule", str(schedule.pk), "--dry-run", stdout=out)
        self.assertIn(f"{ORGX}: would fail (profile_columns: Invalid additional student attribute "
                      "configuration: all entries must be strings.)", out.getvalue())
        self.assertIn(f"{EDX}: would call", out.getvalue())
