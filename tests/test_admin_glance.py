"""
The admin read at a glance: names, times in words, courses picked or selected, the folder preview,
the page's buttons, search, and lists that stay light at 10,000 schedules and 100,000 runs.
"""

import datetime
import json
from unittest import mock

import ddt
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask
from opaque_keys.edx.keys import CourseKey

from periodic_instructor_reports import api, beat, catalog, courses, describe
from periodic_instructor_reports.models import (
    PeriodicReportSchedule,
    PeriodicReportTask,
    ReportRun,
    ReportRunCourse,
)
from periodic_instructor_reports.runs import dispatch
from periodic_instructor_reports.states import CourseState, Trigger
from tests import factories, reports
from tests.base import QueryCountMixin

SCHEDULES = "admin:periodic_instructor_reports_periodicreportschedule"
TASKS = "admin:periodic_instructor_reports_periodicreporttask"
RUNS = "admin:periodic_instructor_reports_reportrun"
RUN_COURSES = "admin:periodic_instructor_reports_reportruncourse"
COURSE, OTHER = factories.COURSE, factories.OTHER_COURSE
NOW = datetime.datetime(2026, 11, 27, 12, 0, tzinfo=datetime.UTC)


def days(count):
    return datetime.timedelta(days=count)


class AdminCase(QueryCountMixin, TestCase):
    def setUp(self):
        reports.CALLS.clear()
        self.admin = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
        self.client.force_login(self.admin)
        factories.course(COURSE)


    def form(self, **overrides):
        data = {
            "task": factories.report_task().pk, "owner": self.admin.pk, "interval": factories.interval().pk,
            "crontab": "", "enabled": "on", "name": "Weekly grades", "course_ids": [COURSE],
            "course_orgs": [], "course_state": "", "course_state_days": "30", "arguments": "[]",
            "keyword_arguments": "{}", "upload_folder_prefix": "", "upload_folder_structure": "regular",
            "recipients": "[]", "notify": "failures",
        }
        data.update(overrides)
        return data

    def staff_without_permissions(self):
        user = factories.user(is_staff=True)
        self.client.force_login(user)
        return user


@ddt.ddt
class DescribeWhenTests(TestCase):
    @ddt.data(
        (6, IntervalSchedule.HOURS, "every 6 hours"),
        (1, IntervalSchedule.HOURS, "every hour"),
        (30, IntervalSchedule.SECONDS, "every 30 seconds"),
        (1, IntervalSchedule.DAYS, "every day"),
        (90, IntervalSchedule.MINUTES, "every 1 hour 30 minutes"),
    )
    @ddt.unpack
    def test_intervals(self, every, period, expected):
        schedule = PeriodicReportSchedule(interval=factories.interval(every, period))
        self.assertEqual(describe.describe_when(schedule), expected)

    @ddt.data(
        ("0 7 * * 1", "every Monday at 07:00 (Europe/Paris)"),
        ("15 8,20 * * *", "every day at 08:15 and 20:15 (Europe/Paris)"),
        ("0 7 * * 1-5", "every Monday, Tuesday, Wednesday, Thursday and Friday at 07:00 (Europe/Paris)"),
        ("30 2 1 * *", "at 02:30, on day 1 of the month (Europe/Paris)"),
        ("*/15 * * * *", "every 15 minutes (Europe/Paris)"),
    )
    @ddt.unpack
    def test_crontabs_in_words_with_their_zone(self, spec, expected):
        minute, hour, day_of_month, month, day_of_week = spec.split()
        crontab = CrontabSchedule.objects.create(
            minute=minute, hour=hour, day_of_month=day_of_month, month_of_year=month,
            day_of_week=day_of_week, timezone="Europe/Paris",
        )
        self.assertEqual(describe.describe_when(PeriodicReportSchedule(crontab=crontab)), expected)


class ScheduleListTests(AdminCase):
    def test_cells_read_at_a_glance(self):
        listed = factories.schedule(name="Three courses",
                                    course_ids=[COURSE, OTHER, "course-v1:edX+Third+2026"])
        selecting = factories.schedule(name="Running edX", course_ids=[], course_orgs=["edX"],
                                       course_state=CourseState.RUNNING)
        paused = factories.schedule(name="Paused one", enabled=False, include_ccx=True)
        weekly = factories.schedule(name="Weekly", interval=None, crontab=factories.crontab(
            day_of_week="1", tz="Europe/Paris"))
        page = self.client.get(reverse(f"{SCHEDULES}_changelist"))
        cells = {row.pk: row for row in page.context["cl"].result_list}
        self.assertEqual(set(cells), {listed.pk, selecting.pk, paused.pk, weekly.pk})
        # A line each, cut short in a narrow column, "+N more" kept in view, every course id in the tooltip.
        self.assertContains(page, f'title="{COURSE}, {OTHER}, course-v1:edX+Third+2026"')
        self.assertContains(page, f'<span class="pir-cut">{COURSE}</span> <span>+2 more</span>')
        self.assertContains(page, "+ running courses of edX")
        self.assertContains(
            page, '<span class="pir-line pir-muted" title="and their CCXs">and their CCXs</span>', html=True,
        )
        self.assertContains(page, '<td class="field-next_run">paused</td>', html=True)
        self.assertContains(page, '<td class="field-when_text">every Monday at 07:00 (Europe/Paris)</td>',
                            html=True)
        self.assertContains(page, '<span class="pir-nowrap">07:00:00 Europe/Paris</span>')
        for name in ("Three courses", "Running edX", "Paused one", "Weekly"):
            self.assertContains(page, f">{name}</a>")
        # The beat row and the folder are on the schedule's page, not in the list.
        self.assertNotContains(page, "field-celery_task")
        self.assertNotContains(page, "field-upload_folder_prefix")

    def test_a_schedule_beat_does_not_run_says_so(self):
        schedule = factories.schedule(name="Orphan")
        PeriodicTask.objects.filter(pk=schedule.celery_task_id).delete()
        page = self.client.get(reverse(f"{SCHEDULES}_changelist"))
        self.assertContains(page, '<td class="field-next_run">not running</td>', html=True)


class SearchTests(AdminCase):
    """Search by name, report, owner and any listed course id, on every database, in constant queries."""

    def setUp(self):
        super().setUp()
        self.owner = factories.user(is_staff=True, username="marie", email="marie@uni.example")
        self.grades = factories.schedule(name="Weekly grades", owner=self.owner, course_ids=[COURSE, OTHER])
        self.profiles = factories.schedule(
            name="Profiles", course_ids=["course-v1:MITx+6.002x+2026"],
            task=factories.report_task(catalog.PROFILE_REPORT, name="Learner profiles"),
        )
        self.by_org = factories.schedule(name="All of MITx", course_ids=[], course_orgs=["MITx"],
                                         course_state=CourseState.ALL)

    def found(self, term):
        page = self.client.get(reverse(f"{SCHEDULES}_changelist"), {"q": term})
        self.assertEqual(page.status_code, 200)
        return {row.pk for row in page.context["cl"].result_list}

    def test_by_name_report_owner_and_course_id(self):
        self.assertEqual(self.found("weekly"), {self.grades.pk})
        self.assertEqual(self.found("learner profiles"), {self.profiles.pk})
        self.assertEqual(self.found("marie"), {self.grades.pk})
        self.assertEqual(self.found("marie@uni.example"), {self.grades.pk})
        # A course id in the middle of the JSON list, whole or in part, in any case.
        self.assertEqual(self.found(OTHER), {self.grades.pk})
        self.assertEqual(self.found("orgx+cs101"), {self.grades.pk})
        self.assertEqual(self.found("6.002x"), {self.profiles.pk})
        self.assertEqual(self.found("MITx"), {self.profiles.pk, self.by_org.pk})
        self.assertEqual(self.found("course-v1:Nope+Nope+2020"), set())

    def test_search_does_not_query_per_row(self):
        url = reverse(f"{SCHEDULES}_changelist") + "?q=course-v1"
        single = self.queries_for(url + ":MITx")
        for number in range(4):
            factories.schedule(name=f"More {number}", course_ids=[f"course-v1:MITx+M{number}+2026"])
        with CaptureQueriesContext(connection) as context:
            page = self.client.get(url + ":MITx")
        self.assertEqual(len(page.context["cl"].result_list), 5)
        self.assertEqual(len(context.captured_queries), single)


class NameTests(AdminCase):
    def test_name_unique_per_owner_with_a_clear_message(self):
        factories.schedule(name="Weekly grades", owner=self.admin)
        response = self.client.post(reverse(f"{SCHEDULES}_add"), self.form(name="Weekly grades"))
        self.assertEqual(response.status_code, 200)
        self.assertIn("already exists", " ".join(response.context["adminform"].form.non_field_errors()))
        self.assertEqual(PeriodicReportSchedule.objects.filter(name="Weekly grades").count(), 1)
        # Another owner may use the name.
        other = factories.user(is_staff=True, is_superuser=True)
        response = self.client.post(reverse(f"{SCHEDULES}_add"),
                                    self.form(name="Weekly grades", owner=other.pk))
        self.assertEqual(response.status_code, 302)
        self.assertEqual(PeriodicReportSchedule.objects.filter(name="Weekly grades").count(), 2)

    def test_api_refuses_a_duplicate_name_and_changes_nothing(self):
        owner = factories.user(is_staff=True)
        factories.schedule(name="Grades", owner=owner)
        with self.assertRaises(ValidationError):
            factories.schedule(name="Grades", owner=owner)
        self.assertEqual(PeriodicReportSchedule.objects.count(), 1)
        self.assertEqual(PeriodicTask.objects.filter(task=beat.DISPATCH_TASK).count(), 1)

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS=reports.ALL)
    def test_name_is_on_the_run_history(self):
        schedule = factories.schedule(name="Friday grades", task=factories.report_task(
            "tests.reports.recording_report"))
        dispatch.run_schedule(schedule.pk)
        self.assertContains(self.client.get(reverse(f"{RUNS}_changelist")), ">Friday grades</a>")
        # A rename does not relabel past runs: they keep the name the schedule had when they ran.
        api.update_schedule(schedule, acting_user=self.admin, name="Monday grades")
        self.assertContains(self.client.get(reverse(f"{RUNS}_changelist")), ">Friday grades</a>")
        api.delete_schedule(schedule, acting_user=self.admin)
        self.assertEqual(ReportRun.objects.get().schedule_label, "Friday grades (deleted)")


class CoursePickerTests(AdminCase):
    def setUp(self):
        super().setUp()
        factories.course(OTHER, display_name="Computer Science 101")
        factories.course("ccx-v1:edX+DemoX+Demo_Course+ccx@7")
        self.url = reverse(f"{SCHEDULES}_courses")

    def test_finds_courses_by_id_or_name_with_their_ccxs_under_them(self):
        by_name = self.client.get(self.url, {"term": "computer science"}).json()
        self.assertEqual([r["id"] for r in by_name["results"]], [OTHER])
        self.assertEqual(by_name["results"][0]["text"], f"{OTHER} — Computer Science 101")
        by_id = self.client.get(self.url, {"term": "DemoX"}).json()
        self.assertEqual([r["id"] for r in by_id["results"]], [COURSE, "ccx-v1:edX+DemoX+Demo_Course+ccx@7"])
        self.assertIn("CCX", by_id["results"][1]["text"])
        self.assertFalse(by_id["pagination"]["more"])
        self.assertEqual(self.client.get(self.url, {"term": "nothing like it"}).json()["results"], [])

    def test_results_are_paged_in_two_queries(self):
        for number in range(30):
            factories.course(f"course-v1:Many+C{number:02d}+2026")
        with self.assertNumQueries(2 + self.session_queries()):
            found = self.client.get(self.url, {"term": "many"}).json()
        self.assertEqual(len(found["results"]), 20)
        self.assertTrue(found["pagination"]["more"])

    def session_queries(self):
        with CaptureQueriesContext(connection) as context:
            self.client.get(self.url, {"term": "zzz-no-match"})
        return len(context.captured_queries) - 1

    def test_the_picker_is_kept_from_those_without_permission(self):
        self.staff_without_permissions()
        self.assertEqual(self.client.get(self.url, {"term": "demo"}).status_code, 403)
        self.client.logout()
        response = self.client.get(self.url, {"term": "demo"})
        self.assertEqual(response.status_code, 302)
        self.assertIn("/admin/login/", response["Location"])

    def test_chosen_courses_show_with_their_names(self):
        schedule = factories.schedule(name="Picked", course_ids=[OTHER])
        page = self.client.get(reverse(f"{SCHEDULES}_change", args=[schedule.pk]))
        self.assertContains(page, f'<option value="{OTHER}" selected>{OTHER} — Computer Science 101</option>',
                            html=True)
        self.assertContains(page, "pir-course-picker")
        self.assertContains(page, 'data-autocomplete-url="/admin/periodic_instructor_reports/'
                                  'periodicreportschedule/courses/"')

    def test_an_id_naming_no_course_is_refused_at_save_and_nothing_changes(self):
        for course_id in ("course-v1:Nope+Nope+2020", "ccx-v1:edX+DemoX+Demo_Course+ccx@999"):
            response = self.client.post(reverse(f"{SCHEDULES}_add"),
                                        self.form(course_ids=[COURSE, course_id]))
            self.assertEqual(response.status_code, 200)
            self.assertIn(f"These ids name no course or CCX of this site: {course_id}.",
                          response.context["adminform"].form.errors["course_ids"])
        self.assertFalse(PeriodicReportSchedule.objects.exists())
        self.assertFalse(PeriodicTask.objects.filter(task=beat.DISPATCH_TASK).exists())
        with self.assertRaises(ValidationError) as caught:
            api.create_schedule(acting_user=self.admin, name="API", task=factories.report_task(),
                                owner=self.admin, interval=factories.interval(),
                                course_ids=["course-v1:Nope+Nope+2020"])
        self.assertIn("name no course", str(caught.exception))

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS=reports.ALL)
    def test_a_course_gone_later_is_skipped_and_the_others_run(self):
        task = factories.report_task("tests.reports.recording_report")
        schedule = factories.schedule(name="Two", task=task, course_ids=[COURSE, OTHER])
        from openedx.core.djangoapps.content.course_overviews.models import CourseOverview

        CourseOverview.objects.filter(id=CourseKey.from_string(COURSE)).delete()
        dispatch.run_schedule(schedule.pk)
        self.assertEqual([str(call["course_key"]) for call in reports.CALLS], [OTHER])
        gone = ReportRunCourse.objects.get(course_id=COURSE)
        self.assertEqual(gone.outcome, "skipped")
        self.assertIn("no such course", gone.error)

    def test_a_json_list_still_works_for_scripts(self):
        schedule = api.create_schedule(
            acting_user=self.admin, name="Scripted", task=factories.report_task(), owner=self.admin,
            interval=factories.interval(), course_ids=json.loads(f'["{COURSE}", "{OTHER}"]'),
        )
        self.assertEqual(schedule.course_ids, [COURSE, OTHER])


class SelectionTests(AdminCase):
    """Courses chosen by organisation and state, again at each run."""

    def setUp(self):
        super().setUp()
        make = factories.course
        make("course-v1:edX+Running+2026", start=NOW - days(10), end=NOW + days(10))
        make("course-v1:edX+Open+2026", start=NOW - days(10), end=None)
        make("course-v1:edX+Soon+2026", start=NOW + days(5), end=NOW + days(60))
        make("course-v1:edX+Later+2027", start=NOW + days(50), end=NOW + days(90))
        make("course-v1:edX+Ended+2026", start=NOW - days(90), end=NOW - days(3))
        make("course-v1:edX+Old+2020", start=NOW - days(900), end=NOW - days(800))
        make("course-v1:MITx+Running+2026", start=NOW - days(10), end=NOW + days(10))

    def selected(self, **fields):
        schedule = PeriodicReportSchedule(course_ids=[], **fields)
        return [str(key) for key in courses.selected_courses(schedule, now=NOW)]

    def test_states_within_an_organisation(self):
        edx = {"course_orgs": ["edX"]}
        # The factories' demo course has no dates: it counts as started and not ended.
        demo = "course-v1:edX+DemoX+Demo_Course"
        self.assertEqual(self.selected(course_state="running", **edx),
                         [demo, "course-v1:edX+Open+2026", "course-v1:edX+Running+2026"])
        self.assertEqual(self.selected(course_state="starting", course_state_days=30, **edx),
                         ["course-v1:edX+Soon+2026"])
        self.assertEqual(self.selected(course_state="ended", course_state_days=30, **edx),
                         ["course-v1:edX+Ended+2026"])
        self.assertEqual(len(self.selected(course_state="all", **edx)), 7)
        self.assertEqual(self.selected(course_state="running", course_orgs=["MITx", "Nobody"]),
                         ["course-v1:MITx+Running+2026"])
        self.assertEqual(sorted(self.selected(course_state="running", course_orgs=[])), sorted([
            "course-v1:MITx+Running+2026", demo, "course-v1:edX+Open+2026", "course-v1:edX+Running+2026",
        ]))

    def test_ccx_overviews_follow_the_schedule_s_ccx_choices(self):
        # The platform keeps a CourseOverview of each CCX (course_overviews/models.py), of its org.
        ccx = "ccx-v1:edX+Running+2026+ccx@1"
        factories.course(ccx, start=NOW - days(1), end=NOW + days(5))
        running = {"course_state": "running", "course_orgs": ["edX"]}
        masters = ["course-v1:edX+DemoX+Demo_Course", "course-v1:edX+Open+2026", "course-v1:edX+Running+2026"]
        self.assertEqual(self.selected(**running), masters)
        self.assertEqual(self.selected(include_ccx=True, **running), [ccx, *masters])
        self.assertEqual(self.selected(only_ccx=True, **running), [ccx])
        # Its own dates decide its state.
        self.assertEqual(self.selected(only_ccx=True, course_state="ended", course_state_days=30,
                                       course_orgs=["edX"]), [])

    @override_settings(PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS=reports.ALL)
    def test_chosen_again_at_each_run(self):
        schedule = factories.schedule(
            name="Running MITx", task=factories.report_task("tests.reports.recording_report"),
            course_ids=[], course_orgs=["MITx"], course_state="running",
        )
        with mock.patch("django.utils.timezone.now", return_value=NOW):
            dispatch.run_schedule(schedule.pk, planned_at=NOW)
        self.assertEqual([str(call["course_key"]) for call in reports.CALLS], ["course-v1:MITx+Running+2026"])
        factories.course("course-v1:MITx+New+2026", start=NOW - days(1), end=NOW + days(30))
        reports.CALLS.clear()
        later = NOW + datetime.timedelta(hours=1)
        with mock.patch("django.utils.timezone.now", return_value=later):
            dispatch.run_schedule(schedule.pk, planned_at=later)
        self.assertEqual(sorted(str(call["course_key"]) for call in reports.CALLS),
                         ["course-v1:MITx+New+2026", "course-v1:MITx+Running+2026"])

    def test_the_page_shows_today_s_matches_and_the_organisations(self):
        schedule = factories.schedule(name="All MITx", course_ids=[], course_orgs=["MITx"],
                                      course_state="all")
        page = self.client.get(reverse(f"{SCHEDULES}_change", args=[schedule.pk]))
        self.assertContains(page, "+ all courses of MITx (1 course): course-v1:MITx+Running+2026")
        self.assertContains(page, '<option value="MITx" selected>MITx</option>', html=True)
        self.assertContains(page, '<option value="edX">edX</option>', html=True)

    def test_bad_selections_are_explained_and_nothing_is_saved(self):
        cases = [
            ({"course_ids": []}, "course_ids", "Choose the courses"),
            ({"course_ids": [], "course_orgs": ["edX"], "course_state": "ended", "course_state_days": "0"},
             "course_state_days", "how many days"),
            ({"course_orgs": ["<script>"]}, "course_orgs", "Select a valid choice"),
        ]
        for overrides, field, message in cases:
            with self.subTest(field=field):
                response = self.client.post(reverse(f"{SCHEDULES}_add"), self.form(**overrides))
                self.assertEqual(response.status_code, 200)
                self.assertIn(message, " ".join(response.context["adminform"].form.errors[field]))
        self.assertFalse(PeriodicReportSchedule.objects.exists())
        with self.assertRaises(ValidationError) as caught:
            factories.schedule(course_orgs=["edX", "<script>"])
        self.assertIn("JSON list of organisations", str(caught.exception))
        self.assertFalse(PeriodicReportSchedule.objects.exists())


class FolderPreviewTests(AdminCase):
    def preview(self, **params):
        query = {"task": factories.report_task().pk, "structure": "regular", "prefix": "",
                 "course_ids[]": [COURSE], **params}
        return self.client.get(reverse(f"{SCHEDULES}_preview"), query)

    def test_the_folder_and_an_example_file_name_of_each_course(self):
        with mock.patch("django.utils.timezone.now", return_value=NOW):
            page = self.preview(structure="by_date", prefix="weekly/", **{"course_ids[]": [COURSE, OTHER]})
        self.assertContains(page, "<code>weekly/2026-11-27/</code>", count=2, html=True)
        self.assertContains(page,
                            "<code>edX_DemoX_Demo_Course_grade_report_bb6d638a29605974_2026-11-27-1200.csv</code>",
                            html=True)
        self.assertContains(page,
                            "<code>OrgX_CS101_2026_grade_report_a996fb1acc37fe75_2026-11-27-1200.csv</code>",
                            html=True)
        self.assertNotContains(page, "pir-warning")

    def test_a_prefix_without_a_slash_is_glued_and_said_so(self):
        with mock.patch("django.utils.timezone.now", return_value=NOW):
            page = self.preview(structure="by_date", prefix="weekly")
        self.assertContains(page, "<code>weekly2026-11-27/</code>", html=True)
        self.assertContains(page, "The prefix has no trailing slash, so it is glued onto the folder name: "
                                  "“weekly2026-11-27/”")

    def test_the_dashboard_folder_is_named(self):
        page = self.preview()
        self.assertContains(page, "the reports also show on the instructor dashboard")

    def test_a_refused_prefix_shows_why(self):
        page = self.preview(prefix="../etc/")
        self.assertContains(page, 'class="pir-warning"')
        self.assertNotContains(page, "<code>")

    def test_the_page_carries_the_preview(self):
        schedule = factories.schedule(name="Previewed", upload_folder_prefix="reports/",
                                      upload_folder_structure="flat")
        page = self.client.get(reverse(f"{SCHEDULES}_change", args=[schedule.pk]))
        self.assertContains(page, 'id="pir-folder-preview" data-url="/admin/periodic_instructor_reports/'
                                  'periodicreportschedule/preview/"')
        self.assertContains(page, "<code>reports/</code>", html=True)

    def test_kept_from_those_without_permission(self):
        self.staff_without_permissions()
        self.assertEqual(self.preview().status_code, 403)


class PageButtonTests(AdminCase):
    def test_run_now_pause_and_resume_buttons(self):
        schedule = factories.schedule(name="Buttons")
        page = self.client.get(reverse(f"{SCHEDULES}_change", args=[schedule.pk]))
        self.assertContains(page, f'action="/admin/periodic_instructor_reports/periodicreportschedule/'
                                  f'{schedule.pk}/run-now/"')
        self.assertContains(page, "/pause/")
        self.assertNotContains(page, "/resume/")
        response = self.client.post(reverse(f"{SCHEDULES}_pause", args=[schedule.pk]), follow=True)
        self.assertContains(response, "Paused 1 schedule.")
        schedule.refresh_from_db()
        self.assertFalse(schedule.enabled or schedule.celery_task.enabled)
        self.assertContains(response, "/resume/")
        self.client.post(reverse(f"{SCHEDULES}_resume", args=[schedule.pk]))
        schedule.refresh_from_db()
        self.assertTrue(schedule.enabled and schedule.celery_task.enabled)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(reverse(f"{SCHEDULES}_run_now", args=[schedule.pk]), follow=True)
        self.assertContains(response, "Queued a run of 1 schedule.")
        self.assertEqual(list(ReportRun.objects.values_list("schedule_id", "trigger")),
                         [(schedule.pk, Trigger.MANUAL)])

    def test_buttons_need_a_post_and_the_change_permission(self):
        schedule = factories.schedule(name="Guarded")
        for name in ("run_now", "pause", "resume"):
            url = reverse(f"{SCHEDULES}_{name}", args=[schedule.pk])
            self.assertEqual(self.client.get(url).status_code, 403, name)
        viewer = self.staff_without_permissions()
        viewer.user_permissions.add(Permission.objects.get(codename="view_periodicreportschedule"))
        for name in ("run_now", "pause", "resume"):
            url = reverse(f"{SCHEDULES}_{name}", args=[schedule.pk])
            self.assertEqual(self.client.post(url).status_code, 403, name)
        schedule.refresh_from_db()
        self.assertTrue(schedule.enabled)
        self.assertFalse(ReportRun.objects.exists())
        self.client.force_login(self.admin)
        # An unknown schedule: back to the list, which says so.
        response = self.client.post(reverse(f"{SCHEDULES}_pause", args=[99999]))
        self.assertRedirects(response, reverse(f"{SCHEDULES}_changelist"))


@override_settings(PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS=reports.ALL + [catalog.GRADE_REPORT])
class RequiresRequestTests(AdminCase):
    def test_follows_the_function_s_signature(self):
        for path, expected in (("tests.reports.report_without_request", False), (catalog.GRADE_REPORT, True)):
            response = self.client.post(reverse(f"{TASKS}_add"), {"name": path, "path": path})
            self.assertEqual(response.status_code, 302, path)
            self.assertEqual(PeriodicReportTask.objects.get(name=path).requires_request, expected)
        page = self.client.get(reverse(f"{TASKS}_add"))
        self.assertNotContains(page, 'name="requires_request"')


@override_settings(PERIODIC_INSTRUCTOR_REPORTS_ALLOWED_PATHS=reports.ALL)
class BigSiteQueryTests(AdminCase):
    """The lists at 10,000 schedules and 100,000 runs: few queries, pages that stay light."""

    SCHEDULES = 10_000
    RUNS = 100_000
    COURSES = 100_000

    @classmethod
    def setUpTestData(cls):
        owner = factories.user(is_staff=True, username="big-owner")
        task = factories.report_task("tests.reports.recording_report")
        factories.course(COURSE)
        first = factories.schedule(name="Schedule 0", owner=owner, task=task, course_ids=[COURSE, OTHER])
        dispatch.run_schedule(first.pk, trigger=Trigger.MANUAL)
        beat_row = first.celery_task
        rows = []
        for number in range(1, cls.SCHEDULES):
            row = PeriodicTask(**{field: getattr(beat_row, field) for field in (
                "task", "interval_id", "args", "kwargs", "queue", "enabled", "description", "expire_seconds",
            )}, name=f"periodic-instructor-reports-big-{number}")
            rows.append(row)
        PeriodicTask.objects.bulk_create(rows, batch_size=1000)
        beat_rows = dict(PeriodicTask.objects.filter(name__startswith="periodic-instructor-reports-big-")
                         .values_list("name", "pk"))
        PeriodicReportSchedule.objects.bulk_create([
            PeriodicReportSchedule(
                name=f"Schedule {number}", owner=owner, task=task, interval_id=first.interval_id,
                celery_task_id=beat_rows[f"periodic-instructor-reports-big-{number}"],
                course_ids=[COURSE, f"course-v1:Big+C{number}+2026"], upload_folder_structure="regular",
            ) for number in range(1, cls.SCHEDULES)
        ], batch_size=1000)
        ids = list(PeriodicReportSchedule.objects.values_list("pk", flat=True))
        template = ReportRun.objects.get()
        start = timezone.now() - days(400)
        ReportRun.objects.bulk_create([
            ReportRun(
                schedule_id=ids[number % len(ids)], schedule_name=f"Schedule {number % len(ids)}",
                report_name=template.report_name, owner_user_id=owner.pk, trigger=Trigger.BEAT,
                planned_at=start + datetime.timedelta(minutes=number),
                started_at=start + datetime.timedelta(minutes=number), status=template.status,
                counts={"submitted": 2},
            ) for number in range(1, cls.RUNS)
        ], batch_size=2000)
        ReportRun.objects.filter(pk=template.pk).update(course_total=cls.COURSES + 2)
        cls.big_run = template
        ReportRunCourse.objects.bulk_create([
            ReportRunCourse(run=template, course_id=f"course-v1:Big+C{number}+2026", outcome="submitted",
                            attempt=1, started_at=template.started_at)
            for number in range(cls.COURSES)
        ], batch_size=2000)

    def pinned(self, url, queries):
        with CaptureQueriesContext(connection) as context:
            page = self.client.get(url)
        self.assertEqual(page.status_code, 200)
        self.assertLessEqual(len(context.captured_queries), queries,
                             "\n".join(query["sql"][:200] for query in context.captured_queries))
        return page, len(context.captured_queries)

    def test_counts_of_the_big_site(self):
        self.assertEqual(PeriodicReportSchedule.objects.count(), self.SCHEDULES)
        self.assertEqual(ReportRun.objects.count(), self.RUNS)
        self.assertEqual(ReportRunCourse.objects.filter(run=self.big_run).count(), self.COURSES + 2)

    def test_schedule_list(self):
        page, _count = self.pinned(reverse(f"{SCHEDULES}_changelist"), queries=10)
        self.assertEqual(len(page.context["cl"].result_list), 50)
        self.assertLess(len(page.content), 200_000)
        self.pinned(reverse(f"{SCHEDULES}_changelist") + "?q=Big%2BC9999", queries=10)

    def test_run_lists_and_the_big_run_s_page(self):
        page, _count = self.pinned(reverse(f"{RUNS}_changelist"), queries=10)
        self.assertLess(len(page.content), 200_000)
        page, _count = self.pinned(reverse(f"{RUN_COURSES}_changelist"), queries=10)
        self.assertLess(len(page.content), 300_000)
        one_run = reverse(f"{RUN_COURSES}_changelist") + f"?run__id__exact={self.big_run.pk}"
        page, _count = self.pinned(one_run, queries=10)
        self.assertLess(len(page.content), 300_000)
        page, _count = self.pinned(reverse(f"{RUNS}_change", args=[self.big_run.pk]), queries=12)
        self.assertContains(page, f"All {self.COURSES + 2} courses of this run")
        self.assertLess(len(page.content), 200_000)
