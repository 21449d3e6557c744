"""
The course-team REST API: who may do what on which course (the permission matrix), and what each
endpoint does.

The roles are the platform's (``common/djangoapps/student/roles.py`` and the rules of
``lms/djangoapps/instructor/permissions.py``, as the stand-in registers them): the data
researcher role gives ``instructor.research``, the instructor role ``instructor.edit_course_access``
and the certificate lists, course staff the proctored exam results.
"""

import ddt
from common.djangoapps.student.models import CourseAccessRole
from django.contrib.admin.models import LogEntry
from django.core.cache import cache
from django.test import TestCase
from django.utils import timezone
from rest_framework.test import APIClient

from periodic_instructor_reports import catalog, conf
from periodic_instructor_reports.models import (
    Outcome,
    PeriodicReportSchedule,
    PeriodicReportTask,
    ReportRun,
    ReportRunCourse,
)
from tests import factories
from tests.base import ReportFilesMixin

COURSE_A, COURSE_B = factories.COURSE, factories.OTHER_COURSE
BASE = "/api/periodic-reports/v1/courses/"
CSRF = "a" * 32
# The reports whose dashboard permission only the instructor role (or course staff) adds to research.
EXTRA_PERMISSION = {
    report.task_type for report in catalog.REPORTS if report.permission not in catalog.SAME_AS_RESEARCH
}
ALL_REPORTS = [report.task_type for report in catalog.REPORTS]
RESEARCH_REPORTS = [name for name in ALL_REPORTS if name not in EXTRA_PERMISSION]

PERSONAS = [
    "anonymous",
    "learner",
    "researcher_a",
    "researcher_b",
    "instructor_a",
    "course_staff_a",
    "global_staff",
    "superuser",
]
# Who may use the API on course A at all; the others are refused (anonymous: 401).
MAY_USE = {"researcher_a", "global_staff", "superuser"}
# Who may manage researcher_a's schedule: its owner, and global staff (the superuser too).
MAY_MANAGE_OWN = {"researcher_a", "global_staff", "superuser"}


def grant(user, role, course_id):
    CourseAccessRole.objects.create(
        user=user, role=role, course_id=course_id, org=course_id.split(":")[1].split("+")[0]
    )
    return user


def new_schedule(owner, path=conf.GRADE_REPORT, course_ids=(COURSE_A,), name="", **fields):
    task = PeriodicReportTask.objects.filter(path=path).order_by("pk").first()
    return factories.schedule(owner=owner, task=task, course_ids=list(course_ids), name=name, **fields)


class ApiTestCase(ReportFilesMixin, TestCase):
    """Users of every persona, the two courses, and schedules and runs of course A."""

    @classmethod
    def setUpTestData(cls):
        for course_id in (COURSE_A, COURSE_B):
            factories.course(course_id)
        cls.users = {
            "learner": factories.user(),
            "researcher_a": grant(factories.user(), "data_researcher", COURSE_A),
            "researcher_b": grant(factories.user(), "data_researcher", COURSE_B),
            "instructor_a": grant(factories.user(), "instructor", COURSE_A),
            "course_staff_a": grant(factories.user(), "staff", COURSE_A),
            "global_staff": factories.user(is_staff=True),
            "superuser": factories.user(is_superuser=True),
            "researcher2_a": grant(factories.user(), "data_researcher", COURSE_A),
            "instructor_researcher_a": grant(
                grant(factories.user(), "instructor", COURSE_A), "data_researcher", COURSE_A
            ),
        }
        cls.own = new_schedule(cls.users["researcher_a"], name="Weekly grades")
        cls.staffs = new_schedule(cls.users["global_staff"], name="Staff's grades")
        cls.team = new_schedule(
            cls.users["global_staff"], path=catalog._WRAPPED + "submit_course_team", name="Course team"
        )
        cls.many = new_schedule(
            cls.users["global_staff"], course_ids=(COURSE_A, COURSE_B), name="Both courses"
        )
        cls.of_b = new_schedule(cls.users["global_staff"], course_ids=(COURSE_B,), name="Course B")
        now = timezone.now()
        cls.run_of = {}
        for name, schedule in (("own", cls.own), ("many", cls.many), ("of_b", cls.of_b), ("team", cls.team)):
            run = ReportRun.objects.create(
                schedule=schedule,
                schedule_name=schedule.name,
                report_name=schedule.task.name,
                report_path=schedule.task.path,
                owner_user_id=schedule.owner_id,
                trigger="beat",
                planned_at=now,
                started_at=now,
                status="done",
            )
            for course_id in schedule.course_ids:
                ReportRunCourse.objects.create(
                    run=run,
                    course_id=course_id,
                    outcome=Outcome.GENERATED,
                    attempt=1,
                    file_path=f"reports/{run.pk}-{course_id}.csv",
                    file_name=f"{run.pk}.csv",
                )
            cls.run_of[name] = run

    def setUp(self):
        super().setUp()
        cache.clear()  # the write throttle's counts

    def client_as(self, persona):
        """Return a client logged in (session) as ``persona``, sending the CSRF token on writes."""
        client = APIClient(enforce_csrf_checks=True)
        if persona != "anonymous":
            client.force_login(self.users[persona])
        client.cookies["csrftoken"] = CSRF
        client.credentials(HTTP_X_CSRFTOKEN=CSRF)
        return client

    def call(self, persona, method, url, data=None):
        return getattr(self.client_as(persona), method)(url, data, format="json")


ENDPOINTS = {
    "reports": ("get", "reports/", None, 200),
    "schedules": ("get", "schedules/", None, 200),
    "create": (
        "post",
        "schedules/",
        {"report": "grade_course", "interval": {"every": 2, "period": "hours"}},
        201,
    ),
    "read": ("get", "schedules/{own}/", None, 200),
    "runs": ("get", "runs/", None, 200),
    "change": ("patch", "schedules/{own}/", {"name": "Renamed"}, 200),
    "pause": ("post", "schedules/{own}/pause/", None, 200),
    "resume": ("post", "schedules/{own}/resume/", None, 200),
    "run_now": ("post", "schedules/{own}/run-now/", None, 202),
    "delete": ("delete", "schedules/{own}/", None, 204),
}
MANAGING = {"change", "pause", "resume", "run_now", "delete"}


def expected_status(persona, endpoint):
    success = ENDPOINTS[endpoint][3]
    if persona == "anonymous":
        return 401
    allowed = MAY_MANAGE_OWN if endpoint in MANAGING else MAY_USE
    return success if persona in allowed else 403


@ddt.ddt
class PermissionMatrixTests(ApiTestCase):
    """Every endpoint, as every persona, on course A: exactly what the rules say."""

    @ddt.idata([(persona, endpoint) for endpoint in ENDPOINTS for persona in PERSONAS])
    @ddt.unpack
    def test_matrix(self, persona, endpoint):
        method, path, data, _success = ENDPOINTS[endpoint]
        url = BASE + COURSE_A + "/" + path.format(own=self.own.pk)
        expected = expected_status(persona, endpoint)
        if endpoint == "resume":
            PeriodicReportSchedule.objects.filter(pk=self.own.pk).update(enabled=False)
        if expected == 403:
            with self.assertLogs("periodic_instructor_reports.rest_api.v1.permissions", "WARNING") as logs:
                response = self.call(persona, method, url, data)
            self.assertIn(f"user {self.users[persona].pk} was refused", logs.output[0])
        else:
            response = self.call(persona, method, url, data)
        self.assertEqual(response.status_code, expected, response.content)
        if expected >= 400:
            self.assertTrue(response.json()["message"])
        before = PeriodicReportSchedule.objects.get(pk=self.own.pk) if endpoint != "delete" else None
        if expected in (401, 403) and before is not None:
            self.assertEqual((before.name, before.owner_id), ("Weekly grades", self.users["researcher_a"].pk))

    @ddt.data(*PERSONAS[1:])
    def test_the_reports_each_may_schedule(self, persona):
        response = self.call(persona, "get", BASE + COURSE_A + "/reports/")
        if persona not in MAY_USE:
            self.assertEqual(response.status_code, 403)
            return
        reports = [report["id"] for report in response.json()]
        self.assertEqual(reports, RESEARCH_REPORTS if persona == "researcher_a" else ALL_REPORTS)

    def test_an_instructor_who_is_also_researcher_may_schedule_the_course_team_listing(self):
        response = self.call("instructor_researcher_a", "get", BASE + COURSE_A + "/reports/")
        self.assertEqual([report["id"] for report in response.json()], ALL_REPORTS)
        response = self.call(
            "researcher_a",
            "post",
            BASE + COURSE_A + "/schedules/",
            {"report": "pir_course_team", "interval": {"every": 1, "period": "days"}},
        )
        self.assertEqual(response.status_code, 403)
        self.assertIn("instructor.edit_course_access", response.json()["message"])
        response = self.call(
            "instructor_researcher_a",
            "post",
            BASE + COURSE_A + "/schedules/",
            {"report": "pir_course_team", "interval": {"every": 1, "period": "days"}},
        )
        self.assertEqual(response.status_code, 201, response.content)

    @ddt.data("researcher_b", "instructor_a", "course_staff_a", "learner")
    def test_course_b_researcher_and_course_a_team_without_research_see_nothing_of_a(self, persona):
        for path in ("reports/", "schedules/", "runs/", f"schedules/{self.own.pk}/"):
            self.assertEqual(self.call(persona, "get", BASE + COURSE_A + "/" + path).status_code, 403)

    def test_course_b_researcher_works_on_course_b_only(self):
        response = self.call("researcher_b", "get", BASE + COURSE_B + "/schedules/")
        self.assertEqual([s["name"] for s in response.json()], ["Course B"])
        # Course A's schedule through course B's URL: it is not one of B's.
        response = self.call("researcher_b", "get", BASE + COURSE_B + f"/schedules/{self.own.pk}/")
        self.assertEqual(response.status_code, 404)


class ScheduleVisibilityTests(ApiTestCase):
    """Those with the permission see every schedule of their course; they manage their own."""

    def names(self, persona):
        return [s["name"] for s in self.call(persona, "get", BASE + COURSE_A + "/schedules/").json()]

    def test_a_researcher_sees_the_course_schedules_of_reports_the_role_gives(self):
        # Not the course team listing (its permission is the instructor's), not the schedule of both courses.
        self.assertEqual(self.names("researcher_a"), ["Staff's grades", "Weekly grades"])
        self.assertEqual(self.names("researcher2_a"), ["Staff's grades", "Weekly grades"])
        self.assertEqual(self.names("global_staff"), ["Course team", "Staff's grades", "Weekly grades"])

    def test_may_manage_says_what_the_caller_may_do(self):
        listed = {
            s["name"]: s for s in self.call("researcher_a", "get", BASE + COURSE_A + "/schedules/").json()
        }
        self.assertEqual(
            (listed["Weekly grades"]["may_manage"], listed["Weekly grades"]["owned_by_you"]), (True, True)
        )
        self.assertEqual(listed["Staff's grades"]["may_manage"], False)

    def test_a_researcher_may_not_manage_another_researchers_schedule(self):
        url = BASE + COURSE_A + f"/schedules/{self.own.pk}/"
        for method, path in (("patch", ""), ("post", "pause/"), ("post", "run-now/"), ("delete", "")):
            response = self.call(
                "researcher2_a", method, url + path, {"name": "Mine"} if method == "patch" else None
            )
            self.assertEqual(response.status_code, 403)
            self.assertIn(
                "only its owner, the course's instructors and global staff", response.json()["message"]
            )
        self.assertEqual(PeriodicReportSchedule.objects.get(pk=self.own.pk).name, "Weekly grades")

    def test_the_course_instructor_manages_every_schedule_of_the_course_and_becomes_owner(self):
        url = BASE + COURSE_A + f"/schedules/{self.staffs.pk}/"
        response = self.call("instructor_researcher_a", "patch", url, {"name": "Taken over"})
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(
            (response.json()["owner"], response.json()["owned_by_you"]),
            (self.users["instructor_researcher_a"].username, True),
        )
        self.assertEqual(self.call("instructor_researcher_a", "delete", url).status_code, 204)

    def test_a_researcher_may_not_read_a_schedule_of_a_report_needing_more(self):
        response = self.call("researcher_a", "get", BASE + COURSE_A + f"/schedules/{self.team.pk}/")
        self.assertEqual(response.status_code, 403)
        self.assertIn("instructor.edit_course_access", response.json()["message"])

    def test_a_schedule_of_many_courses_is_not_managed_here(self):
        response = self.call(
            "global_staff", "patch", BASE + COURSE_A + f"/schedules/{self.many.pk}/", {"name": "x"}
        )
        self.assertEqual(response.status_code, 404)
        self.assertIn("administrator made for several courses", response.json()["message"])


class RunListTests(ApiTestCase):
    """A course's runs, newest first: its schedules' and, read-only, administrators' of many courses."""

    def runs(self, persona, query=""):
        response = self.call(persona, "get", BASE + COURSE_A + "/runs/" + query)
        self.assertEqual(response.status_code, 200, response.content)
        return response.json()

    def test_runs_hold_this_course_rows_only_with_download_links(self):
        page = self.runs("researcher_a")
        by_name = {run["schedule_name"]: run for run in page["results"]}
        self.assertEqual(set(by_name), {"Weekly grades", "Both courses"})  # not B's, not the team listing
        self.assertEqual([row["course_id"] for row in by_name["Both courses"]["courses"]], [COURSE_A])
        self.assertEqual(
            (by_name["Both courses"]["read_only"], by_name["Both courses"]["schedule"]), (True, None)
        )
        self.assertEqual(
            (by_name["Weekly grades"]["read_only"], by_name["Weekly grades"]["schedule"]),
            (False, self.own.pk),
        )
        row = ReportRunCourse.objects.get(run=self.run_of["many"], course_id=COURSE_A)
        self.assertEqual(
            by_name["Both courses"]["courses"][0]["download_url"],
            f"http://testserver/periodic-reports/download/{row.pk}/",
        )

    def test_newest_first_and_paginated(self):
        now = timezone.now()
        for number in range(25):
            ReportRun.objects.create(
                schedule=self.own,
                schedule_name="Weekly grades",
                report_path=conf.GRADE_REPORT,
                trigger="beat",
                status="done",
                planned_at=now + timezone.timedelta(minutes=number),
                started_at=now + timezone.timedelta(minutes=number),
            )
        first = self.runs("researcher_a")
        self.assertEqual((first["count"], first["num_pages"], len(first["results"])), (27, 2, 20))
        started = [run["started_at"] for run in first["results"]]
        self.assertEqual(started, sorted(started, reverse=True))
        self.assertEqual(len(self.runs("researcher_a", "?page=2")["results"]), 7)
        self.assertEqual(self.call("researcher_a", "get", BASE + COURSE_A + "/runs/?page=9").status_code, 404)

    def test_runs_of_one_schedule(self):
        page = self.runs("researcher_a", f"?schedule={self.own.pk}")
        self.assertEqual([run["schedule_name"] for run in page["results"]], ["Weekly grades"])
        response = self.call("researcher_a", "get", BASE + COURSE_A + f"/runs/?schedule={self.of_b.pk}")
        self.assertEqual(response.status_code, 400)

    def test_the_runs_of_a_deleted_schedule_stay(self):
        self.assertEqual(
            self.call("researcher_a", "delete", BASE + COURSE_A + f"/schedules/{self.own.pk}/").status_code,
            204,
        )
        names = [run["schedule_name"] for run in self.runs("researcher_a")["results"]]
        self.assertIn("Weekly grades", names)


class AuditTests(ApiTestCase):
    """Every change through the API is one row of the admin log, by the user who made it."""

    def test_each_action_is_audited(self):
        url = BASE + COURSE_A + "/schedules/"
        created = self.call(
            "researcher_a",
            "post",
            url,
            {"report": "grade_course", "interval": {"every": 2, "period": "hours"}},
        )
        pk = created.json()["id"]
        for method, path in (
            ("patch", ""),
            ("post", "pause/"),
            ("post", "resume/"),
            ("post", "run-now/"),
            ("delete", ""),
        ):
            response = self.call(
                "researcher_a", method, f"{url}{pk}/{path}", {"name": "N"} if method == "patch" else None
            )
            self.assertLess(response.status_code, 300, response.content)
        entries = LogEntry.objects.filter(object_id=str(pk)).order_by("pk")
        self.assertEqual(
            [entry.change_message.split(".")[0] for entry in entries],
            ["Created", "Changed", "Paused", "Resumed", "Ran now", "Deleted"],
        )
        self.assertEqual({entry.user_id for entry in entries}, {self.users["researcher_a"].pk})
        self.assertEqual([entry.action_flag for entry in entries], [1, 2, 2, 2, 2, 3])
