"""
Facts of the stand-in that decide the profile report's columns: sites, cohorts and teams.

Each test names the platform file whose behaviour it pins, so that a drift of the stand-in
from the platform shows. Plain ``TestCase`` classes, as ``tests/test_stand_in.py``.
"""
from types import SimpleNamespace

import crum
from ccx_keys.locator import CCXLocator
from django.contrib.sites.models import Site
from django.test import TestCase
from opaque_keys.edx.keys import CourseKey
from openedx.core.djangoapps.course_groups.cohorts import is_course_cohorted
from openedx.core.djangoapps.site_configuration import helpers as configuration_helpers
from openedx.core.djangoapps.site_configuration.models import SiteConfiguration
from openedx.core.lib.courses import course_settings, get_course_by_id

COURSE = CourseKey.from_string("course-v1:edX+DemoX+Demo_Course")
FIELDS = "student_profile_download_fields"


def configure(domain, *, enabled=True, **values):
    """Return a new site and its configuration with these values."""
    site = Site.objects.create(domain=domain, name=domain)
    return SiteConfiguration.objects.create(site=site, enabled=enabled, site_values=values)


class CurrentSiteTests(TestCase):
    """``get_value`` reads the current request's site (site_configuration/helpers.py, theming/helpers.py)."""

    def on(self, site):
        """Serve a request on ``site`` for the rest of the test, as django-crum's middleware does."""
        crum.set_current_request(SimpleNamespace(site=site))
        self.addCleanup(crum.set_current_request, None)

    def test_the_request_s_site_answers(self):
        configuration = configure("data.example.com", **{FIELDS: ["username", "email"]})
        self.on(configuration.site)
        self.assertEqual(configuration_helpers.get_value(FIELDS, ""), ["username", "email"])

    def test_without_a_request_the_default(self):
        configure("data.example.com", **{FIELDS: ["username", "email"]})
        default_site = Site.objects.get(pk=1)
        SiteConfiguration.objects.create(site=default_site, enabled=True, site_values={FIELDS: ["username"]})
        self.assertEqual(configuration_helpers.get_value(FIELDS, ""), "")
        self.assertEqual(list(configuration_helpers.get_value(FIELDS, [])), [])

    def test_a_disabled_configuration_or_a_site_without_one_gives_the_default(self):
        self.on(configure("off.example.com", enabled=False, **{FIELDS: ["username"]}).site)
        self.assertEqual(configuration_helpers.get_value(FIELDS, ""), "")
        self.on(Site.objects.create(domain="bare.example.com", name="bare"))
        self.assertEqual(configuration_helpers.get_value(FIELDS, ""), "")

    def test_the_value_is_merged_into_a_copy_of_the_default(self):
        self.on(configure("data.example.com", **{FIELDS: ["id"], "long": ["username", "id"],
                                                 "mapping": {"b": 2}}).site)
        self.assertEqual(configuration_helpers.get_value(FIELDS, []), {"i": "d"})
        self.assertEqual(configuration_helpers.get_value("long", []), ["username", "id"])
        self.assertEqual(configuration_helpers.get_value("mapping", {"a": 1}), {"a": 1, "b": 2})


class OrganisationSiteTests(TestCase):
    """``get_value_for_org`` reads the site whose ``course_org_filter`` names the organisation (models.py)."""

    def test_only_an_enabled_configuration_naming_the_org(self):
        configure("single.example.com", **{"extra": ["a"]})
        configure("off.example.com", enabled=False, course_org_filter="edX", extra=["b"])
        self.assertEqual(configuration_helpers.get_value_for_org("edX", "extra", "none"), "none")
        configure("edx.example.com", course_org_filter=["MITx", "edX"], extra=["c"])
        self.assertEqual(configuration_helpers.get_value_for_org("edX", "extra", "none"), ["c"])
        configure("orgx.example.com", course_org_filter="OrgX", extra=["d"])
        self.assertEqual(configuration_helpers.get_value_for_org("OrgX", "extra"), ["d"])
        self.assertEqual(SiteConfiguration.get_configuration_for_org("OrgX").site.domain, "orgx.example.com")

    def test_a_configuration_belongs_to_a_site(self):
        configuration = configure("edx.example.com", course_org_filter="edX")
        self.assertEqual(Site.objects.get(domain="edx.example.com").configuration, configuration)


class CourseSettingsTests(TestCase):
    """Cohorts (course_groups/cohorts.py); teams (xmodule/course_block.py, core/lib/teams_config.py)."""

    def test_cohorted_when_the_course_s_cohort_config_says_so(self):
        self.assertFalse(is_course_cohorted(COURSE))
        with course_settings(COURSE, cohort_config={"cohorted": True}):
            self.assertTrue(is_course_cohorted(COURSE))
            self.assertTrue(is_course_cohorted(CCXLocator.from_course_locator(COURSE, "3")))
        self.assertFalse(is_course_cohorted(COURSE))

    def test_teams_enabled_by_the_flag_else_by_a_team_set(self):
        cases = [
            ({}, False),
            ({"team_sets": [{"id": "t1", "name": "Team set"}]}, True),
            ({"topics": [{"id": "t1", "name": "Topic"}]}, True),
            ({"team_sets": [{"name": "no id"}]}, False),
            ({"enabled": False, "team_sets": [{"id": "t1"}]}, False),
            ({"enabled": True}, True),
        ]
        for configuration, enabled in cases:
            with self.subTest(configuration=configuration), course_settings(
                COURSE, teams_configuration=configuration,
            ):
                self.assertIs(get_course_by_id(COURSE).teams_enabled, enabled)
                self.assertIs(get_course_by_id(CCXLocator.from_course_locator(COURSE, "3")).teams_enabled,
                              enabled)
