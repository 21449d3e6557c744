"""The course-team API's pacing: a schedule's cap and window; a run's window, warning and progress."""

import datetime
import json

import ddt
from django.utils import timezone
from lms.djangoapps.instructor_task.models import InstructorTask

from periodic_instructor_reports.models import PeriodicReportSchedule, ReportRun, ReportRunCourse
from periodic_instructor_reports.states import Outcome, RunStatus
from tests.test_rest_api import BASE, COURSE_A, ApiTestCase

SCHEDULES = BASE + COURSE_A + "/schedules/"


@ddt.ddt
class SchedulePacingTests(ApiTestCase):
    """``max_in_flight`` and ``finish_within``: given as the admin's are, refused as the admin refuses."""

    def create(self, **fields):
        body = {"report": "grade_course", "interval": {"every": 2, "period": "hours"}, **fields}
        return self.call("researcher_a", "post", SCHEDULES, body)

    @ddt.data("PT30M", "00:30:00", 1800, "1800")
    def test_a_window_as_iso_8601_text_or_seconds(self, window):
        response = self.create(max_in_flight=3, finish_within=window)
        self.assertEqual(response.status_code, 201, response.content)
        found = response.json()
        self.assertEqual((found["max_in_flight"], found["finish_within"]), (3, "00:30:00"))
        schedule = PeriodicReportSchedule.objects.get(pk=response.json()["id"])
        self.assertEqual(schedule.finish_within, datetime.timedelta(minutes=30))

    def test_listed_and_cleared(self):
        PeriodicReportSchedule.objects.filter(pk=self.own.pk).update(
            max_in_flight=2, finish_within=datetime.timedelta(hours=1),
        )
        listed = {row["id"]: row for row in self.call("researcher_a", "get", SCHEDULES).json()}
        self.assertEqual((listed[self.own.pk]["max_in_flight"], listed[self.own.pk]["finish_within"]),
                         (2, "01:00:00"))
        response = self.call("researcher_a", "patch", SCHEDULES + f"{self.own.pk}/",
                             {"max_in_flight": None, "finish_within": None})
        self.assertEqual(response.status_code, 200, response.content)
        self.own.refresh_from_db()
        self.assertEqual((self.own.max_in_flight, self.own.finish_within), (None, None))

    @ddt.unpack
    @ddt.data(
        ({"max_in_flight": 0}, "max_in_flight", "Enter at least 1"),
        ({"max_in_flight": "many"}, "max_in_flight", "A valid integer is required"),
        ({"finish_within": "PT30S"}, "finish_within", "at least a minute"),
        ({"finish_within": "PT3H"}, "finish_within", "Enter at most 2 hours"),
        ({"finish_within": "soon"}, "finish_within", "Duration has wrong format"),
        ({"finish_within": "1000000000 00:00:00"}, "finish_within", "The number of days must be between"),
    )
    def test_refused_with_the_fields_message(self, fields, field, message):
        response = self.create(**fields)
        self.assertEqual(response.status_code, 400, response.content)
        self.assertIn(message, " ".join(response.json()["errors"][field]))
        self.assertFalse(PeriodicReportSchedule.objects.filter(owner=self.users["researcher_a"]).exclude(
            pk=self.own.pk).exists())

    def test_a_change_is_checked_against_the_schedules_interval(self):
        response = self.call("researcher_a", "patch", SCHEDULES + f"{self.own.pk}/",
                             {"finish_within": "PT2H"})
        self.assertEqual(response.status_code, 400, response.content)
        self.assertIn("Enter at most 1 hour", " ".join(response.json()["errors"]["finish_within"]))
        self.own.refresh_from_db()
        self.assertIsNone(self.own.finish_within)


class RunPacingTests(ApiTestCase):
    """A run's ``finish_by``, ``warning`` and ``progress`` over all its courses."""

    def test_a_running_runs_progress(self):
        run = self.run_of["own"]
        finish_by = timezone.now() + datetime.timedelta(hours=1)
        ReportRun.objects.filter(pk=run.pk).update(
            status=RunStatus.RUNNING, course_total=5, finish_by=finish_by, warning="expected to end late",
            pacing={"most_in_flight": 1},
        )
        now = timezone.now()
        ReportRunCourse.objects.filter(run=run).update(started_at=now - datetime.timedelta(minutes=5),
                                                       finished_at=now)
        for number, state in enumerate(("QUEUING", "PROGRESS")):
            ReportRunCourse.objects.create(run=run, course_id=f"course-v1:Org+C{number}+2026",
                                           outcome=Outcome.SUBMITTED, task_id=f"t{number}")
            InstructorTask.objects.create(task_type="grade_course", course_id=f"course-v1:Org+C{number}+2026",
                                          task_key="k", task_input="{}", task_id=f"t{number}",
                                          task_state=state, requester=self.users["researcher_a"])
        response = self.call("researcher_a", "get", BASE + COURSE_A + f"/runs/?schedule={self.own.pk}")
        self.assertEqual(response.status_code, 200, response.content)
        found = response.json()["results"][0]
        self.assertEqual(found["warning"], "expected to end late")
        self.assertIsNotNone(found["finish_by"])
        progress = found["progress"]
        # 5 courses, 3 rows: 2 not recorded yet wait; 2 fly; 1 generated.
        self.assertEqual((progress["waiting"], progress["in_flight"], progress["finished"]), (2, 2, 1))
        self.assertIsNotNone(progress["expected_end"])

    def test_an_ended_run_has_no_expected_end(self):
        response = self.call("researcher_a", "get", BASE + COURSE_A + "/runs/")
        for found in response.json()["results"]:
            self.assertEqual((found["finish_by"], found["warning"]), (None, ""))
            self.assertIsNone(found["progress"]["expected_end"])
            self.assertEqual(found["progress"]["waiting"], 0)

    def test_the_schema_describes_the_new_fields(self):
        response = self.client.get(
            "/api/periodic-reports/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
        )
        schemas = json.loads(response.content)["components"]["schemas"]
        self.assertLessEqual({"max_in_flight", "finish_within"},
                             set(schemas["ScheduleInputRequest"]["properties"]))
        self.assertLessEqual({"max_in_flight", "finish_within"}, set(schemas["Schedule"]["properties"]))
        self.assertLessEqual({"finish_by", "warning", "progress"}, set(schemas["Run"]["properties"]))
        self.assertEqual(set(schemas["Progress"]["properties"]),
                         {"waiting", "in_flight", "finished", "expected_end"})
