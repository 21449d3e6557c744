"""
The instructor dashboard's "Scheduled reports" tab: the openedx-filters step and its registration.

The LMS builds a course's tabs in ``CourseInformationSerializerV2.get_tabs``
(lms/djangoapps/instructor/views/serializers_v2.py: Data Downloads is ``sort_order`` 60, Open
Responses 70, URLs are ``INSTRUCTOR_MICROFRONTEND_URL``'s path, the course id and the tab id) and
runs the real filter ``InstructorDashboardTabsRequested`` of openedx-filters on them; these tests
run that filter. openedx-filters added it in 3.4.0 and the LMS's pins may be older (3.1.0 in
/work/shared/platform/lms-requirements-pins.txt's copy, requirements/lms-constraints.txt): then the
filter's tests skip, and the step and the settings are still tested.
"""

import importlib.util
import unittest
from types import SimpleNamespace

from django.contrib.auth.models import AnonymousUser
from django.test import SimpleTestCase, TestCase, override_settings
from opaque_keys.edx.keys import CourseKey

from periodic_instructor_reports.settings import common, production
from tests import factories
from tests.test_rest_api import grant

HAS_FILTERS = importlib.util.find_spec("openedx_filters") is not None
try:
    from openedx_filters.learning.filters import InstructorDashboardTabsRequested
except ImportError:
    InstructorDashboardTabsRequested = None

NO_FILTERS = "openedx-filters is not installed (requirements/test.in installs it)"
NO_TABS_FILTER = (
    "the installed openedx-filters has no InstructorDashboardTabsRequested (added in 3.4.0; "
    "the LMS's pins may be older): the dashboard runs no tab filter, and the step is never called"
)
COURSE = CourseKey.from_string(factories.COURSE)
DATA_DOWNLOADS = {
    "tab_id": "data_downloads",
    "title": "Data Downloads",
    "url": f"/instructor-dashboard/{COURSE}/data_downloads",
    "sort_order": 60,
}
OPEN_RESPONSES = {
    "tab_id": "open_responses",
    "title": "Open Responses",
    "url": f"/instructor-dashboard/{COURSE}/open_responses",
    "sort_order": 70,
}
OTHER_STEP = "tests.test_dashboard_tab.AddOtherTab"


class AddOtherTab:
    """Another plugin's step on the same filter (a plain class: openedx-filters calls run_filter)."""

    def __init__(self, filter_type, running_pipeline):
        pass

    def run_filter(self, tabs, user, course_key, **kwargs):  # noqa: ARG002  (the filter passes them by name)
        return {"tabs": [*tabs, {"tab_id": "other", "title": "Other", "url": "/x", "sort_order": 200}]}


class RegistrationTests(SimpleTestCase):
    """Both settings modules add the step to whatever ``OPEN_EDX_FILTERS_CONFIG`` holds, dropping nothing."""

    def test_common_adds_the_filter_when_there_is_none(self):
        settings = SimpleNamespace(INSTALLED_APPS=[])
        common.plugin_settings(settings)
        self.assertEqual(
            settings.OPEN_EDX_FILTERS_CONFIG,
            {common.TABS_FILTER: {"fail_silently": True, "pipeline": [common.TAB_STEP]}},
        )

    def test_production_merges_with_the_yaml_it_replaced_the_setting_with(self):
        yaml_config = {
            "org.openedx.learning.course.enrollment.started.v1": {
                "fail_silently": False,
                "pipeline": ["a.Step"],
            },
            common.TABS_FILTER: {"fail_silently": False, "pipeline": ["other.plugin.Step"]},
        }
        settings = SimpleNamespace(INSTALLED_APPS=[], ENV_TOKENS={}, OPEN_EDX_FILTERS_CONFIG=yaml_config)
        production.plugin_settings(settings)
        self.assertEqual(
            settings.OPEN_EDX_FILTERS_CONFIG,
            {
                "org.openedx.learning.course.enrollment.started.v1": {
                    "fail_silently": False,
                    "pipeline": ["a.Step"],
                },
                common.TABS_FILTER: {
                    "fail_silently": False,
                    "pipeline": ["other.plugin.Step", common.TAB_STEP],
                },
            },
        )
        self.assertEqual(
            yaml_config[common.TABS_FILTER]["pipeline"], ["other.plugin.Step"], "input untouched"
        )

    def test_registering_twice_adds_the_step_once(self):
        settings = SimpleNamespace(OPEN_EDX_FILTERS_CONFIG={common.TABS_FILTER: {"pipeline": "one.Step"}})
        common.register_tab_step(settings)
        common.register_tab_step(settings)
        self.assertEqual(
            settings.OPEN_EDX_FILTERS_CONFIG[common.TABS_FILTER]["pipeline"], ["one.Step", common.TAB_STEP]
        )

    @unittest.skipUnless(HAS_FILTERS, NO_FILTERS)
    def test_the_registered_step_imports_whatever_the_openedx_filters_version(self):
        module_path, name = common.TAB_STEP.rsplit(".", 1)
        self.assertTrue(callable(getattr(importlib.import_module(module_path), name).run_filter))


class TabTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        factories.course(factories.COURSE)
        cls.learner = factories.user()
        cls.researcher = grant(factories.user(), "data_researcher", factories.COURSE)
        cls.other_researcher = grant(factories.user(), "data_researcher", factories.OTHER_COURSE)
        cls.staff = factories.user(is_staff=True)


@unittest.skipUnless(HAS_FILTERS, NO_FILTERS)
class StepTests(TabTestCase):
    """The step alone: who gets the tab, where it points."""

    def run_step(self, user, course_key=COURSE, tabs=(DATA_DOWNLOADS,)):
        from periodic_instructor_reports.pipeline import AddScheduledReportsTab  # pylint: disable=import-outside-toplevel

        step = AddScheduledReportsTab(common.TABS_FILTER, [common.TAB_STEP])
        return step.run_filter(tabs=list(tabs), user=user, course_key=course_key)["tabs"]

    def test_a_data_researcher_of_the_course_gets_the_tab_after_data_downloads(self):
        self.assertEqual(
            self.run_step(self.researcher),
            [
                DATA_DOWNLOADS,
                {
                    "tab_id": "scheduled_reports",
                    "title": "Scheduled reports",
                    "url": f"/instructor-dashboard/{COURSE}/scheduled_reports",
                    "sort_order": 65,
                },
            ],
        )

    def test_global_staff_get_the_tab(self):
        self.assertEqual(
            [tab["tab_id"] for tab in self.run_step(self.staff)], ["data_downloads", "scheduled_reports"]
        )

    def test_who_may_not_use_the_api_on_the_course_gets_no_tab(self):
        for user in (self.learner, self.other_researcher, AnonymousUser(), None):
            with self.subTest(user=user):
                self.assertEqual(self.run_step(user), [DATA_DOWNLOADS])

    def test_no_tab_on_a_ccx_whose_reports_are_scheduled_on_its_master_course(self):
        ccx = CourseKey.from_string("ccx-v1:edX+DemoX+Demo_Course+ccx@1")
        self.assertEqual(self.run_step(self.staff, course_key=ccx), [DATA_DOWNLOADS])

    def test_a_tab_of_the_same_id_is_kept_as_it_is(self):
        mine = {"tab_id": "scheduled_reports", "title": "Mine", "url": "/x", "sort_order": 1}
        self.assertEqual(self.run_step(self.researcher, tabs=[mine]), [mine])

    @override_settings(INSTRUCTOR_MICROFRONTEND_URL="https://apps.example.com/instructor/")
    def test_the_url_follows_the_dashboards_url_as_the_platforms_tabs_do(self):
        self.assertEqual(self.run_step(self.researcher)[-1]["url"], f"/instructor/{COURSE}/scheduled_reports")


def filters_config(*steps):
    settings = SimpleNamespace(
        OPEN_EDX_FILTERS_CONFIG={common.TABS_FILTER: {"fail_silently": False, "pipeline": list(steps)}}
    )
    common.register_tab_step(settings)
    return settings.OPEN_EDX_FILTERS_CONFIG


@unittest.skipUnless(InstructorDashboardTabsRequested is not None, NO_TABS_FILTER)
class FilterTests(TabTestCase):
    """The real filter, configured by the plugin's settings, as ``get_tabs`` runs it."""

    def run_filter(self, user):
        tabs, _user, _key = InstructorDashboardTabsRequested.run_filter(
            tabs=[DATA_DOWNLOADS, OPEN_RESPONSES],
            user=user,
            course_key=COURSE,
        )
        return sorted(tabs, key=lambda tab: tab["sort_order"])

    @override_settings(OPEN_EDX_FILTERS_CONFIG=filters_config())
    def test_the_researcher_sees_the_tab_between_data_downloads_and_open_responses(self):
        self.assertEqual(
            [tab["tab_id"] for tab in self.run_filter(self.researcher)],
            ["data_downloads", "scheduled_reports", "open_responses"],
        )

    @override_settings(OPEN_EDX_FILTERS_CONFIG=filters_config())
    def test_a_learner_sees_the_platforms_tabs_only(self):
        self.assertEqual(
            [tab["tab_id"] for tab in self.run_filter(self.learner)], ["data_downloads", "open_responses"]
        )

    @override_settings(OPEN_EDX_FILTERS_CONFIG=filters_config(OTHER_STEP))
    def test_another_plugins_step_still_runs(self):
        self.assertEqual(
            [tab["tab_id"] for tab in self.run_filter(self.researcher)],
            ["data_downloads", "scheduled_reports", "open_responses", "other"],
        )
