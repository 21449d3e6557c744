"""
The course-team REST API: who may do what on which course (the permission matrix), and what each
endpoint does.

The roles are the platform's (``common/djangoapps/student/roles.py`` and the rules of
``lms/djangoapps/instructor/permissions.py``, as the stand-in registers them): the data
researcher role gives ``instructor.research``, the instructor role ``instructor.edit_course_access``
and the certificate lists, course staff the proctored exam results.
"""

import datetime
import threading
import unittest

import ddt
from common.djangoapps.student.models import CourseAccessRole
from django.contrib.admin.models import LogEntry
from django.core.cache import cache
from django.db import connection
from django.test import TestCase, TransactionTestCase, override_settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from periodic_instructor_reports import catalog, conf
from periodic_instructor_reports.models import (
    PeriodicReportSchedule,
    PeriodicReportTask,
    ReportRun,
    ReportRunCourse,
)
from periodic_instructor_reports.states import Outcome, RunStatus, Trigger
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


def new_schedule(owner, path=catalog.GRADE_REPORT, course_ids=(COURSE_A,), name="", **fields):
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
    "settings": ("get", "settings/", None, 200),
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

    def test_each_schedule_says_when_it_runs_next_and_how_its_last_run_ended(self):
        listed = {
            s["name"]: s for s in self.call("researcher_a", "get", BASE + COURSE_A + "/schedules/").json()
        }
        own = listed["Weekly grades"]
        run = self.run_of["own"]
        self.assertEqual(own["when"], "every hour")
        self.assertEqual(own["time_zone"], "UTC")
        self.assertEqual(
            {key: own["last_run"][key] for key in ("id", "status", "status_display", "trigger")},
            {"id": run.pk, "status": "done", "status_display": "done", "trigger": "beat"},
        )
        # An interval runs a whole interval after the last due time beat ran it for.
        expected = max(run.planned_at, self.own.anchor) + datetime.timedelta(hours=1)
        self.assertEqual(parse_datetime(own["next_run"]), expected)
        self.assertIsNone(listed["Staff's grades"]["last_run"])

    def test_a_paused_schedule_has_no_next_run(self):
        PeriodicReportSchedule.objects.filter(pk=self.own.pk).update(enabled=False)
        own = self.call("researcher_a", "get", BASE + COURSE_A + f"/schedules/{self.own.pk}/").json()
        self.assertIsNone(own["next_run"])

    @override_settings(
        TIME_ZONE="Europe/Paris",
        PERIODIC_INSTRUCTOR_REPORTS_MAX_SCHEDULES_PER_COURSE=7,
        PERIODIC_INSTRUCTOR_REPORTS_MIN_INTERVAL=7200,
    )
    def test_the_settings_give_the_sites_time_zone_and_the_limits(self):
        self.assertEqual(
            self.call("researcher_a", "get", BASE + COURSE_A + "/settings/").json(),
            {
                "time_zone": "Europe/Paris",
                "min_interval_seconds": 7200,
                "max_schedules": 7,
                "schedules": 3,
                "max_recipients": conf.get("MAX_RECIPIENTS"),
                "run_now_cooldown_seconds": conf.run_now_cooldown(),
            },
        )

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
                report_path=catalog.GRADE_REPORT,
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
            ["Created", "Changed", "Paused", "Resumed", "Run now requested", "Deleted"],
        )
        self.assertEqual({entry.user_id for entry in entries}, {self.users["researcher_a"].pk})
        self.assertEqual([entry.action_flag for entry in entries], [1, 2, 2, 2, 2, 3])


class AuthenticationTests(ApiTestCase):
    """The platform's authentication: a JWT in the header or its cookie, a session with CSRF."""

    def url(self):
        return BASE + COURSE_A + "/schedules/"

    def jwt(self, persona, **claims):
        from edx_rest_framework_extensions.auth.jwt.tests.utils import generate_jwt

        return generate_jwt(self.users[persona], **claims)

    def test_a_jwt_in_the_header_reads_and_writes_without_csrf(self):
        client = APIClient(enforce_csrf_checks=True)
        client.credentials(HTTP_AUTHORIZATION="JWT " + self.jwt("researcher_a"))
        self.assertEqual(client.get(self.url()).status_code, 200)
        response = client.post(
            self.url(), {"report": "grade_course", "interval": {"every": 3, "period": "hours"}}, format="json"
        )
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["owner"], self.users["researcher_a"].username)

    def test_an_asymmetric_jwt_as_the_lms_issues_them(self):
        from edx_rest_framework_extensions.auth.jwt.tests.utils import (
            generate_asymmetric_jwt_token,
            generate_latest_version_payload,
        )

        client = APIClient()
        token = generate_asymmetric_jwt_token(generate_latest_version_payload(self.users["researcher_a"]))
        client.credentials(HTTP_AUTHORIZATION="JWT " + token)
        self.assertEqual(client.get(self.url()).status_code, 200)

    def test_a_jwt_of_a_learner_is_refused(self):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="JWT " + self.jwt("learner"))
        self.assertEqual(client.get(self.url()).status_code, 403)

    def test_an_expired_or_forged_jwt_is_401(self):
        from edx_rest_framework_extensions.auth.jwt.tests.utils import (
            generate_jwt_token,
            generate_latest_version_payload,
        )

        payload = generate_latest_version_payload(self.users["researcher_a"])
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="JWT " + generate_jwt_token({**payload, "exp": 1}))
        self.assertEqual(client.get(self.url()).status_code, 401)
        client.credentials(
            HTTP_AUTHORIZATION="JWT "
            + generate_jwt_token(payload, signing_key="not-the-lms-secret-0123456789abcdefghij")
        )
        response = client.get(self.url())
        self.assertEqual(response.status_code, 401)
        self.assertTrue(response.json()["message"])

    def test_a_restricted_application_token_is_refused(self):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="JWT " + self.jwt("global_staff", is_restricted=True))
        response = client.get(self.url())
        self.assertEqual(response.status_code, 403)
        self.assertIn("restricted", response.json()["message"])

    def jwt_cookie_client(self, persona):
        """Return a client sending the JWT as the micro-frontends do: split in two cookies."""
        header_payload, signature = self.jwt(persona).rsplit(".", 1)
        client = APIClient(enforce_csrf_checks=True)
        client.cookies["edx-jwt-cookie-header-payload"] = header_payload
        client.cookies["edx-jwt-cookie-signature"] = signature
        client.credentials(HTTP_USE_JWT_COOKIE="true")
        return client

    def test_the_jwt_cookie_reads_and_needs_csrf_to_write(self):
        client = self.jwt_cookie_client("researcher_a")
        self.assertEqual(client.get(self.url()).status_code, 200)
        body = {"report": "grade_course", "interval": {"every": 3, "period": "hours"}}
        # Without the CSRF token the cookie does not authenticate: edx-drf-extensions 10 forgives
        # the failure (401 then), earlier releases refuse it (403).
        response = client.post(self.url(), body, format="json")
        self.assertIn(response.status_code, (401, 403))
        self.assertEqual(PeriodicReportSchedule.objects.count(), 5)
        client.cookies["csrftoken"] = CSRF
        client.credentials(HTTP_USE_JWT_COOKIE="true", HTTP_X_CSRFTOKEN=CSRF)
        self.assertEqual(client.post(self.url(), body, format="json").status_code, 201)

    def test_a_session_needs_csrf_to_write(self):
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(self.users["researcher_a"])
        self.assertEqual(client.get(self.url()).status_code, 200)
        response = client.post(f"{self.url()}{self.own.pk}/pause/")
        self.assertEqual(response.status_code, 403)
        self.assertIn("CSRF", response.json()["message"])
        self.assertTrue(PeriodicReportSchedule.objects.get(pk=self.own.pk).enabled)

    def test_an_inactive_user_session_is_not_authenticated(self):
        user = self.users["researcher_a"]
        client = APIClient()
        client.force_login(user)
        type(user).objects.filter(pk=user.pk).update(is_active=False)
        self.assertIn(client.get(self.url()).status_code, (401, 403))

    def test_anonymous_is_told_how_to_authenticate(self):
        response = APIClient().get(self.url())
        self.assertEqual(response.status_code, 401)
        self.assertIn("JWT", response["WWW-Authenticate"])
        self.assertIn("Log in first", response.json()["message"])


@ddt.ddt
class BadInputTests(ApiTestCase):
    """No input gives a 500: each gets a message a person can act on, and changes nothing."""

    def post(self, body, persona="researcher_a", content_type="application/json"):
        client = self.client_as(persona)
        return client.generic("POST", BASE + COURSE_A + "/schedules/", body, content_type=content_type)

    def refused(self, response, status=400):
        self.assertEqual(response.status_code, status, response.content)
        self.assertTrue(response.json()["message"])
        self.assertEqual(PeriodicReportSchedule.objects.count(), 5)
        return response.json()

    @ddt.data(
        "{not json",
        "[1, 2]",
        '"text"',
        "null",
        "[" * 100000 + "]" * 100000,
        '{"report": NaN}',
        '{"interval": {"every": 1' + "0" * 5000 + ', "period": "hours"}, "report": "grade_course"}',
    )
    def test_malformed_bodies(self, body):
        self.refused(self.post(body))

    def test_another_content_type(self):
        self.refused(self.post("report=grade_course", content_type="application/x-www-form-urlencoded"), 415)

    @ddt.data(
        ({"report": "grade_course"}, "interval"),
        ({"report": "no_such_report", "interval": {"every": 2, "period": "hours"}}, "report"),
        ({"report": ["grade_course"], "interval": {"every": 2, "period": "hours"}}, "report"),
        ({"report": "grade_course", "interval": {"every": "often", "period": "hours"}}, "interval"),
        ({"report": "grade_course", "interval": {"every": 10**12, "period": "hours"}}, "interval"),
        ({"report": "grade_course", "interval": {"every": 999999, "period": "days"}}, "interval"),
        ({"report": "grade_course", "interval": {"every": 1, "period": "fortnights"}}, "interval"),
        ({"report": "grade_course", "interval": {"every": 1, "period": "seconds"}}, "interval"),
        ({"report": "grade_course", "crontab": {"minute": "61"}}, "crontab"),
        ({"report": "grade_course", "crontab": {"minute": "0", "timezone": "Mars/Olympus"}}, "crontab"),
        ({"report": "grade_course", "crontab": {"minute": "*"}}, "crontab"),
        (
            {
                "report": "grade_course",
                "interval": {"every": 2, "period": "hours"},
                "crontab": {"minute": "0"},
            },
            "interval",
        ),
        (
            {"report": "grade_course", "interval": {"every": 2, "period": "hours"}, "arguments": [1]},
            "arguments",
        ),
        (
            {
                "report": "grade_course",
                "interval": {"every": 2, "period": "hours"},
                "arguments": {"a": [[[[[[1]]]]]]},
            },
            "arguments",
        ),
        (
            {
                "report": "grade_course",
                "interval": {"every": 2, "period": "hours"},
                "arguments": {"filename": "../x"},
            },
            "arguments",
        ),
        (
            {"report": "grade_course", "interval": {"every": 2, "period": "hours"}, "arguments": {"nope": 1}},
            "arguments",
        ),
        ({"report": "grade_course", "interval": {"every": 2, "period": "hours"}, "name": "x" * 201}, "name"),
        ({"report": "grade_course", "interval": {"every": 2, "period": "hours"}, "name": {"a": 1}}, "name"),
        ({"report": "grade_course", "interval": {"every": 2, "period": "hours"}, "name": "a\u202eb"}, "name"),
        (
            {"report": "grade_course", "interval": {"every": 2, "period": "hours"}, "recipients": "a@b.c"},
            "recipients",
        ),
        (
            {
                "report": "grade_course",
                "interval": {"every": 2, "period": "hours"},
                "recipients": ["not mail"],
            },
            "recipients",
        ),
        (
            {
                "report": "grade_course",
                "interval": {"every": 2, "period": "hours"},
                "upload_folder_prefix": "../up/",
            },
            "upload_folder_prefix",
        ),
        (
            {"report": "grade_course", "interval": {"every": 2, "period": "hours"}, "include_ccx": "maybe"},
            "include_ccx",
        ),
        (
            {"report": "grade_course", "interval": {"every": 2, "period": "hours"}, "course_ids": [COURSE_B]},
            "course_ids",
        ),
        ({"report": "grade_course", "interval": {"every": 2, "period": "hours"}, "owner": 1}, "owner"),
        (
            {"report": "grade_course", "interval": {"every": 2, "period": "hours"}, "course_orgs": ["edX"]},
            "course_orgs",
        ),
        ({"report": "grade_course", "interval": {"every": 2, "period": "hours"}, "task": 1}, "task"),
    )
    @ddt.unpack
    def test_invalid_fields(self, body, field):
        import json

        with self.settings(PERIODIC_INSTRUCTOR_REPORTS_MIN_INTERVAL=3600):
            data = self.refused(self.post(json.dumps(body)))
        self.assertIn(field, data["errors"], data)

    @ddt.data("not-a-course", "course-v1:edX+DemoX", "x" * 300, "ccx-v1:edX+DemoX+Demo_Course+ccx@1")
    def test_invalid_course_ids(self, course_id):
        response = self.call("global_staff", "get", BASE + course_id + "/schedules/")
        self.assertEqual(response.status_code, 400, response.content)
        self.assertIn("course_id", response.json()["errors"])

    def test_unknown_course_is_404_for_staff_and_403_for_others(self):
        self.assertEqual(
            self.call("global_staff", "get", BASE + "course-v1:No+Such+Course/schedules/").status_code, 404
        )
        self.assertEqual(
            self.call("researcher_a", "get", BASE + "course-v1:No+Such+Course/schedules/").status_code, 403
        )

    @ddt.data("0", "999999", "99999999999999999999999")
    def test_unknown_schedule_ids(self, schedule_id):
        response = self.call("global_staff", "get", BASE + COURSE_A + f"/schedules/{schedule_id}/")
        self.assertEqual(response.status_code, 404)
        self.assertTrue(response.json()["message"])

    def test_unknown_paths_and_methods(self):
        self.assertEqual(
            self.call("global_staff", "put", BASE + COURSE_A + f"/schedules/{self.own.pk}/", {}).status_code,
            405,
        )
        self.assertEqual(
            self.call("global_staff", "get", BASE + COURSE_A + "/runs/?page=abc").status_code, 404
        )
        self.assertEqual(
            self.call("global_staff", "get", BASE + COURSE_A + "/runs/?schedule=x").status_code, 400
        )

    def test_a_change_with_bad_fields_changes_nothing(self):
        url = BASE + COURSE_A + f"/schedules/{self.own.pk}/"
        response = self.call(
            "researcher_a", "patch", url, {"name": "New", "interval": {"every": 0, "period": "days"}}
        )
        self.assertEqual(response.status_code, 400)
        response = self.call("researcher_a", "patch", url, {"name": "New", "arguments": {"filename": "a/b"}})
        self.assertEqual(response.status_code, 400)
        self.assertIn("arguments", response.json()["errors"])
        self.assertEqual(PeriodicReportSchedule.objects.get(pk=self.own.pk).name, "Weekly grades")

    def test_a_race_lost_on_a_unique_name_is_a_conflict_not_a_500(self):
        from unittest import mock

        from django.db import IntegrityError

        lost = IntegrityError("unique")
        with mock.patch("periodic_instructor_reports.api.create_schedule", side_effect=lost):
            response = self.call("researcher_a", "post", BASE + COURSE_A + "/schedules/", {
                "report": "grade_course", "interval": {"every": 2, "period": "hours"}})
        self.assertEqual(response.status_code, 409)
        self.assertIn("try again", response.json()["message"])

    def test_a_name_the_owner_already_uses_is_refused(self):
        response = self.call(
            "researcher_a",
            "post",
            BASE + COURSE_A + "/schedules/",
            {"report": "grade_course", "interval": {"every": 2, "period": "hours"}, "name": "Weekly grades"},
        )
        self.assertEqual(response.status_code, 400, response.content)


class LimitTests(ApiTestCase):
    """The limits a course team meets: schedules per course, run now's cooldown and overlap, write rate."""

    def create(self, persona="researcher_a", **fields):
        body = {"report": "grade_course", "interval": {"every": 2, "period": "hours"}, **fields}
        return self.call(persona, "post", BASE + COURSE_A + "/schedules/", body)

    def test_a_course_has_at_most_the_cap_of_schedules(self):
        # Course A has three (the researcher's, staff's, the team listing); the one of both is not A's.
        with self.settings(PERIODIC_INSTRUCTOR_REPORTS_MAX_SCHEDULES_PER_COURSE=4):
            self.assertEqual(self.create(name="Fourth").status_code, 201)
            response = self.create(name="Fifth")
        self.assertEqual(response.status_code, 409)
        self.assertIn("PERIODIC_INSTRUCTOR_REPORTS_MAX_SCHEDULES_PER_COURSE", response.json()["message"])
        self.assertFalse(PeriodicReportSchedule.objects.filter(name="Fifth").exists())

    def test_the_default_cap_is_the_setting(self):
        self.assertEqual(conf.get("MAX_SCHEDULES_PER_COURSE"), 10)

    def run_now(self, persona="researcher_a"):
        return self.call(persona, "post", BASE + COURSE_A + f"/schedules/{self.own.pk}/run-now/")

    def test_run_now_queues_a_manual_run_then_waits_for_the_cooldown(self):
        self.assertEqual(self.run_now().status_code, 202)
        run = ReportRun.objects.get(schedule=self.own, trigger=Trigger.MANUAL)
        ReportRun.objects.filter(pk=run.pk).update(status=RunStatus.DONE)
        response = self.run_now()
        self.assertEqual(response.status_code, 429)
        self.assertIn("PERIODIC_INSTRUCTOR_REPORTS_RUN_NOW_COOLDOWN", response.json()["message"])
        wait = int(response["Retry-After"])
        self.assertTrue(0 < wait <= conf.run_now_cooldown() + 1, wait)
        with self.settings(PERIODIC_INSTRUCTOR_REPORTS_RUN_NOW_COOLDOWN=0):
            self.assertEqual(self.run_now().status_code, 202)
        self.assertEqual(ReportRun.objects.filter(schedule=self.own, trigger="manual").count(), 2)

    def test_no_second_run_while_one_is_in_progress(self):
        now = timezone.now()
        running = ReportRun.objects.create(
            schedule=self.own,
            trigger="beat",
            planned_at=now,
            started_at=now,
            status=RunStatus.GENERATING,
            report_path=catalog.GRADE_REPORT,
        )
        response = self.run_now()
        self.assertEqual(response.status_code, 409)
        self.assertIn(f"its run {running.pk} is in progress", response.json()["message"])
        self.assertFalse(ReportRun.objects.filter(trigger="manual").exists())

    def test_run_now_answers_503_when_the_broker_is_down(self):
        from unittest import mock

        from periodic_instructor_reports.exceptions import BrokerUnavailable

        with mock.patch(
            "periodic_instructor_reports.api.run_schedules_now", side_effect=BrokerUnavailable("down")
        ):
            response = self.run_now()
        self.assertEqual(response.status_code, 503)
        self.assertFalse(LogEntry.objects.filter(change_message__startswith="Run now").exists())

    def test_writes_are_throttled_per_user_reads_are_not(self):
        url = BASE + COURSE_A + f"/schedules/{self.own.pk}/"
        with self.settings(PERIODIC_INSTRUCTOR_REPORTS_API_WRITE_RATE="2/hour"):
            for _number in range(2):
                self.assertEqual(self.call("researcher_a", "post", url + "pause/").status_code, 200)
            response = self.call("researcher_a", "post", url + "resume/")
            self.assertEqual(response.status_code, 429)
            self.assertTrue(response.json()["message"])
            self.assertEqual(self.call("researcher_a", "get", url).status_code, 200)
            self.assertEqual(self.call("global_staff", "post", url + "resume/").status_code, 200)


class ScheduleContentTests(ApiTestCase):
    """What a course team's schedule holds: this course, the caller as owner, the course's own folder."""

    def test_a_new_schedule_holds_the_course_in_its_platform_folder_owned_by_the_caller(self):
        response = self.call(
            "researcher_a",
            "post",
            BASE + COURSE_A + "/schedules/",
            {
                "report": "grade_course",
                "crontab": {"minute": "0", "hour": "7", "day_of_week": "1", "timezone": "Europe/Paris"},
                "arguments": {"filename": "weekly"},
                "recipients": ["team@example.com"],
                "notify": "always",
            },
        )
        self.assertEqual(response.status_code, 201, response.content)
        schedule = PeriodicReportSchedule.objects.get(pk=response.json()["id"])
        self.assertEqual(
            (schedule.course_ids, schedule.course_orgs, schedule.course_state), ([COURSE_A], [], "")
        )
        self.assertEqual((schedule.upload_folder_structure, schedule.upload_folder_prefix), ("regular", ""))
        self.assertEqual(schedule.owner, self.users["researcher_a"])
        self.assertEqual(str(schedule.crontab.timezone), "Europe/Paris")
        self.assertTrue(schedule.celery_task.enabled)
        self.assertEqual(response.json()["crontab"]["day_of_week"], "1")

    def test_include_ccx_needs_the_ccx_app_and_is_kept(self):
        response = self.call(
            "researcher_a",
            "post",
            BASE + COURSE_A + "/schedules/",
            {"report": "grade_course", "interval": {"every": 2, "period": "hours"}, "include_ccx": True},
        )
        self.assertEqual(response.status_code, 201, response.content)
        self.assertTrue(response.json()["include_ccx"])

    def test_the_runs_show_this_course_ccx_rows(self):
        ccx = COURSE_A.replace("course-v1:", "ccx-v1:") + "+ccx@4"
        ReportRunCourse.objects.create(run=self.run_of["own"], course_id=ccx, outcome=Outcome.FAILED)
        ReportRunCourse.objects.create(
            run=self.run_of["many"], course_id=COURSE_A + "X", outcome=Outcome.FAILED
        )
        runs = self.call("researcher_a", "get", BASE + COURSE_A + "/runs/").json()["results"]
        rows = {run["schedule_name"]: [row["course_id"] for row in run["courses"]] for run in runs}
        self.assertEqual(rows["Weekly grades"], [COURSE_A, ccx])
        self.assertEqual(rows["Both courses"], [COURSE_A])

    def test_the_reports_say_their_arguments(self):
        reports = {
            report["id"]: report
            for report in self.call("researcher_a", "get", BASE + COURSE_A + "/reports/").json()
        }
        self.assertEqual(reports["grade_course"]["argument_names"], ["filename"])
        self.assertEqual(
            reports["problem_responses_csv"]["argument_names"], ["problem_locations", "problem_types_filter"]
        )
        self.assertEqual(reports["generate_anonymous_ids_for_course"]["argument_names"], [])

    def test_a_report_the_site_has_not_registered_is_not_offered(self):
        PeriodicReportTask.objects.filter(path=catalog.PROBLEM_GRADE_REPORT).delete()
        reports = [r["id"] for r in self.call("researcher_a", "get", BASE + COURSE_A + "/reports/").json()]
        self.assertNotIn("grade_problems", reports)
        response = self.call(
            "researcher_a",
            "post",
            BASE + COURSE_A + "/schedules/",
            {"report": "grade_problems", "interval": {"every": 2, "period": "hours"}},
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("ask an administrator", response.json()["message"])


class SchemaTests(TestCase):
    """The OpenAPI schema validates and lists every endpoint of the API."""

    def test_the_schema_validates_and_lists_every_endpoint(self):
        import json

        from drf_spectacular.validation import validate_schema

        response = self.client.get(
            "/api/periodic-reports/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
        )
        self.assertEqual(response.status_code, 200)
        schema = json.loads(response.content)
        validate_schema(schema)
        from periodic_instructor_reports.rest_api.v1 import urls

        expected = {
            "/api/periodic-reports/v1/"
            + str(pattern.pattern).replace("<str:", "{").replace("<int:", "{").replace(">", "}")
            for pattern in urls.endpoints
        }
        self.assertEqual(set(schema["paths"]), expected)
        methods = {path: sorted(operations) for path, operations in schema["paths"].items()}
        prefix = "/api/periodic-reports/v1/courses/{course_id}/"
        self.assertEqual(methods[prefix + "schedules/"], ["get", "post"])
        self.assertEqual(methods[prefix + "schedules/{schedule_id}/"], ["delete", "get", "patch"])
        self.assertEqual(methods[prefix + "schedules/{schedule_id}/run-now/"], ["post"])
        self.assertEqual(set(schema["components"]["securitySchemes"]), {"jwtAuth", "cookieAuth"})


@unittest.skipIf(connection.vendor == "sqlite", "sqlite runs one writer at a time: no race to lose")
class ConcurrentCapTests(TransactionTestCase):
    """Two course team members creating the course's last allowed schedule at once: one gets it."""

    def test_concurrent_creations_respect_the_cap(self):
        factories.course(COURSE_A)
        factories.report_task(catalog.GRADE_REPORT)  # earlier tests may have emptied it
        users = [grant(factories.user(), "data_researcher", COURSE_A) for _number in range(2)]
        barrier, statuses = threading.Barrier(2), []

        def create(user):
            try:
                client = APIClient()
                client.force_login(user)
                barrier.wait()
                body = {"report": "grade_course", "interval": {"every": 2, "period": "hours"}}
                statuses.append(client.post(BASE + COURSE_A + "/schedules/", body, format="json").status_code)
            finally:
                connection.close()

        with self.settings(PERIODIC_INSTRUCTOR_REPORTS_MAX_SCHEDULES_PER_COURSE=1):
            threads = [threading.Thread(target=create, args=(user,)) for user in users]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        self.assertEqual(sorted(statuses), [201, 409])
        self.assertEqual(PeriodicReportSchedule.objects.count(), 1)


class AuditRecordTests(ApiTestCase):
    """``audit.record`` writes the admin log's rows, which the schedule's admin history shows."""

    def test_the_admin_history_shows_the_api_changes(self):
        self.call("researcher_a", "post", BASE + COURSE_A + f"/schedules/{self.own.pk}/pause/")
        self.client.force_login(factories.superuser())
        page = self.client.get(
            f"/admin/periodic_instructor_reports/periodicreportschedule/{self.own.pk}/history/"
        )
        self.assertContains(page, "<td>Paused.</td>", html=True)
        self.assertContains(page, self.users["researcher_a"].username)

    def test_an_unknown_action_is_refused(self):
        from periodic_instructor_reports import audit

        before = LogEntry.objects.count()
        with self.assertRaises(ValueError):
            audit.record(user=self.users["researcher_a"], schedule=self.own, action="renamed")
        self.assertEqual(LogEntry.objects.count(), before)
