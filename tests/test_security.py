"""Who may request which course's data, as whom, into which folder: each rule, as the user it keeps out."""

import hashlib
import json
import sys
from unittest import mock

import ddt
from bridgekeeper import perms
from common.djangoapps.student.models import CourseAccessRole
from django.contrib.auth.models import Permission
from django.contrib.sites.models import Site
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import TestCase, override_settings
from django.urls import reverse
from django_celery_beat.models import PeriodicTask
from lms.djangoapps.instructor_task.models import InstructorTask
from opaque_keys.edx.keys import CourseKey
from openedx.core.djangoapps.site_configuration.models import SiteConfiguration

from periodic_instructor_reports import api, beat, catalog, delivery, permissions, wrapped
from periodic_instructor_reports.models import PeriodicReportSchedule, PeriodicReportTask, ReportRun
from periodic_instructor_reports.runs import dispatch
from tests import factories
from tests.base import ReportFilesMixin

COURSE, OTHER = factories.COURSE, factories.OTHER_COURSE  # orgs edX and OrgX
EVIL_NAME = "Evil\r\nBcc: attacker@example.com"
SCHEDULES = "admin:periodic_instructor_reports_periodicreportschedule"
TASKS = "admin:periodic_instructor_reports_periodicreporttask"


def sha1(text):
    return hashlib.sha1(text.encode()).hexdigest()


def researcher(course_id=None, org=None, **fields):
    """Return a user holding the data researcher role of one course, or of an organisation."""
    user = factories.user(**fields)
    if course_id:
        CourseAccessRole.objects.create(user=user, role="data_researcher", course_id=course_id,
                                        org=course_id.split(":")[1].split("+")[0])
    if org:
        CourseAccessRole.objects.create(user=user, role="data_researcher", org=org)
    return user


def messages(err):
    return {field: " ".join(texts) for field, texts in err.message_dict.items()}


class OwnerEntitlementTests(ReportFilesMixin, TestCase):
    """The owner must be entitled to the data of every course the schedule runs."""

    def refused(self, owner, course_ids):
        with self.assertRaises(ValidationError) as caught:
            factories.schedule(owner=owner, course_ids=course_ids)
        self.assertFalse(PeriodicReportSchedule.objects.exists())
        return messages(caught.exception)["course_ids"]

    def test_a_learner_may_not_own_a_schedule_of_course_data(self):
        learner = factories.user()
        message = self.refused(learner, [COURSE, OTHER])
        self.assertIn(f"The owner (user id {learner.pk}) may not have the data of {COURSE}, {OTHER}", message)
        self.assertIn("data researcher role", message)

    def test_course_staff_without_the_researcher_role_is_refused(self):
        staff_role_only = factories.user()
        CourseAccessRole.objects.create(user=staff_role_only, role="staff", course_id=COURSE, org="edX")
        self.refused(staff_role_only, [COURSE])

    def test_a_course_researcher_owns_that_course_only(self):
        owner = researcher(COURSE)
        message = self.refused(owner, [COURSE, OTHER])
        self.assertIn(f"may not have the data of {OTHER}: reports", message)
        self.assertEqual(factories.schedule(owner=owner, course_ids=[COURSE]).owner, owner)

    def test_an_organisation_researcher_owns_its_courses(self):
        owner = researcher(org="edX")
        self.assertIn(f"may not have the data of {OTHER}: reports", self.refused(owner, [COURSE, OTHER]))
        factories.schedule(owner=owner, course_ids=[COURSE, "course-v1:edX+Other+2026"])

    def test_an_inactive_researcher_is_refused(self):
        self.refused(researcher(COURSE, is_active=False), [COURSE])

    def test_global_staff_and_superusers_own_any_course(self):
        factories.schedule(owner=factories.user(is_staff=True), course_ids=[COURSE, OTHER])
        factories.schedule(owner=factories.user(is_superuser=True), course_ids=[COURSE, OTHER])

    def test_a_course_the_owner_lost_access_to_is_refused_at_run_the_others_run(self):
        owner = researcher(COURSE)
        CourseAccessRole.objects.create(user=owner, role="data_researcher", course_id=OTHER, org="OrgX")
        schedule = factories.schedule(owner=owner, course_ids=[COURSE, OTHER])
        CourseAccessRole.objects.filter(user=owner, course_id=OTHER).delete()
        with self.assertLogs("periodic_instructor_reports.runs", "WARNING"):
            result = dispatch.run_schedule(schedule.pk)
        run = ReportRun.objects.get(pk=result["run_id"])
        self.assertEqual(run.counts, {"refused": 1, "submitted": 1})
        refused = run.courses.get(outcome="refused")
        self.assertEqual((refused.course_id, refused.error), (OTHER, permissions.NO_DATA_ACCESS))
        self.assertEqual([str(row.course_id) for row in InstructorTask.objects.all()], [COURSE])
        # Its access is checked with the batch's, before any submission; its times are still in order.
        for row in run.courses.all():
            self.assertLessEqual(row.started_at, row.finished_at)

    def test_an_inactive_owner_stays_refused(self):
        owner = factories.user(is_staff=True)
        schedule = factories.schedule(owner=owner)
        type(owner).objects.filter(pk=owner.pk).update(is_active=False)
        with self.assertLogs("periodic_instructor_reports.runs", "ERROR"):
            self.assertEqual(dispatch.run_schedule(schedule.pk)["status"], "refused")
        self.assertFalse(InstructorTask.objects.exists())


class OwnerRuleTests(TestCase):
    """Only superusers make someone else the owner; anyone else becomes the owner."""

    def setUp(self):
        self.staff = factories.user(is_staff=True)
        self.boss = factories.user(is_staff=True, is_superuser=True)

    def test_staff_may_not_name_another_owner(self):
        with self.assertRaises(PermissionDenied):
            factories.schedule(acting_user=self.staff, owner=self.boss)
        self.assertFalse(PeriodicReportSchedule.objects.exists())
        self.assertFalse(PeriodicTask.objects.exists())

    def test_staff_become_the_owner_of_what_they_save(self):
        schedule = factories.schedule(acting_user=self.boss, owner=self.boss)
        with self.assertLogs("periodic_instructor_reports.api", "WARNING") as logs:
            api.update_schedule(schedule, acting_user=self.staff, course_ids=[OTHER])
        schedule.refresh_from_db()
        self.assertEqual(schedule.owner, self.staff)
        self.assertIn(f"User {self.staff.pk} made user {self.staff.pk} the owner of periodic report schedule "
                      f"{schedule.pk} (was user {self.boss.pk})", logs.output[0])
        with self.assertRaises(PermissionDenied):
            api.update_schedule(schedule, acting_user=self.staff, owner=self.boss)
        schedule.refresh_from_db()
        self.assertEqual(schedule.owner, self.staff)

    def test_a_superuser_names_any_owner_and_it_is_logged(self):
        schedule = factories.schedule(acting_user=self.boss, owner=self.staff)
        self.assertEqual(schedule.owner, self.staff)
        with self.assertLogs("periodic_instructor_reports.api", "WARNING") as logs:
            api.update_schedule(schedule, acting_user=self.boss, owner=self.boss)
        self.assertIn(f"User {self.boss.pk} made user {self.boss.pk} the owner", logs.output[0])


class AdminAsStaffTests(ReportFilesMixin, TestCase):
    """A staff user with every model permission of the plugin, but no superuser flag."""

    def setUp(self):
        super().setUp()
        self.staff = factories.user(is_staff=True)
        self.staff.user_permissions.add(*Permission.objects.filter(content_type__app_label="periodic_instructor_reports"))
        self.client.force_login(self.staff)
        self.boss = factories.user(is_staff=True, is_superuser=True)
        self.task = factories.report_task()
        factories.course(COURSE)

    def form(self, **overrides):
        return {
            "task": self.task.pk, "owner": self.boss.pk, "interval": factories.interval().pk, "enabled": "on",
            "name": "Grades", "course_ids": [COURSE], "arguments": "[]", "keyword_arguments": "{}",
            "course_state_days": "30",
            "upload_folder_prefix": "", "upload_folder_structure": "regular",
            "recipients": "[]", "notify": "failures", **overrides,
        }

    def test_the_owner_is_read_only_and_the_editor_becomes_the_owner(self):
        page = self.client.get(reverse(f"{SCHEDULES}_add"))
        self.assertNotContains(page, 'name="owner"')
        response = self.client.post(reverse(f"{SCHEDULES}_add"), self.form())
        self.assertEqual(response.status_code, 302)
        self.assertEqual(PeriodicReportSchedule.objects.get().owner, self.staff)

    def test_a_superuser_naming_a_learner_as_owner_is_refused_clearly(self):
        learner = factories.user()
        self.client.force_login(self.boss)
        response = self.client.post(reverse(f"{SCHEDULES}_add"), self.form(owner=learner.pk))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, f"The owner (user id {learner.pk}) may not have the data of {COURSE}")
        self.assertFalse(PeriodicReportSchedule.objects.exists())

    def test_the_report_task_registry_is_for_superusers_only(self):
        tasks_before = PeriodicReportTask.objects.count()
        self.assertEqual(self.client.get(reverse(f"{TASKS}_changelist")).status_code, 200)
        self.assertEqual(self.client.get(reverse(f"{TASKS}_add")).status_code, 403)
        response = self.client.post(reverse(f"{TASKS}_add"), {
            "name": "Shell", "path": catalog.GRADE_REPORT, "requires_request": "on",
        })
        self.assertEqual(response.status_code, 403)
        response = self.client.post(reverse(f"{TASKS}_change", args=[self.task.pk]), {
            "name": "Renamed", "path": catalog.PROBLEM_GRADE_REPORT, "requires_request": "on",
        })
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.client.post(reverse(f"{TASKS}_delete", args=[self.task.pk]),
                                          {"post": "yes"}).status_code, 403)
        self.task.refresh_from_db()
        self.assertEqual(self.task.path, catalog.GRADE_REPORT)
        self.assertEqual(PeriodicReportTask.objects.count(), tasks_before)
        with self.assertRaises(PermissionDenied):
            api.create_report_task(acting_user=self.staff, name="x", path=catalog.GRADE_REPORT)
        with self.assertRaises(PermissionDenied):
            api.delete_report_task(self.task, acting_user=self.staff)

    def test_control_characters_are_refused_with_a_message_never_a_500(self):
        for field, value in (
            ("keyword_arguments", '{"note": "a\\u0000b"}'),
            ("arguments", '["\\u202eevil"]'),
            ("course_ids", [COURSE + "\r\nX"]),
        ):
            response = self.client.post(reverse(f"{SCHEDULES}_add"), self.form(**{field: value}))
            self.assertEqual(response.status_code, 200, field)
            self.assertContains(response, "must not contain control or formatting characters")
        self.assertFalse(PeriodicReportSchedule.objects.exists())


class ActingUserTests(ReportFilesMixin, TestCase):
    """The API applies the same rules to whoever acts through it."""

    def test_a_researcher_of_one_course_saving_another_course_is_refused(self):
        editor = researcher(COURSE)
        with self.assertRaises(ValidationError) as caught:
            factories.schedule(acting_user=editor, course_ids=[OTHER])
        self.assertIn(f"may not have the data of {OTHER}", messages(caught.exception)["course_ids"])
        schedule = factories.schedule(acting_user=editor, course_ids=[COURSE])
        self.assertEqual(schedule.owner, editor)


@ddt.ddt
class FolderTests(TestCase):
    """No folder is, or is inside, another course's platform folder; prefixes use safe names."""

    @ddt.unpack
    @ddt.data(
        ("flat", f"{sha1(OTHER)}/"),
        ("flat", sha1(OTHER)),
        ("by_date", f"{sha1(OTHER)}/"),
        ("regular", f"{sha1(OTHER)}/"),
        ("flat", f"reports/{sha1(OTHER)}/"),
        ("flat", f"{sha1(COURSE).upper()}/"),
    )
    def test_another_course_s_folder_is_refused(self, structure, prefix):
        with self.assertRaises(ValidationError) as caught:
            factories.schedule(upload_folder_structure=structure, upload_folder_prefix=prefix)
        self.assertIn("inside the platform's report folder of a course",
                      messages(caught.exception)["upload_folder_prefix"])

    @ddt.data(("regular", ""), ("regular", "reports/"), ("flat", ""), ("by_date", "weekly/"))
    @ddt.unpack
    def test_the_course_s_own_folder_and_plain_folders_are_fine(self, structure, prefix):
        factories.schedule(upload_folder_structure=structure, upload_folder_prefix=prefix)

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_FOLDER_ROOT="periodic-reports/")
    def test_the_folder_root(self):
        with self.assertRaises(ValidationError) as caught:
            factories.schedule(upload_folder_structure="flat", upload_folder_prefix="elsewhere/")
        message = messages(caught.exception)["upload_folder_prefix"]
        self.assertIn("outside the folder root periodic-reports/", message)
        factories.schedule(upload_folder_structure="flat", upload_folder_prefix="periodic-reports/flat/")
        factories.schedule(upload_folder_structure="regular", upload_folder_prefix="")

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_FOLDER_ROOT="periodic-reports/")
    def test_a_folder_refused_since_saving_refuses_the_course_at_run(self):
        with self.settings(PERIODIC_INSTRUCTOR_REPORTS_FOLDER_ROOT=""):
            schedule = factories.schedule(upload_folder_structure="flat", upload_folder_prefix="elsewhere/")
        with self.assertLogs("periodic_instructor_reports.runs", "WARNING"):
            result = dispatch.run_schedule(schedule.pk)
        row = ReportRun.objects.get(pk=result["run_id"]).courses.get()
        self.assertEqual(row.outcome, "refused")
        self.assertIn("folder refused: elsewhere/ is outside the folder root", row.error)
        self.assertFalse(InstructorTask.objects.exists())

    @ddt.data("./", "~/", "C:/x/", "%2e%2e/", "reports\u202e/", "<script>x</script>/", ".hidden/", "a b/")
    def test_unsafe_prefixes_are_refused(self, prefix):
        with self.assertRaises(ValidationError) as caught:
            factories.schedule(upload_folder_prefix=prefix)
        self.assertIn("may use only letters, digits", messages(caught.exception)["upload_folder_prefix"])

    @ddt.data("../x", "a/b", 123, "<b>x</b>", "x" * 101, "a\\b", ".hidden", "")
    def test_unsafe_file_names_are_refused(self, filename):
        with self.assertRaises(ValidationError) as caught:
            factories.schedule(keyword_arguments={"filename": filename})
        self.assertIn("filename must be a file name", messages(caught.exception)["keyword_arguments"])

    def test_a_safe_file_name(self):
        factories.schedule(keyword_arguments={"filename": "weekly_grades-v2.final"})


class NameAndHeaderTests(TestCase):
    def test_a_report_task_name_with_a_header_injection_is_refused(self):
        with self.assertRaises(ValidationError) as caught:
            api.create_report_task(acting_user=factories.superuser(), name=EVIL_NAME,
                                   path=catalog.GRADE_REPORT,
                                   requires_request=True)
        self.assertIn("U+000D", messages(caught.exception)["name"])

    def test_a_name_saved_before_the_rule_cannot_break_the_failure_mail(self):
        owner = factories.user(is_staff=True, email="owner@example.com")
        schedule = factories.schedule(owner=owner, course_ids=["course-v1:Bad+Course+Run"])
        PeriodicReportTask.objects.filter(pk=schedule.task_id).update(name=EVIL_NAME)
        schedule.refresh_from_db()
        run = ReportRun.objects.create(schedule=schedule, trigger="manual", planned_at=schedule.created,
                                       started_at=schedule.created)
        run.courses.create(course_id="course-v1:Bad+Course+Run", outcome="failed")
        self.assertTrue(delivery.deliver(run))
        self.assertNotIn("\n", mail.outbox[0].subject)
        self.assertEqual(mail.outbox[0].bcc, [])


class ProfileColumnsTests(ReportFilesMixin, TestCase):
    """The profile report's columns come from the site's configuration for the course's organisation."""

    def setUp(self):
        super().setUp()
        self.task = factories.report_task(catalog.PROFILE_REPORT)

    def requested_features(self, course_id):
        row = InstructorTask.objects.get(course_id=course_id, task_type="profile_info_csv")
        return json.loads(row.task_input)["features"]

    def site(self, org, **values):
        values["course_org_filter"] = org
        site = Site.objects.create(domain=f"{org.lower()}.example.com", name=org)
        return SiteConfiguration.objects.create(site=site, enabled=True, site_values=values)

    def test_without_site_configuration_the_dashboard_s_columns(self):
        dispatch.run_schedule(factories.schedule(task=self.task).pk)
        features = self.requested_features(COURSE)
        self.assertEqual(features[:4], ["id", "username", "name", "email"])
        self.assertNotIn("year_of_birth", features)  # PROFILE_INFORMATION_REPORT_PRIVATE_FIELDS
        self.assertEqual(features[-2:], ["city", "country"])

    def test_a_site_that_trimmed_the_columns_gets_only_those(self):
        self.site("edX", student_profile_download_fields=["id", "username"],
                  additional_student_profile_attributes=["department"])
        self.site("OrgX", student_profile_download_fields=["id", "email", "mailing_address"])
        dispatch.run_schedule(factories.schedule(task=self.task, course_ids=[COURSE, OTHER]).pk)
        self.assertEqual(self.requested_features(COURSE), ["id", "username", "department", "city", "country"])
        self.assertEqual(self.requested_features(OTHER),
                         ["id", "email", "mailing_address", "city", "country"])

    def test_an_explicit_list_may_only_narrow(self):
        self.site("edX", student_profile_download_fields=["id", "username", "email"])
        with self.assertRaises(ValidationError) as caught:
            factories.schedule(task=self.task, keyword_arguments={"features": ["id", "mailing_address"]})
        self.assertIn("the instructor dashboard does not give for course-v1:edX+DemoX+Demo_Course: "
                      "mailing_address", messages(caught.exception)["keyword_arguments"])
        schedule = factories.schedule(task=self.task, keyword_arguments={"features": ["email", "id"]})
        dispatch.run_schedule(schedule.pk)
        self.assertEqual(self.requested_features(COURSE), ["email", "id"])

    @override_settings(PROFILE_INFORMATION_REPORT_PRIVATE_FIELDS=[])
    def test_a_site_trimming_columns_after_the_schedule_was_saved(self):
        schedule = factories.schedule(task=self.task, keyword_arguments={"features": ["username", "email"]})
        self.site("edX", student_profile_download_fields=["username"])
        with self.assertLogs("periodic_instructor_reports.runs", "WARNING") as logs:
            dispatch.run_schedule(schedule.pk)
        self.assertIn("the dashboard does not give email for", logs.output[0])
        self.assertEqual(self.requested_features(COURSE), ["username"])


class BeatAdminNextDoorTests(TestCase):
    """A plugin beat row changed or deleted in the beat admin is detected, shown and put back."""

    def setUp(self):
        self.admin = factories.superuser()
        self.client.force_login(self.admin)
        self.schedule = factories.schedule()

    def test_a_row_edited_elsewhere_is_shown_and_put_back_at_the_next_run(self):
        PeriodicTask.objects.filter(pk=self.schedule.celery_task_id).update(
            task="celery.backend_cleanup", args="[]", enabled=False,
        )
        page = self.client.get(reverse(f"{SCHEDULES}_change", args=[self.schedule.pk]))
        self.assertContains(page, "changed outside the plugin (task, args, enabled)")
        listing = self.client.get(reverse(f"{SCHEDULES}_changelist"))
        self.assertContains(listing, '<td class="field-next_run">not running</td>', html=True)
        with self.assertLogs("periodic_instructor_reports.beat", "WARNING"):
            dispatch.run_schedule(self.schedule.pk, trigger="manual")
        row = PeriodicTask.objects.get(pk=self.schedule.celery_task_id)
        self.assertEqual((row.task, row.args, row.enabled),
                         (beat.DISPATCH_TASK, f"[{self.schedule.pk}]", True))

    def test_a_row_deleted_elsewhere_shows_the_schedule_as_not_running(self):
        PeriodicTask.objects.filter(pk=self.schedule.celery_task_id).delete()
        page = self.client.get(reverse(f"{SCHEDULES}_change", args=[self.schedule.pk]))
        self.assertContains(page, "not running: its beat row was deleted outside the plugin")
        self.assertContains(page, "None: beat does not run this schedule")
        listing = self.client.get(reverse(f"{SCHEDULES}_changelist"))
        self.assertContains(listing, '<td class="field-next_run">not running</td>', html=True)
        self.assertIn(f"created beat row for schedule {self.schedule.pk}", beat.reconcile_beat().lines())
        self.schedule.refresh_from_db()
        self.assertEqual(beat.row_problem(self.schedule), [])


class PermissionRulesTests(TestCase):
    """The plugin loads the dashboard's rules itself: a worker that never loads the URLs has them too."""

    def test_a_researcher_is_answered_without_the_platform_s_views_loaded(self):
        researcher = factories.user()
        CourseAccessRole.objects.create(user=researcher, role="data_researcher", course_id=factories.COURSE,
                                        org="edX")
        outsider = factories.user()
        course_key = CourseKey.from_string(factories.COURSE)
        # A fresh worker started with --skip-checks: nothing imported the rules.
        with mock.patch.dict(sys.modules), mock.patch.dict(perms, clear=True):
            sys.modules.pop("lms.djangoapps.instructor.permissions", None)
            self.assertTrue(permissions.may_access_course_data(researcher, course_key))
            self.assertFalse(permissions.may_access_course_data(outsider, course_key))
            team = wrapped._PATH + "submit_course_team"
            refusal = permissions.request_refusal(researcher, course_key, team)
            self.assertIn("instructor.edit_course_access", refusal)
